//! The crisis path over HTTP, beyond the screen's own rules: a journal
//! entry in crisis, the person's locale choosing the resources, a message
//! the screen misses that the (fake) chat model marks, and the fixed reply
//! when every model is down. Every flagged answer carries `crisis:
//! {category, locale, resources}` beside a text that ends with them.

use hearth::domain::events::DomainEvent;
use hearth::domain::ids::UserId;
use hearth::domain::safety::CrisisCategory;
use hearth::domain::safety::flag::{CrisisReason, FlagSource};
use hearth::ports::JournalStore;
use hearth_tests::*;
use serde_json::{Value, json};
use wiremock::Mock;
use wiremock::matchers::{method, path};

/// A message the screen does not flag.
const MISSED: &str = "Everything feels heavy lately and I'm not sure what the point is.";

fn content(body: &Value) -> &str {
    body["reply"]["content"].as_str().unwrap()
}

/// The `crisis` object's resource texts, joined.
fn resource_texts(crisis: &Value) -> String {
    crisis["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r["text"].as_str().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn set_locale(app: &TestApp, token: &str, locale: &str) {
    let (status, body) = app
        .send(
            app.http
                .put(app.at("/v1/me/settings"))
                .bearer_auth(token)
                .json(&json!({"locale": locale})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The events in the local outbox, oldest first.
async fn events(app: &TestApp) -> Vec<DomainEvent> {
    app.store
        .list_events(0, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect()
}

#[tokio::test]
async fn a_journal_entry_in_crisis_is_stored_with_its_flag_and_its_201_carries_the_resources() {
    let app = TestApp::start().await;
    let token = app.token("alice");
    let (status, body) = app
        .post(
            &token,
            "/v1/journal/entries",
            json!({"text": "I want to kill myself."}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["crisis"]["category"], "suicidal");
    assert_eq!(body["crisis"]["locale"], "en-US");
    assert!(
        resource_texts(&body["crisis"]).contains("988"),
        "{}",
        body["crisis"]
    );

    let user = UserId::parse("alice").unwrap();
    let stored = app
        .store
        .get_journal(&user, body["id"].as_str().unwrap())
        .await
        .unwrap()
        .expect("stored");
    let flag = stored.flag.expect("stored with its flag");
    assert_eq!(flag.category, CrisisCategory::Suicidal);
    assert_eq!(flag.reason.layer(), "rules");
    let flagged: Vec<DomainEvent> = events(&app)
        .await
        .into_iter()
        .filter(|e| e.detail_type() == "CrisisFlagged")
        .collect();
    assert!(
        matches!(
            flagged.as_slice(),
            [DomainEvent::CrisisFlagged {
                source: Some(FlagSource::Journal),
                category: Some(CrisisCategory::Suicidal),
                ..
            }]
        ),
        "{flagged:?}"
    );

    // An ordinary entry says so.
    let (status, body) = app
        .post(
            &token,
            "/v1/journal/entries",
            json!({"text": "Baked bread with Maya."}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["crisis"], Value::Null);
}

#[tokio::test]
async fn a_person_whose_locale_is_en_gb_gets_samaritans() {
    let app = TestApp::start().await;
    anthropic_answers(
        app.anthropic(),
        "I'm here with you. Are you safe right now?",
    )
    .await;
    let token = app.token("sam");
    set_locale(&app, &token, "en-GB").await;
    let (status, body) = app
        .chat(&token, json!({"message": "I want to kill myself."}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["route"], "crisis");
    assert!(content(&body).contains("116 123"), "{}", content(&body));
    assert!(!content(&body).contains("988"), "not the US line");
    assert_eq!(body["crisis"]["locale"], "en-GB");
    assert_eq!(body["crisis"]["category"], "suicidal");
    let texts = resource_texts(&body["crisis"]);
    assert!(
        texts.contains("Samaritans") && texts.contains("116 123"),
        "{texts}"
    );
    for line in texts.lines() {
        assert!(content(&body).contains(line), "the text ends with them too");
    }
}

#[tokio::test]
async fn a_message_the_screen_misses_that_the_model_marks_gets_the_resources_and_the_event() {
    let app = TestApp::start().await;
    anthropic_answers(
        app.anthropic(),
        "That sounds so heavy. I'm here with you.\n<<risk:suicidal>>",
    )
    .await;
    let token = app.token("alice");
    let (status, body) = app.chat(&token, json!({"message": MISSED})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["route"], "crisis");
    assert!(
        content(&body).starts_with("That sounds so heavy. I'm here with you.\n\n"),
        "{}",
        content(&body)
    );
    assert!(!content(&body).contains("<<risk"), "the mark never shows");
    assert!(content(&body).contains("988"));
    assert_eq!(body["crisis"]["category"], "suicidal");
    let sent = request_body(app.anthropic(), 0).await;
    assert!(
        sent["system"].as_str().unwrap().contains("<<risk:none>>"),
        "the model was asked for the mark"
    );

    let (_, msgs) = app
        .get(
            &token,
            &format!(
                "/v1/sessions/{}/messages",
                body["session_id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(
        msgs["items"][1]["route"], "crisis",
        "stored as a crisis turn"
    );
    assert_eq!(msgs["items"][1]["content"], body["reply"]["content"]);
    let flags = hearth::ports::ConversationStore::list_crisis_flags(
        &app.store,
        &UserId::parse("alice").unwrap(),
        &hearth::domain::page::PageRequest::first(5),
    )
    .await
    .unwrap()
    .items;
    assert_eq!(flags.len(), 1, "the flag is stored");
    assert_eq!(flags[0].message_id.as_str(), body["user_message_id"]);
    assert_eq!(flags[0].reason, Some(CrisisReason::ModelMark));
    let flagged: Vec<DomainEvent> = events(&app)
        .await
        .into_iter()
        .filter(|e| e.detail_type() == "CrisisFlagged")
        .collect();
    assert!(
        matches!(
            flagged.as_slice(),
            [DomainEvent::CrisisFlagged {
                reason: Some(CrisisReason::ModelMark),
                source: Some(FlagSource::Chat),
                ..
            }]
        ),
        "{flagged:?}"
    );
}

#[tokio::test]
async fn a_reply_marked_none_is_shown_without_its_mark_and_changes_nothing() {
    let app = TestApp::start().await;
    anthropic_answers(app.anthropic(), "Glad you got outside.\n<<risk:none>>").await;
    let (status, body) = app
        .chat(
            &app.token("alice"),
            json!({"message": "I had a nice walk today"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(content(&body), "Glad you got outside.");
    assert_eq!(body["reply"]["route"], "support");
    assert_eq!(body["crisis"], Value::Null);
    assert!(events(&app).await.is_empty());
}

#[tokio::test]
async fn a_crisis_message_with_every_model_down_gets_the_fixed_reply_with_their_resources() {
    let app = TestApp::start_with(Options {
        openai: true,
        ..Options::default()
    })
    .await;
    Mock::given(method("POST"))
        .respond_with(anthropic_error(529, "overloaded_error"))
        .mount(app.anthropic())
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(openai_error(503, "server_error"))
        .mount(app.openai())
        .await;
    let token = app.token("sam");
    set_locale(&app, &token, "en-GB").await;
    let (status, body) = app
        .chat(&token, json!({"message": "I want to kill myself."}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["model"], "fixed");
    assert_eq!(body["reply"]["route"], "crisis");
    assert!(content(&body).contains("Are you safe right now?"));
    assert!(content(&body).contains("116 123"), "{}", content(&body));
    assert_eq!(body["crisis"]["locale"], "en-GB");
    assert!(resource_texts(&body["crisis"]).contains("116 123"));
}

#[tokio::test]
async fn imported_lines_in_crisis_are_stored_with_their_flag_and_raise_one_event() {
    let app = TestApp::start().await;
    let token = app.token("alice");
    let ndjson = [
        r#"{"session_id":"old-1","role":"user","content":"I want to kill myself.","created_at":"2025-01-01T10:00:00Z","external_id":"a1"}"#,
        r#"{"session_id":"old-1","role":"assistant","content":"I'm here.","created_at":"2025-01-01T10:01:00Z","external_id":"a2"}"#,
        r#"{"session_id":"old-1","role":"user","content":"I cut myself again last night.","created_at":"2025-01-01T10:02:00Z","external_id":"a3"}"#,
    ]
    .join("\n");
    let (status, body) = app.post_raw(&token, "/v1/import", ndjson.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 3);
    let user = UserId::parse("alice").unwrap();
    let flags = hearth::ports::ConversationStore::list_crisis_flags(
        &app.store,
        &user,
        &hearth::domain::page::PageRequest::first(10),
    )
    .await
    .unwrap();
    assert_eq!(flags.items.len(), 2, "both flagged lines, with their flags");
    let count = |events: &[DomainEvent]| {
        events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    DomainEvent::CrisisFlagged {
                        source: Some(FlagSource::Import),
                        ..
                    }
                )
            })
            .count()
    };
    assert_eq!(count(&events(&app).await), 1, "one event for the import");
    let (status, _) = app.post_raw(&token, "/v1/import", ndjson).await;
    assert_eq!(status, 200);
    assert_eq!(
        count(&events(&app).await),
        1,
        "a repeat stores and raises nothing"
    );
}

#[tokio::test]
async fn a_message_the_rules_miss_that_the_classifier_flags_gets_the_resources_and_the_event() {
    use hearth::testing::{CallLog, FAKE_THRESHOLDS, FakeRiskModel, scores};
    use std::sync::Arc;

    const QUIET: &str = "I've started writing letters to the people I love.";
    assert!(
        hearth::domain::safety::screen(QUIET).is_none(),
        "the test needs a message no explicit cue flags"
    );
    let risk = Arc::new(FakeRiskModel::new(&CallLog::new()));
    risk.score(
        "letters to the people i love",
        scores(CrisisCategory::Suicidal, 0.9),
    );
    let app = TestApp::start_with(Options {
        risk: Some(risk.clone()),
        ..Options::default()
    })
    .await;
    anthropic_answers(app.anthropic(), "I'm really glad you told me.").await;
    let token = app.token("alice");
    let (status, body) = app.chat(&token, json!({"message": QUIET})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["route"], "crisis");
    assert_eq!(body["crisis"]["category"], "suicidal");
    assert_eq!(body["crisis"]["locale"], "en-US");
    let texts = resource_texts(&body["crisis"]);
    assert!(texts.contains("988"), "{texts}");
    assert!(
        content(&body).starts_with("I'm really glad you told me.\n\n"),
        "{}",
        content(&body)
    );
    for line in texts.lines() {
        assert!(content(&body).contains(line), "the text ends with them too");
    }
    assert_eq!(
        risk.calls(),
        vec![vec![QUIET.to_string()]],
        "one read of the message"
    );

    let (_, msgs) = app
        .get(
            &token,
            &format!(
                "/v1/sessions/{}/messages",
                body["session_id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(
        msgs["items"][1]["route"], "crisis",
        "stored as a crisis turn"
    );
    let reason = CrisisReason::Classifier {
        score: 0.9,
        threshold: FAKE_THRESHOLDS.turn,
    };
    let flags = hearth::ports::ConversationStore::list_crisis_flags(
        &app.store,
        &UserId::parse("alice").unwrap(),
        &hearth::domain::page::PageRequest::first(5),
    )
    .await
    .unwrap()
    .items;
    assert_eq!(flags.len(), 1, "the flag is stored");
    assert_eq!(flags[0].message_id.as_str(), body["user_message_id"]);
    assert_eq!(flags[0].reason, Some(reason.clone()));
    assert_eq!(reason.layer(), "classifier");
    let flagged: Vec<DomainEvent> = events(&app)
        .await
        .into_iter()
        .filter(|e| e.detail_type() == "CrisisFlagged")
        .collect();
    assert!(
        matches!(
            flagged.as_slice(),
            [DomainEvent::CrisisFlagged {
                reason: Some(r),
                category: Some(CrisisCategory::Suicidal),
                source: Some(FlagSource::Chat),
                ..
            }] if r.layer() == "classifier"
        ),
        "{flagged:?}"
    );

    // The same message with no risk model is an ordinary turn.
    let rules_only = TestApp::start().await;
    anthropic_answers(rules_only.anthropic(), "Tell me about them.").await;
    let (status, body) = rules_only
        .chat(&rules_only.token("alice"), json!({"message": QUIET}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(body["reply"]["route"], "crisis");
    assert_eq!(body["crisis"], Value::Null);
}

/// With every model down, a person whose locale is Spanish (Mexico) or
/// French (France) writing in their language gets the fixed reply in that
/// language, and their country's lines, named and numbered apart from the
/// text.
#[tokio::test]
async fn the_fixed_reply_and_the_resources_are_in_the_persons_language() {
    let app = TestApp::start().await;
    Mock::given(method("POST"))
        .respond_with(anthropic_error(529, "overloaded_error"))
        .mount(app.anthropic())
        .await;
    let cases = [
        (
            "lucia",
            "es-MX",
            "ya lo decidí, esta noche me quito la vida",
            "¿Estás a salvo ahora mismo?",
            "Línea de la Vida",
            "800 911 2000",
        ),
        (
            "camille",
            "fr-FR",
            "je veux mourir, je n'en peux plus",
            "Es-tu en sécurité en ce moment ?",
            "3114",
            "3114",
        ),
    ];
    for (who, locale, message, question, name, phone) in cases {
        let token = app.token(who);
        set_locale(&app, &token, locale).await;
        let (status, body) = app.chat(&token, json!({"message": message})).await;
        assert_eq!(status, 200, "{locale}: {body}");
        assert_eq!(body["reply"]["route"], "crisis", "{locale}: {body}");
        assert_eq!(body["reply"]["model"], "fixed");
        assert!(content(&body).contains(question), "{}", content(&body));
        assert!(content(&body).contains(phone), "{}", content(&body));
        assert_eq!(body["crisis"]["locale"], locale);
        let first = &body["crisis"]["resources"][0];
        assert_eq!(first["name"], name, "{body}");
        assert_eq!(first["phone"], phone, "{body}");
        assert!(
            first["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
        );
    }
}
