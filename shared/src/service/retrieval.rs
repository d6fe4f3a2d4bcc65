//! The retriever: each person's [`Index`], kept warm in the process and
//! brought up to date from their index log before use.
//!
//! A warm index costs one store read per use (the log entries after the
//! ones it has seen, with the log's head, in one Query), however long the
//! person's history. A cold one reads the log in pages of [`LOG_PAGE`]
//! entries; see docs/data-model.md for the figures. A log whose head is
//! behind the cached index was erased, and the index starts again.
//!
//! With `HEARTH_EMBED_MODEL` set, the query's vector is computed here on
//! the reply's path (within [`QUERY_EMBED_BUDGET`]; on failure the reply
//! ranks lexically), and the worker's memories and summaries are embedded
//! before they are written.

use crate::domain::ids::UserId;
use crate::domain::retrieval::{Index, Vector};
use crate::ports::{Embedder, MemoryStore, StoreError};
use lru::LruCache;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

/// Log entries read per store call.
pub const LOG_PAGE: usize = 500;
/// The most a reply waits for its query's vector.
pub const QUERY_EMBED_BUDGET: Duration = Duration::from_millis(1_500);
/// The most the worker waits to embed one job's items.
const JOB_EMBED_BUDGET: Duration = Duration::from_secs(30);

type Slot = Arc<tokio::sync::Mutex<Index>>;

pub struct Retriever {
    memories: Arc<dyn MemoryStore>,
    embedder: Option<Arc<dyn Embedder>>,
    cache: Mutex<LruCache<UserId, Slot>>,
}

impl Retriever {
    pub fn new(memories: Arc<dyn MemoryStore>, embedder: Option<Arc<dyn Embedder>>, cache_users: usize) -> Self {
        let cap = NonZeroUsize::new(cache_users.max(1)).unwrap_or(NonZeroUsize::MIN);
        Self { memories, embedder, cache: Mutex::new(LruCache::new(cap)) }
    }

    pub fn semantic(&self) -> bool {
        self.embedder.is_some()
    }

    /// The person's index, up to date with their log. Held exclusively
    /// while in use (a search over it takes microseconds).
    pub async fn index(&self, user: &UserId) -> Result<OwnedMutexGuard<Index>, StoreError> {
        let slot = {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(cache.get_or_insert(user.clone(), || Arc::new(tokio::sync::Mutex::new(Index::new()))))
        };
        let mut index = slot.lock_owned().await;
        loop {
            let page = self.memories.index_entries(user, index.through(), LOG_PAGE).await?;
            if page.head < index.through() {
                tracing::info!(user = %user, "the index log was erased; starting the index again");
                *index = Index::new();
                continue;
            }
            let read = page.entries.len();
            for e in &page.entries {
                index.apply(e.seq, &e.ops);
            }
            if read == 0 || index.through() >= page.head {
                break;
            }
        }
        Ok(index)
    }

    /// Drop a person's cached index (after their erase).
    pub fn forget(&self, user: &UserId) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).pop(user);
    }

    /// The query's vector, if semantic retrieval is on and the endpoint
    /// answers in time.
    pub async fn query_vector(&self, text: &str, deadline: Instant) -> Option<Vector> {
        let embedder = self.embedder.as_ref()?;
        let deadline = deadline.min(Instant::now() + QUERY_EMBED_BUDGET);
        match embedder.embed(&[text.to_string()], deadline).await {
            Ok(mut v) => v.pop().and_then(|v| Vector::from_f32(&v)),
            Err(e) => {
                tracing::warn!(error = %e, "could not embed the query; ranking lexically");
                None
            }
        }
    }

    /// Vectors for `(key, text)` items, by key; empty when semantic
    /// retrieval is off. A failure is an error: the job is retried.
    pub async fn embed_items(&self, items: Vec<(String, String)>) -> Result<HashMap<String, Vector>, String> {
        let Some(embedder) = &self.embedder else { return Ok(HashMap::new()) };
        if items.is_empty() {
            return Ok(HashMap::new());
        }
        let texts: Vec<String> = items.iter().map(|(_, t)| t.clone()).collect();
        let vectors = embedder
            .embed(&texts, Instant::now() + JOB_EMBED_BUDGET)
            .await
            .map_err(|e| format!("could not embed the job's memories: {e}"))?;
        Ok(items.into_iter().zip(vectors).filter_map(|((k, _), v)| Vector::from_f32(&v).map(|v| (k, v))).collect())
    }
}
