//! Retrieval latency for a heavy user: 5,000 memories, 50,000 messages and
//! 365 session summaries in one person's index, built from the index log
//! as a cold process would. Reports p50/p99 over 2,000 queries of the
//! reply path (`select_relevant`) and of search, with and without a 384-d vector on
//! every item (as with the in-process encoder), the index's own estimate of
//! its memory (what `HEARTH_INDEX_CACHE_MB` is spent on) and the process's
//! peak memory.
//!
//! Run: `cargo bench -p hearth --bench retrieval`

use chrono::{DateTime, Duration, Utc};
use hearth::domain::ids::SessionId;
use hearth::domain::memory::Category;
use hearth::domain::message::Role;
use hearth::domain::retrieval::{Doc, DocKind, Index, IndexOp, Query, Vector, log_chunks};
use hearth::domain::route::Route;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

const MEMORIES: usize = 5_000;
const MESSAGES: usize = 50_000;
const SUMMARIES: usize = 365;
const QUERIES: usize = 2_000;
const DIMS: usize = 384;

/// A vocabulary with a long tail, so that some words are in thousands of
/// items and most in a few: what makes BM25 postings uneven in real text.
struct Words {
    words: Vec<String>,
}

impl Words {
    fn new(rng: &mut StdRng) -> Words {
        let common = [
            "work", "sleep", "tired", "mum", "dad", "sister", "friend", "anxious", "happy", "run",
            "walk", "boss", "meeting", "school", "money", "rent", "doctor", "therapy", "night",
            "morning", "weekend", "dinner", "call", "text", "worried", "proud", "dog", "cat",
            "garden", "rain", "train", "bus", "coffee", "tea", "music", "guitar", "choir", "gym",
        ];
        let mut words: Vec<String> = common.iter().map(|w| w.to_string()).collect();
        for _ in 0..8_000 {
            let len = rng.random_range(4..10);
            words.push(
                (0..len)
                    .map(|_| rng.random_range(b'a'..=b'z') as char)
                    .collect(),
            );
        }
        Words { words }
    }

    /// Zipf-like: index ~ n^2 over a uniform draw favours the head.
    fn pick(&self, rng: &mut StdRng) -> &str {
        let u: f64 = rng.random();
        let i = ((u * u * u) * self.words.len() as f64) as usize;
        &self.words[i.min(self.words.len() - 1)]
    }

    fn sentence(&self, rng: &mut StdRng, n: usize) -> String {
        (0..n).map(|_| self.pick(rng)).collect::<Vec<_>>().join(" ")
    }
}

fn vector(rng: &mut StdRng) -> Vector {
    let v: Vec<f32> = (0..DIMS).map(|_| rng.random_range(-1.0..1.0)).collect();
    Vector::from_f32(&v).unwrap()
}

fn docs(rng: &mut StdRng, words: &Words, now: DateTime<Utc>, vectors: bool) -> Vec<Doc> {
    let mut out = Vec::with_capacity(MEMORIES + MESSAGES + SUMMARIES);
    let sessions: Vec<SessionId> = (0..SUMMARIES)
        .map(|i| SessionId::parse(format!("s{i}")).unwrap())
        .collect();
    for i in 0..MESSAGES {
        let n = rng.random_range(6..40);
        out.push(Doc {
            kind: DocKind::Message,
            id: format!("msg{i}"),
            session_id: sessions[i % SUMMARIES].clone(),
            external_id: None,
            category: None,
            role: Some(if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            }),
            importance: 5,
            text: words.sentence(rng, n),
            at: now - Duration::minutes(rng.random_range(0..525_600)),
            vector: vectors.then(|| vector(rng)),
            crisis: false,
            seq: Some((i / SUMMARIES) as u64 + 1),
            dates: None,
        });
    }
    for i in 0..MEMORIES {
        let n = rng.random_range(6..18);
        out.push(Doc {
            kind: DocKind::Memory,
            id: format!("mem{i}"),
            session_id: sessions[i % SUMMARIES].clone(),
            external_id: None,
            category: Some(Category::ALL[i % 5]),
            role: None,
            importance: rng.random_range(1..=10),
            text: words.sentence(rng, n),
            at: now - Duration::minutes(rng.random_range(0..525_600)),
            vector: vectors.then(|| vector(rng)),
            crisis: false,
            seq: None,
            dates: None,
        });
    }
    for (i, s) in sessions.iter().enumerate() {
        let n = rng.random_range(25..50);
        out.push(Doc::summary(
            s,
            &words.sentence(rng, n),
            now - Duration::days(i as i64),
            vectors.then(|| vector(rng)),
        ));
    }
    out
}

