//! The in-process crisis screen with its learned layer: the explicit cues
//! (`domain::safety::screen`) and the fine-tuned classifier
//! (`adapters::risk_model`, one forward pass giving the risk scores and the
//! base vector), per message as chat screens a turn, and in batches of 32
//! as an import or the job worker would. p50/p99 are computed here over
//! 500 single-message runs, beside criterion's means. Messages are
//! `data/safety/train.jsonl`'s (every length and language people write).
//!
//! Needs the encoder files (`scripts/setup-encoder`; `HEARTH_ENCODER_DIR`
//! overrides where). `RAYON_NUM_THREADS=1` measures one core.
//! Run: `cargo bench -p hearth --bench screen`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hearth::adapters::risk_model::RiskClassifier;
use hearth::domain::safety::learned::judge_turn;
use hearth::domain::safety::screen;
use hearth::ports::RiskModel;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const RUNS: usize = 500;
const BATCH: usize = 32;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn messages() -> Vec<String> {
    std::fs::read_to_string(repo().join("data/safety/train.jsonl"))
        .expect("train.jsonl")
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("row")["text"]
                .as_str()
                .expect("text")
                .to_string()
        })
        .collect()
}

/// The whole in-process screen of one message: rules, then the classifier
/// (which also gives the vector the conversation layer keeps).
fn screen_one(model: &RiskClassifier, text: &str) -> bool {
    let rules = screen(text).is_some();
    let assessment = model.assess_blocking(&[text]).expect("assesses");
    rules || judge_turn(&assessment[0].risk, &model.thresholds()).is_some()
}

fn percentiles(model: &RiskClassifier, texts: &[&str]) -> (Duration, Duration, Duration) {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|i| {
            let text = texts[i % texts.len()];
            let start = Instant::now();
            black_box(screen_one(model, text));
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
    let encoder = std::env::var_os("HEARTH_ENCODER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".models/all-minilm-l6-v2"));
    let start = Instant::now();
    let model = match RiskClassifier::load(&encoder, &repo().join("data/safety/classifier")) {
        Ok(model) => model,
        Err(e) => {
            eprintln!("screen bench skipped: {e}");
            return;
        }
    };
    println!(
        "screen: classifier loaded in {:.0} ms ({} threads)",
        ms(start.elapsed()),
        candle_core::utils::get_num_threads()
    );
    let messages = messages();
    let all: Vec<&str> = messages.iter().map(String::as_str).collect();
    let short: Vec<&str> = all.iter().copied().filter(|m| m.len() <= 80).collect();
    black_box(model.assess_blocking(&all[..64]).expect("warm-up"));
    for (name, texts) in [
        ("short messages (<= 80 chars)", short.as_slice()),
        ("train.jsonl (every length)", all.as_slice()),
    ] {
        let (p50, p99, max) = percentiles(&model, texts);
        println!(
            "screen: one message, {name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {RUNS} runs",
            ms(p50),
            ms(p99),
            ms(max)
        );
    }
    let batches: Vec<&[&str]> = all.chunks_exact(BATCH).take(20).collect();
    let start = Instant::now();
    for batch in &batches {
        black_box(model.assess_blocking(batch).expect("assesses"));
    }
    let per_s = (batches.len() * BATCH) as f64 / start.elapsed().as_secs_f64();
    println!(
        "screen: classifier batches of {BATCH}: {per_s:.0} messages/s over {} batches",
        batches.len()
    );

    let mut group = c.benchmark_group("screen");
    let one = "i dont think i can keep going like this";
    group.bench_function("one_message/rules_only", |b| {
        b.iter(|| black_box(screen(black_box(one))))
    });
    group.bench_function("one_message/rules_and_classifier", |b| {
        b.iter(|| black_box(screen_one(&model, black_box(one))))
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let owned = vec![one.to_string()];
    group.bench_function("one_message/classifier_through_the_port", |b| {
        b.iter(|| {
            black_box(
                runtime
                    .block_on(model.assess(black_box(&owned)))
                    .expect("assesses"),
            )
        })
    });
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut next = batches.iter().cycle();
    group.bench_function("batch_of_32/classifier", |b| {
        b.iter(|| {
            let batch = next.next().expect("cycle");
            black_box(model.assess_blocking(black_box(batch)).expect("assesses"))
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
