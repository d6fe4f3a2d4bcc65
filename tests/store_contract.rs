//! The store contract suite on the embedded store. The DynamoDB adapter runs
//! the same cases with its own factory.

use hearth::adapters::embedded::EmbeddedStore;
use hearth::ports::ConversationStore;
use std::sync::Arc;

async fn embedded() -> (Arc<dyn ConversationStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(dir.path()).expect("open");
    (Arc::new(store), dir)
}

mod embedded_store {
    use super::embedded;
    hearth::conversation_store_contract!(embedded);
}

async fn embedded_memories() -> (Arc<dyn hearth::ports::MemoryStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(dir.path()).expect("open");
    (Arc::new(store), dir)
}

mod embedded_memory_store {
    use super::embedded_memories;
    hearth::memory_store_contract!(embedded_memories);
}

async fn embedded_all() -> (Arc<EmbeddedStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    (
        Arc::new(EmbeddedStore::open(dir.path()).expect("open")),
        dir,
    )
}

mod embedded_personal_data {
    use super::embedded_all;
    hearth::personal_data_contract!(embedded_all);
}

mod embedded_safety_reports {
    use super::embedded_all;
    hearth::safety_reports_contract!(embedded_all);
}

/// The standing rule: every table the embedded store has is a declared item
/// kind (or holds no personal data), and every declared kind is exported
/// and erased. A new table without export and erase fails here.
#[tokio::test]
async fn every_embedded_table_is_covered_by_export_and_erase() {
    use hearth::adapters::embedded::{EmbeddedQueue, QueuePolicy, TABLE_KINDS};
    use hearth::domain::events::DomainEvent;
    use hearth::domain::ids::{SessionId, UserId};
    use hearth::domain::jobs::Job;
    use hearth::domain::safety::CrisisCategory;
    use hearth::domain::safety::flag::{FlagSource, Flagged};
    use hearth::ports::{EventBus, JobQueue, JobSource, PersonalData};
    let (store, _dir) = embedded_all().await;
    let mapped: Vec<&str> = TABLE_KINDS.iter().map(|(t, _)| *t).collect();
    for table in store.table_names().unwrap() {
        assert!(
            mapped.contains(&table.as_str()),
            "table {table} has no item kind in TABLE_KINDS"
        );
    }
    for (_, kinds) in TABLE_KINDS {
        for kind in *kinds {
            assert!(
                store.item_kinds().contains(kind),
                "{kind} is not declared by item_kinds()"
            );
        }
    }

    // One item of every kind: the port kinds, then a job, a dead job, an event.
    let u = UserId::parse("covered").unwrap();
    hearth::contract::personal_data::seed(&*store, &u).await;
    let policy = QueuePolicy {
        max_receives: 1,
        base_backoff: std::time::Duration::ZERO,
        max_backoff: std::time::Duration::ZERO,
    };
    let queue = EmbeddedQueue::new((*store).clone(), policy);
    let job = Job::ExtractSession {
        user: u.clone(),
        session_id: SessionId::parse("s").unwrap(),
        from_seq: 1,
        to_seq: 2,
    };
    queue.enqueue(&job).await.unwrap();
    let d = queue
        .receive(1, std::time::Duration::from_millis(100))
        .await
        .unwrap();
    queue.fail(&d[0], "dead on purpose").await.unwrap();
    queue.enqueue(&job).await.unwrap();
    store
        .publish(&[DomainEvent::crisis_flagged(
            &u,
            chrono::Utc::now(),
            &Flagged::by_rule(CrisisCategory::Suicidal, "goodbyes"),
            FlagSource::Chat,
        )])
        .await
        .unwrap();

    let page = store.export_page(&u, None, 1 << 20).await.unwrap();
    let exported: std::collections::BTreeSet<_> = page.items.iter().map(|i| i.kind).collect();
    let receipt = store.erase(&u, chrono::Utc::now()).await.unwrap();
    for kind in store.item_kinds() {
        assert!(exported.contains(kind), "export is missing {kind}");
        assert!(
            receipt.get(*kind) > 0,
            "erase did not delete {kind}: {receipt:?}"
        );
    }
    assert!(
        store
            .export_page(&u, None, 1 << 20)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(queue.pending().await.unwrap().is_empty() && queue.dead().await.unwrap().is_empty());
}
