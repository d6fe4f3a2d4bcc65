//! `MemoryStore` on the embedded engine. Each operation is one redb write
//! transaction, so a job's memories, summary and watermark land together.

use super::paging::page_of;
use super::tables::{
    ERASURES, EXTRACTION, INDEX_HEAD, INDEX_LOG, INDEX_SNAPSHOT, INDEX_SNAPSHOT_HEAD, MEMORIES,
    TOMBSTONES,
};
use super::{EmbeddedStore, decode, encode, unavailable};
use crate::domain::cursor::MemoryPosition;
use crate::domain::extraction::Plan;
use crate::domain::ids::{MemoryId, SessionId, UserId};
use crate::domain::memory::{ExtractionState, Memory, MemoryFilter, MemoryPatch, Tombstone};
use crate::domain::page::{Page, PageRequest};
use crate::domain::retrieval::{self, Embedding, IndexEntry, IndexLogPage, IndexOp, IndexSnapshot};
use crate::ports::{ApplyOutcome, MemoryStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable, WriteTransaction};

/// Append `ops` to the person's index log, in the caller's transaction.
fn append_index(tx: &WriteTransaction, u: &str, ops: &[IndexOp]) -> Result<(), StoreError> {
    if ops.is_empty() {
        return Ok(());
    }
    let mut head = tx.open_table(INDEX_HEAD).map_err(unavailable)?;
    let (mut seq, generation) = head
        .get(u)
        .map_err(unavailable)?
        .map_or_else(|| (0, rand::random::<u64>() | 1), |v| v.value());
    let mut log = tx.open_table(INDEX_LOG).map_err(unavailable)?;
    for chunk in retrieval::log_chunks(ops).map_err(|e| StoreError::Corrupt(e.to_string()))? {
        seq += 1;
        log.insert((u, seq), chunk.as_bytes())
            .map_err(unavailable)?;
    }
    head.insert(u, (seq, generation)).map_err(unavailable)?;
    Ok(())
}

/// Remove the person's index snapshot, in the caller's transaction;
/// returns how many items it held (its chunks and its head).
pub(super) fn remove_index_snapshot(tx: &WriteTransaction, u: &str) -> Result<u64, StoreError> {
    let mut chunks = tx.open_table(INDEX_SNAPSHOT).map_err(unavailable)?;
    let keys: Vec<u32> = chunks
        .range((u, 0)..=(u, u32::MAX))
        .map_err(unavailable)?
        .map(|e| e.map(|(k, _)| k.value().1))
        .collect::<Result<_, _>>()
        .map_err(unavailable)?;
    for k in &keys {
        chunks.remove((u, *k)).map_err(unavailable)?;
    }
    let head = tx
        .open_table(INDEX_SNAPSHOT_HEAD)
        .map_err(unavailable)?
        .remove(u)
        .map_err(unavailable)?
        .is_some();
    Ok(keys.len() as u64 + head as u64)
}

fn state_of<T: ReadableTable<(&'static str, &'static str), &'static [u8]>>(
    t: &T,
    u: &str,
    s: &str,
) -> Result<ExtractionState, StoreError> {
    match t.get((u, s)).map_err(unavailable)? {
        Some(v) => decode(v.value()),
        None => Ok(ExtractionState::default()),
    }
}

