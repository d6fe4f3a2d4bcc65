//! `MemoryStore` on DynamoDB. A job's writes (memories, the ended ones it
//! supersedes, the session's summary and watermark) are one
//! TransactWriteItems, conditioned on the watermark and on each changed
//! memory's `updated_at`, so a redelivered job or a concurrent edit by the
//! person can never leave half a job written.
//!
//! Items: `MEM#<id>` (memory; `category` and `active` attributes for list
//! filters), `T#<id>` (tombstone), `X#<session>` (extraction state).

use super::schema::{PK, SK};
use super::{DynamoStore, Item, build_err, data, json, n, s, sdk};
use crate::domain::cursor::MemoryPosition;
use crate::domain::extraction::Plan;
use crate::domain::ids::{MemoryId, SessionId, UserId};
use crate::domain::memory::{ExtractionState, Memory, MemoryFilter, MemoryPatch, Tombstone};
use crate::domain::page::{Page, PageRequest};
use crate::domain::retrieval::{self, Embedding, IndexEntry, IndexLogPage, IndexOp};
use crate::ports::{ApplyOutcome, MemoryStore, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem};
use chrono::{DateTime, Utc};

use super::user_pk as pk;
fn mem_sk(id: &MemoryId) -> String {
    format!("MEM#{id}")
}
fn state_sk(session: &SessionId) -> String {
    format!("X#{session}")
}

