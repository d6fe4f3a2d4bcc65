//! A person's index log: the append-only [`IndexOp`]s that the stores keep
//! (the extraction job and the memory edits write them), how one write's
//! ops are cut into stored entries, and the ops each kind of write makes.
//! An [`Index`](super::Index) is built by applying the log in order.

use super::doc::{Doc, DocKind, doc_key};
use super::vectors::{Embedding, Vector};
use crate::domain::ids::SessionId;
use crate::domain::memory::Memory;
use crate::domain::message::Message;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One change to a person's index, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum IndexOp {
    /// Add the item, or replace the one with the same key.
    Put(Doc),
    Remove {
        key: String,
    },
}

/// The index ops for a memory as it now stands: an active memory is put,
/// an ended (superseded) one is removed.
/// A sensitive marker is never put: no reply or search may select it.
pub fn memory_op(m: &Memory, vector: Option<Vector>) -> IndexOp {
    if m.is_active() && !m.is_sensitive() {
        IndexOp::Put(Doc::memory(m, vector))
    } else {
        IndexOp::Remove {
            key: doc_key(DocKind::Memory, m.id.as_str()),
        }
    }
}

/// The index op for a memory after the person's edit. `embedding` is kept
/// only if it was computed from the content as it now stands, so a vector
/// read before a racing content edit never lands on the new text.
pub fn edited_memory_op(m: &Memory, embedding: Option<Embedding>) -> IndexOp {
    memory_op(
        m,
        embedding.filter(|e| e.text == m.content).map(|e| e.vector),
    )
}

/// One entry of a person's index log: the ops of one write, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    pub seq: u64,
    pub ops: Vec<IndexOp>,
}

/// A page of a person's index log, and its head (the last seq written;
/// `u64::MAX` when the page stopped before the head).
///
/// `generation` identifies the log: a random number chosen when its first
/// entry is written. An erase deletes the log, and the next write begins a
/// new one with a new generation, so a reader holding an index built from
/// the old log knows to drop it, however far the new log has grown. It is
/// `Some(0)` when there is no log, and `None` when the page stopped before
/// the head.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexLogPage {
    pub entries: Vec<IndexEntry>,
    pub head: u64,
    pub generation: Option<u64>,
}

/// The most bytes one stored log entry holds (a DynamoDB item is at most
/// 400 KB with its keys).
pub const MAX_ENTRY_BYTES: usize = 200_000;

/// The ops of one write as stored log entries (JSON arrays), each at most
/// [`MAX_ENTRY_BYTES`] unless one op alone is larger.
pub fn log_chunks(ops: &[IndexOp]) -> Result<Vec<String>, serde_json::Error> {
    let mut chunks = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2;
    for op in ops {
        let one = serde_json::to_string(op)?;
        if !current.is_empty() && size + one.len() + 1 > MAX_ENTRY_BYTES {
            chunks.push(format!("[{}]", current.join(",")));
            current.clear();
            size = 2;
        }
        size += one.len() + 1;
        current.push(one);
    }
    if !current.is_empty() {
        chunks.push(format!("[{}]", current.join(",")));
    }
    Ok(chunks)
}

/// The index ops of one extraction job: its messages, the memories it
/// wrote (an ended one is removed) and the session's new summary. Vectors
/// are looked up by doc key.
pub fn job_ops(
    messages: &[Message],
    writes: &[Memory],
    session: &SessionId,
    summary: &str,
    at: DateTime<Utc>,
    vectors: &HashMap<String, Vector>,
) -> Vec<IndexOp> {
    let mut ops: Vec<IndexOp> = messages
        .iter()
        .map(|m| IndexOp::Put(Doc::message(m)))
        .collect();
    for m in writes {
        ops.push(memory_op(
            m,
            vectors
                .get(&doc_key(DocKind::Memory, m.id.as_str()))
                .cloned(),
        ));
    }
    if !summary.trim().is_empty() {
        ops.push(IndexOp::Put(Doc::summary(
            session,
            summary,
            at,
            vectors
                .get(&doc_key(DocKind::Summary, session.as_str()))
                .cloned(),
        )));
    }
    ops
}
