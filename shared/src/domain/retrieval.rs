//! Retrieval: one engine ranks what Hearth knows about a person before
//! every reply, and answers `GET /v1/search`. Pure code, no I/O.
//!
//! Three kinds of item are indexed: memories, session summaries (one per
//! session, its rolling summary) and past messages. A person's index is
//! built from an append-only log of [`IndexOp`]s that the stores keep (the
//! worker and the memory edits write it); a warm container keeps the built
//! [`Index`] and applies only the log entries after the ones it has seen.
//!
//! The score of an item blends:
//! - lexical relevance: BM25 over Snowball-stemmed content words;
//! - semantic relevance, when vectors exist (`HEARTH_EMBED_MODEL`): cosine
//!   of the query's vector with the item's;
//! - recency (a 30-day half-life), importance (memories, 1–10) and the
//!   fit of the item's category to the route.
//!
//! Boundaries are enforced here: items that touch a topic the person asked
//! not to raise are filtered out unless their message raises it. Near
//! duplicates (content-word overlap ≥ [`NEAR_DUPLICATE`]) are dropped.

use super::boundaries::{self, Boundary};

use super::ids::SessionId;
use super::memory::{Category, Memory};
use super::message::{Message, Role};
use super::route::Route;
use super::text::{jaccard, terms, tokens};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{HashMap, HashSet};

/// The kinds of item the engine ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Memory,
    Summary,
    Message,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Memory => "memory",
            DocKind::Summary => "summary",
            DocKind::Message => "message",
        }
    }
}

/// An embedding, unit-normalised and quantised to `i8` (cosine survives
/// the quantisation to about 1%; a 384-d vector costs 384 bytes). Stored
/// as base64.
#[derive(Debug, Clone, PartialEq)]
pub struct Vector(Vec<i8>);

impl Vector {
    /// `None` for an empty or all-zero vector.
    pub fn from_f32(v: &[f32]) -> Option<Vector> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return None;
        }
        Some(Vector(
            v.iter()
                .map(|x| (x / norm * 127.0).round().clamp(-127.0, 127.0) as i8)
                .collect(),
        ))
    }

    /// Cosine similarity; 0 when the dimensions differ.
    pub fn cosine(&self, other: &Vector) -> f32 {
        if self.0.len() != other.0.len() {
            return 0.0;
        }
        let (mut dot, mut na, mut nb) = (0i32, 0i32, 0i32);
        for (a, b) in self.0.iter().zip(&other.0) {
            let (a, b) = (*a as i32, *b as i32);
            dot += a * b;
            na += a * a;
            nb += b * b;
        }
        if na == 0 || nb == 0 {
            return 0.0;
        }
        dot as f32 / ((na as f32).sqrt() * (nb as f32).sqrt())
    }
}

impl Serialize for Vector {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = self.0.iter().map(|x| *x as u8).collect();
        s.serialize_str(&base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes))
    }
}

impl<'de> Deserialize<'de> for Vector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(s)
            .map_err(serde::de::Error::custom)?;
        Ok(Vector(bytes.into_iter().map(|b| b as i8).collect()))
    }
}

/// One indexed item: what ranking needs and what a search hit shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Doc {
    pub kind: DocKind,
    /// The memory's or message's id; for a summary, its session's id.
    pub id: String,
    pub session_id: SessionId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    pub importance: u8,
    pub text: String,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<Vector>,
}

impl Doc {
    /// `memory:<id>`, `summary:<session>` or `message:<id>`: what
    /// `memories_used` lists, and what a later op replaces.
    pub fn key(&self) -> String {
        doc_key(self.kind, &self.id)
    }

    pub fn memory(m: &Memory, vector: Option<Vector>) -> Doc {
        Doc {
            kind: DocKind::Memory,
            id: m.id.to_string(),
            session_id: m.session_id.clone(),
            external_id: None,
            category: Some(m.category),
            role: None,
            importance: m.importance,
            text: m.content.clone(),
            at: m.updated_at,
            vector,
        }
    }

    pub fn summary(
        session: &SessionId,
        text: &str,
        at: DateTime<Utc>,
        vector: Option<Vector>,
    ) -> Doc {
        Doc {
            kind: DocKind::Summary,
            id: session.to_string(),
            session_id: session.clone(),
            external_id: None,
            category: None,
            role: None,
            importance: 5,
            text: text.to_string(),
            at,
            vector,
        }
    }

