//! `MemoryStore` on the fake: memories and tombstones, each session's
//! extraction watermark and claim, and the person's retrieval index log,
//! written in the same step as the change it records.

use super::{FakeStore, page};
use crate::domain::cursor::MemoryPosition;
use crate::domain::extraction::Plan;
use crate::domain::ids::{MemoryId, SessionId, UserId};
use crate::domain::memory::{
    ExtractionState, Memory, MemoryFilter, MemoryPatch, Tombstone, extraction_due,
};
use crate::domain::page::{Page, PageRequest};
use crate::domain::retrieval::{self, DocKind, Embedding, IndexLogPage, IndexOp, IndexSnapshot};
use crate::ports::{ApplyOutcome, MemoryStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl MemoryStore for FakeStore {
    async fn extraction_state(
        &self,
        user: &UserId,
        session: &SessionId,
    ) -> Result<ExtractionState, StoreError> {
        self.read("extraction_state", user, |p| {
            Ok(p.and_then(|p| p.extraction.get(session).cloned())
                .unwrap_or_default())
        })
    }

    async fn claim_extraction(
        &self,
        user: &UserId,
        session: &SessionId,
        message_count: u64,
        min_new: u64,
    ) -> Result<Option<(u64, u64)>, StoreError> {
        self.write("claim_extraction", user, |p, _| {
            let mut state = p.extraction.get(session).cloned().unwrap_or_default();
            let due = extraction_due(&state, message_count, min_new);
            if let Some((_, to)) = due {
                state.enqueued_through = to;
                p.extraction.insert(session.clone(), state);
            }
            Ok(due)
        })
    }

    async fn release_extraction(
        &self,
        user: &UserId,
        session: &SessionId,
        (from, to): (u64, u64),
    ) -> Result<(), StoreError> {
        self.write("release_extraction", user, |p, _| {
            if let Some(state) = p
                .extraction
                .get_mut(session)
                .filter(|s| s.enqueued_through == to)
            {
                state.enqueued_through = from.saturating_sub(1);
            }
            Ok(())
        })
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
        self.write("apply_extraction", user, |p, erased| {
            if erased.is_some_and(|at| at >= data_as_of) {
                return Ok(ApplyOutcome::Erased);
            }
            let mut state = p.extraction.get(session).cloned().unwrap_or_default();
            if state.extracted_through != expected_through {
                return Ok(ApplyOutcome::AlreadyApplied);
            }
            for w in &plan.writes {
                let unchanged = match (p.memories.get(&w.memory.id), w.seen_updated_at) {
                    (None, None) => true,
                    (Some(m), Some(seen)) => m.updated_at == seen,
                    _ => false,
                };
                if !unchanged {
                    // The copy is dropped: nothing of the job is written.
                    return Ok(ApplyOutcome::Conflict);
                }
                p.memories.insert(w.memory.id.clone(), w.memory.clone());
            }
            state.record_extracted(new_through, &plan.summary);
            p.extraction.insert(session.clone(), state);
            p.index.append(&plan.index)?;
            Ok(ApplyOutcome::Applied)
        })
    }

    async fn list_memories(
        &self,
        user: &UserId,
        filter: &MemoryFilter,
        req: &PageRequest,
    ) -> Result<Page<Memory>, StoreError> {
        let before = req
            .position::<MemoryPosition>()?
            .map(|MemoryPosition(id)| id);
        self.read("list_memories", user, |p| {
            let Some(p) = p else {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                });
            };
            let rest = p
                .memories
                .values()
                .rev()
                .filter(|m| before.as_ref().is_none_or(|b| m.id < *b) && filter.admits(m))
                .cloned();
            Ok(page(rest, req.limit, |m: &Memory| {
                MemoryPosition(m.id.clone())
            }))
        })
    }

    async fn active_memories(
        &self,
        user: &UserId,
        limit: usize,
    ) -> Result<Vec<Memory>, StoreError> {
        self.read("active_memories", user, |p| {
            Ok(p.map(|p| {
                p.memories
                    .values()
                    .rev()
                    .filter(|m| m.is_active())
                    .take(limit)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
        })
    }

    async fn edit_memory(
        &self,
        user: &UserId,
        id: &MemoryId,
        patch: &MemoryPatch,
        embedding: Option<Embedding>,
        now: DateTime<Utc>,
    ) -> Result<Memory, StoreError> {
        self.write("edit_memory", user, |p, _| {
            let m = p.memories.get_mut(id).ok_or(StoreError::NotFound)?;
            patch.apply(m, now);
            let edited = m.clone();
            p.index
                .append(&[retrieval::edited_memory_op(&edited, embedding)])?;
            Ok(edited)
        })
    }

    async fn forget_memory(
        &self,
        user: &UserId,
        id: &MemoryId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write("forget_memory", user, |p, _| {
            let m = p.memories.remove(id).ok_or(StoreError::NotFound)?;
            p.tombstones.insert(
                id.clone(),
                Tombstone {
                    memory_id: m.id,
                    content: m.content,
                    source_message_ids: m.source_message_ids,
                    forgotten_at: now,
                },
            );
            p.index.append(&[IndexOp::Remove {
                key: retrieval::doc_key(DocKind::Memory, id.as_str()),
            }])
        })
    }

    async fn tombstones(&self, user: &UserId, limit: usize) -> Result<Vec<Tombstone>, StoreError> {
        self.read("tombstones", user, |p| {
            Ok(
                p.map(|p| p.tombstones.values().rev().take(limit).cloned().collect())
                    .unwrap_or_default(),
            )
        })
    }

    async fn append_index(
        &self,
        user: &UserId,
        ops: &[IndexOp],
        data_as_of: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write("append_index", user, |p, erased| {
            if erased.is_some_and(|at| at >= data_as_of) {
                return Ok(false);
            }
            p.index.append(ops)?;
            Ok(true)
        })
    }

    async fn index_entries(
        &self,
        user: &UserId,
        after: u64,
        limit: usize,
    ) -> Result<IndexLogPage, StoreError> {
        self.read("index_entries", user, |p| {
            let Some(p) = p else {
                return Ok(IndexLogPage {
                    entries: Vec::new(),
                    head: 0,
                    generation: Some(0),
                });
            };
            Ok(IndexLogPage {
                entries: p
                    .index
                    .entries
                    .iter()
                    .filter(|e| e.seq > after)
                    .take(limit)
                    .cloned()
                    .collect(),
                head: p.index.head(),
                generation: Some(p.index.generation),
            })
        })
    }

    async fn write_index_snapshot(
        &self,
        user: &UserId,
        snapshot: &IndexSnapshot,
    ) -> Result<bool, StoreError> {
        self.write("write_index_snapshot", user, |p, _| {
            p.index.compact(snapshot)
        })
    }

    async fn index_snapshot(&self, user: &UserId) -> Result<Option<IndexSnapshot>, StoreError> {
        self.read("index_snapshot", user, |p| {
            Ok(p.and_then(|p| p.index.snapshot.clone()))
        })
    }
}
