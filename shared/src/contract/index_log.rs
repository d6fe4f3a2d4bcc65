//! The retrieval index log's contract (part of `memory_store_contract!`):
//! every change is logged in the write that makes it, a person's log
//! replays into their index, and concurrent appends leave no gap.

use super::memories::{fact, new, plan};
use super::{at, user};
use crate::domain::ids::SessionId;
use crate::domain::memory::{Category, MemoryPatch};
use crate::domain::retrieval::{DocKind, Embedding, Index, Vector, job_ops};
use crate::ports::{ApplyOutcome, MemoryStore};
use std::sync::Arc;

type Store = Arc<dyn MemoryStore>;

/// Replays a person's log into an index, as the retriever does.
async fn replay(store: &Store, u: &crate::domain::ids::UserId, page: usize) -> (Index, u64) {
    let mut index = Index::new();
    let mut reads = 0;
    loop {
        let p = store.index_entries(u, index.through(), page).await.unwrap();
        reads += 1;
        let n = p.entries.len();
        for e in &p.entries {
            index.apply(e.seq, &e.ops);
        }
        if n == 0 || index.through() >= p.head {
            return (index, reads);
        }
    }
}

fn keys(index: &Index) -> Vec<String> {
    let mut k: Vec<String> = index.docs().map(|d| d.key()).collect();
    k.sort();
    k
}

pub async fn the_index_log_records_each_change_in_its_write(store: Store) {
    let (u, other, s) = (user("a"), user("b"), SessionId::generate());
    let a = fact("Has a sister named Maya.", Category::Relationships, 1);
    let b = fact("Works night shifts.", Category::WorkAndLife, 2);
    let mut p = plan(vec![new(&a), new(&b)], "Talked about Maya.");
    p.index = job_ops(
        &[],
        &[a.clone(), b.clone()],
        &s,
        "Talked about Maya.",
        at(3),
        &Default::default(),
    );
    store
        .apply_extraction(&u, &s, 0, 6, &p, at(0))
        .await
        .unwrap();
    let (index, _) = replay(&store, &u, 10).await;
    let mut want = vec![
        format!("memory:{}", a.id),
        format!("memory:{}", b.id),
        format!("summary:{s}"),
    ];
    want.sort();
    assert_eq!(keys(&index), want);
    // A redelivery writes nothing to the log either.
    assert_eq!(
        store
            .apply_extraction(&u, &s, 0, 6, &p, at(0))
            .await
            .unwrap(),
        ApplyOutcome::AlreadyApplied
    );
    let head = store.index_entries(&u, 0, 100).await.unwrap().head;
    // An edit and a forget are in the log with them; the edit's
    // vector, computed from its new content, is indexed with it.
    let patch = MemoryPatch {
        content: Some("Has a sister, Maya, in Leeds.".into()),
        importance: None,
    };
    let vector = Vector::from_f32(&[0.6, 0.8]).unwrap();
    let fresh = Embedding {
        text: "Has a sister, Maya, in Leeds.".into(),
        vector: vector.clone(),
    };
    store
        .edit_memory(&u, &a.id, &patch, Some(fresh.clone()), at(5))
        .await
        .unwrap();
    store.forget_memory(&u, &b.id, at(6)).await.unwrap();
    let after = store.index_entries(&u, head, 100).await.unwrap();
    assert_eq!(after.entries.len(), 2);
    assert_eq!(after.head, head + 2);
    let (index, _) = replay(&store, &u, 1).await;
    assert_eq!(
        keys(&index),
        vec![format!("memory:{}", a.id), format!("summary:{s}")]
    );
    let doc = index.doc(&format!("memory:{}", a.id)).unwrap();
    assert_eq!(
        (doc.text.as_str(), doc.vector.as_ref()),
        ("Has a sister, Maya, in Leeds.", Some(&vector))
    );
    // Read in pages of one, from any point, and only the owner's.
    let (_, reads) = replay(&store, &u, 1).await;
    assert_eq!(reads, head + 2);
    assert!(
        store
            .index_entries(&u, head + 2, 10)
            .await
            .unwrap()
            .entries
            .is_empty()
    );
    let theirs = store.index_entries(&other, 0, 10).await.unwrap();
    assert_eq!((theirs.entries.len(), theirs.head), (0, 0));
    // A vector of other text than the edit leaves (never lands on a
    // racing edit's content): the memory is indexed without one.
    let patch = MemoryPatch {
        content: Some("Has a sister, Maya, in York.".into()),
        importance: None,
    };
    store
        .edit_memory(&u, &a.id, &patch, Some(fresh), at(7))
        .await
        .unwrap();
    let (index, _) = replay(&store, &u, 10).await;
    let doc = index.doc(&format!("memory:{}", a.id)).unwrap();
    assert_eq!(
        (doc.text.as_str(), doc.vector.as_ref()),
        ("Has a sister, Maya, in York.", None)
    );
}

pub async fn concurrent_index_writes_never_leave_a_gap(store: Store) {
    let u = user("a");
    let first = fact("Seed.", Category::Progress, 1);
    let s0 = SessionId::generate();
    let mut p = plan(vec![new(&first)], "s");
    p.index = job_ops(
        &[],
        std::slice::from_ref(&first),
        &s0,
        "s",
        at(1),
        &Default::default(),
    );
    store
        .apply_extraction(&u, &s0, 0, 6, &p, at(0))
        .await
        .unwrap();
    // Eight jobs for eight sessions, and edits, all at once.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let u = u.clone();
        tasks.push(tokio::spawn(async move {
            let s = SessionId::generate();
            let m = fact(&format!("Fact {i}."), Category::Progress, i);
            let mut p = plan(vec![new(&m)], &format!("Summary {i}."));
            p.index = job_ops(
                &[],
                std::slice::from_ref(&m),
                &s,
                &format!("Summary {i}."),
                at(2),
                &Default::default(),
            );
            assert_eq!(
                store
                    .apply_extraction(&u, &s, 0, 6, &p, at(0))
                    .await
                    .unwrap(),
                ApplyOutcome::Applied
            );
        }));
    }
    for i in 0..4 {
        let (store, u, id) = (store.clone(), u.clone(), first.id.clone());
        tasks.push(tokio::spawn(async move {
            let patch = MemoryPatch {
                content: None,
                importance: Some(i + 1),
            };
            // A lost race with another edit is a clear Conflict, never a gap.
            let _ = store
                .edit_memory(&u, &id, &patch, None, at(10 + i as i64))
                .await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let page = store.index_entries(&u, 0, 1_000).await.unwrap();
    let seqs: Vec<u64> = page.entries.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=page.head).collect::<Vec<_>>(),
        "entries 1..=head, no gap"
    );
    let (index, _) = replay(&store, &u, 3).await;
    assert_eq!(
        index.docs().filter(|d| d.kind == DocKind::Memory).count(),
        9
    );
}
