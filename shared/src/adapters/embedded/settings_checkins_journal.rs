//! `SettingsStore`, `CheckinStore` and `JournalStore` on the embedded engine: settings, check-ins (keyed by
//! local date, so a second pass in the same hour finds the first) and the
//! journal.

use super::paging::page_of;
use super::tables::{CHECKINS, JOURNAL, NOTICES, SETTINGS};
use super::{EmbeddedStore, decode, encode, unavailable};
use crate::domain::checkin::{CheckIn, Settings};
use crate::domain::cursor::{CheckinPosition, JournalPosition};
use crate::domain::ids::UserId;
use crate::domain::journal::{JournalItem, JournalKind};
use crate::domain::notices::NoticeState;
use crate::domain::page::{Page, PageRequest};
use crate::ports::{CheckinStore, JournalStore, SettingsStore, StoreError};
use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable};

/// Newest first from a `(user, key)` table, before the key `before`: up
/// to `limit` items that pass `keep`, and whether more remain.
fn newest_first<T: serde::de::DeserializeOwned>(
    t: &impl ReadableTable<(&'static str, &'static str), &'static [u8]>,
    u: &str,
    before: Option<&str>,
    limit: usize,
    keep: impl Fn(&T) -> bool,
) -> Result<(Vec<T>, bool), StoreError> {
    let range = match before {
        Some(c) => t.range((u, "")..(u, c)),
        None => t.range((u, "")..=(u, "\u{10FFFF}")),
    }
    .map_err(unavailable)?;
    page_of(range.rev(), limit, |_, v| {
        let item: T = decode(v)?;
        Ok(keep(&item).then_some(item))
    })
}

#[async_trait]
impl SettingsStore for EmbeddedStore {
    async fn settings(&self, user: &UserId) -> Result<Option<Settings>, StoreError> {
        let user = user.clone();
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            match tx
                .open_table(SETTINGS)
                .map_err(unavailable)?
                .get(user.as_str())
                .map_err(unavailable)?
            {
                Some(v) => decode(v.value()).map(Some),
                None => Ok(None),
            }
        })
        .await
    }

    async fn put_settings(&self, user: &UserId, settings: &Settings) -> Result<(), StoreError> {
        let (user, settings) = (user.clone(), settings.clone());
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            tx.open_table(SETTINGS)
                .map_err(unavailable)?
                .insert(user.as_str(), encode(&settings)?.as_slice())
                .map_err(unavailable)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn notices(&self, user: &UserId) -> Result<NoticeState, StoreError> {
        let user = user.clone();
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            match tx
                .open_table(NOTICES)
                .map_err(unavailable)?
                .get(user.as_str())
                .map_err(unavailable)?
            {
                Some(v) => decode(v.value()),
                None => Ok(NoticeState::default()),
            }
        })
        .await
    }

    async fn record_notices(&self, user: &UserId, next: &NoticeState) -> Result<bool, StoreError> {
        let (user, next) = (user.clone(), next.clone());
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut t = tx.open_table(NOTICES).map_err(unavailable)?;
                let stored = match t.get(user.as_str()).map_err(unavailable)? {
                    Some(v) => decode::<NoticeState>(v.value())?.rev,
                    None => 0,
                };
                if stored + 1 != next.rev {
                    return Ok(false);
                }
                t.insert(user.as_str(), encode(&next)?.as_slice())
                    .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(true)
        })
        .await
    }
}

#[async_trait]
impl CheckinStore for EmbeddedStore {
    async fn record_checkin(
        &self,
        user: &UserId,
        checkin: &CheckIn,
    ) -> Result<(CheckIn, bool), StoreError> {
        let (user, checkin) = (user.clone(), checkin.clone());
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            let key = checkin.local_date.to_string();
            let out = {
                let mut t = tx.open_table(CHECKINS).map_err(unavailable)?;
                let existing: Option<CheckIn> =
                    match t.get((user.as_str(), key.as_str())).map_err(unavailable)? {
                        Some(v) => Some(decode(v.value())?),
                        None => None,
                    };
                match existing {
                    Some(c) => (c, false),
                    None => {
                        t.insert((user.as_str(), key.as_str()), encode(&checkin)?.as_slice())
                            .map_err(unavailable)?;
                        (checkin, true)
                    }
                }
            };
            tx.commit().map_err(unavailable)?;
            Ok(out)
        })
        .await
    }

    async fn mark_pushed(&self, user: &UserId, id: &str) -> Result<(), StoreError> {
        let (user, id) = (user.clone(), id.to_string());
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut t = tx.open_table(CHECKINS).map_err(unavailable)?;
                let stored: Option<CheckIn> =
                    match t.get((user.as_str(), id.as_str())).map_err(unavailable)? {
                        Some(v) => Some(decode(v.value())?),
                        None => None,
                    };
                let mut c = stored.ok_or(StoreError::NotFound)?;
                c.pushed = true;
                t.insert((user.as_str(), id.as_str()), encode(&c)?.as_slice())
                    .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn list_checkins(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<CheckIn>, StoreError> {
        let before = page
            .position::<CheckinPosition>()?
            .map(|CheckinPosition(date)| date.to_string());
        let (user, limit) = (user.clone(), page.limit as usize);
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let t = tx.open_table(CHECKINS).map_err(unavailable)?;
            let (items, more) = newest_first(
                &t,
                user.as_str(),
                before.as_deref(),
                limit,
                |_: &CheckIn| true,
            )?;
            Ok(Page::resuming(items, more, |c: &CheckIn| {
                CheckinPosition(c.local_date)
            }))
        })
        .await
    }
}

#[async_trait]
impl JournalStore for EmbeddedStore {
    async fn add_journal(&self, user: &UserId, item: &JournalItem) -> Result<(), StoreError> {
        let (user, item) = (user.clone(), item.clone());
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            tx.open_table(JOURNAL)
                .map_err(unavailable)?
                .insert((user.as_str(), item.id.as_str()), encode(&item)?.as_slice())
                .map_err(unavailable)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn list_journal(
        &self,
        user: &UserId,
        kind: Option<JournalKind>,
        page: &PageRequest,
    ) -> Result<Page<JournalItem>, StoreError> {
        let before = page
            .position::<JournalPosition>()?
            .map(|JournalPosition(id)| id);
        let (user, limit) = (user.clone(), page.limit as usize);
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let t = tx.open_table(JOURNAL).map_err(unavailable)?;
            let (items, more) = newest_first(
                &t,
                user.as_str(),
                before.as_deref(),
                limit,
                |j: &JournalItem| kind.is_none_or(|k| j.kind == k),
            )?;
            Ok(Page::resuming(items, more, |j: &JournalItem| {
                JournalPosition(j.id.clone())
            }))
        })
        .await
    }

    async fn get_journal(
        &self,
        user: &UserId,
        id: &str,
    ) -> Result<Option<JournalItem>, StoreError> {
        let (user, id) = (user.clone(), id.to_string());
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            match tx
                .open_table(JOURNAL)
                .map_err(unavailable)?
                .get((user.as_str(), id.as_str()))
                .map_err(unavailable)?
            {
                Some(v) => decode(v.value()).map(Some),
                None => Ok(None),
            }
        })
        .await
    }
}
