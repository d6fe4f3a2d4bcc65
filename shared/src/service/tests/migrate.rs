//! The backfill (`service::migrate`) on a store written the old way: the
//! messages and journal entries stored straight through the ports, with no
//! index append, as everything was before messages were indexed on write.
//! Search finds them only after the backfill; a second run puts nothing;
//! a flagged message keeps its crisis mark.

use super::{World, user};
use crate::domain::ids::UserId;
use crate::domain::journal::{JournalItem, JournalKind};
use crate::domain::message::NewUserMessage;
use crate::domain::retrieval::{DocKind, Query, doc_key};
use crate::domain::route::Route;
use crate::domain::safety::CrisisCategory;
use crate::domain::safety::flag::Flagged;
use crate::ports::{ConversationStore, JournalStore};
use crate::service::migrate::Migration;
use crate::service::retrieval::{ENCODE_BATCH, Retriever};
use std::sync::Arc;

fn migration(w: &World, retriever: Arc<Retriever>) -> Migration {
    Migration {
        conversations: w.fakes.store.clone(),
        journal: w.fakes.store.clone(),
        retriever,
    }
}

/// The texts search finds for `text` in the person's index, as a fresh
/// process would read it from the log.
async fn found(w: &World, u: &UserId, text: &str) -> Vec<String> {
    let retriever = Retriever::new(w.fakes.store.clone(), None, 64);
    let index = retriever.index(u).await.unwrap();
    let query = Query {
        text,
        vector: None,
        route: Route::Support,
        now: w.now(),
    };
    index
        .search(&query, 10)
        .iter()
        .map(|h| h.doc.text.clone())
        .collect()
}

#[tokio::test]
async fn history_stored_the_old_way_is_found_after_the_backfill_and_a_second_run_puts_nothing() {
    let w = World::new();
    let u = user("ana");
    w.conversation(
        &u,
        &["I adopted a greyhound called Biscuit.", "Work was long."],
    )
    .await;
    w.conversation(&u, &["My sister moves to Lisbon in May."])
        .await;
    assert!(
        found(&w, &u, "greyhound Biscuit").await.is_empty(),
        "stored the old way, nothing is indexed"
    );

    let m = migration(&w, w.retriever.clone());
    let report = m.backfill(&u).await.unwrap();
    assert_eq!(
        (report.sessions, report.messages, report.indexed),
        (2, 6, 6),
        "two sessions, three turns with their replies: {report:?}"
    );
    assert!(!report.vectors);
    let hits = found(&w, &u, "greyhound Biscuit").await;
    assert!(
        hits.iter().any(|t| t.contains("greyhound called Biscuit")),
        "{hits:?}"
    );
    assert!(
        found(&w, &u, "sister Lisbon")
            .await
            .iter()
            .any(|t| t.contains("Lisbon"))
    );

    let again = m.backfill(&u).await.unwrap();
    assert_eq!(
        (again.sessions, again.messages, again.indexed),
        (2, 6, 0),
        "idempotent"
    );
    // A fresh process (a cold retriever) agrees: the log has what it needs.
    let cold = migration(
        &w,
        Arc::new(Retriever::new(w.fakes.store.clone(), None, 64)),
    );
    assert_eq!(cold.backfill(&u).await.unwrap().indexed, 0);
}

#[tokio::test]
async fn a_flagged_message_and_a_flagged_journal_entry_keep_their_crisis_mark() {
    let w = World::new();
    let u = user("ben");
    let store = &w.fakes.store;
    let calm = store
        .record_user_message(
            &u,
            NewUserMessage {
                remember: true,
                session_id: None,
                content: "The garden needs water.".into(),
                client_message_id: None,
                created_at: w.now(),
                crisis: None,
            },
        )
        .await
        .unwrap();
    let flagged = store
        .record_user_message(
            &u,
            NewUserMessage {
                remember: true,
                session_id: Some(calm.session.id.clone()),
                content: "I wrote goodbye letters to everyone.".into(),
                client_message_id: None,
                created_at: w.now(),
                crisis: Some(Flagged::by_rule(CrisisCategory::Suicidal, "goodbyes")),
            },
        )
        .await
        .unwrap();
    // A journal entry holding its flag (the flag list does not: its write
    // failed, say), a calm one, and a prompt, which is never indexed.
    let mut dark = JournalItem::new(JournalKind::Entry, "I cut myself again.", w.now());
    dark.flag = Some(Flagged::by_rule(CrisisCategory::SelfHarm, "cut").into());
    let light = JournalItem::new(JournalKind::Entry, "Walked by the sea.", w.now());
    let prompt = JournalItem::new(JournalKind::Prompt, "What did the sea give you?", w.now());
    for item in [&dark, &light, &prompt] {
        store.add_journal(&u, item).await.unwrap();
    }

    let report = migration(&w, w.retriever.clone())
        .backfill(&u)
        .await
        .unwrap();
    assert_eq!(
        (report.messages, report.journal_entries, report.indexed),
        (2, 2, 4)
    );
    let retriever = Retriever::new(store.clone(), None, 64);
    let index = retriever.index(&u).await.unwrap();
    let crisis = |id: &str| index.doc(&doc_key(DocKind::Message, id)).map(|d| d.crisis);
    assert_eq!(crisis(flagged.message.id.as_str()), Some(true));
    assert_eq!(crisis(calm.message.id.as_str()), Some(false));
    assert_eq!(crisis(&dark.id), Some(true));
    assert_eq!(crisis(&light.id), Some(false));
    assert_eq!(crisis(&prompt.id), None, "prompts are not indexed");
}

