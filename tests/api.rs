//! The HTTP API end to end: a real server on a random port, the embedded
//! store, and a fake Anthropic server speaking the Messages API.

use hearth_tests::*;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::Mock;
use wiremock::matchers::{header, method, path};

async fn messages(app: &TestApp, token: &str, session: &str) -> Vec<Value> {
    let (status, body) = app
        .get(token, &format!("/v1/sessions/{session}/messages"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn chat_turn_answers_and_stores_both_messages() {
    let app = TestApp::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "sk-ant-test"))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(anthropic_ok("That sounds heavy. What happened?"))
        .expect(1)
        .mount(app.anthropic())
        .await;
    let token = app.token("alice");
    let (status, body) = app
        .chat(&token, json!({"message": "I had a rough day."}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["reply"]["content"],
        "That sounds heavy. What happened?"
    );
    assert_eq!(body["reply"]["route"], "support");
    assert_eq!(body["reply"]["model"], "claude-haiku-4-5-20251001");
    assert_eq!(body["memories_used"], json!([]));
    assert_eq!(
        body["context"],
        json!({"turns": 1, "memories": 0, "summaries": 0, "excerpts": 0})
    );

    let sent = request_body(app.anthropic(), 0).await;
    assert_eq!(sent["model"], "claude-haiku-4-5");
    assert_eq!(sent["max_tokens"], 150);
    assert!((sent["temperature"].as_f64().unwrap() - 0.7).abs() < 1e-6);
    assert!(sent["system"].as_str().unwrap().contains("Hearth"));
    assert_eq!(
        sent["messages"],
        json!([{"role": "user", "content": "I had a rough day."}])
    );

    let session = body["session_id"].as_str().unwrap();
    let items = messages(&app, &token, session).await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], body["user_message_id"]);
    assert_eq!(items[0]["role"], "user");
    assert_eq!(items[0]["route"], Value::Null);
    assert_eq!(items[1]["id"], body["reply"]["id"]);
    assert_eq!(items[1]["role"], "assistant");
    assert_eq!(items[1]["route"], "support");
    assert_eq!(
        items[1]["usage"],
        json!({"input_tokens": 42, "output_tokens": 11})
    );
    assert_eq!(items[1]["memories_used"], json!([]));
}

#[tokio::test]
async fn message_is_stored_before_the_model_is_called() {
    let app = TestApp::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(anthropic_ok("here").set_delay(Duration::from_secs(3)))
        .mount(app.anthropic())
        .await;
    let token = app.token("alice");
    let turn = {
        let (app_url, token) = (app.url.clone(), token.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{app_url}/v1/chat"))
                .bearer_auth(token)
                .json(&json!({"message": "remember this"}))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    // The model has the request (and holds its answer): the message must
    // already be in the store, with no reply yet.
    wait_for_requests(app.anthropic(), 1).await;
    let (_, sessions) = app.get(&token, "/v1/sessions").await;
    let session = sessions["items"][0]["id"]
        .as_str()
        .expect("session exists")
        .to_string();
    let items = messages(&app, &token, &session).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["content"], "remember this");
    assert_eq!(turn.await.unwrap(), 200);
    assert_eq!(messages(&app, &token, &session).await.len(), 2);
}

#[tokio::test]
async fn model_failure_loses_nothing_and_returns_503() {
    let app = TestApp::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(anthropic_error(500, "api_error"))
        .expect(3)
        .mount(app.anthropic())
        .await;
    let token = app.token("alice");
    let (status, body) = app.chat(&token, json!({"message": "are you there?"})).await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "model_unavailable");
    let (_, sessions) = app.get(&token, "/v1/sessions").await;
    let session = sessions["items"][0]["id"].as_str().unwrap();
    let items = messages(&app, &token, session).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["content"], "are you there?");
}

