//! Import throughput: a 10,000-line NDJSON history into a fresh embedded
//! store, parsed and stored in batches (`service::personal_data::import`), with
//! every commit fsynced. Run: `cargo bench -p hearth --bench import`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use hearth::adapters::embedded::{EmbeddedQueue, EmbeddedStore};
use hearth::domain::ids::UserId;
use hearth::service::personal_data::{import, parse_ndjson};
use hearth::service::retrieval::Retriever;
use std::sync::Arc;

const LINES: usize = 10_000;

fn ndjson() -> String {
    (0..LINES)
        .map(|i| {
            let role = if i % 2 == 0 { "user" } else { "assistant" };
            format!(
                r#"{{"session_id":"legacy-{}","role":"{role}","content":"Message {i}: a line of ordinary chat history, about as long as a real one.","created_at":"2025-03-01T10:00:00Z","external_id":"{i}"}}"#,
                i / 40
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn bench(c: &mut Criterion) {
    let text = ndjson();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let user = UserId::parse("bench-user").unwrap();
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.throughput(Throughput::Elements(LINES as u64));
    group.bench_function("embedded/10k_lines", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = EmbeddedStore::open(dir.path()).unwrap();
                let ports = store.ports(EmbeddedQueue::new(store.clone(), Default::default()));
                let retriever = Retriever::new(Arc::clone(&ports.memories), None, 64);
                (dir, ports, retriever)
            },
            |(_dir, ports, retriever)| {
                rt.block_on(async {
                    let (lines, errors) = parse_ndjson(&text, chrono::Utc::now()).unwrap();
                    assert!(errors.is_empty());
                    let report = import(&ports, &retriever, &user, &lines, |_| {})
                        .await
                        .unwrap();
                    assert_eq!(report.imported, LINES as u64);
                })
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
