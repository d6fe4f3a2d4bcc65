//! The in-process encoder (all-MiniLM-L6-v2 on candle): load time, one
//! message at a time as the crisis screen encodes it (criterion's mean, and
//! p50/p99 computed here over 500 single-message runs), and batches of 32
//! as the worker encodes for retrieval. Messages are the labelled set's
//! (`data/routing/labelled.jsonl`), so of every length people write.
//!
//! Needs the model files (`scripts/setup-encoder`; `HEARTH_ENCODER_DIR`
//! overrides where). `RAYON_NUM_THREADS=1` measures one core.
//! Run: `cargo bench -p hearth --bench encoder`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hearth::adapters::minilm::MiniLm;
use hearth::ports::Encoder;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const RUNS: usize = 500;
const BATCH: usize = 32;

fn model_dir() -> PathBuf {
    std::env::var_os("HEARTH_ENCODER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.models/all-minilm-l6-v2")
        })
}

fn messages() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/routing/labelled.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("labelled set")
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("row")["text"]
                .as_str()
                .expect("text")
                .to_string()
        })
        .collect()
}

/// p50 and p99 of one message at a time, cycling through `texts`.
fn percentiles(encoder: &MiniLm, texts: &[&str]) -> (Duration, Duration, Duration) {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|i| {
            let text = [texts[i % texts.len()]];
            let start = Instant::now();
            black_box(encoder.encode_blocking(&text).expect("encodes"));
            start.elapsed()
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).min(times.len()) - 1];
    (at(0.50), at(0.99), times[times.len() - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn bench(c: &mut Criterion) {
    let dir = model_dir();
    let start = Instant::now();
    let encoder = match MiniLm::load(&dir) {
        Ok(encoder) => encoder,
        Err(e) => {
            eprintln!("encoder bench skipped: {e}");
            return;
        }
    };
    println!(
        "encoder: loaded in {:.0} ms from {} ({} threads)",
        ms(start.elapsed()),
        dir.display(),
        candle_core::utils::get_num_threads()
    );

    let messages = messages();
    let all: Vec<&str> = messages.iter().map(String::as_str).collect();
    // A short chat message, as most turns are.
    let short: Vec<&str> = all.iter().copied().filter(|m| m.len() <= 80).collect();
    let longest = "I keep going back and forth about whether to move. ".repeat(78);

    black_box(encoder.encode_blocking(&all).expect("warm-up"));
    for (name, texts) in [
        ("short messages (<= 80 chars)", short.as_slice()),
        ("the labelled set (every length)", all.as_slice()),
        (
            "4,000 chars (truncated to 256 tokens)",
            &[longest.as_str()][..],
        ),
    ] {
        let (p50, p99, max) = percentiles(&encoder, texts);
        println!(
            "encoder: one message, {name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {RUNS} runs",
            ms(p50),
            ms(p99),
            ms(max)
        );
    }
    let batches: Vec<&[&str]> = all.chunks_exact(BATCH).collect();
    let start = Instant::now();
    for batch in &batches {
        black_box(encoder.encode_blocking(batch).expect("encodes"));
    }
    let per_s = (batches.len() * BATCH) as f64 / start.elapsed().as_secs_f64();
    println!(
        "encoder: batches of {BATCH} (the labelled set): {per_s:.0} messages/s over {} batches",
        batches.len()
    );

    let mut group = c.benchmark_group("encoder");
    let one = ["I can't stop worrying about the exam tomorrow."];
    group.bench_function("one_message/short", |b| {
        b.iter(|| black_box(encoder.encode_blocking(black_box(&one)).expect("encodes")))
    });
    // The same through the async port, which hops to the blocking pool.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    group.bench_function("one_message/short_through_the_port", |b| {
        b.iter(|| {
            black_box(
                runtime
                    .block_on(encoder.encode_one(black_box(one[0])))
                    .expect("encodes"),
            )
        })
    });
    group.bench_function("one_message/4000_chars", |b| {
        b.iter(|| {
            black_box(
                encoder
                    .encode_blocking(&[black_box(&longest)])
                    .expect("encodes"),
            )
        })
    });
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut next = batches.iter().cycle();
    group.bench_function("batch_of_32/labelled_set", |b| {
        b.iter(|| {
            let batch = next.next().expect("cycle");
            black_box(encoder.encode_blocking(black_box(batch)).expect("encodes"))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
