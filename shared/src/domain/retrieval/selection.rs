//! What ranking is used for: a search's hits, a reply's selection by the
//! route's [`Quota`] (memories, summaries, past messages), and the memories
//! an extraction job is shown. Items that touch a boundary in force are
//! left out, and near duplicates (overlap ≥ [`NEAR_DUPLICATE`]) dropped.

use super::best_first::BestFirst;
use super::doc::{Doc, DocKind};
use super::index::{Index, Meta};
use super::scoring::{Hit, Query};
use crate::domain::boundaries;
use crate::domain::ids::SessionId;
use crate::domain::memory::{Category, Memory};
use crate::domain::route::Route;
use crate::domain::text::{jaccard, terms};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// Content-word overlap (Jaccard) at which two items count as one.
pub const NEAR_DUPLICATE: f32 = 0.6;

/// Relevance below which an item does not count as related.
const MIN_RELEVANCE: f32 = 0.05;

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
            // A few top memories, the current rolling summary, and the
            // summary of an earlier session that relates to the message
            // (new sessions must not lose what earlier ones learned).
            Route::Support => Quota {
                memories: 5,
                summaries: 2,
                summaries_need_relevance: true,
                earlier_summaries: true,
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

/// What goes into a reply's prompt.
#[derive(Debug, Clone, Default)]
pub struct Selection<'a> {
    pub memories: Vec<Hit<'a>>,
    pub summaries: Vec<Hit<'a>>,
    pub messages: Vec<Hit<'a>>,
}

impl Index {
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
    /// Below the relevance floor nothing is a hit.
    pub fn search(&self, q: &Query<'_>, limit: usize) -> Vec<Hit<'_>> {
        self.ranked(q, limit, true, true)
    }

    fn ranked(&self, q: &Query<'_>, limit: usize, dedupe: bool, floor: bool) -> Vec<Hit<'_>> {
        let scored: Vec<(u32, f32, f32)> = self
            .scored(q, false, floor, |_| true)
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
        self.selected(q, current, false)
    }

    /// As [`select`](Index::select), for a reply: only items that reach the
    /// relevance floor, so a message nothing relates to gets no memories
    /// (the current session's summary still comes, as its context).
    pub fn select_relevant(&self, q: &Query<'_>, current: Option<&SessionId>) -> Selection<'_> {
        self.selected(q, current, true)
    }

    fn selected(&self, q: &Query<'_>, current: Option<&SessionId>, floor: bool) -> Selection<'_> {
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
        let current_key = current.map(|c| super::doc::doc_key(DocKind::Summary, c.as_str()));
        let current = current.and_then(|c| self.sessions.get(c.as_str()).copied());
        // Messages of the current session are in its turns already.
        // What was said in crisis is never brought back into a reply.
        let keep = |m: &Meta| {
            m.kind != DocKind::Message
                || (m.user_message && !m.crisis && Some(m.session) != current)
        };
        for c in self.scored(q, true, floor, keep) {
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
        // The current session's summary is its context, related or not.
        if current_summary.is_none()
            && let Some(slot) = current_key.and_then(|k| self.by_key.get(&k).copied())
        {
            current_summary = Some((slot, 0.0, 0.0));
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
        // What a boundary kept out: its own memory then comes, related or
        // not, so the reply knows why the topic is left alone.
        let mut fenced: Vec<&HashSet<String>> = Vec::new();
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
            if wanted && !exempt && touches(terms) {
                fenced.push(terms);
                continue;
            }
            if !wanted || chosen.iter().any(|t| jaccard(t, terms) >= NEAR_DUPLICATE) {
                continue;
            }
            chosen.push(terms);
            match d.kind {
                DocKind::Memory => out.memories.push(hit),
                DocKind::Summary => out.summaries.push(hit),
                DocKind::Message => out.messages.push(hit),
            }
        }
        if floor && !fenced.is_empty() {
            self.add_fencing_memories(&mut out, &fenced, quota.memories);
        }
        out
    }

    /// The boundary memories (below the relevance floor, so not yet
    /// chosen) whose topic kept one of `fenced` out, within `quota`.
    fn add_fencing_memories<'a>(
        &'a self,
        out: &mut Selection<'a>,
        fenced: &[&HashSet<String>],
        quota: usize,
    ) {
        for (slot, m) in self.meta.iter().enumerate() {
            if out.memories.len() >= quota {
                return;
            }
            if !m.live
                || m.kind != DocKind::Memory
                || m.category != Some(Category::TriggersAndBoundaries)
            {
                continue;
            }
            let Some((hit, _)) = self.hit((slot as u32, 0.0, 0.0)) else {
                continue;
            };
            if out.memories.iter().any(|h| h.doc.id == hit.doc.id) {
                continue;
            }
            let topic = boundaries::from_texts(std::iter::once(hit.doc.text.as_str()));
            if topic.iter().any(|b| fenced.iter().any(|t| b.touches(t))) {
                out.memories.push(hit);
            }
        }
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
            .filter(|m| m.is_active() && !m.is_sensitive())
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
            false,
        )
        .iter()
        .filter_map(|h| by_id.get(h.doc.id.as_str()).map(|m| (*m).clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::retrieval::Vector;
    use crate::domain::retrieval::fixtures::*;

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
    fn vectors_blend() {
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
