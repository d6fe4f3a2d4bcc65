//! `SettingsStore`, `CheckinStore` and `JournalStore` on DynamoDB. Items in the person's partition:
//! `SETTINGS`, `CK#<local date>` (a conditional put makes one check-in per
//! local date) and `J#<id>` (journal entries and prompts, UUIDv7 ids so
//! that a descending Query is newest first).

use super::schema::{PK, SK};
use super::{DynamoStore, Item, data, json, s, sdk};
use crate::domain::checkin::{CheckIn, Settings};
use crate::domain::cursor::{CheckinPosition, JournalPosition};
use crate::domain::ids::UserId;
use crate::domain::journal::{JournalItem, JournalKind};
use crate::domain::page::{Page, PageRequest};
use crate::ports::{CheckinStore, JournalStore, SettingsStore, StoreError};
use async_trait::async_trait;

use super::user_pk as pk;

fn checkin_sk(date: &chrono::NaiveDate) -> String {
    format!("CK#{date}")
}
fn journal_sk(id: &str) -> String {
    format!("J#{id}")
}
/// The key of a person's item.
fn key(user: &UserId, sk: String) -> Item {
    Item::from([(PK.into(), s(pk(user))), (SK.into(), s(sk))])
}

#[async_trait]
impl SettingsStore for DynamoStore {
    async fn settings(&self, user: &UserId) -> Result<Option<Settings>, StoreError> {
        self.get(&pk(user), "SETTINGS")
            .await?
            .map(|i| data(&i))
            .transpose()
    }

    async fn put_settings(&self, user: &UserId, settings: &Settings) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Item::from([
                (PK.into(), s(pk(user))),
                (SK.into(), s("SETTINGS")),
                ("kind".into(), s("settings")),
                ("data".into(), json(settings)?),
            ])))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }
}

#[async_trait]
impl CheckinStore for DynamoStore {
    async fn record_checkin(
        &self,
        user: &UserId,
        checkin: &CheckIn,
    ) -> Result<(CheckIn, bool), StoreError> {
        let sk = checkin_sk(&checkin.local_date);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Item::from([
                (PK.into(), s(pk(user))),
                (SK.into(), s(sk.clone())),
                ("kind".into(), s("checkin")),
                ("data".into(), json(checkin)?),
            ])))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => Ok((checkin.clone(), true)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                let item = self
                    .get(&pk(user), &sk)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Ok((data(&item)?, false))
            }
            Err(e) => Err(sdk(e)),
        }
    }

    async fn mark_pushed(&self, user: &UserId, id: &str) -> Result<(), StoreError> {
        // A check-in's id is its local date.
        let sk = format!("CK#{id}");
        let item = self
            .get(&pk(user), &sk)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut c: CheckIn = data(&item)?;
        c.pushed = true;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Item::from([
                (PK.into(), s(pk(user))),
                (SK.into(), s(sk)),
                ("kind".into(), s("checkin")),
                ("data".into(), json(&c)?),
            ])))
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
            .map(|CheckinPosition(date)| key(user, checkin_sk(&date)));
        let (items, more) = self
            .newest_under(
                user,
                "CK#",
                start,
                page.limit as usize,
                None,
                |_: &CheckIn| true,
            )
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
            .set_item(Some(Item::from([
                (PK.into(), s(pk(user))),
                (SK.into(), s(journal_sk(&item.id))),
                ("kind".into(), s(item.kind.as_str())),
                ("data".into(), json(item)?),
            ])))
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
            .newest_under(user, "J#", start, page.limit as usize, None, keep)
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
        self.get(&pk(user), &journal_sk(id))
            .await?
            .map(|i| data(&i))
            .transpose()
    }
}