    pub fn message(m: &Message) -> Doc {
        Doc {
            kind: DocKind::Message,
            id: m.id.to_string(),
            session_id: m.session_id.clone(),
            external_id: m.external_id.clone(),
            category: None,
            role: Some(m.role),
            importance: 5,
            text: m.content.clone(),
            at: m.created_at,
            vector: None,
        }
    }
}

pub fn doc_key(kind: DocKind, id: &str) -> String {
    format!("{}:{id}", kind.as_str())
}

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
pub fn memory_op(m: &Memory, vector: Option<Vector>) -> IndexOp {
    if m.is_active() {
        IndexOp::Put(Doc::memory(m, vector))
    } else {
        IndexOp::Remove {
            key: doc_key(DocKind::Memory, m.id.as_str()),
        }
    }
}

/// A vector and the text it was computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    pub text: String,
    pub vector: Vector,
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

/// BM25 parameters (the usual ones).
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Content-word overlap (Jaccard) at which two items count as one.
pub const NEAR_DUPLICATE: f32 = 0.6;
/// Recency half-life.
const HALF_LIFE_DAYS: f32 = 30.0;

/// How the parts of a score are weighted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub relevance: f32,
    pub recency: f32,
    pub importance: f32,
    pub category: f32,
    /// Share of relevance that is semantic, when both sides have vectors.
    pub semantic: f32,
}

pub const WEIGHTS: Weights = Weights {
    relevance: 0.6,
    recency: 0.15,
    importance: 0.15,
    category: 0.10,
    semantic: 0.5,
};

/// How well an item's category fits a route (0–1).
pub fn category_fit(route: Route, kind: DocKind, category: Option<Category>) -> f32 {
    use Category::*;
    match (kind, category) {
        (DocKind::Summary, _) => {
            if route == Route::Pattern {
                1.0
            } else {
                0.6
            }
        }
        (DocKind::Message, _) => 0.5,
        (DocKind::Memory, None) => 0.5,
        (DocKind::Memory, Some(c)) => match (route, c) {
            (Route::Pattern, Progress | TriggersAndBoundaries) => 1.0,
            (Route::Pattern, ValuesAndCoping) => 0.7,
            (Route::Pattern, _) => 0.5,
            (Route::Reasoning, WorkAndLife) => 1.0,
            (Route::Reasoning, Relationships | ValuesAndCoping) => 0.8,
            (Route::Reasoning, _) => 0.6,
            (_, ValuesAndCoping) => 1.0,
            (_, Relationships | TriggersAndBoundaries) => 0.8,
            (_, _) => 0.6,
        },
    }
}

/// How many items of each kind a route's prompt may hold (before the token
/// budgets trim them), and which of them must relate to the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub memories: usize,
    /// Summaries of the current session and, when `earlier_summaries`,
    /// of earlier ones.
    pub summaries: usize,
    /// Earlier sessions' summaries must relate to the message (`reasoning`)
    /// or are taken across sessions regardless (`pattern`).
    pub summaries_need_relevance: bool,
    pub earlier_summaries: bool,
    /// Past messages of earlier sessions that relate to the message.
    pub messages: usize,
}

impl Quota {
    pub fn for_route(route: Route) -> Quota {
        match route {
            // A few top memories and the current rolling summary.
            Route::Support => Quota {
                memories: 5,
                summaries: 1,
                summaries_need_relevance: true,
                earlier_summaries: false,
                messages: 2,
            },
            // More memories, and the relevant summaries of earlier sessions.
            Route::Reasoning => Quota {
                memories: 10,
                summaries: 4,
                summaries_need_relevance: true,
                earlier_summaries: true,
                messages: 3,
            },
            // Summaries across many sessions; progress and boundaries memories fit best.
            Route::Pattern => Quota {
                memories: 10,
                summaries: 8,
                summaries_need_relevance: false,
                earlier_summaries: true,
                messages: 3,
            },
            // The safety prompt and the conversation only.
            Route::Crisis => Quota {
                memories: 0,
                summaries: 0,
                summaries_need_relevance: true,
                earlier_summaries: false,
                messages: 0,
            },
        }
    }
}

/// What a reply or a search asks.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    pub text: &'a str,
    pub vector: Option<&'a Vector>,
    pub route: Route,
    pub now: DateTime<Utc>,
}

/// A ranked item.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    pub doc: &'a Doc,
    pub score: f32,
    /// Lexical or semantic relevance to the query (0–1).
    pub relevance: f32,
}

