//! A person's index: an inverted index (postings of stemmed content words)
//! over every item, a dense array of what scoring reads of each item, and
//! the person's boundaries, kept up to date as log entries are applied.
//! Scoring and selection read it (`scoring.rs`, `selection.rs`).

use super::dated;
use super::doc::{Doc, DocKind};
use super::log::IndexOp;
use super::scoring::{TUNING, Tuning};
use crate::domain::boundaries::{self, Boundary};
use crate::domain::memory::Category;
use crate::domain::message::Role;
use crate::domain::text::tokens;
use std::collections::{HashMap, HashSet};

pub(super) struct Slot {
    pub(super) doc: Doc,
    len: u32,
    pub(super) terms: HashSet<String>,
}

/// What scoring reads of an item, kept apart from the item in one dense
/// array: scoring touches thousands of items per query, and reading a few
/// bytes each (not the whole item) keeps that in cache.
#[derive(Clone, Copy)]
pub(super) struct Meta {
    pub(super) live: bool,
    pub(super) kind: DocKind,
    pub(super) user_message: bool,
    /// Said in crisis: searchable, never a reply's excerpt.
    pub(super) crisis: bool,
    pub(super) has_vector: bool,
    /// Its text dates something ("yesterday", "on 6 May"): evidence for
    /// a question about when.
    pub(super) dated: bool,
    pub(super) importance: u8,
    pub(super) category: Option<Category>,
    pub(super) len: u32,
    pub(super) session: u32,
    pub(super) at: i64,
    /// A message's neighbours in its session (the slots of seq - 1 and
    /// seq + 1), or [`NO_SLOT`]: neighbour expansion reads them here, not
    /// through a map.
    pub(super) prev: u32,
    pub(super) next: u32,
}

/// No slot (a message with no indexed neighbour on that side).
pub(super) const NO_SLOT: u32 = u32::MAX;

/// A person's index: an inverted index over every item, plus the kind
/// lists that let memories and summaries be scored in full.
pub struct Index {
    /// The last log entry applied.
    through: u64,
    pub(super) slots: Vec<Option<Slot>>,
    pub(super) by_key: HashMap<String, u32>,
    pub(super) postings: HashMap<String, Vec<(u32, u16)>>,
    pub(super) total_len: u64,
    pub(super) live: u32,
    dead: u32,
    /// The person's boundaries, as stemmed topic words (kept up to date
    /// as `triggers_and_boundaries` memories come and go).
    pub(super) fences: Vec<Boundary>,
    fences_stale: bool,
    pub(super) meta: Vec<Meta>,
    pub(super) sessions: HashMap<String, u32>,
    /// Messages by their place: (session, seq) to slot, for neighbours.
    pub(super) positions: HashMap<(u32, u64), u32>,
    /// Every slot's vector, side by side (`dim` bytes each, zeros for an
    /// item without one), and its norm (0: none): semantic scoring reads
    /// thousands of vectors per query, and reading them from one array
    /// (not each item's own allocation) is what keeps it within budget.
    pub(super) dim: usize,
    pub(super) dense: Vec<i8>,
    pub(super) norms: Vec<f32>,
    /// An estimate of the heap this index holds, kept as it changes.
    bytes: usize,
    /// The generation of the log it was built from, once seen.
    generation: Option<u64>,
    /// How relevance is read ([`TUNING`] unless an evaluation sets it).
    pub(super) tuning: Tuning,
}

impl Default for Index {
    fn default() -> Index {
        Index {
            through: 0,
            slots: Vec::new(),
            by_key: HashMap::new(),
            postings: HashMap::new(),
            total_len: 0,
            live: 0,
            dead: 0,
            fences: Vec::new(),
            fences_stale: false,
            meta: Vec::new(),
            sessions: HashMap::new(),
            positions: HashMap::new(),
            dim: 0,
            dense: Vec::new(),
            norms: Vec::new(),
            bytes: 0,
            generation: None,
            tuning: TUNING,
        }
    }
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

