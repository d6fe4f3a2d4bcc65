//! The retrieval index log's contract (part of `memory_store_contract!`):
//! every change is logged in the write that makes it, a person's log
//! replays into their index, and concurrent appends leave no gap. A
//! snapshot stands for the entries it covers (which are dropped), only of
//! the log it was taken from, and an erase removes it.

use super::memories::{fact, new, plan};
use super::{AllStores, at, user};
use crate::domain::ids::{SessionId, UserId};
use crate::domain::memory::{Category, MemoryPatch};
use crate::domain::personal_data::ItemKind;
use crate::domain::retrieval::{DocKind, Embedding, Index, IndexSnapshot, Vector, job_ops};
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

/// `n` jobs of one memory each, in sessions of their own: `n` log entries.
async fn jobs<S: MemoryStore + ?Sized>(store: &S, u: &UserId, from: usize, n: usize) {
    for i in from..from + n {
        let s = SessionId::generate();
        let m = fact(
            &format!("Fact {i} about the garden."),
            Category::Progress,
            i as i64,
        );
        let mut p = plan(vec![new(&m)], "");
        p.index = job_ops(
            &[],
            std::slice::from_ref(&m),
            &s,
            "",
            at(i as i64),
            &Default::default(),
        );
        store
            .apply_extraction(u, &s, 0, 6, &p, at(0))
            .await
            .unwrap();
    }
}

/// The person's index built from the first `through` entries of the log.
async fn index_through<S: MemoryStore + ?Sized>(store: &S, u: &UserId, through: u64) -> Index {
    let page = store.index_entries(u, 0, 1_000).await.unwrap();
    let mut index = Index::new();
    index.set_generation(page.generation.unwrap());
    for e in page.entries.iter().filter(|e| e.seq <= through) {
        index.apply(e.seq, &e.ops);
    }
    index
}

fn docs(index: &Index) -> Vec<crate::domain::retrieval::Doc> {
    let mut d: Vec<_> = index.docs().cloned().collect();
    d.sort_by_key(|d| d.key());
    d
}

pub async fn a_snapshot_stands_for_the_entries_it_covers(store: Store) {
    let (u, other) = (user("a"), user("b"));
    jobs(&*store, &u, 0, 6).await;
    assert_eq!(store.index_snapshot(&u).await.unwrap(), None);
    let full = index_through(&*store, &u, 6).await;
    let at_three = IndexSnapshot::of(&index_through(&*store, &u, 3).await).unwrap();
    let at_four = IndexSnapshot::of(&index_through(&*store, &u, 4).await).unwrap();
    assert!(store.write_index_snapshot(&u, &at_four).await.unwrap());
    assert_eq!(
        store.index_snapshot(&u).await.unwrap().as_ref(),
        Some(&at_four),
        "read back as written"
    );
    // The entries it covers are gone; those after it stay, from any offset.
    for after in [0, 2, 4] {
        let page = store.index_entries(&u, after, 100).await.unwrap();
        let seqs: Vec<u64> = page.entries.iter().map(|e| e.seq).collect();
        assert_eq!((seqs, page.head), (vec![5, 6], 6), "after {after}");
    }
    let page = store.index_entries(&u, 5, 100).await.unwrap();
    assert_eq!(page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [6]);
    // The snapshot and the entries after it are the whole index.
    let mut loaded = store
        .index_snapshot(&u)
        .await
        .unwrap()
        .unwrap()
        .into_index();
    for e in &store.index_entries(&u, 4, 100).await.unwrap().entries {
        loaded.apply(e.seq, &e.ops);
    }
    assert_eq!(docs(&loaded), docs(&full));
    assert_eq!(loaded.through(), 6);
    // One no newer than the one kept, or past the head, is refused.
    assert!(!store.write_index_snapshot(&u, &at_four).await.unwrap());
    assert!(!store.write_index_snapshot(&u, &at_three).await.unwrap());
    let mut beyond = at_four.clone();
    beyond.through = 7;
    assert!(!store.write_index_snapshot(&u, &beyond).await.unwrap());
    assert_eq!(
        store.index_snapshot(&u).await.unwrap().as_ref(),
        Some(&at_four)
    );
    // The log goes on after it, and a newer snapshot replaces it.
    jobs(&*store, &u, 6, 2).await;
    assert_eq!(
        store.index_snapshot(&u).await.unwrap().as_ref(),
        Some(&at_four),
        "appends leave the snapshot as it is"
    );
    let page = store.index_entries(&u, 4, 100).await.unwrap();
    assert_eq!(
        (
            page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
            page.head
        ),
        (vec![5, 6, 7, 8], 8)
    );
    let mut warm = loaded;
    for e in &page.entries {
        warm.apply(e.seq, &e.ops);
    }
    let at_eight = IndexSnapshot::of(&warm).unwrap();
    assert!(store.write_index_snapshot(&u, &at_eight).await.unwrap());
    assert_eq!(
        store.index_snapshot(&u).await.unwrap().as_ref(),
        Some(&at_eight)
    );
    let page = store.index_entries(&u, 0, 100).await.unwrap();
    assert_eq!((page.entries.len(), page.head), (0, 8));
    assert_eq!(
        docs(
            &store
                .index_snapshot(&u)
                .await
                .unwrap()
                .unwrap()
                .into_index()
        )
        .len(),
        8
    );
    // Only the owner's.
    assert_eq!(store.index_snapshot(&other).await.unwrap(), None);
}

