//! `SettingsStore`, `CheckinStore` and `JournalStore` on DynamoDB. Items in
//! the person's partition: `SETTINGS`, `CK#<local date>` (a conditional put
//! makes one check-in per local date) and `J#<id>` (journal entries and
//! prompts, UUIDv7 ids so that a descending Query is newest first).

use super::DynamoStore;
use super::keys::{CHECKINS, JOURNAL, NOTICES, SETTINGS, checkin_sk, journal_sk, key};
use super::plumbing::{data, data_item, n, put_refused, sdk};
use crate::domain::checkin::{CheckIn, Settings};
use crate::domain::cursor::{CheckinPosition, JournalPosition};
use crate::domain::ids::UserId;
use crate::domain::journal::{JournalItem, JournalKind};
use crate::domain::notices::NoticeState;
use crate::domain::page::{Page, PageRequest};
use crate::domain::personal_data::ItemKind;
use crate::ports::{CheckinStore, JournalStore, SettingsStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl SettingsStore for DynamoStore {
    async fn settings(&self, user: &UserId) -> Result<Option<Settings>, StoreError> {
        self.get(user, SETTINGS)
            .await?
            .map(|i| data(&i))
            .transpose()
    }

    async fn put_settings(&self, user: &UserId, settings: &Settings) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(data_item(
                user,
                SETTINGS,
                ItemKind::Settings,
                settings,
            )?))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn notices(&self, user: &UserId) -> Result<NoticeState, StoreError> {
        self.get(user, NOTICES)
            .await?
            .map(|i| data(&i))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    async fn record_notices(&self, user: &UserId, next: &NoticeState) -> Result<bool, StoreError> {
        let mut item = data_item(user, NOTICES, ItemKind::Notices, next)?;
        item.insert("rev".into(), n(next.rev));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let put = match next.rev.checked_sub(1) {
            Some(0) | None => put.condition_expression("attribute_not_exists(PK)"),
            Some(prev) => put
                .condition_expression("rev = :prev")
                .expression_attribute_values(":prev", n(prev)),
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if put_refused(&e) => Ok(false),
            Err(e) => Err(sdk(e)),
        }
    }
}

#[async_trait]
impl CheckinStore for DynamoStore {
    async fn record_checkin(
        &self,
        user: &UserId,
        checkin: &CheckIn,
    ) -> Result<(CheckIn, bool), StoreError> {
        let sk = checkin_sk(checkin.local_date);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(data_item(user, &sk, ItemKind::Checkin, checkin)?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => Ok((checkin.clone(), true)),
            // That date has one already: it stands.
            Err(e) if put_refused(&e) => {
                let item = self.get(user, &sk).await?.ok_or(StoreError::NotFound)?;
                Ok((data(&item)?, false))
            }
            Err(e) => Err(sdk(e)),
        }
    }

    async fn mark_pushed(&self, user: &UserId, id: &str) -> Result<(), StoreError> {
        // A check-in's id is its local date.
        let sk = checkin_sk(id);
        let item = self.get(user, &sk).await?.ok_or(StoreError::NotFound)?;
        let mut c: CheckIn = data(&item)?;
        c.pushed = true;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(data_item(user, sk, ItemKind::Checkin, &c)?))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn list_checkins(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<CheckIn>, StoreError> {
        let start = page
            .position::<CheckinPosition>()?
            .map(|CheckinPosition(date)| key(user, checkin_sk(date)));
        let all = |_: &CheckIn| true;
        let (items, more) = self
            .newest_under(user, CHECKINS, start, page.limit as usize, None, all)
            .await?;
        Ok(Page::resuming(items, more, |c: &CheckIn| {
            CheckinPosition(c.local_date)
        }))
    }
}

#[async_trait]
impl JournalStore for DynamoStore {
    async fn add_journal(&self, user: &UserId, item: &JournalItem) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(data_item(
                user,
                journal_sk(&item.id),
                item.kind.into(),
                item,
            )?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn list_journal(
        &self,
        user: &UserId,
        kind: Option<JournalKind>,
        page: &PageRequest,
    ) -> Result<Page<JournalItem>, StoreError> {
        let start = page
            .position::<JournalPosition>()?
            .map(|JournalPosition(id)| key(user, journal_sk(&id)));
        let keep = |j: &JournalItem| kind.is_none_or(|k| j.kind == k);
        let (items, more) = self
            .newest_under(user, JOURNAL, start, page.limit as usize, None, keep)
            .await?;
        Ok(Page::resuming(items, more, |j: &JournalItem| {
            JournalPosition(j.id.clone())
        }))
    }

    async fn get_journal(
        &self,
        user: &UserId,
        id: &str,
    ) -> Result<Option<JournalItem>, StoreError> {
        self.get(user, &journal_sk(id))
            .await?
            .map(|i| data(&i))
            .transpose()
    }
}