/// What goes into a reply's prompt.
#[derive(Debug, Clone, Default)]
pub struct Selection<'a> {
    pub memories: Vec<Hit<'a>>,
    pub summaries: Vec<Hit<'a>>,
    pub messages: Vec<Hit<'a>>,
}

struct Slot {
    doc: Doc,
    len: u32,
    terms: HashSet<String>,
}

/// What scoring reads of an item, kept apart from the item in one dense
/// array: scoring touches thousands of items per query, and reading a few
/// bytes each (not the whole item) keeps that in cache.
#[derive(Clone, Copy)]
struct Meta {
    live: bool,
    kind: DocKind,
    user_message: bool,
    has_vector: bool,
    importance: u8,
    category: Option<Category>,
    len: u32,
    session: u32,
    at: i64,
}

/// A person's index: an inverted index over every item, plus the kind
/// lists that let memories and summaries be scored in full.
#[derive(Default)]
pub struct Index {
    /// The last log entry applied.
    through: u64,
    slots: Vec<Option<Slot>>,
    by_key: HashMap<String, u32>,
    postings: HashMap<String, Vec<(u32, u16)>>,
    total_len: u64,
    live: u32,
    dead: u32,
    /// The person's boundaries, as stemmed topic words (kept up to date
    /// as `triggers_and_boundaries` memories come and go).
    fences: Vec<Boundary>,
    fences_stale: bool,
    meta: Vec<Meta>,
    sessions: HashMap<String, u32>,
    /// An estimate of the heap this index holds, kept as it changes.
    bytes: usize,
    /// The generation of the log it was built from, once seen.
    generation: Option<u64>,
}

impl Index {
    pub fn new() -> Index {
        Index::default()
    }

    /// About how many bytes of memory the index holds (text, words,
    /// postings, vectors): what a process's index cache is bounded by.
    pub fn approx_bytes(&self) -> usize {
        self.bytes
    }

    /// The generation of the log this index was built from, once known.
    pub fn generation(&self) -> Option<u64> {
        self.generation
    }

    pub fn set_generation(&mut self, generation: u64) {
        self.generation = Some(generation);
    }

    /// The last log entry applied (0: none).
    pub fn through(&self) -> u64 {
        self.through
    }

