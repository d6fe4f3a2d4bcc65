//! Time per message for the crisis screen and the triage router, over the whole
//! labelled set (306 messages of every route and length).
//! Run: `cargo bench -p hearth --bench triage`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hearth::domain::safety::screen;
use hearth::domain::triage::route;
use std::hint::black_box;

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

fn bench(c: &mut Criterion) {
    let messages = messages();
    let mut group = c.benchmark_group("classifier");
    group.throughput(Throughput::Elements(messages.len() as u64));
    group.bench_function("route/labelled_set", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(route(black_box(m)));
            }
        })
    });
    group.bench_function("crisis_screen/labelled_set", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(screen(black_box(m)));
            }
        })
    });
    group.finish();
    let longest = "I keep going back and forth about whether to move. ".repeat(78);
    c.bench_function("classifier/route/4000_chars", |b| {
        b.iter(|| black_box(route(black_box(&longest))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