#[async_trait]
impl MemoryStore for EmbeddedStore {
    async fn extraction_state(
        &self,
        user: &UserId,
        session: &SessionId,
    ) -> Result<ExtractionState, StoreError> {
        let (user, session) = (user.clone(), session.clone());
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            state_of(
                &tx.open_table(EXTRACTION).map_err(unavailable)?,
                user.as_str(),
                session.as_str(),
            )
        })
        .await
    }

    async fn claim_extraction(
        &self,
        user: &UserId,
        session: &SessionId,
        message_count: u64,
        min_new: u64,
    ) -> Result<Option<(u64, u64)>, StoreError> {
        let (user, session) = (user.clone(), session.clone());
        self.run(move |db| {
            let (u, s) = (user.as_str(), session.as_str());
            let tx = db.begin_write().map_err(unavailable)?;
            let claimed = {
                let mut t = tx.open_table(EXTRACTION).map_err(unavailable)?;
                let mut state = state_of(&t, u, s)?;
                let claimed = state.claim(message_count, min_new);
                if claimed.is_some() {
                    t.insert((u, s), encode(&state)?.as_slice())
                        .map_err(unavailable)?;
                }
                claimed
            };
            tx.commit().map_err(unavailable)?;
            Ok(claimed)
        })
        .await
    }

    async fn release_extraction(
        &self,
        user: &UserId,
        session: &SessionId,
        range: (u64, u64),
    ) -> Result<(), StoreError> {
        let (user, session) = (user.clone(), session.clone());
        self.run(move |db| {
            let (u, s) = (user.as_str(), session.as_str());
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut t = tx.open_table(EXTRACTION).map_err(unavailable)?;
                let mut state = state_of(&t, u, s)?;
                if state.release(range) {
                    t.insert((u, s), encode(&state)?.as_slice())
                        .map_err(unavailable)?;
                }
            }
            tx.commit().map_err(unavailable)
        })
        .await
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
        let (user, session, plan) = (user.clone(), session.clone(), plan.clone());
        self.run(move |db| {
            let (u, s) = (user.as_str(), session.as_str());
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let erased = tx
                    .open_table(ERASURES)
                    .map_err(unavailable)?
                    .get(u)
                    .map_err(unavailable)?
                    .map(|v| v.value());
                if erased.is_some_and(|at| at >= data_as_of.timestamp_millis()) {
                    return Ok(ApplyOutcome::Erased);
                }
                let mut states = tx.open_table(EXTRACTION).map_err(unavailable)?;
                let mut memories = tx.open_table(MEMORIES).map_err(unavailable)?;
                let mut state = state_of(&states, u, s)?;
                if state.extracted_through != expected_through {
                    return Ok(ApplyOutcome::AlreadyApplied);
                }
                for w in &plan.writes {
                    let stored: Option<Memory> = match memories
                        .get((u, w.memory.id.as_str()))
                        .map_err(unavailable)?
                    {
                        Some(v) => Some(decode(v.value())?),
                        None => None,
                    };
                    let unchanged = match (&stored, w.seen_updated_at) {
                        (None, None) => true,
                        (Some(m), Some(seen)) => m.updated_at == seen,
                        _ => false,
                    };
                    if !unchanged {
                        return Ok(ApplyOutcome::Conflict);
                    }
                    memories
                        .insert((u, w.memory.id.as_str()), encode(&w.memory)?.as_slice())
                        .map_err(unavailable)?;
                }
                state.record_extracted(new_through, &plan.summary);
                states
                    .insert((u, s), encode(&state)?.as_slice())
                    .map_err(unavailable)?;
            }
            append_index(&tx, u, &plan.index)?;
            tx.commit().map_err(unavailable)?;
            Ok(ApplyOutcome::Applied)
        })
        .await
    }

    async fn list_memories(
        &self,
        user: &UserId,
        filter: &MemoryFilter,
        page: &PageRequest,
    ) -> Result<Page<Memory>, StoreError> {
        let (user, filter) = (user.clone(), filter.clone());
        let limit = page.limit as usize;
        let before = page
            .position::<MemoryPosition>()?
            .map(|MemoryPosition(id)| id);
        self.run(move |db| {
            let u = user.as_str();
            let tx = db.begin_read().map_err(unavailable)?;
            let memories = tx.open_table(MEMORIES).map_err(unavailable)?;
            let range = match &before {
                Some(id) => memories.range((u, "")..(u, id.as_str())),
                None => memories.range((u, "")..=(u, "\u{10FFFF}")),
            }
            .map_err(unavailable)?;
            let (items, more) = page_of(range.rev(), limit, |_, v| {
                let m: Memory = decode(v)?;
                Ok(filter.admits(&m).then_some(m))
            })?;
            Ok(Page::resuming(items, more, |m: &Memory| {
                MemoryPosition(m.id.clone())
            }))
        })
        .await
    }

    async fn active_memories(
        &self,
        user: &UserId,
        limit: usize,
    ) -> Result<Vec<Memory>, StoreError> {
        let user = user.clone();
        self.run(move |db| {
            let u = user.as_str();
            let tx = db.begin_read().map_err(unavailable)?;
            let memories = tx.open_table(MEMORIES).map_err(unavailable)?;
            let range = memories
                .range((u, "")..=(u, "\u{10FFFF}"))
                .map_err(unavailable)?;
            let (active, _) = page_of(range.rev(), limit, |_, v| {
                let m: Memory = decode(v)?;
                Ok(m.is_active().then_some(m))
            })?;
            Ok(active)
        })
        .await
    }

    async fn edit_memory(
        &self,
        user: &UserId,
        id: &MemoryId,
        patch: &MemoryPatch,
        embedding: Option<Embedding>,
        now: DateTime<Utc>,
    ) -> Result<Memory, StoreError> {
        let (user, id, patch) = (user.clone(), id.clone(), patch.clone());
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            let edited = {
                let mut memories = tx.open_table(MEMORIES).map_err(unavailable)?;
                let key = (user.as_str(), id.as_str());
                let mut m: Memory = match memories.get(key).map_err(unavailable)? {
                    Some(v) => decode(v.value())?,
                    None => return Err(StoreError::NotFound),
                };
                patch.apply(&mut m, now);
                memories
                    .insert(key, encode(&m)?.as_slice())
                    .map_err(unavailable)?;
                m
            };
            append_index(
                &tx,
                user.as_str(),
                &[retrieval::edited_memory_op(&edited, embedding)],
            )?;
            tx.commit().map_err(unavailable)?;
            Ok(edited)
        })
        .await
    }

    async fn forget_memory(
        &self,
        user: &UserId,
        id: &MemoryId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (user, id) = (user.clone(), id.clone());
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut memories = tx.open_table(MEMORIES).map_err(unavailable)?;
                let key = (user.as_str(), id.as_str());
                let m: Memory = match memories.remove(key).map_err(unavailable)? {
                    Some(v) => decode(v.value())?,
                    None => return Err(StoreError::NotFound),
                };
                let tomb = Tombstone {
                    memory_id: m.id,
                    content: m.content,
                    source_message_ids: m.source_message_ids,
                    forgotten_at: now,
                };
                tx.open_table(TOMBSTONES)
                    .map_err(unavailable)?
                    .insert(key, encode(&tomb)?.as_slice())
                    .map_err(unavailable)?;
            }
            append_index(
                &tx,
                user.as_str(),
                &[IndexOp::Remove {
                    key: retrieval::doc_key(retrieval::DocKind::Memory, id.as_str()),
                }],
            )?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn tombstones(&self, user: &UserId, limit: usize) -> Result<Vec<Tombstone>, StoreError> {
        let user = user.clone();
        self.run(move |db| {
            let u = user.as_str();
            let tx = db.begin_read().map_err(unavailable)?;
            let t = tx.open_table(TOMBSTONES).map_err(unavailable)?;
            let range = t.range((u, "")..=(u, "\u{10FFFF}")).map_err(unavailable)?;
            Ok(page_of(range.rev(), limit, |_, v| decode(v).map(Some))?.0)
        })
        .await
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
        let (user, ops) = (user.clone(), ops.to_vec());
        self.run(move |db| {
            let u = user.as_str();
            let tx = db.begin_write().map_err(unavailable)?;
            let erased = tx
                .open_table(ERASURES)
                .map_err(unavailable)?
                .get(u)
                .map_err(unavailable)?
                .map(|v| v.value());
            if erased.is_some_and(|at| at >= data_as_of.timestamp_millis()) {
                return Ok(false);
            }
            append_index(&tx, u, &ops)?;
            tx.commit().map_err(unavailable)?;
            Ok(true)
        })
        .await
    }

    async fn index_entries(
        &self,
        user: &UserId,
        after: u64,
        limit: usize,
    ) -> Result<IndexLogPage, StoreError> {
        let user = user.clone();
        self.run(move |db| {
            let u = user.as_str();
            let tx = db.begin_read().map_err(unavailable)?;
            let (head, generation) = tx
                .open_table(INDEX_HEAD)
                .map_err(unavailable)?
                .get(u)
                .map_err(unavailable)?
                .map_or((0, 0), |v| v.value());
            let log = tx.open_table(INDEX_LOG).map_err(unavailable)?;
            let range = log
                .range((u, after.saturating_add(1))..=(u, u64::MAX))
                .map_err(unavailable)?;
            let (entries, _) = page_of(range, limit, |(_, seq), v| {
                Ok(Some(IndexEntry {
                    seq,
                    ops: decode(v)?,
                }))
            })?;
            Ok(IndexLogPage {
                entries,
                head,
                generation: Some(generation),
            })
        })
        .await
    }

    async fn write_index_snapshot(
        &self,
        user: &UserId,
        snapshot: &IndexSnapshot,
    ) -> Result<bool, StoreError> {
        let chunks = snapshot
            .chunks()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let (user, generation, through) = (user.clone(), snapshot.generation, snapshot.through);
        self.run(move |db| {
            let u = user.as_str();
            let tx = db.begin_write().map_err(unavailable)?;
            let log_head = tx
                .open_table(INDEX_HEAD)
                .map_err(unavailable)?
                .get(u)
                .map_err(unavailable)?
                .map(|v| v.value());
            let kept = tx
                .open_table(INDEX_SNAPSHOT_HEAD)
                .map_err(unavailable)?
                .get(u)
                .map_err(unavailable)?
                .map_or(0, |v| v.value().1);
            let current = log_head.is_some_and(|(head, g)| g == generation && head >= through);
            if !current || through <= kept {
                return Ok(false);
            }
            remove_index_snapshot(&tx, u)?;
            {
                let mut table = tx.open_table(INDEX_SNAPSHOT).map_err(unavailable)?;
                for (i, chunk) in chunks.iter().enumerate() {
                    table
                        .insert((u, i as u32), chunk.as_bytes())
                        .map_err(unavailable)?;
                }
            }
            tx.open_table(INDEX_SNAPSHOT_HEAD)
                .map_err(unavailable)?
                .insert(u, (generation, through, chunks.len() as u32))
                .map_err(unavailable)?;
            let mut log = tx.open_table(INDEX_LOG).map_err(unavailable)?;
            let covered: Vec<u64> = log
                .range((u, 0)..=(u, through))
                .map_err(unavailable)?
                .map(|e| e.map(|(k, _)| k.value().1))
                .collect::<Result<_, _>>()
                .map_err(unavailable)?;
            for seq in covered {
                log.remove((u, seq)).map_err(unavailable)?;
            }
            drop(log);
            tx.commit().map_err(unavailable)?;
            Ok(true)
        })
        .await
    }

    async fn index_snapshot(&self, user: &UserId) -> Result<Option<IndexSnapshot>, StoreError> {
        let user = user.clone();
        self.run(move |db| {
            let u = user.as_str();
            let tx = db.begin_read().map_err(unavailable)?;
            let Some((generation, through, count)) = tx
                .open_table(INDEX_SNAPSHOT_HEAD)
                .map_err(unavailable)?
                .get(u)
                .map_err(unavailable)?
                .map(|v| v.value())
            else {
                return Ok(None);
            };
            let table = tx.open_table(INDEX_SNAPSHOT).map_err(unavailable)?;
            let mut chunks = Vec::with_capacity(count as usize);
            for e in table.range((u, 0)..=(u, u32::MAX)).map_err(unavailable)? {
                chunks.push(e.map_err(unavailable)?.1.value().to_vec());
            }
            if chunks.len() != count as usize {
                return Err(StoreError::Corrupt(format!(
                    "the index snapshot has {} of its {count} chunks",
                    chunks.len()
                )));
            }
            IndexSnapshot::from_chunks(generation, through, chunks.iter().map(Vec::as_slice))
                .map(Some)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .await
    }
}
