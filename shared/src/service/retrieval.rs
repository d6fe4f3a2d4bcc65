//! The retriever: each person's [`Index`], kept warm in the process (within
//! a memory budget) and brought up to date from their index log before use.
//!
//! A warm index costs one store read per use (the log entries after the
//! ones it has seen, with the log's head, in one Query), however long the
//! person's history. A cold one reads the log in pages of [`LOG_PAGE`]
//! entries; see docs/data-model.md for the figures. A log of another
//! generation than the cached index's, or whose head is behind it, was
//! erased (and perhaps begun again): the index starts again.
//!
//! With `HEARTH_EMBED_MODEL` set, the query's vector is computed here on
//! the reply's path (within [`QUERY_EMBED_BUDGET`]; on failure the reply
//! ranks lexically), and the worker's memories and summaries are embedded
//! before they are written.

use crate::domain::assessment::StoredAssessment;
use crate::domain::ids::{MemoryId, UserId};
use crate::domain::memory::MemoryPatch;
use crate::domain::message::Message;
use crate::domain::prompts;
use crate::domain::retrieval::{
    Doc, DocKind, Embedding, Index, IndexEntry, IndexOp, IndexSnapshot, Query, Vector, doc_key,
};
use crate::domain::route::Route;
use crate::ports::{Embedder, MemoryStore, ModelError, RiskModel, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lru::LruCache;
use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

/// Log entries read per store call.
pub const LOG_PAGE: usize = 500;
/// Log entries after the last snapshot that make the worker write another
/// (at least; see `Retriever::compact`).
pub const COMPACT_AFTER: u64 = 200;
/// The most a reply waits for its query's vector.
pub const QUERY_EMBED_BUDGET: Duration = Duration::from_millis(1_500);
/// The most the worker waits to embed one job's items.
const JOB_EMBED_BUDGET: Duration = Duration::from_secs(30);
/// Messages the worker encodes per call: one forward pass over a batch
/// is several times faster per message than one at a time.
pub const ENCODE_BATCH: usize = 32;

/// The crisis screen's encoder as retrieval's embedder, in process: the
/// vector the screen computed for a person's message is the one the
/// message is indexed by, and the one its reply is retrieved with.
pub struct ScreenEmbedder(pub Arc<dyn RiskModel>);

#[async_trait]
impl Embedder for ScreenEmbedder {
    async fn embed(
        &self,
        texts: &[String],
        deadline: Instant,
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        match tokio::time::timeout_at(deadline, self.0.assess(texts)).await {
            Err(_) => Err(ModelError::DeadlineExceeded),
            Ok(Err(e)) => Err(ModelError::InvalidResponse(e.to_string())),
            Ok(Ok(read)) => Ok(read.into_iter().map(|a| a.vector).collect()),
        }
    }
}

/// Apply `entries` in seq order, skipping those applied already; `false`
/// if one is missing (compacted into a snapshot), where it stops.
fn apply_in_order(index: &mut Index, entries: &[IndexEntry]) -> bool {
    for e in entries {
        if e.seq <= index.through() {
            continue;
        }
        if e.seq != index.through() + 1 {
            return false;
        }
        index.apply(e.seq, &e.ops);
    }
    true
}

/// One person's cached index, and its last measured size.
#[derive(Clone)]
struct Slot {
    index: Arc<tokio::sync::Mutex<Index>>,
    bytes: Arc<AtomicUsize>,
    /// The seq of the newest snapshot this process loaded or wrote.
    snapshot: Arc<AtomicU64>,
}

/// Each person's index, least recently used first out, bounded by the
/// indexes' estimated memory (`HEARTH_INDEX_CACHE_MB`): a Lambda container
/// of 256 MB must not be filled by a few heavy users.
pub struct Retriever {
    memories: Arc<dyn MemoryStore>,
    embedder: Option<Arc<dyn Embedder>>,
    cache: Mutex<LruCache<UserId, Slot>>,
    budget_bytes: usize,
    /// The embedder is the screen's encoder, so the vector the screen kept
    /// with a message is in the same space as every other indexed vector.
    screen_vectors: bool,
}

impl Retriever {
    pub fn new(
        memories: Arc<dyn MemoryStore>,
        embedder: Option<Arc<dyn Embedder>>,
        cache_mb: usize,
    ) -> Self {
        Self {
            memories,
            embedder,
            cache: Mutex::new(LruCache::unbounded()),
            budget_bytes: cache_mb.max(1) << 20,
            screen_vectors: false,
        }
    }

    /// Retrieval in process: the screen's encoder embeds queries, memories,
    /// summaries and replies, and a person's message is indexed by the
    /// vector the screen already computed for it (one encoding per turn).
    pub fn with_screen(
        memories: Arc<dyn MemoryStore>,
        risk: Arc<dyn RiskModel>,
        cache_mb: usize,
    ) -> Self {
        Self {
            screen_vectors: true,
            ..Self::new(memories, Some(Arc::new(ScreenEmbedder(risk))), cache_mb)
        }
    }

    /// The vector a message is indexed and queried by, from the screen's
    /// assessment of it, when the embedder is the screen's encoder.
    pub fn screen_vector(&self, read: Option<&StoredAssessment>) -> Option<Vector> {
        if !self.screen_vectors {
            return None;
        }
        read.and_then(|a| Vector::from_f32(&a.vector))
    }

    /// Make stored messages searchable at once, in one log append: what
    /// chat, import and the journal call as soon as a message is stored.
    /// A failure is logged and the caller goes on (the message is stored):
    /// the worker's pass over the session (`complete_messages`) and
    /// `hearth migrate` put what is missing.
    pub async fn index_stored(&self, user: &UserId, docs: Vec<Doc>) {
        let Some(as_of) = docs.iter().map(|d| d.at).max() else {
            return;
        };
        let ops: Vec<IndexOp> = docs.into_iter().map(IndexOp::Put).collect();
        match self.memories.append_index(user, &ops, as_of).await {
            Ok(true) => {}
            Ok(false) => tracing::info!("the person erased their data meanwhile; not indexed"),
            Err(e) => {
                tracing::warn!(error = %e, count = ops.len(), "could not index stored messages; the worker will")
            }
        }
    }

    /// The worker's pass over stored messages: each one the index lacks,
    /// or holds without a vector while semantic retrieval is on, is
    /// encoded (in batches of [`ENCODE_BATCH`]; a person's message reuses
    /// the screen's vector) and put, keeping its crisis mark. A message the
    /// index lacks is marked when its id is in `flagged`, which is asked
    /// for only then. A message with `remember: false` is left out (the
    /// caller leaves out a whole session that does not remember).
    /// Idempotent: a second pass finds nothing to do.
    /// Returns how many messages it put.
    pub async fn complete_messages<F, Fut>(
        &self,
        user: &UserId,
        messages: &[Message],
        flagged: F,
    ) -> Result<usize, String>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<HashSet<String>, StoreError>>,
    {
        let wanted: Vec<(&Message, Option<bool>)> = {
            let index = self
                .index(user)
                .await
                .map_err(|e| format!("could not read the index: {e}"))?;
            messages
                .iter()
                // A turn kept out of memory is never indexed.
                .filter(|m| m.remember)
                .filter_map(
                    |m| match index.doc(&doc_key(DocKind::Message, m.id.as_str())) {
                        None => Some((m, None)),
                        Some(d) if d.vector.is_none() && self.embedder.is_some() => {
                            Some((m, Some(d.crisis)))
                        }
                        Some(_) => None,
                    },
                )
                .collect()
        };
        if wanted.is_empty() {
            return Ok(0);
        }
        let flagged = if wanted.iter().any(|(_, c)| c.is_none()) {
            flagged()
                .await
                .map_err(|e| format!("could not read crisis flags: {e}"))?
        } else {
            HashSet::new()
        };
        let mut docs: Vec<Doc> = Vec::with_capacity(wanted.len());
        let mut to_encode: Vec<usize> = Vec::new();
        for (m, crisis) in &wanted {
            let crisis = crisis.unwrap_or_else(|| flagged.contains(m.id.as_str()));
            let vector = self.screen_vector(m.assessment.as_ref());
            if vector.is_none() {
                to_encode.push(docs.len());
            }
            docs.push(Doc::message(m).with_vector(vector).in_crisis(crisis));
        }
        if let Some(embedder) = &self.embedder {
            for batch in to_encode.chunks(ENCODE_BATCH) {
                let texts: Vec<String> = batch.iter().map(|&i| docs[i].text.clone()).collect();
                let vectors = embedder
                    .embed(&texts, Instant::now() + JOB_EMBED_BUDGET)
                    .await
                    .map_err(|e| format!("could not encode the messages: {e}"))?;
                for (&i, v) in batch.iter().zip(vectors) {
                    docs[i].vector = Vector::from_f32(&v);
                }
            }
        }
        let n = docs.len();
        let as_of = docs.iter().map(|d| d.at).max().unwrap_or_else(Utc::now);
        let ops: Vec<IndexOp> = docs.into_iter().map(IndexOp::Put).collect();
        for chunk in ops.chunks(500) {
            self.memories
                .append_index(user, chunk, as_of)
                .await
                .map_err(|e| format!("could not index the messages: {e}"))?;
        }
        Ok(n)
    }

    /// Evict least recently used indexes until the cache fits its budget;
    /// the most recent one always stays.
    fn evict(&self) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let mut total: usize = cache
            .iter()
            .map(|(_, s)| s.bytes.load(Ordering::Relaxed))
            .sum();
        while total > self.budget_bytes && cache.len() > 1 {
            if let Some((user, slot)) = cache.pop_lru() {
                total -= slot.bytes.load(Ordering::Relaxed);
                tracing::debug!(user = %user, "index evicted from the cache");
            }
        }
    }

    pub fn semantic(&self) -> bool {
        self.embedder.is_some()
    }

    /// The person's index, up to date with their log. Held exclusively
    /// while in use (a search over it takes microseconds).
    ///
    /// A gap in the log's seqs (or a head past entries that are gone)
    /// means the entries were compacted into a snapshot (`compact`): the
    /// index is then loaded from the snapshot, and the entries after it
    /// applied. A cold index starts this way too, so its reads are the
    /// snapshot and the entries since, never the whole history.
    pub async fn index(&self, user: &UserId) -> Result<OwnedMutexGuard<Index>, StoreError> {
        let slot = {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            cache
                .get_or_insert(user.clone(), || Slot {
                    index: Arc::new(tokio::sync::Mutex::new(Index::new())),
                    bytes: Arc::new(AtomicUsize::new(0)),
                    snapshot: Arc::new(AtomicU64::new(0)),
                })
                .clone()
        };
        let mut index = Arc::clone(&slot.index).lock_owned().await;
        let mut stalls = 0;
        loop {
            let page = self
                .memories
                .index_entries(user, index.through(), LOG_PAGE)
                .await?;
            let new_log = matches!((page.generation, index.generation()), (Some(now), Some(built)) if now != built);
            if index.through() > 0 && (new_log || page.head < index.through()) {
                tracing::info!(user = %user, "the index log was erased (and perhaps begun again); starting the index again");
                *index = Index::new();
                slot.snapshot.store(0, Ordering::Relaxed);
                continue;
            }
            if let Some(g) = page.generation {
                index.set_generation(g);
            }
            let read = page.entries.len();
            let mut behind = !apply_in_order(&mut index, &page.entries);
            behind |= read == 0 && page.head != u64::MAX && page.head > index.through();
            if behind {
                match self.memories.index_snapshot(user).await? {
                    Some(snapshot)
                        if snapshot.through > index.through()
                            && page.generation.is_none_or(|g| g == snapshot.generation) =>
                    {
                        slot.snapshot.store(snapshot.through, Ordering::Relaxed);
                        *index = snapshot.into_index();
                        // The page's entries after the snapshot need no second read.
                        apply_in_order(&mut index, &page.entries);
                    }
                    // The head ran ahead of the entries this read saw:
                    // the next use reads them.
                    _ if read == 0 => break,
                    _ => {
                        // Compacted, or erased, while it was read: read again.
                        stalls += 1;
                        if stalls == 3 {
                            return Err(StoreError::Unavailable(
                                "the index log changed while it was read; try again".into(),
                            ));
                        }
                        continue;
                    }
                }
            }
            if read == 0 || index.through() >= page.head {
                break;
            }
        }
        slot.bytes.store(index.approx_bytes(), Ordering::Relaxed);
        self.evict();
        Ok(index)
    }

    /// Snapshot the person's index, so that a cold process loads it and
    /// reads only the log entries after it (and the store drops those it
    /// covers), once enough entries came since the last snapshot this
    /// process knows of: [`COMPACT_AFTER`], or a quarter of the index's
    /// items for a large one, so that rewriting it stays a small share of
    /// what the log writes. What the worker calls after a job; `true` if a
    /// snapshot was written.
    pub async fn compact(&self, user: &UserId) -> Result<bool, StoreError> {
        let (snapshot, mark) = {
            let index = self.index(user).await?;
            let slot = self
                .cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .peek(user)
                .cloned();
            let Some(slot) = slot else {
                return Ok(false);
            };
            let since = index
                .through()
                .saturating_sub(slot.snapshot.load(Ordering::Relaxed));
            if since < COMPACT_AFTER.max(index.len() as u64 / 4) {
                return Ok(false);
            }
            let Some(snapshot) = IndexSnapshot::of(&index) else {
                return Ok(false);
            };
            (snapshot, slot.snapshot)
        };
        // Written without holding the index: a reply may use it meanwhile.
        let written = self.memories.write_index_snapshot(user, &snapshot).await?;
        // Not written: the log moved to another generation (the next read
        // starts again), or a snapshot as new is kept already.
        mark.fetch_max(snapshot.through, Ordering::Relaxed);
        if written {
            tracing::info!(user = %user, through = snapshot.through, items = snapshot.ops.len(), "index snapshot written");
        }
        Ok(written)
    }

    /// The memories that relate to `text`, as a prompt section: what the
    /// check-in and the journal prompt draw on. A failure to read the index
    /// leaves the section out (`purpose` names who goes without).
    pub async fn memories_section(
        &self,
        user: &UserId,
        text: &str,
        route: Route,
        now: DateTime<Utc>,
        purpose: &str,
    ) -> Option<String> {
        match self.index(user).await {
            Ok(index) => {
                let chosen = index.select(
                    &Query {
                        text,
                        vector: None,
                        route,
                        now,
                    },
                    None,
                );
                let memories: Vec<(String, String)> = chosen
                    .memories
                    .iter()
                    .map(|h| {
                        (
                            h.doc.category.map_or("memory", |c| c.as_str()).to_string(),
                            h.doc.text.clone(),
                        )
                    })
                    .collect();
                prompts::known_context(&memories, &[], &[])
            }
            Err(e) => {
                tracing::warn!(user = %user, error = %e, "could not read the index; the {purpose} goes without memories");
                None
            }
        }
    }

    /// Drop a person's cached index (after their erase).
    pub fn forget(&self, user: &UserId) {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop(user);
    }

    /// The query's vector, if semantic retrieval is on and the endpoint
    /// answers in time.
    pub async fn query_vector(&self, text: &str, deadline: Instant) -> Option<Vector> {
        self.embed_one(
            text,
            deadline,
            "could not embed the query; ranking lexically",
        )
        .await
    }

    /// The embedding to index an edited memory with: the new content's
    /// vector, or, for an edit of importance only, the vector the index
    /// already holds for the memory. `None` when semantic retrieval is off
    /// or the endpoint fails in time: the memory is then ranked lexically
    /// until it next changes, and the edit itself goes ahead.
    pub async fn edit_embedding(
        &self,
        user: &UserId,
        id: &MemoryId,
        patch: &MemoryPatch,
    ) -> Option<Embedding> {
        self.embedder.as_ref()?;
        if let Some(content) = &patch.content {
            let text = content.trim().to_string();
            let warning = "could not embed the edited memory; it is indexed without a vector";
            let vector = self
                .embed_one(&text, Instant::now() + QUERY_EMBED_BUDGET, warning)
                .await?;
            return Some(Embedding { text, vector });
        }
        let index = match self.index(user).await {
            Ok(index) => index,
            Err(e) => {
                tracing::warn!(user = %user, error = %e, "could not read the index; the edited memory is indexed without a vector");
                return None;
            }
        };
        let doc = index.doc(&doc_key(DocKind::Memory, id.as_str()))?;
        Some(Embedding {
            text: doc.text.clone(),
            vector: doc.vector.clone()?,
        })
    }

    async fn embed_one(&self, text: &str, deadline: Instant, warning: &str) -> Option<Vector> {
        let embedder = self.embedder.as_ref()?;
        let deadline = deadline.min(Instant::now() + QUERY_EMBED_BUDGET);
        match embedder.embed(&[text.to_string()], deadline).await {
            Ok(mut v) => v.pop().and_then(|v| Vector::from_f32(&v)),
            Err(e) => {
                tracing::warn!(error = %e, "{warning}");
                None
            }
        }
    }

    /// Vectors for `(key, text)` items, by key; empty when semantic
    /// retrieval is off. A failure is an error: the job is retried.
    pub async fn embed_items(
        &self,
        items: Vec<(String, String)>,
    ) -> Result<HashMap<String, Vector>, String> {
        let Some(embedder) = &self.embedder else {
            return Ok(HashMap::new());
        };
        if items.is_empty() {
            return Ok(HashMap::new());
        }
        let texts: Vec<String> = items.iter().map(|(_, t)| t.clone()).collect();
        let vectors = embedder
            .embed(&texts, Instant::now() + JOB_EMBED_BUDGET)
            .await
            .map_err(|e| format!("could not embed the job's memories: {e}"))?;
        Ok(items
            .into_iter()
            .zip(vectors)
            .filter_map(|((k, _), v)| Vector::from_f32(&v).map(|v| (k, v)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::extraction::{MemoryWrite, Plan};
    use crate::domain::ids::{MemoryId, MessageId, SessionId};
    use crate::domain::memory::{Category, Memory};
    use crate::domain::retrieval::job_ops;
    use crate::testing::{CallLog, FakeStore};
    use chrono::Utc;

    async fn person(store: &FakeStore, user: &UserId, facts: usize) {
        let texts: Vec<String> = (0..facts)
            .map(|i| format!("fact {i} about running and sleeping and working"))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        job(store, user, "s", &refs).await;
    }

    /// One extraction job's write for a session of its own, indexing `facts` memories.
    async fn job(store: &FakeStore, user: &UserId, session: &str, facts: &[&str]) {
        let s = SessionId::parse(session).unwrap();
        let memories: Vec<Memory> = facts
            .iter()
            .map(|f| Memory {
                id: MemoryId::generate(),
                category: Category::Progress,
                content: f.to_string(),
                importance: 5,
                source_message_ids: vec![MessageId::parse("m").unwrap()],
                session_id: s.clone(),
                created_at: Utc::now(),
                updated_at: Utc::now(),
                ended_at: None,
                superseded_by: None,
                edited: false,
            })
            .collect();
        let index = job_ops(
            &[],
            &memories,
            &s,
            "summary",
            Utc::now(),
            &Default::default(),
        );
        let writes = memories
            .into_iter()
            .map(|memory| MemoryWrite {
                memory,
                seen_updated_at: None,
            })
            .collect();
        let plan = Plan {
            writes,
            summary: "summary".into(),
            added: facts.len() as u32,
            index,
        };
        store
            .apply_extraction(user, &s, 0, 1, &plan, Utc::now())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_warm_index_never_serves_what_an_erase_removed_even_after_the_new_log_outgrows_the_old()
     {
        use crate::ports::PersonalData;
        let store = Arc::new(FakeStore::new(&CallLog::new()));
        let user = UserId::parse("u").unwrap();
        job(&store, &user, "s1", &["Secret about the old flat."]).await;
        job(&store, &user, "s2", &["Another old secret."]).await;
        // Another warm process holds an index built from the old log.
        let other = Retriever::new(store.clone(), None, 64);
        assert_eq!(
            other
                .index(&user)
                .await
                .unwrap()
                .docs()
                .filter(|d| d.text.contains("secret"))
                .count(),
            1
        );
        store.erase(&user, Utc::now()).await.unwrap();
        // The person starts again; the new log grows past the old one's seq.
        for i in 0..4 {
            job(
                &store,
                &user,
                &format!("new-{i}"),
                &[&format!("New fact {i}.")],
            )
            .await;
        }
        let index = other.index(&user).await.unwrap();
        let texts: Vec<&str> = index.docs().map(|d| d.text.as_str()).collect();
        assert!(
            texts.iter().all(|t| !t.to_lowercase().contains("secret")),
            "{texts:?}"
        );
        assert_eq!(
            texts.iter().filter(|t| t.starts_with("New fact")).count(),
            4
        );
    }

    #[tokio::test]
    async fn the_cache_stays_within_its_memory_budget() {
        let store = Arc::new(FakeStore::new(&CallLog::new()));
        let users: Vec<UserId> = (0..4)
            .map(|i| UserId::parse(format!("u{i}")).unwrap())
            .collect();
        for u in &users {
            person(&store, u, 2_000).await;
        }
        let retriever = Retriever::new(store, None, 1);
        let one = retriever.index(&users[0]).await.unwrap().approx_bytes();
        assert!(one > 300_000, "2,000 memories are not free: {one}");
        for u in &users {
            assert_eq!(retriever.index(u).await.unwrap().len(), 2_001);
        }
        let cache = retriever.cache.lock().unwrap();
        assert!(
            cache.len() < users.len(),
            "a 1 MB budget holds fewer than four such indexes: {}",
            cache.len()
        );
        assert!(cache.contains(&users[3]), "the most recent stays");
    }

    fn texts(index: &Index) -> Vec<(String, String)> {
        index.docs().map(|d| (d.key(), d.text.clone())).collect()
    }

    #[tokio::test]
    async fn a_cold_index_from_a_snapshot_is_the_index_from_the_whole_log_in_fewer_reads() {
        let log = CallLog::new();
        let store = Arc::new(FakeStore::new(&log));
        let user = UserId::parse("u").unwrap();
        for i in 0..600 {
            job(
                &store,
                &user,
                &format!("s{i}"),
                &[&format!("Fact {i} about the garden.")],
            )
            .await;
        }
        let warm = Retriever::new(store.clone(), None, 64);
        let forgotten: Vec<String> = warm
            .index(&user)
            .await
            .unwrap()
            .docs()
            .filter(|d| d.kind == DocKind::Memory)
            .take(5)
            .map(|d| d.id.clone())
            .collect();
        for id in &forgotten {
            store
                .forget_memory(&user, &MemoryId::parse(id).unwrap(), Utc::now())
                .await
                .unwrap();
        }
        let whole_log = store.index_entries(&user, 0, 10_000).await.unwrap();
        assert_eq!(whole_log.entries.len(), 605);
        assert!(warm.compact(&user).await.unwrap());
        assert!(!warm.compact(&user).await.unwrap(), "not due again yet");
        for i in 600..603 {
            job(
                &store,
                &user,
                &format!("s{i}"),
                &[&format!("Fact {i} about the garden.")],
            )
            .await;
        }
        let left = store.index_entries(&user, 0, 10_000).await.unwrap();
        assert_eq!(left.entries.len(), 3, "the log holds only what came after");

        log.clear();
        let cold = Retriever::new(store.clone(), None, 64);
        let cold_index = cold.index(&user).await.unwrap();
        assert_eq!(
            (
                log.count("store: index_entries"),
                log.count("store: index_snapshot")
            ),
            (1, 1),
            "one read of the log's tail and one of the snapshot, for 608 entries"
        );
        let warm_index = warm.index(&user).await.unwrap();
        assert_eq!(cold_index.through(), 608);
        assert_eq!(texts(&cold_index), texts(&warm_index));
        assert_eq!(cold_index.len(), 600 * 2 + 3 * 2 - 5);
        let q = Query {
            text: "garden fact 12",
            vector: None,
            route: Route::Support,
            now: Utc::now(),
        };
        let keys =
            |i: &Index| -> Vec<String> { i.search(&q, 20).iter().map(|h| h.doc.key()).collect() };
        assert_eq!(keys(&cold_index), keys(&warm_index));
    }

    #[tokio::test]
    async fn a_warm_index_left_behind_by_a_snapshot_loads_it_and_misses_nothing() {
        let store = Arc::new(FakeStore::new(&CallLog::new()));
        let user = UserId::parse("u").unwrap();
        for i in 0..10 {
            job(&store, &user, &format!("s{i}"), &[&format!("Fact {i}.")]).await;
        }
        // This process saw the first 10 entries; another goes on and compacts.
        let behind = Retriever::new(store.clone(), None, 64);
        assert_eq!(behind.index(&user).await.unwrap().through(), 10);
        for i in 10..300 {
            job(&store, &user, &format!("s{i}"), &[&format!("Fact {i}.")]).await;
        }
        let other = Retriever::new(store.clone(), None, 64);
        assert!(other.compact(&user).await.unwrap());
        job(&store, &user, "s300", &["Fact 300."]).await;
        let index = behind.index(&user).await.unwrap();
        assert_eq!(index.through(), 301);
        assert_eq!(texts(&index), texts(&other.index(&user).await.unwrap()));
        assert_eq!(
            index.docs().filter(|d| d.kind == DocKind::Memory).count(),
            301
        );
    }
}