#[tokio::test]
async fn everyone_is_backfilled_across_pages_and_a_failed_person_is_listed_for_the_next_run() {
    let w = World::new();
    let long = user("cara");
    let lines: Vec<String> = (0..60)
        .map(|i| format!("Line {i} about the allotment."))
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    // 120 messages: more than one page of messages.
    w.conversation(&long, &refs).await;
    let writer = user("dev");
    w.fakes
        .store
        .add_journal(
            &writer,
            &JournalItem::new(JournalKind::Entry, "Only a journal, about kites.", w.now()),
        )
        .await
        .unwrap();
    let third = user("eli");
    w.conversation(&third, &["Started learning the cello."])
        .await;

    let m = migration(&w, w.retriever.clone());
    // The first person's first read fails: the others go on.
    w.fakes.store.fail_next("list_sessions", 1);
    let mut seen = Vec::new();
    let first = m
        .backfill_everyone(|u, _| seen.push(u.clone()))
        .await
        .unwrap();
    assert_eq!(seen, vec![long.clone(), writer.clone(), third.clone()]);
    assert_eq!(first.users, 3);
    assert_eq!(first.failed, vec![long.clone()]);
    assert_eq!((first.journal_entries, first.indexed), (1, 3));
    assert!(found(&w, &long, "allotment").await.is_empty());

    let second = m.backfill_everyone(|_, _| {}).await.unwrap();
    assert!(second.failed.is_empty());
    assert_eq!(
        (second.messages, second.indexed),
        (122, 120),
        "the failed person's 120 messages, the others' already there"
    );
    assert!(!found(&w, &long, "Line 59 allotment").await.is_empty());
    assert!(!found(&w, &writer, "kites").await.is_empty());
    assert_eq!(m.backfill_everyone(|_, _| {}).await.unwrap().indexed, 0);
}

#[tokio::test]
async fn with_vectors_on_messages_are_encoded_in_batches_and_lexical_ones_get_their_vector() {
    let w = World::new();
    let u = user("fay");
    let lines: Vec<String> = (0..20)
        .map(|i| format!("Turn {i} of a long talk."))
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    w.conversation(&u, &refs).await;
    // A first run without vectors (no encoder then): indexed lexically.
    let lexical = migration(&w, w.retriever.clone())
        .backfill(&u)
        .await
        .unwrap();
    assert_eq!(lexical.indexed, 40);

    let embedder = w.fakes.embedder();
    let semantic = Arc::new(Retriever::new(
        w.fakes.store.clone(),
        Some(embedder.clone()),
        64,
    ));
    let m = migration(&w, semantic.clone());
    let report = m.backfill(&u).await.unwrap();
    assert!(report.vectors);
    assert_eq!(report.indexed, 40, "each message given its vector");
    let calls = embedder.calls();
    assert!(
        calls.iter().all(|c| c.len() <= ENCODE_BATCH)
            && calls.len() == 40_usize.div_ceil(ENCODE_BATCH),
        "{:?}",
        calls.iter().map(Vec::len).collect::<Vec<_>>()
    );
    let index = semantic.index(&u).await.unwrap();
    assert!(
        index
            .docs()
            .filter(|d| d.kind == DocKind::Message)
            .all(|d| d.vector.is_some())
    );
    drop(index);
    assert_eq!(m.backfill(&u).await.unwrap().indexed, 0);
    assert_eq!(embedder.calls().len(), calls.len(), "nothing encoded again");
}