#[tokio::test]
async fn no_provider_configured_is_a_503_that_says_what_to_set() {
    let app = TestApp::start_with(Options {
        anthropic: false,
        ..Options::default()
    })
    .await;
    let token = app.token("alice");
    let (status, body) = app.chat(&token, json!({"message": "hello?"})).await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "model_unavailable");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ANTHROPIC_API_KEY")
    );
    let (_, sessions) = app.get(&token, "/v1/sessions").await;
    assert_eq!(sessions["items"][0]["message_count"], 1);
}

#[tokio::test]
async fn duplicate_client_message_id_after_success_returns_the_stored_reply() {
    let app = TestApp::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(anthropic_ok("I'm here."))
        .expect(1)
        .mount(app.anthropic())
        .await;
    let token = app.token("alice");
    let req = json!({"message": "hi", "client_message_id": "phone-42"});
    let (s1, first) = app.chat(&token, req.clone()).await;
    let (s2, again) = app.chat(&token, req).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(first, again);
    let session = first["session_id"].as_str().unwrap();
    assert_eq!(messages(&app, &token, session).await.len(), 2);
}

#[tokio::test]
async fn duplicate_client_message_id_after_a_503_tries_the_model_again_without_storing_twice() {
    let app = TestApp::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(anthropic_error(400, "invalid_request_error"))
        .up_to_n_times(1)
        .mount(app.anthropic())
        .await;
    let token = app.token("alice");
    let req = json!({"message": "hi", "client_message_id": "phone-43"});
    let (status, _) = app.chat(&token, req.clone()).await;
    assert_eq!(status, 503);
    anthropic_answers(app.anthropic(), "Back now.").await;
    let (status, body) = app.chat(&token, req).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["content"], "Back now.");
    let items = messages(&app, &token, body["session_id"].as_str().unwrap()).await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], body["user_message_id"]);
}

