//! The retrieval engine against the multi-session histories in
//! data/retrieval: for each question, asked after the person's last
//! session, is an item that carries the answer (its evidence) among the top
//! 5 and top 10 results? Compared with plain BM25 over the raw messages
//! (same tokenizer), which is all the original system could have searched.
//!
//! `recall@k` here is the share of questions with at least one evidence
//! item in the top k. Run with `-- --nocapture` to see the report and each
//! miss. It fails if the engine does worse than the baseline.

use chrono::{DateTime, Utc};
use hearth::domain::ids::{MemoryId, MessageId, SessionId};
use hearth::domain::memory::{Category, Memory};
use hearth::domain::message::{Message, Role};
use hearth::domain::retrieval::{Doc, Hit, Index, Query};
use hearth::domain::triage::route;
use serde::Deserialize;

#[derive(Deserialize)]
struct Data {
    now: DateTime<Utc>,
    people: Vec<Person>,
}

#[derive(Deserialize)]
struct Person {
    user: String,
    sessions: Vec<SessionData>,
    questions: Vec<Question>,
}

#[derive(Deserialize)]
struct SessionData {
    id: String,
    at: DateTime<Utc>,
    messages: Vec<(String, Role, String)>,
    summary: String,
    memories: Vec<(String, Category, u8, String, Vec<String>)>,
}

#[derive(Deserialize)]
struct Question {
    q: String,
    evidence: Vec<String>,
}

fn data() -> Data {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/retrieval/histories.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("histories"))
        .expect("valid histories")
}

/// Every message, memory and summary of a person, as the worker indexes them.
fn docs(person: &Person) -> (Vec<Doc>, Vec<Doc>) {
    let (mut all, mut messages) = (Vec::new(), Vec::new());
    for s in &person.sessions {
        let session = SessionId::parse(&s.id).unwrap();
        for (i, (id, role, text)) in s.messages.iter().enumerate() {
            let m = Message {
                remember: true,
                id: MessageId::parse(id).unwrap(),
                session_id: session.clone(),
                seq: i as u64 + 1,
                role: *role,
                content: text.clone(),
                created_at: s.at + chrono::Duration::minutes(i as i64),
                external_id: None,
                client_message_id: None,
                reply: None,
                answered_by: None,
                assessment: None,
            };
            all.push(Doc::message(&m));
            messages.push(Doc::message(&m));
        }
        for (id, category, importance, text, sources) in &s.memories {
            let m = Memory {
                id: MemoryId::parse(id).unwrap(),
                category: *category,
                content: text.clone(),
                importance: *importance,
                source_message_ids: sources
                    .iter()
                    .map(|s| MessageId::parse(s).unwrap())
                    .collect(),
                session_id: session.clone(),
                created_at: s.at,
                updated_at: s.at,
                ended_at: None,
                superseded_by: None,
                edited: false,
            };
            all.push(Doc::memory(&m, None));
        }
        all.push(Doc::summary(&session, &s.summary, s.at, None));
    }
    (all, messages)
}

fn found(hits: &[Hit<'_>], evidence: &[String], k: usize) -> bool {
    hits.iter().take(k).any(|h| evidence.contains(&h.doc.key()))
}

#[test]
fn hybrid_retrieval_beats_plain_bm25_on_earlier_sessions() {
    let data = data();
    let (mut total, mut hybrid5, mut hybrid10, mut bm5, mut bm10) = (0, 0, 0, 0, 0);
    for person in &data.people {
        let (all, messages) = docs(person);
        let hybrid = Index::from_docs(all);
        let plain = Index::from_docs(messages);
        for q in &person.questions {
            total += 1;
            let query = Query {
                text: &q.q,
                vector: None,
                route: route(&q.q).route,
                now: data.now,
            };
            let hits = hybrid.search(&query, 10);
            let base = plain.bm25_messages(&q.q, 10);
            hybrid5 += found(&hits, &q.evidence, 5) as u32;
            hybrid10 += found(&hits, &q.evidence, 10) as u32;
            bm5 += found(&base, &q.evidence, 5) as u32;
            bm10 += found(&base, &q.evidence, 10) as u32;
            if !found(&hits, &q.evidence, 5) {
                let top: Vec<String> = hits.iter().take(5).map(|h| h.doc.key()).collect();
                println!("hybrid miss@5 [{}] {:?} -> {top:?}", person.user, q.q);
            }
        }
    }
    let pct = |n: u32| 100.0 * n as f64 / total as f64;
    println!(
        "retrieval evaluation: {total} questions over {} people",
        data.people.len()
    );
    println!(
        "  hybrid (memories + summaries + messages): recall@5 {:.1}%  recall@10 {:.1}%",
        pct(hybrid5),
        pct(hybrid10)
    );
    println!(
        "  plain BM25 on raw messages:               recall@5 {:.1}%  recall@10 {:.1}%",
        pct(bm5),
        pct(bm10)
    );
    assert!(
        hybrid5 >= bm5 && hybrid10 >= bm10,
        "the engine must not do worse than plain BM25"
    );
}
