//! The person's retrieval index log on DynamoDB: `IX#<seq>` entries and an
//! `IXH` head holding the last seq and the log's generation (and naming the
//! person's index snapshot, `index_snapshot`). An append is
//! written in the same transaction as the change it records (a job, an
//! edit, a forget), its head conditioned on the head it read, so two
//! appends never take one seq and the log has no gap (but for the entries a
//! snapshot covers, which it drops).

use super::DynamoStore;
use super::keys::{INDEX_ENTRY, INDEX_HEAD, index_sk, key, user_pk};
use super::plumbing::{
    CONDITION_FAILED, TRANSACTION_CONFLICT, build_err, cancelled_with, data, get_n, get_s, item, n,
    s, sdk,
};
use super::schema::SK;
use crate::domain::ids::UserId;
use crate::domain::personal_data::ItemKind;
use crate::domain::retrieval::{self, IndexEntry, IndexLogPage, IndexOp};
use crate::ports::StoreError;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

/// How often a write retries when another write to the same person's
/// index log won the race for its head.
const INDEX_RACE_ATTEMPTS: u32 = 12;

impl DynamoStore {
    /// The log's head and generation; a new generation when there is no log.
    async fn index_head(&self, user: &UserId) -> Result<(u64, u64), StoreError> {
        match self.get(user, INDEX_HEAD).await? {
            Some(item) => Ok((get_n(&item, "seq")?, get_n(&item, "gen")?)),
            None => Ok((0, rand::random::<u64>() >> 12 | 1)),
        }
    }

    /// The writes that append `ops` after `head`: the entries, then the
    /// head, conditioned on still being `head` (the head comes last, so a
    /// failed condition at `position + entries` means a lost race).
    fn index_writes(
        &self,
        user: &UserId,
        (head, generation): (u64, u64),
        ops: &[IndexOp],
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        if ops.is_empty() {
            return Ok(Vec::new());
        }
        let mut writes = Vec::new();
        let mut seq = head;
        for chunk in retrieval::log_chunks(ops).map_err(|e| StoreError::Corrupt(e.to_string()))? {
            seq += 1;
            let entry = item(
                user,
                index_sk(seq),
                ItemKind::SearchIndex,
                [("data", s(chunk))],
            );
            writes.push(self.put(entry, None)?);
        }
        // An update, not a put: the head also names the person's snapshot
        // (`index_snapshot`), which an append must leave as it is.
        let mut head_update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user, INDEX_HEAD)))
            .update_expression("SET #seq = :seq, #gen = :gen, #kind = :kind")
            .expression_attribute_names("#seq", "seq")
            .expression_attribute_names("#gen", "gen")
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_values(":seq", n(seq))
            .expression_attribute_values(":gen", n(generation))
            .expression_attribute_values(":kind", s(ItemKind::SearchIndex.as_str()));
        head_update = if head == 0 {
            head_update.condition_expression("attribute_not_exists(PK)")
        } else {
            head_update
                .condition_expression("#seq = :head")
                .expression_attribute_values(":head", n(head))
        };
        writes.push(
            TransactWriteItem::builder()
                .update(head_update.build().map_err(build_err)?)
                .build(),
        );
        Ok(writes)
    }

    /// Write `writes` and append `ops` to the index log in one transaction,
    /// retrying when another append won the head. Returns the positions of
    /// failed conditions among `writes`, if the transaction was cancelled.
    pub(super) async fn transact_with_index(
        &self,
        user: &UserId,
        writes: Vec<TransactWriteItem>,
        ops: &[IndexOp],
    ) -> Result<Result<(), Vec<usize>>, StoreError> {
        for attempt in 0..INDEX_RACE_ATTEMPTS {
            if attempt > 0 {
                // Jittered, growing pauses spread out the racers.
                let cap = 10u64 << attempt.min(5);
                tokio::time::sleep(std::time::Duration::from_millis(rand::random_range(
                    cap / 4..=cap,
                )))
                .await;
            }
            let head = self.index_head(user).await?;
            let own = writes.len();
            let mut all = writes.clone();
            all.extend(self.index_writes(user, head, ops)?);
            let head_at = all.len() - 1;
            match self.transact(all).await {
                Ok(()) => return Ok(Ok(())),
                Err(e) => {
                    // Another transaction on the same items was in flight: try again.
                    if !cancelled_with(&e, TRANSACTION_CONFLICT).is_empty() {
                        continue;
                    }
                    let failed = cancelled_with(&e, CONDITION_FAILED);
                    if failed.is_empty() {
                        return Err(sdk(e));
                    }
                    let mine: Vec<usize> = failed.iter().copied().filter(|i| *i < own).collect();
                    if !mine.is_empty() {
                        return Ok(Err(mine));
                    }
                    if failed.contains(&head_at) {
                        continue;
                    }
                    return Err(sdk(e));
                }
            }
        }
        Err(StoreError::Unavailable(
            "the index log is busy; try again".into(),
        ))
    }

    /// `MemoryStore::index_entries`: the entries after `after`, at most
    /// `limit`, with the head, in one Query (entries sort before the head).
    pub(super) async fn read_index_log(
        &self,
        user: &UserId,
        after: u64,
        limit: usize,
    ) -> Result<IndexLogPage, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(user_pk(user)))
            .expression_attribute_values(":from", s(index_sk(after.saturating_add(1))))
            .expression_attribute_values(":to", s(INDEX_HEAD))
            .limit(limit.clamp(1, 999) as i32 + 1)
            .send()
            .await
            .map_err(sdk)?;
        let truncated = out.last_evaluated_key.is_some();
        let mut page = IndexLogPage {
            entries: Vec::new(),
            head: if truncated { u64::MAX } else { 0 },
            generation: (!truncated).then_some(0),
        };
        for item in out.items.unwrap_or_default() {
            let sk = get_s(&item, SK)?;
            if sk == INDEX_HEAD {
                page.head = get_n(&item, "seq")?;
                page.generation = Some(get_n(&item, "gen")?);
                continue;
            }
            let seq = sk
                .strip_prefix(INDEX_ENTRY)
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| StoreError::Corrupt("bad index entry key".into()))?;
            if page.entries.len() < limit {
                page.entries.push(IndexEntry {
                    seq,
                    ops: data(&item)?,
                });
            } else {
                page.head = u64::MAX;
                page.generation = None;
            }
        }
        Ok(page)
    }
}
