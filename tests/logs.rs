//! The JSON logs of crisis turns, span fields included: no line that names
//! a crisis (its category, or the crisis route) carries the user id or the
//! request id, while the lines of the request's span still carry both, and
//! the `CrisisFlagged` event still names the person. The logs are written
//! by the JSON subscriber Lambda runs (`hearth::telemetry::json_subscriber`)
//! at every level, into a buffer. Its own binary: the subscriber is this
//! thread's default, and no other test's callsites interfere.

use hearth::domain::events::DomainEvent;
use hearth::domain::ids::UserId;
use hearth_tests::{TestApp, anthropic_answers};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8(bytes)
            .expect("utf-8 logs")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

/// The words that say a line is about a crisis.
const CRISIS_WORDS: &[&str] = &[
    "suicidal",
    "self_harm",
    "harm_to_others",
    "danger_now",
    "\"route\":\"crisis\"",
];

#[tokio::test]
async fn no_json_log_line_that_names_a_crisis_carries_the_user_or_request_id() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = hearth::telemetry::json_subscriber(
        tracing_subscriber::EnvFilter::new("trace"),
        move || writer.clone(),
    );
    // The test runtime is one thread: the server, the worker and the
    // client all log through this default.
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let app = TestApp::start().await;
    anthropic_answers(
        app.anthropic(),
        "I'm here with you. Can you tell me where you are?",
    )
    .await;
    let user = "person-5d81e2";
    let token = app.token(user);
    let mut request_ids = Vec::new();
    for (i, (path, body)) in [
        (
            "/v1/chat",
            json!({"message": "I want to kill myself tonight."}),
        ),
        (
            "/v1/chat",
            json!({"message": "I've been cutting myself again."}),
        ),
        (
            "/v1/journal/entries",
            json!({"text": "My dad hits me and I'm scared to go home."}),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let request_id = format!("req-logs-{i}-7c4e");
        let (status, body) = app
            .send(
                app.http
                    .post(app.at(path))
                    .bearer_auth(&token)
                    .header("x-request-id", &request_id)
                    .json(&body),
            )
            .await;
        assert!(status == 200 || status == 201, "{status} {body}");
        assert!(
            body["crisis"]["category"].is_string(),
            "a crisis answer: {body}"
        );
        request_ids.push(request_id);
    }

    let lines = buffer.lines();
    let text = |l: &Value| l.to_string().to_lowercase();
    let named: Vec<&Value> = lines
        .iter()
        .filter(|l| CRISIS_WORDS.iter().any(|w| text(l).contains(w)))
        .collect();
    assert!(
        !named.is_empty(),
        "the crisis turns' route is logged, so the check reads something: {lines:#?}"
    );
    for line in &named {
        let line = line.to_string();
        assert!(
            !line.contains(user),
            "a crisis line names the person: {line}"
        );
        for id in &request_ids {
            assert!(
                !line.contains(id.as_str()),
                "a crisis line names the request: {line}"
            );
        }
    }
    // The capture holds the span fields: the request's own lines carry
    // both ids, so their absence above is the formatter's doing.
    for id in &request_ids {
        assert!(
            lines.iter().any(|l| {
                let l = l.to_string();
                l.contains(id.as_str()) && l.contains(user)
            }),
            "no line of request {id} carries its span's fields: {lines:#?}"
        );
    }

    let events = app.store.list_events(0, 50).await.unwrap();
    let flagged: Vec<&DomainEvent> = events
        .iter()
        .map(|e| &e.event)
        .filter(|e| e.detail_type() == "CrisisFlagged")
        .collect();
    assert_eq!(flagged.len(), 3, "{flagged:?}");
    let person = UserId::parse(user).unwrap();
    assert!(
        flagged
            .iter()
            .all(|e| matches!(e, DomainEvent::CrisisFlagged { user, .. } if *user == person)),
        "the event still names the person, for on-call: {flagged:?}"
    );
}