pub async fn a_snapshot_of_another_generation_is_refused(store: Store) {
    let u = user("a");
    let mut lone = Index::new();
    lone.set_generation(5);
    lone.apply(1, &[]);
    let without_log = IndexSnapshot::of(&lone).unwrap();
    assert!(
        !store.write_index_snapshot(&u, &without_log).await.unwrap(),
        "no log, nothing to snapshot"
    );
    jobs(&*store, &u, 0, 3).await;
    let mut other = IndexSnapshot::of(&index_through(&*store, &u, 2).await).unwrap();
    other.generation = other.generation.wrapping_add(2);
    assert!(!store.write_index_snapshot(&u, &other).await.unwrap());
    assert_eq!(store.index_snapshot(&u).await.unwrap(), None);
    let page = store.index_entries(&u, 0, 100).await.unwrap();
    assert_eq!(
        page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3],
        "nothing was dropped"
    );
}

/// Part of `personal_data_contract!`: the snapshot is exported with the
/// log, and an erase removes it; a snapshot of the erased log is refused
/// after, and the new log has none.
pub async fn erase_removes_index_snapshots<S: AllStores + ?Sized>(store: Arc<S>) {
    let u = user("a");
    jobs(&*store, &u, 0, 3).await;
    let snapshot = IndexSnapshot::of(&index_through(&*store, &u, 3).await).unwrap();
    assert!(store.write_index_snapshot(&u, &snapshot).await.unwrap());
    let exported = store.export_page(&u, None, 1 << 22).await.unwrap();
    let index_data: String = exported
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::SearchIndex)
        .map(|i| serde_json::to_string(&i.data).unwrap())
        .collect();
    for i in 0..3 {
        assert!(
            index_data.contains(&format!("Fact {i} about the garden.")),
            "the snapshot is exported: {index_data}"
        );
    }
    let receipt = store.erase(&u, at(30)).await.unwrap();
    assert!(receipt.get(ItemKind::SearchIndex) > 0);
    assert_eq!(store.index_snapshot(&u).await.unwrap(), None);
    assert!(
        !store.write_index_snapshot(&u, &snapshot).await.unwrap(),
        "the erased log's snapshot is not written back"
    );
    assert_eq!(store.index_snapshot(&u).await.unwrap(), None);
    let after = store.export_page(&u, None, 1 << 22).await.unwrap();
    assert!(after.items.is_empty(), "{:?}", after.items);
    // A new log after the erase starts without a snapshot.
    store
        .append_index(
            &u,
            &[crate::domain::retrieval::IndexOp::Remove {
                key: "memory:none".into(),
            }],
            at(40),
        )
        .await
        .unwrap();
    assert_eq!(store.index_snapshot(&u).await.unwrap(), None);
    let page = store.index_entries(&u, 0, 10).await.unwrap();
    assert_eq!(page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1]);
}
