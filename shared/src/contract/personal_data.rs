//! The `PersonalData` contract: export holds every kind across pages,
//! erase leaves nothing and spares others, no job writes back after an
//! erase, import is idempotent. Run it (with the settings, check-ins and
//! journal cases) with `personal_data_contract!(factory)`, where `factory`
//! returns `(Arc<S>, guard)` for a store `S` that implements every store
//! port.

use super::conversations::assessment;
use super::settings_checkins_journal::checkin;
use super::{AllStores, at, user};
use crate::domain::checkin::Settings;
use crate::domain::extraction::{MemoryWrite, Plan};
use crate::domain::ids::{ClientMessageId, MemoryId, SessionId, UserId};
use crate::domain::journal::{JournalItem, JournalKind};
use crate::domain::memory::{Category, Memory};
use crate::domain::message::{NewUserMessage, Role};
use crate::domain::page::PageRequest;
use crate::domain::personal_data::{ImportLine, ItemKind, parse_line};
use crate::domain::safety::CrisisCategory;
use crate::domain::safety::flag::Flagged;
use crate::ports::{ApplyOutcome, PersonalData};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Every kind a store can hold through the ports (queue and outbox kinds
/// are the embedded store's own, seeded by its tests).
pub const PORT_KINDS: &[ItemKind] = &[
    ItemKind::Session,
    ItemKind::Message,
    ItemKind::ClientMessageId,
    ItemKind::ExternalId,
    ItemKind::CrisisFlag,
    ItemKind::Activity,
    ItemKind::Memory,
    ItemKind::Tombstone,
    ItemKind::Summary,
    ItemKind::SearchIndex,
    ItemKind::Settings,
    ItemKind::Notices,
    ItemKind::Checkin,
    ItemKind::JournalEntry,
    ItemKind::JournalPrompt,
];

pub fn import_line(session: &str, ext: &str, minute: u32) -> ImportLine {
    parse_line(&format!(
        r#"{{"session_id":"{session}","role":"user","content":"imported {ext}","created_at":"2025-01-01T10:{minute:02}:00Z","external_id":"{ext}"}}"#
    ))
    .unwrap()
}

/// One of every port kind for `u`.
pub async fn seed<S: AllStores + ?Sized>(store: &S, u: &UserId) {
    let t = store
        .record_user_message(
            u,
            NewUserMessage {
                remember: true,
                session_id: None,
                content: "I wrote goodbye letters".into(),
                client_message_id: Some(ClientMessageId::parse("seed-1").unwrap()),
                created_at: at(0),
                crisis: Some(Flagged::by_rule(CrisisCategory::Suicidal, "goodbyes")),
            },
        )
        .await
        .unwrap();
    store
        .record_assessment(u, &t.session.id, t.message.seq, &assessment(0.9))
        .await
        .unwrap();
    store
        .import(u, &[import_line("imported-session", &format!("x-{u}"), 1)])
        .await
        .unwrap();
    store
        .claim_extraction(u, &t.session.id, 1, 1)
        .await
        .unwrap();
    let keep = Memory {
        id: MemoryId::generate(),
        category: Category::Progress,
        content: "Kept a journal for a week.".into(),
        importance: 4,
        source_message_ids: vec![t.message.id.clone()],
        session_id: t.session.id.clone(),
        created_at: at(1),
        updated_at: at(1),
        ended_at: None,
        superseded_by: None,
        edited: false,
    };
    let forget = Memory {
        id: MemoryId::generate(),
        content: "Has a cat.".into(),
        ..keep.clone()
    };
    let index = crate::domain::retrieval::job_ops(
        &[],
        &[keep.clone(), forget.clone()],
        &t.session.id,
        "Seeded.",
        at(0),
        &Default::default(),
    );
    let plan = Plan {
        writes: vec![
            MemoryWrite {
                memory: keep,
                seen_updated_at: None,
            },
            MemoryWrite {
                memory: forget.clone(),
                seen_updated_at: None,
            },
        ],
        summary: "Seeded.".into(),
        added: 2,
        index,
    };
    assert_eq!(
        store
            .apply_extraction(u, &t.session.id, 0, 1, &plan, at(0))
            .await
            .unwrap(),
        ApplyOutcome::Applied
    );
    store.forget_memory(u, &forget.id, at(2)).await.unwrap();
    let settings = Settings {
        timezone: "Asia/Tokyo".into(),
        push_token: Some("fcm-token".into()),
        ..Settings::defaults("en-US")
    };
    store.put_settings(u, &settings).await.unwrap();
    let shown = crate::domain::notices::NoticeState {
        rev: 1,
        ai_disclosure_at: Some(at(3)),
        ..Default::default()
    };
    assert!(store.record_notices(u, &shown).await.unwrap());
    store
        .record_checkin(u, &checkin("2026-01-02", "How did the week end?"))
        .await
        .unwrap();
    store
        .add_journal(
            u,
            &JournalItem::new(JournalKind::Entry, "Walked by the sea.", at(3)),
        )
        .await
        .unwrap();
    store
        .add_journal(
            u,
            &JournalItem::new(JournalKind::Prompt, "What did the sea give you?", at(4)),
        )
        .await
        .unwrap();
}

async fn export_all<S: PersonalData + ?Sized>(
    store: &S,
    u: &UserId,
    max_bytes: usize,
) -> (Vec<crate::domain::personal_data::ExportItem>, usize) {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store
            .export_page(u, cursor.as_deref(), max_bytes)
            .await
            .unwrap();
        pages += 1;
        items.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return (items, pages),
        }
    }
}

