//! `SettingsStore`, `CheckinStore` and `JournalStore` on the fake: settings,
//! check-ins keyed by local date (so a second pass finds the first), and
//! the journal.

use super::{FakeStore, page};
use crate::domain::checkin::{CheckIn, Settings};
use crate::domain::cursor::{CheckinPosition, JournalPosition};
use crate::domain::ids::UserId;
use crate::domain::journal::{JournalItem, JournalKind};
use crate::domain::notices::NoticeState;
use crate::domain::page::{Page, PageRequest};
use crate::ports::{CheckinStore, JournalStore, SettingsStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl SettingsStore for FakeStore {
    async fn settings(&self, user: &UserId) -> Result<Option<Settings>, StoreError> {
        self.read("settings", user, |p| Ok(p.and_then(|p| p.settings.clone())))
    }

    async fn put_settings(&self, user: &UserId, settings: &Settings) -> Result<(), StoreError> {
        self.write("put_settings", user, |p, _| {
            p.settings = Some(settings.clone());
            Ok(())
        })
    }

    async fn notices(&self, user: &UserId) -> Result<NoticeState, StoreError> {
        self.read("notices", user, |p| {
            Ok(p.and_then(|p| p.notices.clone()).unwrap_or_default())
        })
    }

    async fn record_notices(&self, user: &UserId, next: &NoticeState) -> Result<bool, StoreError> {
        self.write("record_notices", user, |p, _| {
            let stored = p.notices.as_ref().map_or(0, |n| n.rev);
            if stored + 1 != next.rev {
                return Ok(false);
            }
            p.notices = Some(next.clone());
            Ok(true)
        })
    }
}

#[async_trait]
impl CheckinStore for FakeStore {
    async fn record_checkin(
        &self,
        user: &UserId,
        checkin: &CheckIn,
    ) -> Result<(CheckIn, bool), StoreError> {
        self.write("record_checkin", user, |p, _| {
            if let Some(existing) = p.checkins.get(&checkin.local_date) {
                return Ok((existing.clone(), false));
            }
            p.checkins.insert(checkin.local_date, checkin.clone());
            Ok((checkin.clone(), true))
        })
    }

    async fn mark_pushed(&self, user: &UserId, id: &str) -> Result<(), StoreError> {
        self.write("mark_pushed", user, |p, _| {
            let c = p
                .checkins
                .values_mut()
                .find(|c| c.id == id)
                .ok_or(StoreError::NotFound)?;
            c.pushed = true;
            Ok(())
        })
    }

    async fn list_checkins(
        &self,
        user: &UserId,
        req: &PageRequest,
    ) -> Result<Page<CheckIn>, StoreError> {
        let before = req
            .position::<CheckinPosition>()?
            .map(|CheckinPosition(d)| d);
        self.read("list_checkins", user, |p| {
            let all: Vec<CheckIn> = p
                .map(|p| p.checkins.values().rev().cloned().collect())
                .unwrap_or_default();
            let rest = all
                .into_iter()
                .filter(|c| before.is_none_or(|b| c.local_date < b));
            Ok(page(rest, req.limit, |c: &CheckIn| {
                CheckinPosition(c.local_date)
            }))
        })
    }
}

#[async_trait]
impl JournalStore for FakeStore {
    async fn add_journal(&self, user: &UserId, item: &JournalItem) -> Result<(), StoreError> {
        self.write("add_journal", user, |p, _| {
            p.journal.insert(item.id.clone(), item.clone());
            Ok(())
        })
    }

    async fn list_journal(
        &self,
        user: &UserId,
        kind: Option<JournalKind>,
        req: &PageRequest,
    ) -> Result<Page<JournalItem>, StoreError> {
        let before = req
            .position::<JournalPosition>()?
            .map(|JournalPosition(id)| id);
        self.read("list_journal", user, |p| {
            let all: Vec<JournalItem> = p
                .map(|p| p.journal.values().rev().cloned().collect())
                .unwrap_or_default();
            let rest = all.into_iter().filter(|j| {
                before.as_ref().is_none_or(|b| j.id < *b) && kind.is_none_or(|k| j.kind == k)
            });
            Ok(page(rest, req.limit, |j: &JournalItem| {
                JournalPosition(j.id.clone())
            }))
        })
    }

    async fn get_journal(
        &self,
        user: &UserId,
        id: &str,
    ) -> Result<Option<JournalItem>, StoreError> {
        self.read("get_journal", user, |p| {
            Ok(p.and_then(|p| p.journal.get(id).cloned()))
        })
    }
}
