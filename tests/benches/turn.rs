//! The whole chat turn's overhead without the model: `POST /v1/chat` over
//! HTTP on 127.0.0.1, on the embedded store with production durability
//! (every commit fsynced), for a person with a year of history (7,000
//! messages, 2,000 memories, 365 session summaries in their index), against
//! a fake Anthropic server that answers after a fixed 50 ms. Overhead is
//! each turn's wall time minus those 50 ms, so anything the fake adds
//! beyond them counts against Hearth.
//!
//! Every indexed item carries a 384-d vector. With the encoder set up
//! (`scripts/setup-encoder`), the crisis screen's encoder runs on every
//! turn and its vector is the query's, as in production: the one encoding
//! per turn is in the figure. Without it the turn is lexical.
//!
//! Run: `cargo bench -p hearth-tests --bench turn`

use chrono::{Duration as Days, Utc};
use hearth::adapters::embedded::{EmbeddedQueue, EmbeddedStore};
use hearth::domain::extraction::{MemoryWrite, Plan};
use hearth::domain::ids::{MemoryId, MessageId, SessionId, UserId};
use hearth::domain::memory::{Category, Memory};
use hearth::domain::personal_data::parse_line;
use hearth::domain::retrieval::{Doc, IndexOp, Vector, job_ops};
use hearth::ports::{ConversationStore, MemoryStore, PersonalData};
use hearth_tests::{SECRET, token_with};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MODEL_LATENCY: Duration = Duration::from_millis(50);
const TURNS: usize = 400;
const WORDS: &[&str] = &[
    "work",
    "sleep",
    "tired",
    "mum",
    "sister",
    "friend",
    "anxious",
    "happy",
    "run",
    "walk",
    "boss",
    "meeting",
    "school",
    "money",
    "rent",
    "doctor",
    "therapy",
    "night",
    "morning",
    "weekend",
    "dinner",
    "worried",
    "proud",
    "dog",
    "garden",
    "rain",
    "train",
    "coffee",
    "music",
    "guitar",
    "choir",
    "gym",
    "exam",
    "flat",
    "holiday",
    "interview",
    "birthday",
];

