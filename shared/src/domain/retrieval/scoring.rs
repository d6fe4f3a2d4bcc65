//! How an item scores for a query: lexical relevance (BM25 over stemmed
//! content words), semantic relevance when both sides have vectors (cosine
//! with a floor), recency (a 30-day half-life), importance (memories, 1–10)
//! and the fit of the item's category to the route, blended by [`WEIGHTS`].

use super::dated;
use super::doc::{Doc, DocKind};
use super::index::{Index, Meta, NO_SLOT};
use super::vectors::{self, Vector};
use crate::domain::memory::Category;
use crate::domain::route::Route;
use crate::domain::text::tokens;
use chrono::{DateTime, Utc};

/// BM25 parameters (the usual ones).
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Recency half-life.
const HALF_LIFE_DAYS: f32 = 30.0;

/// How the parts of a score are weighted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub relevance: f32,
    pub recency: f32,
    pub importance: f32,
    pub category: f32,
}

pub const WEIGHTS: Weights = Weights {
    relevance: 0.6,
    recency: 0.15,
    importance: 0.15,
    category: 0.10,
};

/// How relevance is read. The defaults ([`TUNING`]) were chosen on
/// LoCoMo's development conversations; BENCHMARKS.md has what was tried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// Share of relevance that is semantic, when both sides have vectors.
    pub semantic: f32,
    /// Cosine below which two texts are taken as unrelated: sentence
    /// encoders put unrelated texts at 0.0–0.25, not at -1.
    pub semantic_floor: f32,
    /// How much of its best neighbour's relevance (the turn before or
    /// after it in its session) a message takes on: an answer is found by
    /// the question it answers, a remark by what follows it.
    pub neighbours: f32,
    /// The relevance floor: an item counts as related to a query only if
    /// its cosine reaches `floor_cosine` or its BM25 reaches `floor_bm25`
    /// (absolute, not scaled to the best match). Below it, search answers
    /// nothing and a reply gets no memories: not the top k of nothing.
    pub floor_cosine: f32,
    pub floor_bm25: f32,
    /// On a question about when something happened, how much more
    /// relevant an item is whose text dates something.
    pub dated: f32,
    /// 0: relevance is the linear blend of BM25 (scaled to the best match)
    /// and cosine. Above 0: reciprocal rank fusion with this `k` instead.
    pub rrf_k: f32,
}

pub const TUNING: Tuning = Tuning {
    semantic: 0.4,
    semantic_floor: 0.25,
    neighbours: 0.7,
    floor_cosine: 0.3,
    floor_bm25: 0.0,
    dated: 0.6,
    rrf_k: 0.0,
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

fn semantic(cosine: f32, floor: f32) -> f32 {
    ((cosine - floor) / (1.0 - floor)).max(0.0)
}

fn sort_hits(hits: &mut [Hit<'_>]) {
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.doc.id.cmp(&b.doc.id))
    });
}

