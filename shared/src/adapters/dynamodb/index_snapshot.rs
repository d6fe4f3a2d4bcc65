//! The person's index snapshot on DynamoDB: its chunks are `IXS#<id>#<n>`
//! items (each one stored log chunk of puts, at most 200 KB), and the log's
//! head `IXH` names the current one (`snap`: the seq it covers, `snap_id`,
//! `snap_chunks`).
//!
//! A snapshot is bigger than one transaction takes (4 MB), so it is written
//! in several, each conditioned on the head's generation: no chunk is ever
//! written once an erase has removed the log. The last one flips the head
//! to it, only if the generation is unchanged, the head is at or past the
//! seq it covers and no newer snapshot was flipped meanwhile. Only then are
//! the old snapshot's chunks and the log entries it covers deleted, again
//! in transactions conditioned on the generation, so a new log begun after
//! an erase is never touched. A crash on the way leaves unnamed chunks or
//! covered entries, which no read takes (reads go by the head) and a later
//! compaction deletes.

use super::DynamoStore;
use super::Item;
use super::keys::{
    INDEX_HEAD, INDEX_SNAPSHOT, index_sk, key, snapshot_prefix, snapshot_sk, user_pk,
};
use super::plumbing::{
    CONDITION_FAILED, TRANSACTION_CONFLICT, build_err, cancelled_with, get_n, get_s, item, key_of,
    n, s, sdk,
};
use super::schema::SK;
use crate::domain::ids::UserId;
use crate::domain::personal_data::ItemKind;
use crate::domain::retrieval::IndexSnapshot;
use crate::ports::StoreError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, TransactWriteItem, Update};
use std::time::Duration;

/// What one transaction carries: DynamoDB takes at most 100 items and
/// 4 MB in one.
const TRANSACTION_ITEMS: usize = 99;
const TRANSACTION_BYTES: usize = 3_500_000;
/// How often a transaction retries when a write to the same head (an
/// append) was in flight.
const CONFLICT_ATTEMPTS: u32 = 8;
/// Unnamed chunks older than this are a crashed write's, never one in
/// progress (a worker's job runs for minutes at most).
const ABANDONED_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// The current snapshot as the head names it.
struct Named {
    generation: u64,
    head: u64,
    through: u64,
    id: Option<String>,
    chunks: usize,
}

fn optional_n(item: &Item, name: &str) -> Result<u64, StoreError> {
    if item.contains_key(name) {
        get_n(item, name)
    } else {
        Ok(0)
    }
}

fn named(head: &Item) -> Result<Named, StoreError> {
    Ok(Named {
        generation: get_n(head, "gen")?,
        head: get_n(head, "seq")?,
        through: optional_n(head, "snap")?,
        id: match head.get("snap_id") {
            Some(AttributeValue::S(id)) => Some(id.clone()),
            _ => None,
        },
        chunks: optional_n(head, "snap_chunks")? as usize,
    })
}

/// A new snapshot id: the time in millis, then random digits.
fn new_id() -> String {
    format!(
        "{:013}{:08x}",
        chrono::Utc::now().timestamp_millis().max(0),
        rand::random::<u32>()
    )
}

/// When the snapshot id was chosen.
fn id_time(id: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    id.get(..13)
        .and_then(|ms| ms.parse().ok())
        .and_then(chrono::DateTime::from_timestamp_millis)
}