fn sentence(i: usize, n: usize) -> String {
    (0..n)
        .map(|k| WORDS[(i * 7 + k * 13 + k * k) % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

async fn fake_model() -> String {
    let app = axum::Router::new().route(
        "/v1/messages",
        axum::routing::post(|| async {
            tokio::time::sleep(MODEL_LATENCY).await;
            axum::Json(json!({
                "id": "msg_bench", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
                "content": [{"type": "text", "text": "That sounds like a lot. What would help most tonight?"}],
                "stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 900, "output_tokens": 14}
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// A year of daily chats: 365 sessions of about 19 messages, 2,000 memories
/// and a summary per session, indexed as the worker would have.
async fn year_of_history(store: &EmbeddedStore, user: &UserId) {
    let start = Utc::now() - Days::days(365);
    let mut ops: Vec<IndexOp> = Vec::new();
    for day in 0..365usize {
        let session = format!("day-{day}");
        let lines: Vec<_> = (0..19)
            .map(|i| {
                let role = if i % 2 == 0 { "user" } else { "assistant" };
                let at = (start + Days::days(day as i64) + Days::minutes(i)).to_rfc3339();
                parse_line(&json!({"session_id": session, "role": role, "content": sentence(day * 19 + i as usize, 18), "created_at": at, "external_id": format!("{session}-{i}")}).to_string()).unwrap()
            })
            .collect();
        store.import(user, &lines).await.unwrap();
        let sid = SessionId::parse(&session).unwrap();
        ops.extend(job_ops(
            &store.recent_messages(user, &sid, 19, 19).await.unwrap(),
            &[],
            &sid,
            "",
            Utc::now(),
            &Default::default(),
        ));
        ops.push(IndexOp::Put(Doc::summary(
            &sid,
            &sentence(day, 40),
            start + Days::days(day as i64),
            None,
        )));
    }
    let writes: Vec<MemoryWrite> = (0..2_000usize)
        .map(|i| MemoryWrite {
            memory: Memory {
                id: MemoryId::generate(),
                category: Category::ALL[i % 5],
                content: sentence(i * 3, 12),
                importance: (i % 10 + 1) as u8,
                source_message_ids: vec![MessageId::parse("day-0-0").unwrap()],
                session_id: SessionId::parse("day-0").unwrap(),
                created_at: start,
                updated_at: start,
                ended_at: None,
                superseded_by: None,
                edited: false,
            },
            seen_updated_at: None,
        })
        .collect();
    let memories: Vec<Memory> = writes.iter().map(|w| w.memory.clone()).collect();
    ops.extend(job_ops(
        &[],
        &memories,
        &SessionId::parse("day-0").unwrap(),
        "",
        Utc::now(),
        &Default::default(),
    ));
    // Every item with a vector, as the in-process encoder leaves them
    // (pseudo-random: scoring's cost does not depend on the values).
    for (i, op) in ops.iter_mut().enumerate() {
        if let IndexOp::Put(doc) = op {
            doc.vector = Some(pseudo_vector(i));
        }
    }
    let plan = Plan {
        writes,
        summary: sentence(0, 40),
        added: 2_000,
        index: ops,
    };
    store
        .apply_extraction(
            user,
            &SessionId::parse("day-0").unwrap(),
            0,
            19,
            &plan,
            Utc::now(),
        )
        .await
        .unwrap();
}

fn pseudo_vector(seed: usize) -> Vector {
    let mut x = seed as u64 * 6_364_136_223_846_793_005 + 1;
    let v: Vec<f32> = (0..384)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((x >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        })
        .collect();
    Vector::from_f32(&v).unwrap()
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let user = UserId::parse("heavy").unwrap();
    let t = Instant::now();
    year_of_history(&store, &user).await;
    println!(
        "seeded a year of history in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let model = fake_model().await;
    let env = [
        ("HEARTH_JWT_SECRET", SECRET.to_string()),
        ("ANTHROPIC_API_KEY", "k".to_string()),
        ("ANTHROPIC_BASE_URL", model),
    ];
    let config = hearth::config::Config::from_env(
        |k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()),
        hearth::config::Mode::Lambda,
    )
    .unwrap();
    let queue = EmbeddedQueue::new(store.clone(), Default::default());
    let mut ports = store.ports(queue);
    let encoder =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.models/all-minilm-l6-v2");
    if encoder.join("model.safetensors").exists() {
        let classifier =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/safety/classifier");
        let model =
            hearth::adapters::risk_model::RiskClassifier::load(&encoder, &classifier).unwrap();
        ports.risk = Some(Arc::new(model));
        println!(
            "with the in-process encoder: one encoding per turn (the screen's), reused as the query's vector"
        );
    } else {
        println!("no encoder set up (scripts/setup-encoder): lexical turns");
    }
    let app = Arc::new(hearth::app::App::new(
        &config,
        ports,
        hearth::app::http_client(),
    ));
    let router = hearth::http::router(Arc::clone(&app));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/chat", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let token = token_with(json!({"sub": "heavy"}));
    let client = reqwest::Client::new();
    let mut overhead = Vec::with_capacity(TURNS);
    let mut session: Option<String> = None;
    for i in 0..(TURNS + 20) {
        // Two turns per session: four messages, so no extraction job is due
        // and nothing runs in the background; the turn alone is measured.
        if i % 2 == 0 {
            session = None;
        }
        let mut body =
            json!({"message": sentence(i * 11, 16), "client_message_id": format!("bench-{i}")});
        if let Some(s) = &session {
            body["session_id"] = json!(s);
        }
        let t = Instant::now();
        let resp = client
            .post(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let reply: serde_json::Value = resp.json().await.unwrap();
        let wall = t.elapsed();
        session = reply["session_id"].as_str().map(str::to_string);
        if i >= 20 {
            overhead.push((wall.saturating_sub(MODEL_LATENCY)).as_secs_f64() * 1e3);
        }
        if i == 20 {
            println!(
                "a reply's context: {} ; memories_used: {}",
                reply["context"],
                reply["memories_used"].as_array().map_or(0, Vec::len)
            );
        }
    }
    let index_mib = app.retriever.index(&user).await.unwrap().approx_bytes() as f64 / 1048576.0;
    println!("the person's warm index: about {index_mib:.1} MiB (estimate)");
    let p50 = percentile(&mut overhead, 0.50);
    let p99 = percentile(&mut overhead, 0.99);
    let max = overhead.iter().copied().fold(0.0, f64::max);
    println!(
        "chat turn overhead over HTTP, {TURNS} turns, model fixed at {} ms:",
        MODEL_LATENCY.as_millis()
    );
    println!("  p50 {p50:.2} ms  p99 {p99:.2} ms  max {max:.2} ms");
    println!(
        "  peak RSS of the whole bench process (server, client and fake model): {:.0} MiB",
        peak_rss_mib()
    );
}