impl Index {
    /// BM25 of every item that shares a content word with `text`: a dense
    /// score per slot, and the slots that have one.
    pub(super) fn bm25(&self, mut query: Vec<String>) -> (Vec<f32>, Vec<u32>) {
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
        let (scores, touched) = self.bm25(tokens(text));
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

    /// Score items: those sharing a word with the query, every memory and
    /// summary when `all` is set, and (with a query vector) every item that
    /// has a vector. `keep` sees each candidate's metadata first.
    pub(super) fn scored(
        &self,
        q: &Query<'_>,
        all: bool,
        floor: bool,
        keep: impl Fn(&Meta) -> bool,
    ) -> Vec<(u32, f32, f32)> {
        let t = self.tuning;
        let mut words = tokens(q.text);
        words.extend(dated::query_terms(q.text, q.now));
        let (lexical, mut slots) = self.bm25(words);
        let when = t.dated > 0.0 && dated::asks_when(q.text);
        let max = slots
            .iter()
            .map(|s| lexical[*s as usize])
            .fold(0.0f32, f32::max);
        // The query's vector against the dense array, when its dimension
        // is the index's.
        let query = q
            .vector
            .filter(|v| v.dim() == self.dim && self.dim > 0)
            .map(|v| (v.values(), v.norm()));
        let cosine_at = |slot: usize| -> Option<f32> {
            let (a, na) = query?;
            let norm = self.norms[slot];
            (norm > 0.0 && na > 0.0).then(|| {
                let at = slot * self.dim;
                vectors::dot(a, &self.dense[at..at + self.dim]) as f32 / (na * norm)
            })
        };
        // Each item's cosine, worked out once. An item that shares no word
        // with the query is a candidate by its vector only when its cosine
        // is above the semantic floor: below it its relevance is 0, and the
        // relevance floor leaves it out (or, as a neighbour, it lifts nothing).
        let mut cosines: Vec<Option<f32>> =
            vec![None; if query.is_some() { self.slots.len() } else { 0 }];
        if all || query.is_some() {
            for (i, m) in self.meta.iter().enumerate() {
                if !m.live {
                    continue;
                }
                if query.is_some() && m.has_vector {
                    cosines[i] = cosine_at(i);
                }
                if lexical[i] == 0.0
                    && ((all && m.kind != DocKind::Message)
                        || cosines
                            .get(i)
                            .copied()
                            .flatten()
                            .is_some_and(|c| c > t.semantic_floor))
                {
                    slots.push(i as u32);
                }
            }
        }
        // Each candidate's own relevance, lexical and semantic blended;
        // with `floor`, only for those that reach the relevance floor.
        let mut own = vec![0.0f32; self.slots.len()];
        let mut fused: Vec<(u32, f32, f32)> = Vec::new();
        let mut related = vec![!floor; self.slots.len()];
        for &slot in &slots {
            let m = &self.meta[slot as usize];
            if !m.live {
                continue;
            }
            let cosine = cosines.get(slot as usize).copied().flatten();
            if floor
                && (cosine.is_some_and(|c| c >= t.floor_cosine)
                    || lexical[slot as usize] >= t.floor_bm25.max(f32::MIN_POSITIVE))
            {
                related[slot as usize] = true;
            }
            let lex = if max > 0.0 {
                lexical[slot as usize] / max
            } else {
                0.0
            };
            own[slot as usize] = match cosine {
                Some(c) => (1.0 - t.semantic) * lex + t.semantic * semantic(c, t.semantic_floor),
                None => lex,
            };
            if t.rrf_k > 0.0 {
                fused.push((slot, lex, cosine.unwrap_or(f32::MIN)));
            }
        }
        if t.rrf_k > 0.0 {
            self.fuse_ranks(&mut own, fused, t);
        }
        let now = q.now.timestamp();
        slots
            .into_iter()
            .filter_map(|slot| {
                let m = &self.meta[slot as usize];
                if !m.live || !related[slot as usize] || !keep(m) {
                    return None;
                }
                let mut relevance = own[slot as usize];
                if t.neighbours > 0.0 && m.kind == DocKind::Message {
                    relevance += t.neighbours * best_neighbour(m, &own);
                }
                if when && m.dated {
                    relevance *= 1.0 + t.dated;
                }
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

    /// Reciprocal rank fusion (an alternative to the linear blend, kept for
    /// the evaluation's comparison): each candidate's relevance from its
    /// rank by BM25 and its rank by cosine, `1 / (k + rank)` each, weighted
    /// as the blend is and scaled so first on both is 1.
    fn fuse_ranks(&self, own: &mut [f32], mut fused: Vec<(u32, f32, f32)>, t: Tuning) {
        let k = t.rrf_k;
        let top = 1.0 / (k + 1.0);
        for o in own.iter_mut() {
            *o = 0.0;
        }
        fused.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (rank, (slot, lex, _)) in fused.iter().enumerate() {
            if *lex > 0.0 {
                own[*slot as usize] += (1.0 - t.semantic) / (k + 1.0 + rank as f32) / top;
            }
        }
        fused.sort_by(|a, b| b.2.total_cmp(&a.2));
        for (rank, (slot, _, cosine)) in fused.iter().enumerate() {
            if *cosine > t.semantic_floor {
                own[*slot as usize] += t.semantic / (k + 1.0 + rank as f32) / top;
            }
        }
    }
}

/// The higher relevance of the message before and the one after this
/// one in its session (0 when neither is indexed).
fn best_neighbour(m: &Meta, relevance: &[f32]) -> f32 {
    [m.prev, m.next]
        .into_iter()
        .filter(|&n| n != NO_SLOT)
        .map(|n| relevance[n as usize])
        .fold(0.0, f32::max)
}