/// The positions (in request order) of the transaction's cancellation
/// reasons with `code`.
fn cancelled_with<R: std::fmt::Debug>(
    e: &SdkError<TransactWriteItemsError, R>,
    code: &str,
) -> Vec<usize> {
    match e {
        SdkError::ServiceError(se) => match se.err() {
            TransactWriteItemsError::TransactionCanceledException(tc) => tc
                .cancellation_reasons()
                .iter()
                .enumerate()
                .filter(|(_, r)| r.code() == Some(code))
                .map(|(i, _)| i)
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The index log: `IXH` holds the last seq; `IX#<seq, 20 digits>` one entry.
const INDEX_HEAD_SK: &str = "IXH";
fn index_sk(seq: u64) -> String {
    format!("IX#{seq:020}")
}

/// How often a write retries when another write to the same person's
/// index log won the race for its head.
const INDEX_RACE_ATTEMPTS: u32 = 12;

impl DynamoStore {
    fn state_item(
        &self,
        user: &UserId,
        session: &SessionId,
        state: &ExtractionState,
    ) -> Result<Item, StoreError> {
        Ok(Item::from([
            (PK.into(), s(pk(user))),
            (SK.into(), s(state_sk(session))),
            ("kind".into(), s("summary")),
            ("enqueued_through".into(), n(state.enqueued_through)),
            ("extracted_through".into(), n(state.extracted_through)),
            ("data".into(), json(state)?),
        ]))
    }

    fn memory_item(&self, user: &UserId, m: &Memory) -> Result<Item, StoreError> {
        Ok(Item::from([
            (PK.into(), s(pk(user))),
            (SK.into(), s(mem_sk(&m.id))),
            ("kind".into(), s("memory")),
            ("category".into(), s(m.category.as_str())),
            ("active".into(), AttributeValue::Bool(m.is_active())),
            ("updated_at".into(), s(m.updated_at.to_rfc3339())),
            ("data".into(), json(m)?),
        ]))
    }

    /// The log's head and generation; a new generation when there is no log.
    async fn index_head(&self, user: &UserId) -> Result<(u64, u64), StoreError> {
        match self.get(&pk(user), INDEX_HEAD_SK).await? {
            Some(item) => Ok((super::get_n(&item, "seq")?, super::get_n(&item, "gen")?)),
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
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(Item::from([
                    (PK.into(), s(pk(user))),
                    (SK.into(), s(index_sk(seq))),
                    ("kind".into(), s("search_index")),
                    ("data".into(), s(chunk)),
                ])))
                .build()
                .map_err(build_err)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        let mut head_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Item::from([
                (PK.into(), s(pk(user))),
                (SK.into(), s(INDEX_HEAD_SK)),
                ("kind".into(), s("search_index")),
                ("seq".into(), n(seq)),
                ("gen".into(), n(generation)),
            ])));
        head_put = if head == 0 {
            head_put.condition_expression("attribute_not_exists(PK)")
        } else {
            head_put
                .condition_expression("seq = :head")
                .expression_attribute_values(":head", n(head))
        };
        writes.push(
            TransactWriteItem::builder()
                .put(head_put.build().map_err(build_err)?)
                .build(),
        );
        Ok(writes)
    }

    /// Write `writes` and append `ops` to the index log in one transaction,
    /// retrying when another append won the head. Returns the positions of
    /// failed conditions among `writes`, if the transaction was cancelled.
    async fn transact_with_index(
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
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(all))
                .send()
                .await
            {
                Ok(_) => return Ok(Ok(())),
                Err(e) => {
                    // Another transaction on the same items was in flight: try again.
                    if !cancelled_with(&e, "TransactionConflict").is_empty() {
                        continue;
                    }
                    let failed = cancelled_with(&e, "ConditionalCheckFailed");
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

    /// Memories newest first, filtered, from an exclusive start.
    async fn query_memories(
        &self,
        user: &UserId,
        filter: &MemoryFilter,
        limit: usize,
        before: Option<&MemoryId>,
    ) -> Result<(Vec<Memory>, bool), StoreError> {
        let start =
            before.map(|id| Item::from([(PK.into(), s(pk(user))), (SK.into(), s(mem_sk(id)))]));
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        if let Some(c) = filter.category {
            conditions.push("category = :c");
            values.push((":c", s(c.as_str())));
        }
        if !filter.include_superseded {
            conditions.push("active = :t");
            values.push((":t", AttributeValue::Bool(true)));
        }
        let filter = (!conditions.is_empty()).then(|| (conditions.join(" AND "), values));
        self.newest_under(user, "MEM#", start, limit, filter, |_: &Memory| true)
            .await
    }
}

#[async_trait]
impl MemoryStore for DynamoStore {
    async fn extraction_state(
        &self,
        user: &UserId,
        session: &SessionId,
    ) -> Result<ExtractionState, StoreError> {
        match self.get(&pk(user), &state_sk(session)).await? {
            Some(item) => data(&item),
            None => Ok(ExtractionState::default()),
        }
    }

    async fn claim_extraction(
        &self,
        user: &UserId,
        session: &SessionId,
        message_count: u64,
        min_new: u64,
    ) -> Result<Option<(u64, u64)>, StoreError> {
        let mut state = self.extraction_state(user, session).await?;
        let before = state.enqueued_through;
        let Some((from, to)) = state.claim(message_count, min_new) else {
            return Ok(None);
        };
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.state_item(user, session, &state)?))
            .condition_expression("attribute_not_exists(PK) OR (enqueued_through = :before AND extracted_through = :x)")
            .expression_attribute_values(":before", n(before))
            .expression_attribute_values(":x", n(state.extracted_through))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Some((from, to))),
            // Another turn claimed it first.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk(e)),
        }
    }

    async fn release_extraction(
        &self,
        user: &UserId,
        session: &SessionId,
        (from, to): (u64, u64),
    ) -> Result<(), StoreError> {
        let mut state = self.extraction_state(user, session).await?;
        if !state.release((from, to)) {
            return Ok(());
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.state_item(user, session, &state)?))
            .condition_expression("enqueued_through = :to")
            .expression_attribute_values(":to", n(to))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk(e)),
        }
    }

    async fn apply_extraction(
        &self,
        user: &UserId,
        session: &SessionId,
        expected_through: u64,
        new_through: u64,
        plan: &Plan,
        data_as_of: DateTime<Utc>,
    ) -> Result<ApplyOutcome, StoreError> {
        let mut state = self.extraction_state(user, session).await?;
        if state.extracted_through != expected_through {
            return Ok(ApplyOutcome::AlreadyApplied);
        }
        state.record_extracted(new_through, &plan.summary);
        let mut writes = Vec::with_capacity(plan.writes.len() + 2);
        // First: no erase began after the job's data was written.
        let not_erased = ConditionCheck::builder()
            .table_name(&self.table)
            .key(PK, s(pk(user)))
            .key(SK, s(super::personal_data::ERASURE_SK))
            .condition_expression("attribute_not_exists(PK) OR erased_at < :asof")
            .expression_attribute_values(":asof", n(data_as_of.timestamp_millis()))
            .build()
            .map_err(build_err)?;
        writes.push(
            TransactWriteItem::builder()
                .condition_check(not_erased)
                .build(),
        );
        let state_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(self.state_item(user, session, &state)?))
            .condition_expression(if expected_through == 0 {
                "attribute_not_exists(PK) OR extracted_through = :x"
            } else {
                "extracted_through = :x"
            })
            .expression_attribute_values(":x", n(expected_through))
            .build()
            .map_err(build_err)?;
        writes.push(TransactWriteItem::builder().put(state_put).build());
        for w in &plan.writes {
            let mut put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(self.memory_item(user, &w.memory)?));
            put = match w.seen_updated_at {
                None => put.condition_expression("attribute_not_exists(PK)"),
                Some(seen) => put
                    .condition_expression("updated_at = :seen")
                    .expression_attribute_values(":seen", s(seen.to_rfc3339())),
            };
            writes.push(
                TransactWriteItem::builder()
                    .put(put.build().map_err(build_err)?)
                    .build(),
            );
        }
        match self.transact_with_index(user, writes, &plan.index).await? {
            Ok(()) => Ok(ApplyOutcome::Applied),
            // Which condition failed? Reasons come in request order.
            Err(failed) if failed.contains(&0) => Ok(ApplyOutcome::Erased),
            Err(_) => {
                let now = self.extraction_state(user, session).await?;
                Ok(if now.extracted_through != expected_through {
                    ApplyOutcome::AlreadyApplied
                } else {
                    ApplyOutcome::Conflict
                })
            }
        }
    }

    async fn list_memories(
        &self,
        user: &UserId,
        filter: &MemoryFilter,
        page: &PageRequest,
    ) -> Result<Page<Memory>, StoreError> {
        let before = page
            .position::<MemoryPosition>()?
            .map(|MemoryPosition(id)| id);
        let (items, more) = self
            .query_memories(user, filter, page.limit as usize, before.as_ref())
            .await?;
        Ok(Page::resuming(items, more, |m: &Memory| {
            MemoryPosition(m.id.clone())
        }))
    }

    async fn active_memories(
        &self,
        user: &UserId,
        limit: usize,
    ) -> Result<Vec<Memory>, StoreError> {
        Ok(self
            .query_memories(user, &MemoryFilter::default(), limit, None)
            .await?
            .0)
    }

    async fn edit_memory(
        &self,
        user: &UserId,
        id: &MemoryId,
        patch: &MemoryPatch,
        embedding: Option<Embedding>,
        now: DateTime<Utc>,
    ) -> Result<Memory, StoreError> {
        let item = self
            .get(&pk(user), &mem_sk(id))
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut m: Memory = data(&item)?;
        let seen = m.updated_at;
        patch.apply(&mut m, now);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(self.memory_item(user, &m)?))
            .condition_expression("updated_at = :seen")
            .expression_attribute_values(":seen", s(seen.to_rfc3339()))
            .build()
            .map_err(build_err)?;
        let writes = vec![TransactWriteItem::builder().put(put).build()];
        match self
            .transact_with_index(user, writes, &[retrieval::edited_memory_op(&m, embedding)])
            .await?
        {
            Ok(()) => Ok(m),
            Err(_) => Err(StoreError::Conflict(
                "the memory changed meanwhile; try again".into(),
            )),
        }
    }

    async fn forget_memory(
        &self,
        user: &UserId,
        id: &MemoryId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let item = self
            .get(&pk(user), &mem_sk(id))
            .await?
            .ok_or(StoreError::NotFound)?;
        let m: Memory = data(&item)?;
        let tomb = Tombstone {
            memory_id: m.id.clone(),
            content: m.content,
            source_message_ids: m.source_message_ids,
            forgotten_at: now,
        };
        let delete = Delete::builder()
            .table_name(&self.table)
            .key(PK, s(pk(user)))
            .key(SK, s(mem_sk(id)))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(build_err)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Item::from([
                (PK.into(), s(pk(user))),
                (SK.into(), s(format!("T#{id}"))),
                ("kind".into(), s("tombstone")),
                ("data".into(), json(&tomb)?),
            ])))
            .build()
            .map_err(build_err)?;
        let writes = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().put(put).build(),
        ];
        let remove = IndexOp::Remove {
            key: retrieval::doc_key(retrieval::DocKind::Memory, id.as_str()),
        };
        match self.transact_with_index(user, writes, &[remove]).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::NotFound),
        }
    }

    async fn tombstones(&self, user: &UserId, limit: usize) -> Result<Vec<Tombstone>, StoreError> {
        Ok(self
            .newest_under(user, "T#", None, limit, None, |_: &Tombstone| true)
            .await?
            .0)
    }

    async fn index_entries(
        &self,
        user: &UserId,
        after: u64,
        limit: usize,
    ) -> Result<IndexLogPage, StoreError> {
        // Entries sort before the head (`IX#...` < `IXH`), so one Query
        // returns the entries after `after` and then the head.
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(pk(user)))
            .expression_attribute_values(":from", s(index_sk(after.saturating_add(1))))
            .expression_attribute_values(":to", s(INDEX_HEAD_SK))
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
            let sk = super::get_s(&item, SK)?;
            if sk == INDEX_HEAD_SK {
                page.head = super::get_n(&item, "seq")?;
                page.generation = Some(super::get_n(&item, "gen")?);
                continue;
            }
            let seq = sk
                .strip_prefix("IX#")
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