pub async fn export_holds_every_kind_across_pages<S: AllStores + ?Sized>(store: Arc<S>) {
    let u = user("exp");
    seed(&*store, &u).await;
    let (items, pages) = export_all(&*store, &u, 400).await;
    assert!(pages > 3, "small pages: {pages}");
    let kinds: BTreeSet<ItemKind> = items.iter().map(|i| i.kind).collect();
    for k in PORT_KINDS {
        assert!(kinds.contains(k), "export is missing {k}: {kinds:?}");
        assert!(store.item_kinds().contains(k), "{k} is not a declared kind");
    }
    let (whole, one) = export_all(&*store, &u, 1 << 20).await;
    assert_eq!(one, 1);
    assert_eq!(whole, items, "the same items whatever the page size");
    let message = items.iter().find(|i| i.kind == ItemKind::Message).unwrap();
    assert_eq!(message.data["content"], "I wrote goodbye letters");
    let exported: crate::domain::message::Message =
        serde_json::from_value(serde_json::Value::Object(message.data.clone()))
            .expect("a message as stored");
    assert_eq!(
        exported.assessment,
        Some(assessment(0.9)),
        "the message's assessment is exported with it"
    );
}

pub async fn erase_leaves_nothing_and_spares_others<S: AllStores + ?Sized>(store: Arc<S>) {
    let (gone, stays) = (user("gone"), user("stays"));
    seed(&*store, &gone).await;
    seed(&*store, &stays).await;
    let before = export_all(&*store, &stays, 1 << 20).await.0;
    let receipt = store.erase(&gone, at(30)).await.unwrap();
    for k in PORT_KINDS {
        assert!(receipt.get(*k) > 0, "receipt has no {k}: {receipt:?}");
    }
    assert!(export_all(&*store, &gone, 1 << 20).await.0.is_empty());
    assert!(
        store
            .list_sessions(&gone, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(store.active_memories(&gone, 10).await.unwrap().is_empty());
    let log = store.index_entries(&gone, 0, 10).await.unwrap();
    assert_eq!(
        (log.entries.len(), log.head),
        (0, 0),
        "the index log is gone, head and all"
    );
    assert_eq!(
        export_all(&*store, &stays, 1 << 20).await.0,
        before,
        "another person's data is untouched"
    );
    let again = store.erase(&gone, at(31)).await.unwrap();
    assert!(
        again.counts().all(|(_, n)| n == 0),
        "a repeat erase deletes nothing: {again:?}"
    );
}

pub async fn no_job_writes_back_after_an_erase<S: AllStores + ?Sized>(store: Arc<S>) {
    let u = user("race");
    let t = store
        .record_user_message(
            &u,
            NewUserMessage {
                remember: true,
                session_id: None,
                content: "hi".into(),
                client_message_id: None,
                created_at: at(0),
                crisis: None,
            },
        )
        .await
        .unwrap();
    store.erase(&u, at(10)).await.unwrap();
    let m = Memory {
        id: MemoryId::generate(),
        category: Category::Progress,
        content: "A fact from before the erase.".into(),
        importance: 3,
        source_message_ids: vec![t.message.id.clone()],
        session_id: t.session.id.clone(),
        created_at: at(11),
        updated_at: at(11),
        ended_at: None,
        superseded_by: None,
        edited: false,
    };
    let plan = Plan {
        writes: vec![MemoryWrite {
            memory: m,
            seen_updated_at: None,
        }],
        summary: "s".into(),
        added: 1,
        index: Vec::new(),
    };
    // The job read messages written at minute 0; the erase began at 10.
    assert_eq!(
        store
            .apply_extraction(&u, &t.session.id, 0, 1, &plan, at(0))
            .await
            .unwrap(),
        ApplyOutcome::Erased
    );
    assert!(
        export_all(&*store, &u, 1 << 20).await.0.is_empty(),
        "nothing written back"
    );
    // New data, after the erase, is the person's fresh start.
    let later = store
        .record_user_message(
            &u,
            NewUserMessage {
                remember: true,
                session_id: None,
                content: "hello again".into(),
                client_message_id: None,
                created_at: at(20),
                crisis: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .apply_extraction(&u, &later.session.id, 0, 1, &plan, at(20))
            .await
            .unwrap(),
        ApplyOutcome::Applied
    );
}

pub async fn import_twice_gives_one_copy<S: AllStores + ?Sized>(store: Arc<S>) {
    let u = user("imp");
    let lines: Vec<ImportLine> = (0..5)
        .map(|i| import_line("legacy-42", &format!("row-{i}"), i))
        .collect();
    let first = store.import(&u, &lines).await.unwrap();
    assert_eq!((first.imported, first.skipped), (5, 0));
    assert_eq!(
        first.sessions,
        vec![(SessionId::parse("legacy-42").unwrap(), 5)]
    );
    let second = store.import(&u, &lines).await.unwrap();
    assert_eq!((second.imported, second.skipped), (0, 5));
    let s = SessionId::parse("legacy-42").unwrap();
    let page = store
        .list_messages(&u, &s, &PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 5);
    assert_eq!(page.items[0].external_id.as_deref(), Some("row-0"));
    assert_eq!(page.items[0].role, Role::User);
    assert_eq!(
        page.items[3].created_at.to_rfc3339(),
        "2025-01-01T10:03:00+00:00",
        "original timestamps kept"
    );
    let session = store.get_session(&u, &s).await.unwrap().unwrap();
    assert_eq!(session.created_at.to_rfc3339(), "2025-01-01T10:00:00+00:00");
    // Another person may use the same external ids and session id.
    let other = user("imp2");
    assert_eq!(store.import(&other, &lines).await.unwrap().imported, 5);
}

pub async fn flagged_import_lines_are_stored_with_their_flag_once<S: AllStores + ?Sized>(
    store: Arc<S>,
) {
    let u = user("imp-flag");
    let mut lines: Vec<ImportLine> = (0..3)
        .map(|i| import_line("legacy-7", &format!("f-{i}"), i))
        .collect();
    lines[1].crisis = Some(Flagged::by_rule(CrisisCategory::Suicidal, "goodbyes"));
    lines[1].assessment = Some(assessment(0.8));
    let first = store.import(&u, &lines).await.unwrap();
    assert_eq!((first.imported, first.flagged), (3, 1));
    let again = store.import(&u, &lines).await.unwrap();
    assert_eq!(
        (again.imported, again.flagged),
        (0, 0),
        "skipped lines flag nothing"
    );

    let s = SessionId::parse("legacy-7").unwrap();
    let messages = store
        .list_messages(&u, &s, &PageRequest::first(10))
        .await
        .unwrap()
        .items;
    let flags = store
        .list_crisis_flags(&u, &PageRequest::first(10))
        .await
        .unwrap()
        .items;
    assert_eq!(flags.len(), 1, "one flag, for the flagged line, once");
    assert_eq!(flags[0].message_id, messages[1].id);
    assert_eq!(flags[0].session_id, s);
    assert_eq!(flags[0].at, messages[1].created_at);
    assert_eq!(flags[0].category, CrisisCategory::Suicidal);
    assert_eq!(
        messages[1].assessment,
        Some(assessment(0.8)),
        "a line's assessment is stored with it"
    );
    assert_eq!(messages[0].assessment, None);
}

/// `all_users` lists each person with a session or a journal item once, in
/// pages of at most the limit, and no one whose history is only settings
/// or who erased theirs.
pub async fn everyone_with_a_history_is_listed_once<S: AllStores + ?Sized>(store: Arc<S>) {
    let seeded = user("everyone-seeded");
    seed(&*store, &seeded).await;
    let talker = user("everyone-talker");
    for minute in 0..3 {
        store
            .record_user_message(
                &talker,
                NewUserMessage {
                    remember: true,
                    session_id: None,
                    content: format!("session {minute}"),
                    client_message_id: None,
                    created_at: at(minute),
                    crisis: None,
                },
            )
            .await
            .unwrap();
    }
    let writer = user("everyone-writer");
    store
        .add_journal(
            &writer,
            &JournalItem::new(JournalKind::Entry, "Only a journal.", at(5)),
        )
        .await
        .unwrap();
    let importer = user("everyone-importer");
    store
        .import(&importer, &[import_line("old", "old-1", 1)])
        .await
        .unwrap();
    let settled = user("everyone-settings");
    store
        .put_settings(&settled, &Settings::defaults("en-US"))
        .await
        .unwrap();
    let erased = user("everyone-erased");
    seed(&*store, &erased).await;
    store.erase(&erased, at(30)).await.unwrap();

    let mut listed = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let p = store.all_users(&page).await.unwrap();
        assert!(p.items.len() <= 2, "{:?}", p.items);
        listed.extend(p.items);
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    let unique: BTreeSet<UserId> = listed.iter().cloned().collect();
    assert_eq!(unique.len(), listed.len(), "each once: {listed:?}");
    assert_eq!(
        unique,
        BTreeSet::from([seeded, talker, writer, importer]),
        "a session or a journal item, and nothing else, is a history"
    );
}