    /// Read relevance another way (evaluations compare settings).
    pub fn set_tuning(&mut self, tuning: Tuning) {
        self.tuning = tuning;
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
        let referred = match &doc.dates {
            Some(d) => std::borrow::Cow::Borrowed(d.as_slice()),
            None => std::borrow::Cow::Owned(dated::spans(&doc.text, doc.at)),
        };
        let (days, dated) = dated::doc_terms(&referred, doc.at, doc.kind == DocKind::Message);
        for t in &days {
            self.postings.entry(t.clone()).or_default().push((slot, 1));
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
        let (mut prev, mut next) = (NO_SLOT, NO_SLOT);
        if let (DocKind::Message, Some(seq)) = (doc.kind, doc.seq) {
            self.positions.insert((session, seq), slot);
            if let Some(&p) = seq
                .checked_sub(1)
                .and_then(|s| self.positions.get(&(session, s)))
            {
                prev = p;
                self.meta[p as usize].next = slot;
            }
            if let Some(&n) = seq
                .checked_add(1)
                .and_then(|s| self.positions.get(&(session, s)))
            {
                next = n;
                self.meta[n as usize].prev = slot;
            }
        }
        self.push_dense(doc.vector.as_ref());
        self.meta.push(Meta {
            live: true,
            kind: doc.kind,
            user_message: doc.kind == DocKind::Message && doc.role == Some(Role::User),
            crisis: doc.crisis,
            has_vector: doc.vector.is_some(),
            dated,
            importance: doc.importance.min(10),
            category: doc.category,
            len: toks.len() as u32,
            session,
            at: doc.at.timestamp(),
            prev,
            next,
        });
        self.bytes += doc.text.len() * 2
            + doc.id.len()
            + doc.vector.as_ref().map_or(0, |v| v.dim()) * 2
            + (tf.len() + days.len()) * 48
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
            if let Some(seq) = old.doc.seq {
                let session = self.meta[slot as usize].session;
                if self.positions.get(&(session, seq)) == Some(&slot) {
                    self.positions.remove(&(session, seq));
                }
                let Meta { prev, next, .. } = self.meta[slot as usize];
                if prev != NO_SLOT && self.meta[prev as usize].next == slot {
                    self.meta[prev as usize].next = NO_SLOT;
                }
                if next != NO_SLOT && self.meta[next as usize].prev == slot {
                    self.meta[next as usize].prev = NO_SLOT;
                }
            }
            self.norms[slot as usize] = 0.0;
            self.total_len -= old.len as u64;
            self.live -= 1;
            self.dead += 1;
        }
    }

    /// Keep the new slot's vector in the dense array. The first vector
    /// sets the dimension; one of another dimension (an encoder changed)
    /// is kept on its item but not scored until it is encoded again.
    fn push_dense(&mut self, vector: Option<&super::vectors::Vector>) {
        if self.dim == 0
            && let Some(v) = vector
        {
            self.dim = v.dim();
            self.dense = vec![0; self.norms.len() * self.dim];
        }
        match vector.filter(|v| v.dim() == self.dim && self.dim > 0) {
            Some(v) => {
                self.dense.extend_from_slice(v.values());
                self.norms.push(v.norm());
            }
            None => {
                self.dense.resize(self.dense.len() + self.dim, 0);
                self.norms.push(0.0);
            }
        }
    }

