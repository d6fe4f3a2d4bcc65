//! Routing and the crisis path, end to end at fake model servers: Anthropic
//! serves the chat role, an OpenAI-compatible server the deep role.

use hearth::domain::page::PageRequest;
use hearth::ports::ConversationStore;
use hearth_tests::*;
use serde_json::{Value, json};
use wiremock::Mock;
use wiremock::matchers::{method, path};

async fn both() -> TestApp {
    TestApp::start_with(Options {
        openai: true,
        ..Options::default()
    })
    .await
}

async fn deep_answers(app: &TestApp, text: &str) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(openai_ok(text))
        .mount(app.openai())
        .await;
}

fn content(body: &Value) -> &str {
    body["reply"]["content"].as_str().unwrap()
}

#[tokio::test]
async fn a_crisis_message_never_reaches_the_deep_role_and_its_reply_carries_the_resources() {
    let app = both().await;
    anthropic_answers(
        app.anthropic(),
        "I'm so sorry you're carrying this. Are you safe right now?",
    )
    .await;
    deep_answers(&app, "deep").await;
    let token = app.token("alice");
    let (status, body) = app
        .chat(
            &token,
            json!({"message": "Everyone would be better off without me."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["route"], "crisis");
    assert!(content(&body).starts_with("I'm so sorry you're carrying this."));
    assert!(
        content(&body).contains("call or text 988"),
        "resources added by code"
    );
    assert!(content(&body).contains("911"));
    assert!(
        app.openai().received_requests().await.unwrap().is_empty(),
        "never the deep role"
    );
    let sent = request_body(app.anthropic(), 0).await;
    assert!(
        sent["system"]
            .as_str()
            .unwrap()
            .contains("may be in crisis")
    );

    // The flag is stored, and the stored reply is exactly what was sent.
    let user = hearth::domain::ids::UserId::parse("alice").unwrap();
    let flags = app
        .store
        .list_crisis_flags(&user, &PageRequest::first(5))
        .await
        .unwrap();
    assert_eq!(flags.items.len(), 1);
    let events = app.store.list_events(0, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].detail_type, "CrisisFlagged");
    let (_, msgs) = app
        .get(
            &token,
            &format!(
                "/v1/sessions/{}/messages",
                body["session_id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(msgs["items"][1]["content"], body["reply"]["content"]);
    assert_eq!(msgs["items"][1]["route"], "crisis");
}

#[tokio::test]
async fn when_the_chat_role_is_down_a_crisis_still_gets_the_fixed_safe_reply_with_resources() {
    let app = both().await;
    Mock::given(method("POST"))
        .respond_with(anthropic_error(529, "overloaded_error"))
        .mount(app.anthropic())
        .await;
    deep_answers(&app, "deep").await;
    let (status, body) = app
        .chat(
            &app.token("alice"),
            json!({"message": "I cut myself again last night"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["route"], "crisis");
    assert_eq!(body["reply"]["model"], "fixed");
    assert!(content(&body).contains("Are you safe right now?"));
    assert!(content(&body).contains("988") && content(&body).contains("911"));
    assert!(
        app.openai().received_requests().await.unwrap().is_empty(),
        "no fallback to the deep role"
    );
}

#[tokio::test]
async fn crisis_resources_follow_the_configured_locale() {
    let app = TestApp::start_with(Options {
        env: vec![("HEARTH_CRISIS_LOCALE", "en-GB".into())],
        ..Options::default()
    })
    .await;
    anthropic_answers(app.anthropic(), "I'm here with you.").await;
    let (_, body) = app
        .chat(
            &app.token("alice"),
            json!({"message": "my partner just threatened to kill me"}),
        )
        .await;
    assert_eq!(body["reply"]["route"], "crisis");
    assert!(content(&body).contains("116 123") && content(&body).contains("999"));
    assert!(
        content(&body).contains("0808 2000 247"),
        "danger now adds the abuse line"
    );
}

#[tokio::test]
async fn idioms_and_negations_are_ordinary_support() {
    let app = both().await;
    anthropic_answers(app.anthropic(), "Ha, sounds like a day.").await;
    for message in [
        "this commute is killing me",
        "I'm not suicidal, just worn out",
        "I'd kill for a coffee",
    ] {
        let (status, body) = app
            .chat(&app.token("alice"), json!({"message": message}))
            .await;
        assert_eq!(
            (status, body["reply"]["route"].as_str()),
            (200, Some("support")),
            "{message}"
        );
        assert!(!content(&body).contains("988"));
    }
    assert!(app.store.list_events(0, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_reasoning_message_reaches_the_deep_role_with_20_plus_turns() {
    let app = both().await;
    anthropic_answers(app.anthropic(), "I hear you.").await;
    deep_answers(&app, "Let's weigh it up.").await;
    let token = app.token("alice");
    let (_, first) = app.chat(&token, json!({"message": "turn 1"})).await;
    let session = first["session_id"].as_str().unwrap().to_string();
    for i in 2..=12 {
        app.chat(
            &token,
            json!({"message": format!("turn {i}"), "session_id": session}),
        )
        .await;
    }
    let (status, body) = app
        .chat(&token, json!({
            "message": "Should I take the job in Berlin or stay here? Help me weigh the pros and cons.",
            "session_id": session
        }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["route"], "reasoning");
    assert_eq!(
        body["reply"]["model"],
        "meta-llama/Llama-3.3-70B-Instruct-Turbo"
    );
    assert_eq!(body["reply"]["content"], "Let's weigh it up.");
    let sent = reply_requests(app.openai()).await.remove(0);
    let messages = sent["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    assert!(messages.len() > 20, "{} turns", messages.len() - 1);
    assert_eq!(
        body["context"]["turns"].as_u64().unwrap() as usize,
        messages.len() - 1
    );
    assert_eq!(sent["max_tokens"], 600);
}

#[tokio::test]
async fn a_pattern_question_goes_to_the_deep_role_with_the_whole_session() {
    let app = both().await;
    anthropic_answers(app.anthropic(), "ok").await;
    deep_answers(&app, "I notice Sundays come up a lot.").await;
    let token = app.token("alice");
    let (_, first) = app
        .chat(&token, json!({"message": "Sunday was hard again"}))
        .await;
    let session = first["session_id"].as_str().unwrap().to_string();
    for i in 0..15 {
        app.chat(
            &token,
            json!({"message": format!("note {i}"), "session_id": session}),
        )
        .await;
    }
    let (_, body) = app
        .chat(
            &token,
            json!({"message": "Why do I always feel low on Sundays?", "session_id": session}),
        )
        .await;
    assert_eq!(body["reply"]["route"], "pattern");
    let sent = reply_requests(app.openai()).await.remove(0);
    let turns = sent["messages"].as_array().unwrap().len() - 1;
    assert_eq!(turns, 33, "all 33 messages of the session");
    assert!(
        sent["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("patterns")
    );
}

#[tokio::test]
async fn a_deep_outage_falls_back_to_the_chat_role_and_says_which_model_answered() {
    let app = both().await;
    anthropic_answers(app.anthropic(), "Chat role here, let's think it through.").await;
    Mock::given(method("POST"))
        .respond_with(openai_error(503, "server_error"))
        .mount(app.openai())
        .await;
    let (status, body) = app
        .chat(
            &app.token("alice"),
            json!({"message": "Should I lend my brother money again? Help me decide."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["route"], "reasoning");
    assert_eq!(body["reply"]["model"], "claude-haiku-4-5-20251001");
    assert_eq!(
        app.openai().received_requests().await.unwrap().len(),
        3,
        "retried, then fell back"
    );
    let sent = request_body(app.anthropic(), 0).await;
    assert!(
        sent["system"].as_str().unwrap().contains("complex problem"),
        "same context as the deep role had"
    );
}

#[tokio::test]
async fn budgets_hold_at_their_limits_for_a_small_window_model() {
    // Every role on one small-window model: a long session of the longest
    // messages must still fit its 8K window.
    let app = TestApp::start_with(Options::small_window()).await;
    deep_answers(&app, &"z".repeat(2000)).await;
    let token = app.token("alice");
    let long = "w".repeat(4000);
    let (_, first) = app.chat(&token, json!({"message": long})).await;
    let session = first["session_id"].as_str().unwrap().to_string();
    for _ in 0..6 {
        app.chat(&token, json!({"message": long, "session_id": session}))
            .await;
    }
    let question = format!("Why do I always feel this way? {}", "v".repeat(3900));
    let (status, body) = app
        .chat(&token, json!({"message": question, "session_id": session}))
        .await;
    assert_eq!(
        (status, body["reply"]["route"].as_str()),
        (200, Some("pattern"))
    );
    // Replies and extraction jobs alike fit the window. The worker runs the
    // extraction in the background: wait (bounded) for its request.
    for _ in 0..250 {
        if !extraction_requests(app.openai()).await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        !extraction_requests(app.openai()).await.is_empty(),
        "extraction ran on these long messages too"
    );
    let reqs = app.openai().received_requests().await.unwrap();
    for req in reqs {
        let sent: Value = serde_json::from_slice(&req.body).unwrap();
        assert!(
            request_tokens(&sent) <= 8_192,
            "prompt and reply ~{} tokens exceed the window",
            request_tokens(&sent)
        );
        let last = sent["messages"].as_array().unwrap().last().unwrap()["content"]
            .as_str()
            .unwrap();
        assert!(
            last.len() >= 3900,
            "the message being answered (or extracted) is always sent"
        );
    }
}