#[tokio::test]
async fn a_resumed_session_sends_earlier_turns_as_context() {
    let app = TestApp::start().await;
    anthropic_answers(app.anthropic(), "Tell me more.").await;
    let token = app.token("alice");
    let (_, first) = app
        .chat(&token, json!({"message": "My sister visits Friday."}))
        .await;
    let session = first["session_id"].as_str().unwrap();
    let (status, second) = app
        .chat(
            &token,
            json!({"message": "I'm nervous.", "session_id": session}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(second["session_id"], session);
    assert_eq!(second["context"]["turns"], 3);
    let sent = request_body(app.anthropic(), 1).await;
    assert_eq!(
        sent["messages"],
        json!([
            {"role": "user", "content": "My sister visits Friday."},
            {"role": "assistant", "content": "Tell me more."},
            {"role": "user", "content": "I'm nervous."}
        ])
    );
}

#[tokio::test]
async fn two_users_cannot_see_each_others_sessions() {
    let app = TestApp::start().await;
    anthropic_answers(app.anthropic(), "ok").await;
    let (alice, bob) = (app.token("alice"), app.token("bob"));
    let (_, turn) = app.chat(&alice, json!({"message": "a secret"})).await;
    let session = turn["session_id"].as_str().unwrap();

    let (status, body) = app
        .get(&bob, &format!("/v1/sessions/{session}/messages"))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, _) = app
        .chat(&bob, json!({"message": "let me in", "session_id": session}))
        .await;
    assert_eq!(status, 404);
    let (_, bobs) = app.get(&bob, "/v1/sessions").await;
    assert_eq!(bobs["items"], json!([]));
    // Alice's session is untouched by Bob's attempt.
    assert_eq!(messages(&app, &alice, session).await.len(), 2);
}

#[tokio::test]
async fn lists_page_with_cursors() {
    let app = TestApp::start().await;
    anthropic_answers(app.anthropic(), "ok").await;
    let token = app.token("alice");
    let (_, first) = app.chat(&token, json!({"message": "one"})).await;
    let session = first["session_id"].as_str().unwrap().to_string();
    for m in ["two", "three"] {
        app.chat(&token, json!({"message": m, "session_id": session}))
            .await;
    }
    for _ in 0..2 {
        app.chat(&token, json!({"message": "new"})).await;
    }
    let mut contents = Vec::new();
    let mut url = format!("/v1/sessions/{session}/messages?limit=4");
    loop {
        let (status, page) = app.get(&token, &url).await;
        assert_eq!(status, 200);
        contents.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["content"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/v1/sessions/{session}/messages?limit=4&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(contents, vec!["one", "ok", "two", "ok", "three", "ok"]);

    let (_, p1) = app.get(&token, "/v1/sessions?limit=2").await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    let cursor = p1["next_cursor"].as_str().unwrap();
    let (_, p2) = app
        .get(&token, &format!("/v1/sessions?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    assert_eq!(p2["items"][0]["id"], session.as_str());
    assert_eq!(p2["next_cursor"], Value::Null);
}

#[tokio::test]
async fn bad_input_gets_a_4xx_json_error_naming_the_problem() {
    let app = TestApp::start().await;
    anthropic_answers(app.anthropic(), "ok").await;
    let token = app.token("alice");
    let cases: Vec<(&str, reqwest::Body, u16, &str, &str)> = vec![
        (
            "bad json",
            "{not json".into(),
            400,
            "invalid_request",
            "invalid JSON",
        ),
        (
            "missing message",
            r#"{"session_id":null}"#.into(),
            400,
            "invalid_request",
            "message",
        ),
        (
            "wrong type",
            r#"{"message":5}"#.into(),
            400,
            "invalid_request",
            "message",
        ),
        (
            "empty message",
            r#"{"message":"   "}"#.into(),
            400,
            "invalid_request",
            "empty",
        ),
        ("empty body", "".into(), 400, "invalid_request", "empty"),
        (
            "bad session id",
            r#"{"message":"hi","session_id":"a#b"}"#.into(),
            400,
            "invalid_request",
            "session_id",
        ),
        (
            "over-long message",
            json!({"message": "x".repeat(4001)}).to_string().into(),
            413,
            "too_large",
            "4000",
        ),
        (
            "over-large body",
            format!(r#"{{"message":"{}"}}"#, "y".repeat(70_000)).into(),
            413,
            "too_large",
            "65536",
        ),
        (
            "unknown session",
            r#"{"message":"hi","session_id":"nope"}"#.into(),
            404,
            "not_found",
            "session",
        ),
    ];
    for (name, body, status, code, mentions) in cases {
        let (got, err) = app.post_raw(&token, "/v1/chat", body).await;
        assert_eq!(got, status, "{name}: {err}");
        assert_eq!(err["error"]["code"], code, "{name}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.contains(mentions), "{name}: {message}");
    }
    for (url, status) in [
        ("/v1/sessions?limit=0", 400),
        ("/v1/sessions?limit=101", 400),
        ("/v1/sessions?limit=ten", 400),
        ("/v1/sessions?cursor=forged", 400),
        ("/v1/sessions/nope/messages", 404),
        ("/v1/sessions/a%23b/messages", 404),
        ("/v1/nothing-here", 404),
    ] {
        let (got, err) = app.get(&token, url).await;
        assert_eq!(got, status, "{url}: {err}");
        assert!(err["error"]["code"].is_string(), "{url}");
    }
    // Nothing in those requests reached the model or the store.
    assert!(
        app.anthropic()
            .received_requests()
            .await
            .unwrap()
            .is_empty()
    );
    let (_, sessions) = app.get(&token, "/v1/sessions").await;
    assert_eq!(sessions["items"], json!([]));
}

#[tokio::test]
async fn healthz_needs_no_token() {
    let app = TestApp::start().await;
    let (status, body) = app.send(app.http.get(app.at("/healthz"))).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = app.send(app.http.get(app.at("/v1/sessions"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::start().await;
    let resp = app.http.get(app.at("/healthz")).send().await.unwrap();
    assert!(resp.headers().get("x-request-id").is_some());
    let resp = app
        .http
        .get(app.at("/healthz"))
        .header("x-request-id", "trace-me")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "trace-me");
}

#[tokio::test]
async fn wrong_method_is_a_json_405() {
    let app = TestApp::start().await;
    let (status, body) = app.send(app.http.delete(app.at("/v1/chat"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
}