    /// Rebuild without the dead slots.
    fn compact(&mut self) {
        let docs: Vec<Doc> = std::mem::take(&mut self.slots)
            .into_iter()
            .flatten()
            .map(|s| s.doc)
            .collect();
        let (through, generation, tuning) = (self.through, self.generation, self.tuning);
        *self = Index::from_docs(docs);
        self.through = through;
        self.generation = generation;
        self.tuning = tuning;
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

    /// One put per live item, in the order they were put: applied to an
    /// empty index they rebuild this one (a snapshot, `snapshot.rs`).
    pub fn snapshot_ops(&self) -> Vec<IndexOp> {
        self.docs().cloned().map(IndexOp::Put).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::memory::Category;
    use crate::domain::retrieval::fixtures::*;
    use crate::domain::route::Route;

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

    fn turn(id: &str, seq: u64, text: &str, vector: [f32; 3]) -> Doc {
        Doc {
            seq: Some(seq),
            vector: crate::domain::retrieval::Vector::from_f32(&vector),
            ..message(id, "s-1", text, 3)
        }
    }

    #[test]
    fn an_answer_takes_on_the_relevance_of_the_question_it_answers_after_puts_and_removes() {
        use crate::domain::retrieval::{Query, Vector};
        let question = [1.0, 0.0, 0.0];
        let answer = [0.5, 0.5, 0.7];
        let mut index = Index::from_docs([
            turn("q", 1, "Where did you go on holiday?", question),
            turn("a", 2, "Lisbon, with my brother.", answer),
            turn("x", 3, "The weather was nice.", [0.45, 0.45, 0.77]),
        ]);
        let v = Vector::from_f32(&question).unwrap();
        let relevance = |index: &Index, id: &str| -> f32 {
            index
                .search(
                    &Query {
                        vector: Some(&v),
                        ..q("holiday", Route::Support)
                    },
                    5,
                )
                .iter()
                .find(|h| h.doc.id == id)
                .map_or(0.0, |h| h.relevance)
        };
        assert!(relevance(&index, "a") > 0.8, "{}", relevance(&index, "a"));
        // Put again (as the worker does with a vector): the links follow.
        index.apply(
            1,
            &[IndexOp::Put(turn(
                "a",
                2,
                "Lisbon, with my brother.",
                answer,
            ))],
        );
        assert!(relevance(&index, "a") > 0.8, "{}", relevance(&index, "a"));
        index.apply(
            2,
            &[IndexOp::Remove {
                key: "message:q".into(),
            }],
        );
        assert!(
            relevance(&index, "a") < 0.3,
            "no question, no lift: {}",
            relevance(&index, "a")
        );
        index.apply(
            3,
            &[IndexOp::Put(turn("q2", 1, "Any holiday plans?", question))],
        );
        assert!(relevance(&index, "a") > 0.8, "{}", relevance(&index, "a"));
    }

    #[test]
    fn vectors_are_scored_from_the_dense_array_and_other_dimensions_are_not() {
        use crate::domain::retrieval::{Query, Vector};
        let v = |x: &[f32]| Vector::from_f32(x);
        let index = Index::from_docs([
            Doc {
                vector: v(&[1.0, 0.0, 0.0]),
                ..message("near", "s-1", "alpha", 1)
            },
            Doc {
                vector: v(&[0.0, 1.0, 0.0]),
                ..message("far", "s-1", "beta", 1)
            },
            Doc {
                vector: v(&[1.0, 0.0]),
                ..message("odd", "s-1", "gamma", 1)
            },
        ]);
        let query = v(&[0.9, 0.1, 0.0]).unwrap();
        let hits = index.search(
            &Query {
                vector: Some(&query),
                ..q("delta", Route::Support)
            },
            5,
        );
        let ids: Vec<&str> = hits.iter().map(|h| h.doc.id.as_str()).collect();
        assert_eq!(ids, ["near"]);
    }

    #[test]
    fn a_relative_date_is_indexed_as_its_day_whether_the_entry_carries_it_or_not() {
        let said = at(0);
        let yesterday = (said - chrono::Duration::days(1))
            .format("%-d %B %Y")
            .to_string();
        let new = Doc {
            at: said,
            ..message("new", "s-1", "Went to the dentist yesterday.", 0)
        }
        .dated();
        assert_eq!(new.dates.as_ref().map(Vec::len), Some(1));
        // An entry written before dates were indexed has none stored.
        let old = message("old", "s-2", "My tooth was pulled yesterday.", 0);
        assert!(old.dates.is_none());
        let index = Index::from_docs([new, old]);
        let mut ids: Vec<String> = index
            .search(&q(&format!("What about {yesterday}?"), Route::Support), 5)
            .iter()
            .map(|h| h.doc.id.clone())
            .collect();
        ids.sort();
        assert_eq!(ids, ["new", "old"]);
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
}
