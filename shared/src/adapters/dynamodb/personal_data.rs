//! Export, erase and import on DynamoDB. Everything a person owns is in
//! their partition (`PK = U#<user>`), so export is a paged Query and erase
//! is Query + BatchWriteItem in batches of 25, retrying unprocessed items
//! with backoff. An interrupted erase is finished by running it again. An
//! erasure marker is written first and checked by every extraction write.

use super::keys::{ERASURE, EXTRACTION, key, user_pk};
use super::plumbing::{build_err, key_of, n, s, sdk};
use super::schema::{GSI1PK, GSI1SK, LSI1SK, PK, SK};
use super::turns::message_of;
use super::{DynamoStore, Item};
use crate::domain::cursor::{self, ExportAfterKey};
use crate::domain::ids::UserId;
use crate::domain::page::Page;
use crate::domain::personal_data::{EraseReceipt, ExportItem, ImportLine, ImportOutcome, ItemKind};
use crate::ports::{PersonalData, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

/// Whether the table holds items of `kind`. Every item in a person's
/// partition carries its kind, and export and erase read the partition
/// whole, so a kind held here is covered by both.
fn in_table(kind: ItemKind) -> bool {
    match kind {
        ItemKind::Session
        | ItemKind::Message
        | ItemKind::ClientMessageId
        | ItemKind::ExternalId
        | ItemKind::CrisisFlag
        | ItemKind::Activity
        | ItemKind::Memory
        | ItemKind::Tombstone
        | ItemKind::Summary
        | ItemKind::SearchIndex
        | ItemKind::Settings
        | ItemKind::Notices
        | ItemKind::Checkin
        | ItemKind::JournalEntry
        | ItemKind::JournalPrompt => true,
        // Jobs are SQS messages (an erased person's jobs find the erasure
        // marker and write nothing); events go to EventBridge, which keeps
        // none.
        ItemKind::Job | ItemKind::DeadJob | ItemKind::Event => false,
    }
}

/// The kinds the table holds.
static KINDS: LazyLock<Vec<ItemKind>> =
    LazyLock::new(|| ItemKind::ALL.into_iter().filter(|k| in_table(*k)).collect());

/// The kind an item of the partition holds.
fn kind_of(item: &Item) -> Result<Option<ItemKind>, StoreError> {
    let kind = match item.get("kind") {
        Some(AttributeValue::S(k)) => k.as_str(),
        _ => return Err(StoreError::Corrupt("item without kind".into())),
    };
    if kind == "erasure" {
        return Ok(None);
    }
    match ItemKind::parse(kind) {
        Some(k) if in_table(k) => Ok(Some(k)),
        _ => Err(StoreError::Corrupt(format!("unknown item kind {kind}"))),
    }
}

fn plain(v: &AttributeValue) -> serde_json::Value {
    match v {
        AttributeValue::S(s) => serde_json::Value::String(s.clone()),
        AttributeValue::N(n) => n
            .parse::<f64>()
            .map(serde_json::Value::from)
            .unwrap_or(serde_json::Value::Null),
        AttributeValue::Bool(b) => serde_json::Value::Bool(*b),
        _ => serde_json::Value::Null,
    }
}

/// An item as exported: its `data` object, or its plain attributes.
fn export_item(item: &Item) -> Result<Option<ExportItem>, StoreError> {
    let Some(kind) = kind_of(item)? else {
        return Ok(None);
    };
    let value = match item.get("data") {
        // A message keeps its assessment in attributes of its own.
        Some(AttributeValue::S(_)) if kind == ItemKind::Message => {
            serde_json::to_value(message_of(item)?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?
        }
        Some(AttributeValue::S(d)) => {
            serde_json::from_str(d).map_err(|e| StoreError::Corrupt(e.to_string()))?
        }
        _ => serde_json::Value::Object(
            item.iter()
                .filter(|(k, _)| ![PK, SK, GSI1PK, LSI1SK, "kind"].contains(&k.as_str()))
                .map(|(k, v)| {
                    (
                        if k == GSI1SK {
                            "user".to_string()
                        } else {
                            k.clone()
                        },
                        plain(v),
                    )
                })
                .collect(),
        ),
    };
    let mut e = ExportItem::new(kind, value);
    if kind == ItemKind::Summary
        && let Some(AttributeValue::S(sk)) = item.get(SK)
    {
        e.data.insert(
            "session_id".into(),
            serde_json::Value::String(sk.trim_start_matches(EXTRACTION).into()),
        );
    }
    Ok(Some(e))
}

#[async_trait]
impl PersonalData for DynamoStore {
    fn item_kinds(&self) -> &'static [ItemKind] {
        &KINDS
    }

    async fn export_page(
        &self,
        user: &UserId,
        cursor: Option<&str>,
        max_bytes: usize,
    ) -> Result<Page<ExportItem>, StoreError> {
        let mut start = match cursor {
            None => None,
            Some(c) => {
                let ExportAfterKey(sk) = cursor::decode(c)?;
                Some(key(user, sk))
            }
        };
        let mut items = Vec::new();
        let mut bytes = 0;
        let mut last_sk: Option<String> = None;
        loop {
            let out = self.query_partition(user, start.take(), None).await?;
            for item in out.items.unwrap_or_default() {
                let Some(e) = export_item(&item)? else {
                    continue;
                };
                let size = serde_json::to_vec(&e)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?
                    .len();
                if !items.is_empty() && bytes + size > max_bytes {
                    // The next page starts after the last item of this one.
                    return Ok(Page {
                        items,
                        next_cursor: last_sk.map(|sk| cursor::encode(&ExportAfterKey(sk))),
                    });
                }
                bytes += size;
                items.push(e);
                if let Some(AttributeValue::S(sk)) = item.get(SK) {
                    last_sk = Some(sk.clone());
                }
            }
            match out.last_evaluated_key {
                Some(k) => start = Some(k),
                None => {
                    return Ok(Page {
                        items,
                        next_cursor: None,
                    });
                }
            }
        }
    }

    async fn erase(&self, user: &UserId, now: DateTime<Utc>) -> Result<EraseReceipt, StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(user_pk(user)))
            .item(SK, s(ERASURE))
            .item("kind", s("erasure"))
            .item("erased_at", n(now.timestamp_millis()))
            .send()
            .await
            .map_err(sdk)?;
        let mut receipt = EraseReceipt::new(&KINDS);
        loop {
            let out = self
                .query_partition(user, None, Some("PK, SK, kind"))
                .await?;
            let items: Vec<Item> = out
                .items
                .unwrap_or_default()
                .into_iter()
                .filter(|i| i.get(SK) != Some(&s(ERASURE)))
                .collect();
            if items.is_empty() {
                return Ok(receipt);
            }
            for chunk in items.chunks(25) {
                let mut requests: Vec<WriteRequest> = chunk
                    .iter()
                    .map(|i| {
                        DeleteRequest::builder()
                            .set_key(key_of(i))
                            .build()
                            .map(|d| WriteRequest::builder().delete_request(d).build())
                            .map_err(build_err)
                    })
                    .collect::<Result<_, _>>()?;
                // Throttled deletes come back unprocessed: retry them with backoff.
                for attempt in 0..8u32 {
                    let out = self
                        .client
                        .batch_write_item()
                        .request_items(&self.table, requests)
                        .send()
                        .await
                        .map_err(sdk)?;
                    requests = out
                        .unprocessed_items
                        .and_then(|mut m| m.remove(&self.table))
                        .unwrap_or_default();
                    if requests.is_empty() {
                        break;
                    }
                    if attempt == 7 {
                        return Err(StoreError::Unavailable(
                            "erase was throttled; run it again to finish".into(),
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                }
                for i in chunk {
                    // An item of no known kind is deleted all the same.
                    if let Ok(Some(kind)) = kind_of(i) {
                        receipt.add(kind, 1);
                    }
                }
            }
        }
    }

    async fn import(
        &self,
        user: &UserId,
        lines: &[ImportLine],
    ) -> Result<ImportOutcome, StoreError> {
        let mut outcome = ImportOutcome::default();
        let mut touched: BTreeMap<String, (crate::domain::ids::SessionId, u64)> = BTreeMap::new();
        for line in lines {
            match self.write_imported(user, line).await? {
                Some((count, message)) => {
                    outcome.stored.push(message);
                    outcome.imported += 1;
                    outcome.flagged += u64::from(line.crisis.is_some());
                    touched.insert(
                        line.session_id.to_string(),
                        (line.session_id.clone(), count),
                    );
                }
                None => outcome.skipped += 1,
            }
        }
        outcome.sessions = touched.into_values().collect();
        Ok(outcome)
    }
}