fn percentiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    (at(0.50), at(0.99), v[v.len() - 1])
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn run(vectors: bool) {
    let mut rng = StdRng::seed_from_u64(7);
    let words = Words::new(&mut rng);
    let now: DateTime<Utc> = "2026-06-01T12:00:00Z".parse().unwrap();
    let all = docs(&mut rng, &words, now, vectors);

    // As a cold process does: replay the log (entries of ~200 KB).
    // Dated as the writers date them (the parse is not the replay's).
    let ops: Vec<IndexOp> = all.into_iter().map(|d| IndexOp::Put(d.dated())).collect();
    let chunks = log_chunks(&ops).unwrap();
    let log_bytes: usize = chunks.iter().map(String::len).sum();
    let t = Instant::now();
    let mut index = Index::new();
    for (i, c) in chunks.iter().enumerate() {
        let ops: Vec<IndexOp> = serde_json::from_str(c).unwrap();
        index.apply(i as u64 + 1, &ops);
    }
    let build = t.elapsed();
    drop(ops);

    let queries: Vec<(String, Option<Vector>)> = (0..QUERIES)
        .map(|_| {
            let n = rng.random_range(5..25);
            (
                words.sentence(&mut rng, n),
                vectors.then(|| vector(&mut rng)),
            )
        })
        .collect();
    let routes = [Route::Support, Route::Reasoning, Route::Pattern];
    let current = SessionId::parse("s3").unwrap();
    let (mut select, mut search) = (Vec::with_capacity(QUERIES), Vec::with_capacity(QUERIES));
    let mut picked = 0;
    for (i, (text, v)) in queries.iter().enumerate() {
        let q = Query {
            text,
            vector: v.as_ref(),
            route: routes[i % 3],
            now,
        };
        let t = Instant::now();
        let s = index.select_relevant(&q, Some(&current));
        select.push(t.elapsed().as_secs_f64() * 1e3);
        picked += s.memories.len() + s.summaries.len() + s.messages.len();
        let t = Instant::now();
        let hits = index.search(&q, 10);
        search.push(t.elapsed().as_secs_f64() * 1e3);
        picked += hits.len();
    }
    let (s50, s99, smax) = percentiles(select);
    let (h50, h99, hmax) = percentiles(search);
    println!(
        "retrieval, {MEMORIES} memories + {MESSAGES} messages + {SUMMARIES} summaries{}:",
        if vectors {
            format!(", a {DIMS}-d vector on every item")
        } else {
            String::new()
        }
    );
    println!(
        "  index log {:.1} MiB in {} entries; cold build from the log {:.0} ms",
        log_bytes as f64 / 1048576.0,
        chunks.len(),
        build.as_secs_f64() * 1e3
    );
    println!(
        "  index memory (its own estimate): {:.1} MiB",
        index.approx_bytes() as f64 / 1048576.0
    );
    println!("  reply path (select_relevant): p50 {s50:.2} ms  p99 {s99:.2} ms  max {smax:.2} ms");
    println!("  search (top 10):     p50 {h50:.2} ms  p99 {h99:.2} ms  max {hmax:.2} ms");
    println!(
        "  ({picked} items chosen over {QUERIES} queries); peak RSS so far {:.0} MiB",
        peak_rss_mib()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it once too.
    run(false);
    run(true);
}