impl DynamoStore {
    /// A transaction's check that the head is still of `generation`.
    fn same_generation(
        &self,
        user: &UserId,
        generation: u64,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(user, INDEX_HEAD)))
            .condition_expression("#gen = :gen")
            .expression_attribute_names("#gen", "gen")
            .expression_attribute_values(":gen", n(generation))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Write `writes` together, retrying while another write to the same
    /// items is in flight. `false`: a condition was false, nothing written.
    async fn transact_conditioned(
        &self,
        writes: Vec<TransactWriteItem>,
    ) -> Result<bool, StoreError> {
        for attempt in 0..CONFLICT_ATTEMPTS {
            if attempt > 0 {
                let cap = 20u64 << attempt.min(5);
                tokio::time::sleep(Duration::from_millis(rand::random_range(cap / 4..=cap))).await;
            }
            match self.transact(writes.clone()).await {
                Ok(()) => return Ok(true),
                Err(e) if !cancelled_with(&e, TRANSACTION_CONFLICT).is_empty() => continue,
                Err(e) if !cancelled_with(&e, CONDITION_FAILED).is_empty() => return Ok(false),
                Err(e) => return Err(sdk(e)),
            }
        }
        Err(StoreError::Unavailable(
            "the index log is busy; try again".into(),
        ))
    }

    /// Delete `keys`, in transactions each conditioned on the log still
    /// being of `generation`. `false`: it no longer is (an erase came), and
    /// the rest were left to it.
    async fn delete_in_generation(
        &self,
        user: &UserId,
        generation: u64,
        keys: Vec<Item>,
    ) -> Result<bool, StoreError> {
        for batch in keys.chunks(TRANSACTION_ITEMS) {
            let mut writes = vec![self.same_generation(user, generation)?];
            for k in batch {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(k.clone()))
                    .build()
                    .map_err(build_err)?;
                writes.push(TransactWriteItem::builder().delete(delete).build());
            }
            if !self.transact_conditioned(writes).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The keys of the person's items with `from <= SK <= to`, paged.
    async fn keys_between(
        &self,
        user: &UserId,
        from: &str,
        to: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let mut keys = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(user_pk(user)))
                .expression_attribute_values(":from", s(from))
                .expression_attribute_values(":to", s(to))
                .projection_expression("PK, SK")
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk)?;
            keys.extend(out.items.unwrap_or_default().iter().filter_map(key_of));
            match out.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok(keys),
            }
        }
    }

    /// `MemoryStore::write_index_snapshot`; see the module note.
    pub(super) async fn write_snapshot(
        &self,
        user: &UserId,
        snapshot: &IndexSnapshot,
    ) -> Result<bool, StoreError> {
        let Some(head) = self.get(user, INDEX_HEAD).await? else {
            return Ok(false);
        };
        let old = named(&head)?;
        if old.generation != snapshot.generation
            || old.head < snapshot.through
            || snapshot.through <= old.through
        {
            return Ok(false);
        }
        let chunks = snapshot
            .chunks()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let id = new_id();
        let mut batches: Vec<Vec<TransactWriteItem>> = vec![Vec::new()];
        let mut bytes = 0;
        for (i, chunk) in chunks.into_iter().enumerate() {
            let last = batches.last().map_or(0, Vec::len);
            if last > 0 && (last == TRANSACTION_ITEMS || bytes + chunk.len() > TRANSACTION_BYTES) {
                batches.push(Vec::new());
                bytes = 0;
            }
            bytes += chunk.len();
            let chunk_item = item(
                user,
                snapshot_sk(&id, i),
                ItemKind::SearchIndex,
                [("data", s(chunk))],
            );
            let put = self.put(chunk_item, None)?;
            if let Some(batch) = batches.last_mut() {
                batch.push(put);
            }
        }
        let count: usize = batches.iter().map(Vec::len).sum();
        let flip = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user, INDEX_HEAD)))
            .update_expression("SET snap = :through, snap_id = :id, snap_chunks = :chunks")
            .condition_expression(
                "#gen = :gen AND #seq >= :through AND (attribute_not_exists(snap) OR snap < :through)",
            )
            .expression_attribute_names("#gen", "gen")
            .expression_attribute_names("#seq", "seq")
            .expression_attribute_values(":gen", n(snapshot.generation))
            .expression_attribute_values(":through", n(snapshot.through))
            .expression_attribute_values(":id", s(&id))
            .expression_attribute_values(":chunks", n(count))
            .build()
            .map_err(build_err)?;
        let last = batches.len() - 1;
        for (i, mut writes) in batches.into_iter().enumerate() {
            writes.push(if i == last {
                TransactWriteItem::builder().update(flip.clone()).build()
            } else {
                self.same_generation(user, snapshot.generation)?
            });
            if !self.transact_conditioned(writes).await? {
                // An erase, or a newer snapshot, came first: take back the
                // chunks written so far (if the log was erased, the erase
                // removes them).
                let written = (0..count).map(|c| key(user, snapshot_sk(&id, c))).collect();
                if let Err(e) = self
                    .delete_in_generation(user, snapshot.generation, written)
                    .await
                {
                    tracing::warn!(error = %e, "could not delete an unused index snapshot's chunks; a later compaction will");
                }
                return Ok(false);
            }
        }
        if let Err(e) = self.drop_covered(user, &old, &id, snapshot).await {
            tracing::warn!(error = %e, "index snapshot written, but what it covers could not all be deleted; a later compaction will");
        }
        Ok(true)
    }

    /// After a flip to `id`: delete the old snapshot's chunks, chunks that
    /// crashed writes left long ago, and the log entries the new snapshot
    /// covers.
    async fn drop_covered(
        &self,
        user: &UserId,
        old: &Named,
        id: &str,
        snapshot: &IndexSnapshot,
    ) -> Result<(), StoreError> {
        let mut keys: Vec<Item> = Vec::new();
        if let Some(old_id) = &old.id {
            keys.extend((0..old.chunks).map(|c| key(user, snapshot_sk(old_id, c))));
        }
        // Unnamed chunks sort before the newest id named: those older than
        // any write still in progress are a crashed write's.
        let before = old.id.as_deref().unwrap_or(id);
        let cutoff = chrono::Utc::now() - ABANDONED_AFTER;
        for k in self
            .keys_between(user, INDEX_SNAPSHOT, &format!("{INDEX_SNAPSHOT}{before}"))
            .await?
        {
            let abandoned = get_s(&k, SK)?
                .strip_prefix(INDEX_SNAPSHOT)
                .and_then(|rest| rest.split('#').next())
                .and_then(id_time)
                .is_some_and(|t| t < cutoff);
            if abandoned {
                keys.push(k);
            }
        }
        keys.extend(
            self.keys_between(user, &index_sk(0), &index_sk(snapshot.through))
                .await?,
        );
        self.delete_in_generation(user, snapshot.generation, keys)
            .await?;
        Ok(())
    }

    /// `MemoryStore::index_snapshot`: the head, then the chunks it names
    /// (one Query, paged at 1 MB). A snapshot replaced while it was read is
    /// read again.
    pub(super) async fn read_snapshot(
        &self,
        user: &UserId,
    ) -> Result<Option<IndexSnapshot>, StoreError> {
        for _ in 0..3 {
            let Some(head) = self.get(user, INDEX_HEAD).await? else {
                return Ok(None);
            };
            let named = named(&head)?;
            let Some(id) = named.id.filter(|_| named.through > 0) else {
                return Ok(None);
            };
            let mut chunks: Vec<Vec<u8>> = Vec::with_capacity(named.chunks);
            let mut start = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("PK = :pk AND begins_with(SK, :p)")
                    .expression_attribute_values(":pk", s(user_pk(user)))
                    .expression_attribute_values(":p", s(snapshot_prefix(&id)))
                    .consistent_read(true)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(sdk)?;
                for item in out.items.unwrap_or_default() {
                    chunks.push(get_s(&item, "data")?.as_bytes().to_vec());
                }
                match out.last_evaluated_key {
                    Some(k) => start = Some(k),
                    None => break,
                }
            }
            if chunks.len() != named.chunks {
                // Replaced (and deleted) while it was read: read the new one.
                continue;
            }
            return IndexSnapshot::from_chunks(
                named.generation,
                named.through,
                chunks.iter().map(Vec::as_slice),
            )
            .map(Some)
            .map_err(|e| StoreError::Corrupt(e.to_string()));
        }
        Err(StoreError::Unavailable(
            "the index snapshot kept changing while it was read; try again".into(),
        ))
    }
}
