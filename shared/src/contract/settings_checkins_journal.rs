//! The settings, check-in and journal contract (part of
//! `personal_data_contract!`): settings round-trip, one check-in per local
//! date, the journal newest first and scoped to its owner.

use super::{AllStores, at, user};
use crate::domain::checkin::{CheckIn, Settings};
use crate::domain::journal::{JournalItem, JournalKind};
use crate::domain::notices::NoticeState;
use crate::domain::page::PageRequest;
use std::sync::Arc;

pub(super) fn checkin(date: &str, text: &str) -> CheckIn {
    let d: chrono::NaiveDate = date.parse().unwrap();
    CheckIn {
        id: d.to_string(),
        local_date: d,
        text: text.into(),
        created_at: at(5),
        variant: "model".into(),
        model: Some("m".into()),
        pushed: false,
        notices: Vec::new(),
    }
}

/// Settings, check-ins once per local date, and the journal newest first.
pub async fn settings_checkins_and_journal<S: AllStores + ?Sized>(store: Arc<S>) {
    let (u, other) = (user("comp"), user("other"));
    assert_eq!(store.settings(&u).await.unwrap(), None);
    let s = Settings {
        checkin_hour: 8,
        ..Settings::defaults("en-GB")
    };
    store.put_settings(&u, &s).await.unwrap();
    assert_eq!(store.settings(&u).await.unwrap(), Some(s.clone()));
    assert_eq!(store.settings(&other).await.unwrap(), None);

    // The notice record: absent is the default at revision 0, and each
    // write must follow the revision it read (one conditional write).
    assert_eq!(store.notices(&u).await.unwrap(), NoticeState::default());
    let shown = NoticeState {
        rev: 1,
        last_interaction_at: Some(at(1)),
        interaction_started_at: Some(at(1)),
        ai_disclosure_at: Some(at(1)),
        ..NoticeState::default()
    };
    assert!(store.record_notices(&u, &shown).await.unwrap());
    assert_eq!(store.notices(&u).await.unwrap(), shown);
    let stale = NoticeState {
        rev: 1,
        last_interaction_at: Some(at(2)),
        ..NoticeState::default()
    };
    assert!(
        !store.record_notices(&u, &stale).await.unwrap(),
        "a write from the same revision as one already stored is refused"
    );
    let next = NoticeState {
        rev: 2,
        last_interaction_at: Some(at(3)),
        ..shown.clone()
    };
    assert!(store.record_notices(&u, &next).await.unwrap());
    assert!(
        !store
            .record_notices(
                &u,
                &NoticeState {
                    rev: 5,
                    ..next.clone()
                }
            )
            .await
            .unwrap()
    );
    assert_eq!(store.notices(&u).await.unwrap(), next);
    assert_eq!(store.notices(&other).await.unwrap(), NoticeState::default());
    assert_eq!(
        store.settings(&u).await.unwrap(),
        Some(s),
        "settings untouched"
    );

    let (first, created) = store
        .record_checkin(&u, &checkin("2026-03-08", "First."))
        .await
        .unwrap();
    assert!(created);
    let (again, created) = store
        .record_checkin(&u, &checkin("2026-03-08", "Second."))
        .await
        .unwrap();
    assert!(!created, "one per local date");
    assert_eq!(again.text, first.text);
    store
        .record_checkin(&u, &checkin("2026-03-09", "Next day."))
        .await
        .unwrap();
    store.mark_pushed(&u, "2026-03-09").await.unwrap();
    let page = store
        .list_checkins(&u, &PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(page.items[0].text, "Next day.");
    assert!(page.items[0].pushed);
    let rest = store
        .list_checkins(
            &u,
            &PageRequest {
                limit: 5,
                cursor: page.next_cursor,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rest.items
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>(),
        ["First."]
    );
    assert!(
        store
            .list_checkins(&other, &PageRequest::first(5))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let mut ids = Vec::new();
    for (i, kind) in [JournalKind::Entry, JournalKind::Prompt, JournalKind::Entry]
        .into_iter()
        .enumerate()
    {
        let item = JournalItem::new(kind, &format!("item {i}"), at(i as i64));
        store.add_journal(&u, &item).await.unwrap();
        ids.push(item.id);
    }
    let entries = store
        .list_journal(&u, Some(JournalKind::Entry), &PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(entries.items[0].text, "item 2", "newest first");
    let older = store
        .list_journal(
            &u,
            Some(JournalKind::Entry),
            &PageRequest {
                limit: 5,
                cursor: entries.next_cursor,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        older
            .items
            .iter()
            .map(|j| j.text.as_str())
            .collect::<Vec<_>>(),
        ["item 0"]
    );
    assert_eq!(
        store
            .list_journal(&u, None, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        3
    );
    assert_eq!(
        store.get_journal(&u, &ids[1]).await.unwrap().unwrap().kind,
        JournalKind::Prompt
    );
    assert_eq!(
        store.get_journal(&other, &ids[1]).await.unwrap(),
        None,
        "scoped to its owner"
    );
}
