//! `MemoryStore` on DynamoDB. A job's writes (memories, the ended ones it
//! supersedes, the session's summary and watermark) are one
//! TransactWriteItems, conditioned on the watermark and on each changed
//! memory's `updated_at`, so a redelivered job or a concurrent edit by the
//! person can never leave half a job written.
//!
//! Items: `MEM#<id>` (memory; `category` and `active` attributes for list
//! filters), `T#<id>` (tombstone), `X#<session>` (extraction state). The
//! index log the same transactions append to is `index_log`'s, and its
//! snapshot `index_snapshot`'s.

use super::keys::{
    ERASURE, MEMORIES, TOMBSTONES, extraction_sk, key, memory_sk, tombstone_sk, user_pk,
};
use super::plumbing::{build_err, data, data_item, item, json, n, put_refused, s, sdk};
use super::schema::{PK, SK};
use super::{DynamoStore, Item};
use crate::domain::cursor::MemoryPosition;
use crate::domain::extraction::Plan;
use crate::domain::ids::{MemoryId, SessionId, UserId};
use crate::domain::memory::{ExtractionState, Memory, MemoryFilter, MemoryPatch, Tombstone};
use crate::domain::page::{Page, PageRequest};
use crate::domain::personal_data::ItemKind;
use crate::domain::retrieval::{self, Embedding, IndexLogPage, IndexOp, IndexSnapshot};
use crate::ports::{ApplyOutcome, MemoryStore, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem};
use chrono::{DateTime, Utc};

fn state_item(
    user: &UserId,
    session: &SessionId,
    state: &ExtractionState,
) -> Result<Item, StoreError> {
    Ok(item(
        user,
        extraction_sk(session),
        ItemKind::Summary,
        [
            ("enqueued_through", n(state.enqueued_through)),
            ("extracted_through", n(state.extracted_through)),
            ("data", json(state)?),
        ],
    ))
}

/// A memory, with the attributes the list filters read.
fn memory_item(user: &UserId, m: &Memory) -> Result<Item, StoreError> {
    Ok(item(
        user,
        memory_sk(&m.id),
        ItemKind::Memory,
        [
            ("category", s(m.category.as_str())),
            ("active", AttributeValue::Bool(m.is_active())),
            ("updated_at", s(m.updated_at.to_rfc3339())),
            ("data", json(m)?),
        ],
    ))
}

impl DynamoStore {
    /// Memories newest first, filtered, from an exclusive start.
    async fn query_memories(
        &self,
        user: &UserId,
        filter: &MemoryFilter,
        limit: usize,
        before: Option<&MemoryId>,
    ) -> Result<(Vec<Memory>, bool), StoreError> {
        let start = before.map(|id| key(user, memory_sk(id)));
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
        self.newest_under(user, MEMORIES, start, limit, filter, |_: &Memory| true)
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
        match self.get(user, &extraction_sk(session)).await? {
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
            .set_item(Some(state_item(user, session, &state)?))
            .condition_expression("attribute_not_exists(PK) OR (enqueued_through = :before AND extracted_through = :x)")
            .expression_attribute_values(":before", n(before))
            .expression_attribute_values(":x", n(state.extracted_through))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Some((from, to))),
            // Another turn claimed it first.
            Err(e) if put_refused(&e) => Ok(None),
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
            .set_item(Some(state_item(user, session, &state)?))
            .condition_expression("enqueued_through = :to")
            .expression_attribute_values(":to", n(to))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Anything else moved the claim since.
            Err(e) if put_refused(&e) => Ok(()),
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
            .key(PK, s(user_pk(user)))
            .key(SK, s(ERASURE))
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
            .set_item(Some(state_item(user, session, &state)?))
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
                .set_item(Some(memory_item(user, &w.memory)?));
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
            .get(user, &memory_sk(id))
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut m: Memory = data(&item)?;
        let seen = m.updated_at;
        patch.apply(&mut m, now);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(memory_item(user, &m)?))
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
            .get(user, &memory_sk(id))
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
            .key(PK, s(user_pk(user)))
            .key(SK, s(memory_sk(id)))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(build_err)?;
        let tomb = data_item(user, tombstone_sk(id), ItemKind::Tombstone, &tomb)?;
        let writes = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.put(tomb, None)?,
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
            .newest_under(user, TOMBSTONES, None, limit, None, |_: &Tombstone| true)
            .await?
            .0)
    }

    async fn append_index(
        &self,
        user: &UserId,
        ops: &[IndexOp],
        data_as_of: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        if ops.is_empty() {
            return Ok(true);
        }
        // No erase began after the data was written.
        let not_erased = ConditionCheck::builder()
            .table_name(&self.table)
            .key(PK, s(user_pk(user)))
            .key(SK, s(ERASURE))
            .condition_expression("attribute_not_exists(PK) OR erased_at < :asof")
            .expression_attribute_values(":asof", n(data_as_of.timestamp_millis()))
            .build()
            .map_err(build_err)?;
        let writes = vec![
            TransactWriteItem::builder()
                .condition_check(not_erased)
                .build(),
        ];
        Ok(self.transact_with_index(user, writes, ops).await?.is_ok())
    }

    async fn index_entries(
        &self,
        user: &UserId,
        after: u64,
        limit: usize,
    ) -> Result<IndexLogPage, StoreError> {
        self.read_index_log(user, after, limit).await
    }

    async fn write_index_snapshot(
        &self,
        user: &UserId,
        snapshot: &IndexSnapshot,
    ) -> Result<bool, StoreError> {
        self.write_snapshot(user, snapshot).await
    }

    async fn index_snapshot(&self, user: &UserId) -> Result<Option<IndexSnapshot>, StoreError> {
        self.read_snapshot(user).await
    }
}
