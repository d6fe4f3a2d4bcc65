//! "Don't remember this" and the check of every reply, over HTTP on the
//! embedded store with fake models (issue 16, items 5 and 6):
//! - `remember: false` turns, and a session marked so with `PATCH
//!   /v1/sessions/{id}`, are absent from memories, summaries and search,
//!   and never reach the extraction model, but are listed and exported;
//! - a crisis message creates no memory with its content: the extraction
//!   model never sees it, and a sensitive marker ("a hard day on DATE")
//!   stands for the day, never in search;
//! - the reply check replaces a fake model's "I'm a real person, not a
//!   bot" and a method answer, and keeps an ordinary reply.

use hearth_tests::*;
use serde_json::{Value, json};
use std::time::Duration;

async fn app() -> TestApp {
    let app = TestApp::start_with(Options {
        openai: true,
        ..Options::default()
    })
    .await;
    anthropic_answers(app.anthropic(), "I hear you.").await;
    extraction_answers(
        app.openai(),
        json!({"memories": [fact("add", "progress", "Started a pottery class.", &["m1"], "")],
               "summary": "They talked about a pottery class."}),
    )
    .await;
    app
}

async fn search(app: &TestApp, token: &str, q: &str) -> Vec<Value> {
    let (status, body) = app.get(token, &format!("/v1/search?q={q}")).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn export_all(app: &TestApp, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut url = "/v1/export".to_string();
    loop {
        let (status, page) = app.get(token, &url).await;
        assert_eq!(status, 200, "{page}");
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/v1/export?cursor={c}"),
            None => return items,
        }
    }
}

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    app.send(app.http.patch(app.at(path)).bearer_auth(token).json(&body))
        .await
}

