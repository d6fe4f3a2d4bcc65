//! Ingest with encoding: how fast the worker makes imported history
//! searchable semantically. 1,024 imported messages (16 sessions of 64) on
//! the embedded store with production durability; the worker's pass
//! (`Retriever::complete_messages`) encodes them with the in-process
//! all-MiniLM-L6-v2 in batches of `ENCODE_BATCH` and appends them to the
//! index log. Reports messages per second for the import (stored and
//! indexed lexically) and for the encoding pass, on this machine's cores.
//!
//! Needs the encoder (`scripts/setup-encoder`); says so and stops without it.
//! Run: `cargo bench -p hearth-tests --bench ingest`

use chrono::{Duration as Days, Utc};
use hearth::adapters::embedded::EmbeddedStore;
use hearth::domain::ids::{SessionId, UserId};
use hearth::domain::page::PageRequest;
use hearth::domain::personal_data::parse_line;
use hearth::ports::{ConversationStore, MemoryStore, PersonalData};
use hearth::service::retrieval::Retriever;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

const SESSIONS: usize = 16;
const PER_SESSION: usize = 64;

const OPENINGS: &[&str] = &[
    "I finally told my manager that the night shifts are wearing me down",
    "We took the dog to the beach and she would not stop chasing gulls",
    "My sister called about mum's hospital appointment next Tuesday",
    "I have been trying to run three mornings a week before work",
    "The flat is cold again and the landlord still has not fixed the boiler",
    "Choir rehearsal went better than I expected, we nearly nailed the harmony",
    "I keep replaying the argument with Sam from the weekend",
    "Started reading a novel about a lighthouse keeper on a remote island",
];
const ENDINGS: &[&str] = &[
    "and honestly I am not sure how I feel about it.",
    "which made me laugh for the first time in days.",
    "so I am going to try writing it down tonight.",
    "but I slept badly again afterwards.",
    "and I wonder whether it is worth bringing up with them.",
    "and it reminded me of when I was a kid.",
];

fn text(i: usize) -> String {
    format!(
        "{} {} ({i})",
        OPENINGS[i % OPENINGS.len()],
        ENDINGS[(i / OPENINGS.len()) % ENDINGS.len()]
    )
}

#[tokio::main]
async fn main() {
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let encoder = repo.join(".models/all-minilm-l6-v2");
    if !encoder.join("model.safetensors").exists() {
        println!("no encoder set up (scripts/setup-encoder): nothing to measure");
        return;
    }
    let risk = Arc::new(
        hearth::adapters::risk_model::RiskClassifier::load(
            &encoder,
            &repo.join("data/safety/classifier"),
        )
        .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let user = UserId::parse("ingest").unwrap();
    let start = Utc::now() - Days::days(SESSIONS as i64);
    let lines: Vec<_> = (0..SESSIONS * PER_SESSION)
        .map(|i| {
            let session = format!("s-{}", i / PER_SESSION);
            let role = if i % 2 == 0 { "user" } else { "assistant" };
            let at = (start + Days::minutes(i as i64)).to_rfc3339();
            parse_line(
                &json!({"session_id": session, "role": role, "content": text(i), "created_at": at, "external_id": format!("e-{i}")})
                    .to_string(),
            )
            .unwrap()
        })
        .collect();
    let t = Instant::now();
    store.import(&user, &lines).await.unwrap();
    let import = t.elapsed().as_secs_f64();

    let memories: Arc<dyn MemoryStore> = Arc::new(store.clone());
    let retriever = Retriever::with_screen(memories, risk, 64);
    let t = Instant::now();
    let mut put = 0;
    for s in 0..SESSIONS {
        let session = SessionId::parse(format!("s-{s}")).unwrap();
        let page = store
            .list_messages(
                &user,
                &session,
                &PageRequest {
                    limit: PER_SESSION as u32,
                    cursor: None,
                },
            )
            .await
            .unwrap();
        put += retriever
            .complete_messages(&user, &page.items, || async { Ok(HashSet::new()) })
            .await
            .unwrap();
    }
    let encode = t.elapsed().as_secs_f64();
    assert_eq!(put, SESSIONS * PER_SESSION);
    let index = retriever.index(&user).await.unwrap();
    assert!(index.docs().all(|d| d.vector.is_some()));
    let n = (SESSIONS * PER_SESSION) as f64;
    println!(
        "ingest of {} messages ({} cores):",
        SESSIONS * PER_SESSION,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "  import (stored, fsynced): {:.0} ms, {:.0} messages/s",
        import * 1e3,
        n / import
    );
    println!(
        "  the worker's pass (encoded in batches of {}, indexed): {:.1} s, {:.0} messages/s",
        hearth::service::retrieval::ENCODE_BATCH,
        encode,
        n / encode
    );
}
