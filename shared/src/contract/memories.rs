//! The `MemoryStore` contract: extraction claims, jobs written whole and
//! once, supersede and edits, forgetting and tombstones. Run it (with the
//! index log's cases) with `memory_store_contract!(factory)`, where
//! `factory` returns `(Arc<dyn MemoryStore>, guard)`.

use super::{at, user};
use crate::domain::extraction::{MemoryWrite, Plan};
use crate::domain::ids::{MemoryId, MessageId, SessionId};
use crate::domain::memory::{Category, Memory, MemoryFilter, MemoryPatch};
use crate::domain::page::PageRequest;
use crate::ports::{ApplyOutcome, MemoryStore, StoreError};
use std::sync::Arc;

type Store = Arc<dyn MemoryStore>;

pub(super) fn fact(content: &str, category: Category, minute: i64) -> Memory {
    Memory {
        id: MemoryId::generate(),
        category,
        content: content.into(),
        importance: 5,
        source_message_ids: vec![MessageId::parse("msg-1").unwrap()],
        session_id: SessionId::parse("s1").unwrap(),
        created_at: at(minute),
        updated_at: at(minute),
        ended_at: None,
        superseded_by: None,
        edited: false,
    }
}

pub(super) fn plan(writes: Vec<MemoryWrite>, summary: &str) -> Plan {
    Plan {
        added: writes.len() as u32,
        writes,
        summary: summary.into(),
        index: Vec::new(),
    }
}

pub(super) fn new(m: &Memory) -> MemoryWrite {
    MemoryWrite {
        memory: m.clone(),
        seen_updated_at: None,
    }
}

pub async fn an_extraction_range_is_claimed_once(store: Store) {
    let (u, s) = (user("a"), SessionId::generate());
    assert_eq!(store.claim_extraction(&u, &s, 5, 6).await.unwrap(), None);
    let racers: Vec<_> = (0..6)
        .map(|_| {
            let (store, u, s) = (store.clone(), u.clone(), s.clone());
            tokio::spawn(async move { store.claim_extraction(&u, &s, 6, 6).await.unwrap() })
        })
        .collect();
    let mut won = Vec::new();
    for r in racers {
        won.extend(r.await.unwrap());
    }
    assert_eq!(won, vec![(1, 6)], "exactly one claim of concurrent turns");
    assert_eq!(store.claim_extraction(&u, &s, 7, 6).await.unwrap(), None);
    assert_eq!(
        store.claim_extraction(&u, &s, 12, 6).await.unwrap(),
        Some((7, 12))
    );
    assert_eq!(
        store
            .extraction_state(&u, &s)
            .await
            .unwrap()
            .enqueued_through,
        12
    );
    // A claim whose job could not be enqueued is given back, and taken again.
    store.release_extraction(&u, &s, (7, 12)).await.unwrap();
    assert_eq!(
        store
            .extraction_state(&u, &s)
            .await
            .unwrap()
            .enqueued_through,
        6
    );
    assert_eq!(
        store.claim_extraction(&u, &s, 12, 6).await.unwrap(),
        Some((7, 12))
    );
}

pub async fn a_job_is_written_together_and_only_once(store: Store) {
    let (u, s) = (user("a"), SessionId::generate());
    let a = fact("Has a sister named Maya.", Category::Relationships, 1);
    let b = fact(
        "Works night shifts at a hospital.",
        Category::WorkAndLife,
        2,
    );
    let p = plan(vec![new(&a), new(&b)], "Talked about Maya and work.");
    assert_eq!(
        store
            .apply_extraction(&u, &s, 0, 6, &p, at(0))
            .await
            .unwrap(),
        ApplyOutcome::Applied
    );
    // A redelivery of the same job, and a stale one, change nothing.
    let again = plan(
        vec![new(&fact(
            "Has a sister named Maya.",
            Category::Relationships,
            3,
        ))],
        "other",
    );
    assert_eq!(
        store
            .apply_extraction(&u, &s, 0, 6, &again, at(0))
            .await
            .unwrap(),
        ApplyOutcome::AlreadyApplied
    );
    let state = store.extraction_state(&u, &s).await.unwrap();
    assert_eq!(
        (state.extracted_through, state.summary.as_deref()),
        (6, Some("Talked about Maya and work."))
    );
    let all = store
        .list_memories(&u, &MemoryFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 2);
    assert_eq!(all.items[0].id, b.id, "newest first");
}