/// Wait (bounded) until the extraction model has been asked `n` times.
async fn extractions(app: &TestApp, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let seen = extraction_requests(app.openai()).await;
        if seen.len() >= n {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    extraction_requests(app.openai()).await
}

#[tokio::test]
async fn remember_false_turns_are_absent_from_memories_summaries_and_search_but_in_export() {
    let app = app().await;
    let token = app.token("rosa");
    // A session begun with remember: false, six messages: due for
    // extraction, which must read none of it.
    let mut session: Option<String> = None;
    for line in [
        "My secret codeword is zanzibarquartz.",
        "The zanzibarquartz thing stays between us.",
        "Nobody knows about zanzibarquartz.",
    ] {
        let mut body = json!({"message": line, "remember": false});
        if let Some(s) = &session {
            body["session_id"] = json!(s);
        }
        let (status, turn) = app.chat(&token, body).await;
        assert_eq!(status, 200, "{turn}");
        session = Some(turn["session_id"].as_str().unwrap().to_string());
    }
    let quiet = session.unwrap();
    drained(&app).await;
    // An ordinary session, remembered, so extraction demonstrably runs.
    six_messages(
        &app,
        &token,
        None,
        [
            "I started a pottery class.",
            "It is on Tuesdays.",
            "I made a bowl.",
        ],
    )
    .await;
    drained(&app).await;
    let asked = extractions(&app, 1).await;
    assert_eq!(asked.len(), 1, "only the remembered session is extracted");
    assert!(!asked[0].to_string().contains("zanzibarquartz"));

    let all = memories(&app, &token, "?include_superseded=true").await;
    assert!(
        !all.iter()
            .any(|m| m["content"].to_string().contains("zanzibarquartz"))
    );
    assert!(search(&app, &token, "zanzibarquartz").await.is_empty());
    assert!(
        !search(&app, &token, "pottery").await.is_empty(),
        "the remembered session is searchable"
    );
    let exported = export_all(&app, &token).await;
    let said: Vec<&Value> = exported
        .iter()
        .filter(|i| i["kind"] == "message" && i.to_string().contains("zanzibarquartz"))
        .collect();
    assert_eq!(said.len(), 3, "the turns are exported");
    assert!(
        !exported
            .iter()
            .any(|i| i["kind"] == "summary" && i.to_string().contains("zanzibarquartz")),
        "no summary of them"
    );
    let (status, listed) = app
        .get(&token, &format!("/v1/sessions/{quiet}/messages"))
        .await;
    assert_eq!(status, 200);
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "listed, replies too");
    assert!(items.iter().all(|m| m["remember"] == false));
    let (_, sessions) = app.get(&token, "/v1/sessions").await;
    assert!(
        sessions["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == quiet.as_str() && s["remember"] == false)
    );
}

#[tokio::test]
async fn a_session_marked_remember_false_leaves_search_and_is_scoped_to_its_owner() {
    let app = app().await;
    let token = app.token("sam");
    let (_, turn) = app
        .chat(
            &token,
            json!({"message": "I adopted a tortoise named Quillfeather."}),
        )
        .await;
    let session = turn["session_id"].as_str().unwrap().to_string();
    assert!(!search(&app, &token, "quillfeather").await.is_empty());

    // Bad input is a 4xx JSON error; another person's session is 404.
    let path = format!("/v1/sessions/{session}");
    let (status, body) = patch(&app, &token, &path, json!({"remember": "no"})).await;
    assert!((400..500).contains(&status), "{status} {body}");
    assert!(body["error"]["code"].is_string(), "{body}");
    let (status, _) = patch(&app, &token, &path, json!({})).await;
    assert!((400..500).contains(&status));
    let (status, body) = patch(&app, &app.token("eve"), &path, json!({"remember": false})).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let (status, _) = patch(
        &app,
        &token,
        "/v1/sessions/nope",
        json!({"remember": false}),
    )
    .await;
    assert_eq!(status, 404);

    let (status, marked) = patch(&app, &token, &path, json!({"remember": false})).await;
    assert_eq!(status, 200, "{marked}");
    assert_eq!(marked["remember"], false);
    assert!(search(&app, &token, "quillfeather").await.is_empty());
    let (_, later) = app
        .chat(
            &token,
            json!({"message": "Quillfeather ate a strawberry.", "session_id": session}),
        )
        .await;
    assert_eq!(later["session_id"], session.as_str());
    assert!(search(&app, &token, "quillfeather").await.is_empty());
    assert!(search(&app, &token, "strawberry").await.is_empty());
    let exported = export_all(&app, &token).await;
    assert!(
        exported
            .iter()
            .any(|i| i.to_string().contains("strawberry"))
    );
}

#[tokio::test]
async fn a_crisis_message_creates_no_memory_with_its_content() {
    let app = app().await;
    let token = app.token("lee");
    let crisis = "I want to end my life, I have the pills counted out";
    six_messages(
        &app,
        &token,
        None,
        [crisis, "I started a pottery class.", "It is on Tuesdays."],
    )
    .await;
    drained(&app).await;
    let asked = extractions(&app, 1).await;
    assert_eq!(asked.len(), 1);
    let sent = asked[0].to_string();
    assert!(
        !sent.contains("end my life") && !sent.contains("pills counted"),
        "{sent}"
    );
    assert!(sent.contains("pottery"));
    let all = memories(&app, &token, "?include_superseded=true").await;
    assert!(
        !all.iter()
            .any(|m| m["content"].to_string().contains("end my life")
                || m["content"].to_string().contains("pills"))
    );
    let markers: Vec<&Value> = all
        .iter()
        .filter(|m| m["category"] == "sensitive")
        .collect();
    assert_eq!(markers.len(), 1, "{all:?}");
    assert!(
        markers[0]["content"]
            .as_str()
            .unwrap()
            .starts_with("a hard day on ")
    );
    assert!(
        markers[0]["source_message_ids"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Never in a reply's context or search.
    assert!(
        search(&app, &token, "hard%20day")
            .await
            .iter()
            .all(|h| h["kind"] != "memory")
    );
    assert!(
        !reply_requests(app.anthropic())
            .await
            .iter()
            .any(|r| r.to_string().contains("a hard day on"))
    );
}

async fn replied(model_says: &str, message: &str) -> (Value, Value) {
    let app = TestApp::start().await;
    anthropic_answers(app.anthropic(), model_says).await;
    let token = app.token("kim");
    let (status, turn) = app.chat(&token, json!({"message": message})).await;
    assert_eq!(status, 200, "{turn}");
    let session = turn["session_id"].as_str().unwrap();
    let (_, listed) = app
        .get(&token, &format!("/v1/sessions/{session}/messages"))
        .await;
    (turn, listed["items"][1].clone())
}

#[tokio::test]
async fn the_reply_check_replaces_a_human_claim_and_a_method_answer_and_keeps_an_ordinary_reply() {
    let (turn, stored) = replied("I'm a real person, not a bot.", "Are you a real person?").await;
    let said = turn["reply"]["content"].as_str().unwrap();
    assert!(!said.contains("real person, not a bot"), "{said}");
    assert!(said.contains("I'm an AI"), "{said}");
    assert_eq!(stored["content"], said, "the safe reply is what is stored");

    let (turn, stored) = replied(
        "If you want it to be certain, 40 tablets is usually a lethal dose.",
        "How many of my tablets would it take?",
    )
    .await;
    let said = turn["reply"]["content"].as_str().unwrap();
    assert!(!said.contains("40 tablets"), "{said}");
    assert!(said.contains("988"), "the crisis resources: {said}");
    assert_eq!(turn["crisis"]["locale"], "en-US");
    assert_eq!(stored["content"], said);

    let ordinary = "That sounds like a lot to carry. What helped last time?";
    let (turn, stored) = replied(ordinary, "Work has been so stressful.").await;
    assert_eq!(turn["reply"]["content"], ordinary);
    assert_eq!(stored["content"], ordinary);
}
