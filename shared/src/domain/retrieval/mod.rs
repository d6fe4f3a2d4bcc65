//! Retrieval: one engine ranks what Hearth knows about a person before every reply, and answers
//! `GET /v1/search`. Pure code, no I/O. The stores keep a person's append-only `log` of index ops
//! (puts and removes of a `doc`, some with `vectors`); a warm container keeps the [`Index`] built
//! from it and applies only newer entries. A query is scored (`scoring`) and read `best_first`,
//! and `selection` takes a search's hits or, by the route's quota, a reply's items. A `snapshot`
//! of the index lets the stores drop the log entries it covers.

mod best_first;
mod dated;
mod doc;
#[cfg(test)]
mod fixtures;
mod index;
mod log;
mod scoring;
mod selection;
mod snapshot;
mod vectors;

pub use dated::{asks_when, date_note};
pub use doc::{Doc, DocKind, doc_key};
pub use index::Index;
pub use log::{
    IndexEntry, IndexLogPage, IndexOp, MAX_ENTRY_BYTES, edited_memory_op, job_ops, log_chunks,
    memory_op,
};
pub use scoring::{Hit, Query, TUNING, Tuning, WEIGHTS, Weights, category_fit};
pub use selection::{NEAR_DUPLICATE, Quota, Selection, related_memories};
pub use snapshot::IndexSnapshot;
pub use vectors::{Embedding, Vector};