    pub fn len(&self) -> usize {
        self.live as usize
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Apply one log entry's ops. Entries must come in order; an entry at
    /// or before `through` was applied already and is skipped.
    pub fn apply(&mut self, seq: u64, ops: &[IndexOp]) {
        if seq <= self.through {
            return;
        }
        for op in ops {
            match op {
                IndexOp::Put(doc) => self.put(doc.clone()),
                IndexOp::Remove { key } => self.remove(key),
            }
        }
        self.through = seq;
        if self.dead > 1_000 && self.dead > self.live {
            self.compact();
        }
        self.refresh_fences();
    }

    fn refresh_fences(&mut self) {
        if !self.fences_stale {
            return;
        }
        self.fences = self.boundaries();
        self.fences_stale = false;
    }

    fn is_fence(doc: &Doc) -> bool {
        doc.kind == DocKind::Memory && doc.category == Some(Category::TriggersAndBoundaries)
    }

    /// Build from docs directly (tests, benchmarks, evaluation).
    pub fn from_docs(docs: impl IntoIterator<Item = Doc>) -> Index {
        let mut index = Index::new();
        for d in docs {
            index.put(d);
        }
        index.refresh_fences();
        index
    }

    fn put(&mut self, doc: Doc) {
        self.fences_stale |= Self::is_fence(&doc);
        let key = doc.key();
        self.remove(&key);
        let toks = tokens(&doc.text);
        let mut tf: HashMap<&str, u16> = HashMap::new();
        for t in &toks {
            *tf.entry(t).or_default() += 1;
        }
        let slot = self.slots.len() as u32;
        for (t, n) in &tf {
            self.postings
                .entry((*t).to_string())
                .or_default()
                .push((slot, *n));
        }
        let terms = tf.keys().map(|t| t.to_string()).collect();
        self.total_len += toks.len() as u64;
        self.live += 1;
        self.by_key.insert(key, slot);
        let next = self.sessions.len() as u32;
        let session = *self
            .sessions
            .entry(doc.session_id.as_str().to_string())
            .or_insert(next);
        self.meta.push(Meta {
            live: true,
            kind: doc.kind,
            user_message: doc.kind == DocKind::Message && doc.role == Some(Role::User),
            has_vector: doc.vector.is_some(),
            importance: doc.importance.min(10),
            category: doc.category,
            len: toks.len() as u32,
            session,
            at: doc.at.timestamp(),
        });
        self.bytes += doc.text.len() * 2
            + doc.id.len()
            + doc.vector.as_ref().map_or(0, |v| v.0.len())
            + tf.len() * 48
            + std::mem::size_of::<Slot>()
            + std::mem::size_of::<Meta>()
            + 64;
        self.slots.push(Some(Slot {
            doc,
            len: toks.len() as u32,
            terms,
        }));
    }

    fn remove(&mut self, key: &str) {
        if let Some(slot) = self.by_key.remove(key)
            && let Some(old) = self.slots[slot as usize].take()
        {
            self.fences_stale |= Self::is_fence(&old.doc);
            self.meta[slot as usize].live = false;
            self.total_len -= old.len as u64;
            self.live -= 1;
            self.dead += 1;
        }
    }

    /// Rebuild without the dead slots.
    fn compact(&mut self) {
        let docs: Vec<Doc> = std::mem::take(&mut self.slots)
            .into_iter()
            .flatten()
            .map(|s| s.doc)
            .collect();
        let (through, generation) = (self.through, self.generation);
        *self = Index::from_docs(docs);
        self.through = through;
        self.generation = generation;
    }

    /// The live item with this key (`memory:<id>`, ...).
    pub fn doc(&self, key: &str) -> Option<&Doc> {
        self.by_key
            .get(key)
            .and_then(|&slot| self.slots[slot as usize].as_ref())
            .map(|s| &s.doc)
    }

    pub fn docs(&self) -> impl Iterator<Item = &Doc> {
        self.slots.iter().flatten().map(|s| &s.doc)
    }

    /// BM25 of every item that shares a content word with `text`: a dense
    /// score per slot, and the slots that have one.
    fn bm25(&self, text: &str) -> (Vec<f32>, Vec<u32>) {
        let mut query: Vec<String> = tokens(text);
        query.sort();
        query.dedup();
        let n = self.live.max(1) as f32;
        let avg = (self.total_len as f32 / n).max(1.0);
        let mut scores = vec![0.0f32; self.slots.len()];
        let mut touched = Vec::new();
        for t in &query {
            let Some(list) = self.postings.get(t) else {
                continue;
            };
            let df = list
                .iter()
                .filter(|(s, _)| self.meta[*s as usize].live)
                .count() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for (slot, tf) in list {
                let s = &self.meta[*slot as usize];
                if !s.live {
                    continue;
                }
                let tf = *tf as f32;
                let score = &mut scores[*slot as usize];
                if *score == 0.0 {
                    touched.push(*slot);
                }
                *score += idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * s.len as f32 / avg));
            }
        }
        (scores, touched)
    }

    /// Plain BM25 over messages only: the baseline the evaluation compares against.
    pub fn bm25_messages(&self, text: &str, k: usize) -> Vec<Hit<'_>> {
        let (scores, touched) = self.bm25(text);
        let mut hits: Vec<Hit<'_>> = touched
            .into_iter()
            .filter_map(|slot| {
                let doc = &self.slots[slot as usize].as_ref()?.doc;
                let s = scores[slot as usize];
                (doc.kind == DocKind::Message).then_some(Hit {
                    doc,
                    score: s,
                    relevance: s,
                })
            })
            .collect();
        sort_hits(&mut hits);
        hits.truncate(k);
        hits
    }

    /// Score items: those sharing a word with the query, plus (when
    /// `all_of` says so) every memory or summary.
    /// Score items: those sharing a word with the query, every memory and
    /// summary when `all` is set, and (with a query vector) every item that
    /// has a vector. `keep` sees each candidate's metadata first.
    fn scored(
        &self,
        q: &Query<'_>,
        all: bool,
        keep: impl Fn(&Meta) -> bool,
    ) -> Vec<(u32, f32, f32)> {
        let (lexical, mut slots) = self.bm25(q.text);
        let max = slots
            .iter()
            .map(|s| lexical[*s as usize])
            .fold(0.0f32, f32::max);
        if all || q.vector.is_some() {
            for (i, m) in self.meta.iter().enumerate() {
                if m.live
                    && lexical[i] == 0.0
                    && ((all && m.kind != DocKind::Message) || (q.vector.is_some() && m.has_vector))
                {
                    slots.push(i as u32);
                }
            }
        }
        let now = q.now.timestamp();
        slots
            .into_iter()
            .filter_map(|slot| {
                let m = &self.meta[slot as usize];
                if !m.live || !keep(m) {
                    return None;
                }
                let lex = if max > 0.0 {
                    lexical[slot as usize] / max
                } else {
                    0.0
                };
                let relevance = match (q.vector, m.has_vector) {
                    (Some(a), true) => {
                        let b = self.slots[slot as usize].as_ref()?.doc.vector.as_ref()?;
                        (1.0 - WEIGHTS.semantic) * lex + WEIGHTS.semantic * semantic(a.cosine(b))
                    }
                    _ => lex,
                };
                let age_days = (now - m.at).max(0) as f32 / 86_400.0;
                let recency = (-std::f32::consts::LN_2 * age_days / HALF_LIFE_DAYS).exp();
                let importance = m.importance as f32 / 10.0;
                let fit = category_fit(q.route, m.kind, m.category);
                let score = WEIGHTS.relevance * relevance
                    + WEIGHTS.recency * recency
                    + WEIGHTS.importance * importance
                    + WEIGHTS.category * fit;
                Some((slot, score, relevance))
            })
            .collect()
    }

    fn hit(
        &self,
        (slot, score, relevance): (u32, f32, f32),
    ) -> Option<(Hit<'_>, &HashSet<String>)> {
        let s = self.slots[slot as usize].as_ref()?;
        Some((
            Hit {
                doc: &s.doc,
                score,
                relevance,
            },
            &s.terms,
        ))
    }

    /// Search: items that relate to the query (lexically or, with vectors,
    /// semantically), best first, near duplicates dropped.
    pub fn search(&self, q: &Query<'_>, limit: usize) -> Vec<Hit<'_>> {
        self.ranked(q, limit, true)
    }

    fn ranked(&self, q: &Query<'_>, limit: usize, dedupe: bool) -> Vec<Hit<'_>> {
        let scored: Vec<(u32, f32, f32)> = self
            .scored(q, false, |_| true)
            .into_iter()
            .filter(|(_, _, r)| *r > MIN_RELEVANCE)
            .collect();
        let mut chosen: Vec<(Hit<'_>, &HashSet<String>)> = Vec::new();
        for s in BestFirst::new(scored, limit * 2) {
            if chosen.len() == limit {
                break;
            }
            if let Some((hit, terms)) = self.hit(s)
                && !(dedupe
                    && chosen
                        .iter()
                        .any(|(_, t)| jaccard(t, terms) >= NEAR_DUPLICATE))
            {
                chosen.push((hit, terms));
            }
        }
        chosen.into_iter().map(|(h, _)| h).collect()
    }

    /// What a reply's prompt gets, by the route's quota: memories, the
    /// current session's summary (and earlier ones the route calls for),
    /// and past messages of earlier sessions. Items touching a boundary in
    /// force are left out; near duplicates are dropped across kinds.
    pub fn select(&self, q: &Query<'_>, current: Option<&SessionId>) -> Selection<'_> {
        let quota = Quota::for_route(q.route);
        let mut out = Selection::default();
        if quota.memories + quota.summaries + quota.messages == 0 {
            return out;
        }
        // Boundaries in force: those the message itself does not raise.
        let said = terms(q.text);
        let in_force = boundaries::in_force(&self.fences, &said);
        let touches = |terms: &HashSet<String>| in_force.iter().any(|b| b.touches(terms));
        // Candidates by kind, with the cheap conditions applied first.
        let (mut memories, mut summaries, mut messages) = (Vec::new(), Vec::new(), Vec::new());
        let mut current_summary = None;
        let current = current.and_then(|c| self.sessions.get(c.as_str()).copied());
        // Messages of the current session are in its turns already.
        let keep =
            |m: &Meta| m.kind != DocKind::Message || (m.user_message && Some(m.session) != current);
        for c in self.scored(q, true, keep) {
            let m = &self.meta[c.0 as usize];
            match m.kind {
                DocKind::Memory => memories.push(c),
                DocKind::Summary if Some(m.session) == current => current_summary = Some(c),
                DocKind::Summary => {
                    if quota.earlier_summaries
                        && (!quota.summaries_need_relevance || c.2 > MIN_RELEVANCE)
                    {
                        summaries.push(c)
                    }
                }
                DocKind::Message => {
                    if c.2 > MIN_RELEVANCE {
                        messages.push(c)
                    }
                }
            }
        }
        let mut chosen: Vec<&HashSet<String>> = Vec::new();
        // The current session's summary comes first when the route takes one.
        if quota.summaries > 0
            && let Some(s) = current_summary
            && let Some((hit, terms)) = self.hit(s)
            && !touches(terms)
        {
            out.summaries.push(hit);
            chosen.push(terms);
        }
        // Memories first, then summaries, then messages, each best first: a
        // message that a memory already distils is its near duplicate.
        let scored = BestFirst::new(memories, quota.memories * 4)
            .chain(BestFirst::new(summaries, quota.summaries * 4))
            .chain(BestFirst::new(messages, quota.messages * 4));
        for s in scored {
            if out.memories.len() == quota.memories
                && out.summaries.len() == quota.summaries
                && out.messages.len() == quota.messages
            {
                break;
            }
            let Some((hit, terms)) = self.hit(s) else {
                continue;
            };
            let d = hit.doc;
            let wanted = match d.kind {
                DocKind::Memory => out.memories.len() < quota.memories,
                DocKind::Summary => out.summaries.len() < quota.summaries,
                DocKind::Message => out.messages.len() < quota.messages,
            };
            let exempt = d.category == Some(Category::TriggersAndBoundaries);
            if !wanted
                || (!exempt && touches(terms))
                || chosen.iter().any(|t| jaccard(t, terms) >= NEAR_DUPLICATE)
            {
                continue;
            }
            chosen.push(terms);
            match d.kind {
                DocKind::Memory => out.memories.push(hit),
                DocKind::Summary => out.summaries.push(hit),
                DocKind::Message => out.messages.push(hit),
            }
        }
        out
    }

    /// The person's boundaries, from their `triggers_and_boundaries` memories.
    pub fn boundaries(&self) -> Vec<Boundary> {
        boundaries::from_texts(
            self.docs()
                .filter(|d| {
                    d.kind == DocKind::Memory && d.category == Some(Category::TriggersAndBoundaries)
                })
                .map(|d| d.text.as_str()),
        )
    }
}

/// Scored items best first, sorted only as far as they are read: each
/// chunk (growing fourfold) is picked out with `select_nth_unstable_by`
/// and then sorted, so taking the top few of 20,000 costs a linear pass.
struct BestFirst {
    items: Vec<(u32, f32, f32)>,
    pos: usize,
    ready: usize,
    chunk: usize,
}

impl BestFirst {
    fn new(items: Vec<(u32, f32, f32)>, first_chunk: usize) -> Self {
        Self {
            items,
            pos: 0,
            ready: 0,
            chunk: first_chunk.max(8),
        }
    }
}

fn best_first(a: &(u32, f32, f32), b: &(u32, f32, f32)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

impl Iterator for BestFirst {
    type Item = (u32, f32, f32);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos == self.ready {
            let rest = &mut self.items[self.pos..];
            if rest.is_empty() {
                return None;
            }
            let take = self.chunk.min(rest.len());
            if take < rest.len() {
                rest.select_nth_unstable_by(take - 1, best_first);
            }
            rest[..take].sort_by(best_first);
            self.ready = self.pos + take;
            self.chunk = self.chunk.saturating_mul(4);
        }
        let item = self.items[self.pos];
        self.pos += 1;
        Some(item)
    }
}

/// The active memories most related to `text` (the extraction job's
/// view): ranked by the same engine, near duplicates kept, since the job
/// must see them to update or supersede them.
pub fn related_memories(
    memories: &[Memory],
    text: &str,
    k: usize,
    now: DateTime<Utc>,
) -> Vec<Memory> {
    let index = Index::from_docs(
        memories
            .iter()
            .filter(|m| m.is_active())
            .map(|m| Doc::memory(m, None)),
    );
    let by_id: HashMap<&str, &Memory> = memories.iter().map(|m| (m.id.as_str(), m)).collect();
    index
        .ranked(
            &Query {
                text,
                vector: None,
                route: Route::Reasoning,
                now,
            },
            k,
            false,
        )
        .iter()
        .filter_map(|h| by_id.get(h.doc.id.as_str()).map(|m| (*m).clone()))
        .collect()
}

/// Cosine below which two texts are taken as unrelated: embedding models
/// put unrelated texts at 0.1–0.25, not at 0.
const SEMANTIC_FLOOR: f32 = 0.25;

fn semantic(cosine: f32) -> f32 {
    ((cosine - SEMANTIC_FLOOR) / (1.0 - SEMANTIC_FLOOR)).max(0.0)
}

/// Relevance below which an item does not count as related.
const MIN_RELEVANCE: f32 = 0.05;

fn sort_hits(hits: &mut [Hit<'_>]) {
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.doc.id.cmp(&b.doc.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(days_ago: i64) -> DateTime<Utc> {
        "2026-06-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap() - Duration::days(days_ago)
    }

    fn now() -> DateTime<Utc> {
        at(0)
    }

    fn memory(id: &str, category: Category, importance: u8, text: &str, days_ago: i64) -> Doc {
        Doc {
            kind: DocKind::Memory,
            id: id.into(),
            session_id: SessionId::parse("s-old").unwrap(),
            external_id: None,
            category: Some(category),
            role: None,
            importance,
            text: text.into(),
            at: at(days_ago),
            vector: None,
        }
    }

    fn message(id: &str, session: &str, text: &str, days_ago: i64) -> Doc {
        Doc {
            kind: DocKind::Message,
            id: id.into(),
            session_id: SessionId::parse(session).unwrap(),
            external_id: None,
            category: None,
            role: Some(Role::User),
            importance: 5,
            text: text.into(),
            at: at(days_ago),
            vector: None,
        }
    }

    fn q(text: &str, route: Route) -> Query<'_> {
        Query {
            text,
            vector: None,
            route,
            now: now(),
        }
    }

    #[test]
    fn relevance_then_recency_and_importance_order_memories() {
        let index = Index::from_docs([
            memory(
                "a",
                Category::WorkAndLife,
                5,
                "Started a new job at the bakery",
                40,
            ),
            memory(
                "b",
                Category::WorkAndLife,
                5,
                "Dreads Monday meetings at the new job",
                2,
            ),
            memory(
                "c",
                Category::Relationships,
                9,
                "Sister Maya lives in Leeds",
                1,
            ),
        ]);
        let hits = index.search(&q("how is the new job going", Route::Support), 10);
        let ids: Vec<&str> = hits.iter().map(|h| h.doc.id.as_str()).collect();
        assert_eq!(
            ids,
            ["b", "a"],
            "only related items are search hits; the recent one first"
        );
        let sel = index.select(&q("hello", Route::Support), None);
        assert_eq!(
            sel.memories.len(),
            3,
            "support takes top memories even without a shared word"
        );
        assert_eq!(
            sel.memories[0].doc.id, "c",
            "the important, recent one leads"
        );
    }

    #[test]
    fn near_duplicates_are_dropped() {
        let index = Index::from_docs([
            message(
                "m1",
                "s1",
                "I can't sleep again, my mind keeps racing at night",
                3,
            ),
            message(
                "m2",
                "s2",
                "I can't sleep again, my mind keeps racing at night.",
                2,
            ),
            message("m3", "s3", "Sleep was better after the walk", 1),
        ]);
        let hits = index.search(&q("sleep at night", Route::Support), 10);
        assert_eq!(
            hits.len(),
            2,
            "{:?}",
            hits.iter().map(|h| &h.doc.id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn puts_replace_and_removes_drop() {
        let mut index = Index::new();
        index.apply(
            1,
            &[IndexOp::Put(memory(
                "a",
                Category::Progress,
                5,
                "Ran 5k",
                1,
            ))],
        );
        index.apply(
            2,
            &[IndexOp::Put(memory(
                "a",
                Category::Progress,
                5,
                "Ran 10k in the park",
                1,
            ))],
        );
        assert_eq!(index.len(), 1);
        assert!(index.search(&q("park", Route::Support), 5).len() == 1);
        index.apply(
            2,
            &[IndexOp::Remove {
                key: "memory:a".into(),
            }],
        );
        assert_eq!(index.len(), 1, "an entry already applied is skipped");
        index.apply(
            3,
            &[IndexOp::Remove {
                key: "memory:a".into(),
            }],
        );
        assert!(index.is_empty());
        assert!(index.search(&q("park", Route::Support), 5).is_empty());
        assert_eq!(index.through(), 3);
    }

    #[test]
    fn only_boundary_memories_state_boundaries() {
        let index = Index::from_docs([memory(
            "r",
            Category::Relationships,
            5,
            "Does not want to talk about work.",
            1,
        )]);
        assert!(index.boundaries().is_empty());
        let index = Index::from_docs([memory(
            "b",
            Category::TriggersAndBoundaries,
            5,
            "Does not want to talk about work.",
            1,
        )]);
        assert_eq!(index.boundaries().len(), 1);
    }

    #[test]
    fn boundaries_filter_items_until_raised() {
        let index = Index::from_docs([
            memory(
                "b",
                Category::TriggersAndBoundaries,
                8,
                "Does not want to talk about her divorce",
                10,
            ),
            memory(
                "d",
                Category::Relationships,
                6,
                "Her divorce was finalized in March",
                20,
            ),
            message("m", "s1", "The divorce lawyer called about March", 20),
            memory(
                "c",
                Category::ValuesAndCoping,
                6,
                "Cooking helps her unwind in March",
                5,
            ),
        ]);
        let sel = index.select(
            &q("what should I do in March", Route::Reasoning),
            Some(&SessionId::parse("now").unwrap()),
        );
        let ids: Vec<&str> = sel
            .memories
            .iter()
            .chain(&sel.messages)
            .map(|h| h.doc.id.as_str())
            .collect();
        assert!(!ids.contains(&"d") && !ids.contains(&"m"), "{ids:?}");
        assert!(ids.contains(&"c") && ids.contains(&"b"));
        let sel = index.select(&q("the divorce is on my mind", Route::Reasoning), None);
        assert!(
            sel.memories.iter().any(|h| h.doc.id == "d"),
            "she raised it herself"
        );
    }

    #[test]
    fn routes_take_their_quotas() {
        let mut docs = Vec::new();
        for i in 0..12 {
            let s = SessionId::parse(format!("s{i}")).unwrap();
            docs.push(Doc::summary(
                &s,
                &format!(
                    "Talked about {}",
                    [
                        "work", "sleep", "mum", "running", "exams", "money", "moving", "friends",
                        "cooking", "music", "rain", "holidays"
                    ][i as usize]
                ),
                at(30 - i),
                None,
            ));
            docs.push(memory(
                &format!("m{i}"),
                if i % 2 == 0 {
                    Category::Progress
                } else {
                    Category::WorkAndLife
                },
                5,
                [
                    "apples", "boats", "cello", "dancing", "eagles", "forests", "gardens",
                    "harbours", "islands", "jazz", "kites", "lanterns",
                ][i as usize],
                i,
            ));
        }
        let index = Index::from_docs(docs);
        let current = SessionId::parse("s11").unwrap();
        let support = index.select(&q("hi", Route::Support), Some(&current));
        assert_eq!(support.summaries.len(), 1);
        assert_eq!(
            support.summaries[0].doc.id, "s11",
            "support: the current rolling summary only"
        );
        assert_eq!(support.memories.len(), 5);
        let pattern = index.select(&q("do I keep doing this", Route::Pattern), Some(&current));
        assert!(
            pattern.summaries.len() >= 2,
            "pattern: summaries across sessions"
        );
        assert!(
            pattern
                .memories
                .iter()
                .take(3)
                .all(|h| h.doc.category == Some(Category::Progress)),
            "progress fits the pattern route"
        );
        assert!(
            index
                .select(&q("hi", Route::Crisis), Some(&current))
                .memories
                .is_empty()
        );
    }

    #[test]
    fn best_first_yields_the_full_sort_order() {
        let items: Vec<(u32, f32, f32)> = (0..1_000u32)
            .map(|i| (i, ((i * 7919) % 1_009) as f32 / 7.0, 0.0))
            .collect();
        let mut sorted = items.clone();
        sorted.sort_by(best_first);
        let lazy: Vec<_> = BestFirst::new(items, 3).collect();
        assert_eq!(lazy, sorted);
        assert!(BestFirst::new(Vec::new(), 5).next().is_none());
    }

    #[test]
    fn vectors_round_trip_and_blend() {
        let v = Vector::from_f32(&[0.6, 0.8, 0.0]).unwrap();
        let json = serde_json::to_string(&v).unwrap();
        let back: Vector = serde_json::from_str(&json).unwrap();
        assert!((back.cosine(&v) - 1.0).abs() < 0.01);
        assert!(Vector::from_f32(&[0.0, 0.0]).is_none());
        let dog = Vector::from_f32(&[1.0, 0.0, 0.1]).unwrap();
        let mut m = memory(
            "dog",
            Category::ValuesAndCoping,
            5,
            "Walks Rex every morning",
            5,
        );
        m.vector = Some(dog.clone());
        let other = memory("x", Category::ValuesAndCoping, 5, "Likes jazz records", 5);
        let index = Index::from_docs([m, other]);
        let query = Vector::from_f32(&[0.9, 0.1, 0.0]).unwrap();
        assert!(
            index.search(&q("my puppy", Route::Support), 5).is_empty(),
            "no shared word"
        );
        let hits = index.search(
            &Query {
                vector: Some(&query),
                ..q("my puppy", Route::Support)
            },
            5,
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].doc.id, "dog");
    }
}