pub async fn supersede_keeps_history_and_lists_filter(store: Store) {
    let (u, s) = (user("a"), SessionId::generate());
    let old = fact("Works as an accountant.", Category::WorkAndLife, 1);
    let other = fact("Walks to cope with stress.", Category::ValuesAndCoping, 2);
    store
        .apply_extraction(
            &u,
            &s,
            0,
            6,
            &plan(vec![new(&old), new(&other)], "s1"),
            at(0),
        )
        .await
        .unwrap();
    let successor = fact("Works at a bakery.", Category::WorkAndLife, 10);
    let mut ended = old.clone();
    ended.ended_at = Some(at(10));
    ended.superseded_by = Some(successor.id.clone());
    ended.updated_at = at(10);
    let p = plan(
        vec![
            MemoryWrite {
                memory: ended,
                seen_updated_at: Some(old.updated_at),
            },
            new(&successor),
        ],
        "s2",
    );
    assert_eq!(
        store
            .apply_extraction(&u, &s, 6, 12, &p, at(0))
            .await
            .unwrap(),
        ApplyOutcome::Applied
    );

    let active = store
        .list_memories(&u, &MemoryFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        active
            .items
            .iter()
            .map(|m| m.id.clone())
            .collect::<Vec<_>>(),
        vec![successor.id.clone(), other.id.clone()]
    );
    let history = MemoryFilter {
        category: Some(Category::WorkAndLife),
        include_superseded: true,
    };
    let work = store
        .list_memories(&u, &history, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(work.items.len(), 2);
    assert_eq!(work.items[1].superseded_by.as_ref(), Some(&successor.id));
    assert_eq!(work.items[1].ended_at, Some(at(10)));
    let page = store
        .list_memories(
            &u,
            &MemoryFilter {
                include_superseded: true,
                category: None,
            },
            &PageRequest::first(2),
        )
        .await
        .unwrap();
    let rest = store
        .list_memories(
            &u,
            &MemoryFilter {
                include_superseded: true,
                category: None,
            },
            &PageRequest {
                limit: 2,
                cursor: page.next_cursor,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len() + rest.items.len(), 3);
    assert_eq!(store.active_memories(&u, 10).await.unwrap().len(), 2);
}

pub async fn a_job_never_overwrites_an_edit_made_meanwhile(store: Store) {
    let (u, s) = (user("a"), SessionId::generate());
    let m = fact("Likes tea.", Category::ValuesAndCoping, 1);
    store
        .apply_extraction(&u, &s, 0, 6, &plan(vec![new(&m)], "s"), at(0))
        .await
        .unwrap();
    let patch = MemoryPatch {
        content: Some("Loves green tea.".into()),
        importance: None,
    };
    let edited = store
        .edit_memory(&u, &m.id, &patch, None, at(20))
        .await
        .unwrap();
    assert!(edited.edited);
    let mut stale = m.clone();
    stale.content = "Likes black tea.".into();
    let p = plan(
        vec![MemoryWrite {
            memory: stale,
            seen_updated_at: Some(m.updated_at),
        }],
        "s2",
    );
    assert_eq!(
        store
            .apply_extraction(&u, &s, 6, 12, &p, at(0))
            .await
            .unwrap(),
        ApplyOutcome::Conflict
    );
    let state = store.extraction_state(&u, &s).await.unwrap();
    assert_eq!(state.extracted_through, 6, "nothing of the job was written");
    let now = store
        .list_memories(&u, &MemoryFilter::default(), &PageRequest::first(5))
        .await
        .unwrap();
    assert_eq!(now.items[0].content, "Loves green tea.");
}

pub async fn forgetting_leaves_a_tombstone_and_is_scoped_to_its_owner(store: Store) {
    let (u, other, s) = (user("a"), user("b"), SessionId::generate());
    let m = fact("Has a brother named Tom.", Category::Relationships, 1);
    store
        .apply_extraction(&u, &s, 0, 6, &plan(vec![new(&m)], "s"), at(0))
        .await
        .unwrap();
    let patch = MemoryPatch {
        importance: Some(2),
        content: None,
    };
    assert!(matches!(
        store.edit_memory(&other, &m.id, &patch, None, at(2)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.forget_memory(&other, &m.id, at(2)).await,
        Err(StoreError::NotFound)
    ));
    store.forget_memory(&u, &m.id, at(3)).await.unwrap();
    assert!(
        store
            .list_memories(
                &u,
                &MemoryFilter {
                    include_superseded: true,
                    category: None
                },
                &PageRequest::first(5)
            )
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let tombs = store.tombstones(&u, 10).await.unwrap();
    assert_eq!(tombs.len(), 1);
    assert_eq!(
        (tombs[0].memory_id.clone(), tombs[0].content.as_str()),
        (m.id.clone(), "Has a brother named Tom.")
    );
    assert!(matches!(
        store.forget_memory(&u, &m.id, at(4)).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.tombstones(&other, 10).await.unwrap().is_empty());
}
