//! The notices beside a reply, decided by the server (`domain::notices`),
//! over HTTP: the AI disclosure at the start of an interaction and again
//! after 3 hours of continuing interaction, held across two app instances
//! (two Lambda containers) that share one store; a minor's break reminder
//! and one-time notice; the token's age claim winning over settings; a
//! minor never lifted to adult; a check-in carrying the disclosure. Time
//! is a virtual clock that the test moves.

use chrono::{DateTime, Duration, Utc};
use hearth::adapters::embedded::{EmbeddedQueue, EmbeddedStore, QueuePolicy};
use hearth::app::App;
use hearth::config::{Config, Mode};
use hearth::domain::prompts::chat::MINOR_SYSTEM;
use hearth::testing::FixedClock;
use hearth_tests::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use wiremock::MockServer;

/// One running app (a container) over a shared store and clock.
struct Instance {
    url: String,
    app: Arc<App>,
}

/// Two instances of Hearth over one store, one clock and one fake model.
struct World {
    a: Instance,
    b: Instance,
    clock: Arc<FixedClock>,
    model: MockServer,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

const START: &str = "2026-12-01T10:00:00Z";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn instance(
    store: &EmbeddedStore,
    clock: &Arc<FixedClock>,
    model: &MockServer,
    extra: &[(&str, &str)],
) -> Instance {
    let mut env: HashMap<String, String> = HashMap::from([
        ("HEARTH_JWT_SECRET".into(), SECRET.into()),
        ("ANTHROPIC_API_KEY".into(), "sk-ant-test".into()),
        ("ANTHROPIC_BASE_URL".into(), model.uri()),
    ]);
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    let config = Config::from_env(|k| env.get(k).cloned(), Mode::Lambda).expect("config");
    let queue = EmbeddedQueue::new(store.clone(), QueuePolicy::default());
    let app = Arc::new(App::with_parts(
        &config,
        store.ports(queue),
        reqwest::Client::new(),
        fast_policy(),
        clock.clone(),
    ));
    let router = hearth::http::router(app.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    Instance { url, app }
}

async fn world(extra: &[(&str, &str)]) -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(dir.path()).expect("store");
    let clock = Arc::new(FixedClock::new(at(START)));
    let model = MockServer::start().await;
    anthropic_answers(&model, "How did today feel?").await;
    World {
        a: instance(&store, &clock, &model, extra).await,
        b: instance(&store, &clock, &model, extra).await,
        clock,
        model,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

impl World {
    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn chat(&self, on: &Instance, token: &str, body: Value) -> Value {
        let (status, v) = self
            .send(
                self.http
                    .post(format!("{}/v1/chat", on.url))
                    .bearer_auth(token)
                    .json(&body),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        v
    }

    async fn put_settings(&self, token: &str, body: Value) -> (u16, Value) {
        self.send(
            self.http
                .put(format!("{}/v1/me/settings", self.a.url))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    async fn get(&self, token: &str, path: &str) -> Value {
        let (status, v) = self
            .send(
                self.http
                    .get(format!("{}{path}", self.a.url))
                    .bearer_auth(token),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        v
    }

    /// A conversation: a message every `every` minutes, `count` of them,
    /// alternating between the two instances; the notice kinds each reply
    /// carried, by minute.
    async fn converse(&self, token: &str, every: i64, count: i64) -> Vec<(i64, Vec<String>)> {
        let mut session: Option<String> = None;
        let mut out = Vec::new();
        for i in 0..count {
            if i > 0 {
                self.clock.advance(Duration::minutes(every));
            }
            let on = if i % 2 == 0 { &self.a } else { &self.b };
            let mut body = json!({"message": format!("Still here, message {i}.")});
            if let Some(s) = &session {
                body["session_id"] = json!(s);
            }
            let v = self.chat(on, token, body).await;
            session = v["session_id"].as_str().map(str::to_string);
            out.push((i * every, kinds(&v)));
        }
        out
    }
}

fn kinds(v: &Value) -> Vec<String> {
    v["notices"]
        .as_array()
        .unwrap_or_else(|| panic!("notices is always an array: {v}"))
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

fn minutes_with(got: &[(i64, Vec<String>)], kind: &str) -> Vec<i64> {
    got.iter()
        .filter(|(_, k)| k.iter().any(|k| k == kind))
        .map(|(m, _)| *m)
        .collect()
}

#[tokio::test]
async fn the_first_message_is_disclosed_and_again_after_three_hours_across_instances() {
    let w = world(&[]).await;
    let token = token_with(json!({"sub": "disclosed"}));
    // Every 20 minutes for 4 hours, never idle: only the clock brings it back.
    let got = w.converse(&token, 20, 13).await;
    assert_eq!(minutes_with(&got, "ai_disclosure"), vec![0, 180], "{got:?}");
    assert!(got[1].1.is_empty(), "a continuing message carries none");

    // The text says plainly that the companion is an AI, not a human.
    w.clock.advance(Duration::minutes(45));
    let v = w
        .chat(&w.b, &token, json!({"message": "Back after a while."}))
        .await;
    assert_eq!(kinds(&v), vec!["ai_disclosure"], "an idle gap starts anew");
    let text = v["notices"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("AI") && text.contains("not a human"),
        "{text}"
    );
}

#[tokio::test]
async fn the_disclosure_speaks_the_persons_language_and_the_idle_gap_is_configurable() {
    let w = world(&[("HEARTH_INTERACTION_IDLE_MINUTES", "5")]).await;
    let token = token_with(json!({"sub": "hablante"}));
    let (status, _) = w.put_settings(&token, json!({"locale": "es-ES"})).await;
    assert_eq!(status, 200);
    let got = w.converse(&token, 6, 2).await;
    assert_eq!(
        minutes_with(&got, "ai_disclosure"),
        vec![0, 6],
        "6 minutes is idle here"
    );
    let v = w
        .chat(&w.a, &token, json!({"message": "Hola otra vez."}))
        .await;
    let text = v["notices"][0]["text"].as_str().unwrap();
    assert!(text.contains("no un ser humano"), "{text}");
}

#[tokio::test]
async fn a_minor_gets_take_a_break_and_an_adult_does_not() {
    let w = world(&[]).await;
    let minor = token_with(json!({"sub": "young"}));
    let (status, v) = w.put_settings(&minor, json!({"age_band": "minor"})).await;
    assert_eq!(
        (status, v["age_band"].as_str()),
        (200, Some("minor")),
        "{v}"
    );
    let got = w.converse(&minor, 20, 13).await;
    assert_eq!(
        got[0].1,
        vec!["ai_disclosure", "not_suitable_for_some_minors"],
        "{got:?}"
    );
    assert_eq!(minutes_with(&got, "take_a_break"), vec![180], "{got:?}");
    assert_eq!(minutes_with(&got, "not_suitable_for_some_minors"), vec![0]);
    // The model was told the minors' rules.
    let sent = reply_requests(&w.model).await;
    assert!(
        sent.iter()
            .all(|r| r["system"].as_str().unwrap_or("").contains(MINOR_SYSTEM)),
        "every reply request for a minor carries the minors' rules"
    );

    let adult = token_with(json!({"sub": "grown"}));
    let before = reply_requests(&w.model).await.len();
    let got = w.converse(&adult, 20, 13).await;
    assert!(minutes_with(&got, "take_a_break").is_empty(), "{got:?}");
    assert!(minutes_with(&got, "not_suitable_for_some_minors").is_empty());
    assert_eq!(minutes_with(&got, "ai_disclosure"), vec![0, 180]);
    let sent = reply_requests(&w.model).await;
    assert!(
        sent[before..]
            .iter()
            .all(|r| !r["system"].as_str().unwrap_or("").contains(MINOR_SYSTEM))
    );
}

#[tokio::test]
async fn unknown_age_is_a_minor_when_configured() {
    let w = world(&[("HEARTH_UNKNOWN_AGE_AS_MINOR", "true")]).await;
    let token = token_with(json!({"sub": "unsure"}));
    let v = w.chat(&w.a, &token, json!({"message": "Hi."})).await;
    assert_eq!(
        kinds(&v),
        vec!["ai_disclosure", "not_suitable_for_some_minors"]
    );
}

#[tokio::test]
async fn the_age_claim_wins_over_settings() {
    let w = world(&[("HEARTH_AGE_CLAIM", "https://hearth.example/age")]).await;
    // Settings say adult; the token says minor.
    let plain = token_with(json!({"sub": "claimed"}));
    let (status, _) = w.put_settings(&plain, json!({"age_band": "adult"})).await;
    assert_eq!(status, 200);
    let claimed = token_with(json!({"sub": "claimed", "https://hearth.example/age": "minor"}));
    let v = w.chat(&w.a, &claimed, json!({"message": "Hi."})).await;
    assert_eq!(
        kinds(&v),
        vec!["ai_disclosure", "not_suitable_for_some_minors"]
    );
    assert_eq!(
        w.get(&claimed, "/v1/me/settings").await["age_band"],
        "minor"
    );
    // The claim set the stored band, so what has no token (check-ins) applies it.
    assert_eq!(w.get(&plain, "/v1/me/settings").await["age_band"], "minor");
    let (status, v) = w.put_settings(&claimed, json!({"age_band": "adult"})).await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("age_band"),
        "{v}"
    );

    // The other way: settings say minor, the token says adult.
    let minor = token_with(json!({"sub": "grown-by-claim"}));
    w.put_settings(&minor, json!({"age_band": "minor"})).await;
    let adult = token_with(json!({"sub": "grown-by-claim", "https://hearth.example/age": "adult"}));
    let v = w.chat(&w.b, &adult, json!({"message": "Hi."})).await;
    assert_eq!(kinds(&v), vec!["ai_disclosure"]);
}

#[tokio::test]
async fn put_cannot_lift_a_minor_to_adult() {
    let w = world(&[]).await;
    let token = token_with(json!({"sub": "kept-minor"}));
    let (status, _) = w.put_settings(&token, json!({"age_band": "minor"})).await;
    assert_eq!(status, 200);
    for lift in ["adult", "unknown"] {
        let (status, v) = w.put_settings(&token, json!({"age_band": lift})).await;
        assert_eq!(status, 400, "{lift}: {v}");
        assert_eq!(v["error"]["code"], "invalid_request");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("age_band"),
            "{v}"
        );
    }
    assert_eq!(w.get(&token, "/v1/me/settings").await["age_band"], "minor");
    let (status, v) = w.put_settings(&token, json!({"age_band": "teen"})).await;
    assert_eq!(status, 400, "{v}");
}

#[tokio::test]
async fn a_checkin_carries_the_disclosure_and_so_does_the_next_reply() {
    let w = world(&[]).await;
    let token = token_with(json!({"sub": "checked-in"}));
    let (status, _) = w.put_settings(&token, json!({"checkin_hour": 19})).await;
    assert_eq!(status, 200);
    let first = w.chat(&w.a, &token, json!({"message": "Long day."})).await;
    let session = first["session_id"].as_str().unwrap().to_string();
    let report =
        w.b.app
            .checkin_pass()
            .run(at("2026-12-01T19:00:00Z"))
            .await
            .unwrap();
    assert_eq!(report.written, 1, "{report:?}");
    let checkins = w.get(&token, "/v1/checkins").await;
    assert_eq!(
        kinds(&checkins["items"][0]),
        vec!["ai_disclosure"],
        "{checkins}"
    );

    // Five minutes later, well within the idle gap of the last message's
    // interaction had there been no check-in: the reply discloses again.
    w.clock.set(at("2026-12-01T19:05:00Z"));
    let v = w
        .chat(
            &w.a,
            &token,
            json!({"message": "Thanks.", "session_id": session}),
        )
        .await;
    assert_eq!(kinds(&v), vec!["ai_disclosure"]);
    w.clock.advance(Duration::minutes(2));
    let v = w
        .chat(
            &w.b,
            &token,
            json!({"message": "Night.", "session_id": session}),
        )
        .await;
    assert!(kinds(&v).is_empty());
}

#[tokio::test]
async fn a_minors_checkin_comes_only_in_daytime() {
    let w = world(&[]).await;
    let token = token_with(json!({"sub": "young-night"}));
    let (status, _) = w
        .put_settings(&token, json!({"age_band": "minor", "checkin_hour": 22}))
        .await;
    assert_eq!(status, 200);
    w.chat(&w.a, &token, json!({"message": "Homework is hard."}))
        .await;
    let night =
        w.a.app
            .checkin_pass()
            .run(at("2026-12-01T22:00:00Z"))
            .await
            .unwrap();
    assert_eq!(night.written, 0, "no check-in at 22:00 for a minor");
    let evening =
        w.a.app
            .checkin_pass()
            .run(at("2026-12-01T19:00:00Z"))
            .await
            .unwrap();
    assert_eq!(evening.written, 1, "held to 19:00, the last daytime hour");
}
