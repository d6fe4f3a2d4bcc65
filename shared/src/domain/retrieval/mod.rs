//! Retrieval: one engine ranks what Hearth knows about a person before
//! every reply, and answers `GET /v1/search`. Pure code, no I/O.
//!
//! Three kinds of item are indexed (`doc.rs`: memories, session summaries
//! and past messages), some with an embedding (`vectors.rs`). The stores
//! keep a person's append-only log of index ops (`log.rs`); a warm
//! container keeps the [`Index`] built from it (`index.rs`) and applies
//! only the entries after the ones it has seen. A query scores the items
//! (`scoring.rs`), they are read best first (`best_first.rs`), and
//! `selection.rs` takes a search's hits or a reply's items by the route's
//! quota, with boundaries enforced and near duplicates dropped.

mod best_first;
mod doc;
#[cfg(test)]
mod fixtures;
mod index;
mod log;
mod scoring;
mod selection;
mod vectors;

pub use doc::{Doc, DocKind, doc_key};
pub use index::Index;
pub use log::{
    IndexEntry, IndexLogPage, IndexOp, MAX_ENTRY_BYTES, edited_memory_op, job_ops, log_chunks,
    memory_op,
};
pub use scoring::{Hit, Query, WEIGHTS, Weights, category_fit};
pub use selection::{NEAR_DUPLICATE, Quota, Selection, related_memories};
pub use vectors::{Embedding, Vector};
