//! Memory extraction, the pure part: the bounds of an answer, strict
//! validation of the model's answer (its handles resolved), and
//! consolidation into the writes that one job makes. The request and its
//! schema are in `prompts::extraction`. No I/O: the extraction job runs this.

use super::ids::{MemoryId, MessageId, SessionId};
use super::memory::{Category, Memory, Tombstone};
use super::text::{jaccard, terms};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// At most this many memories per job: a job covers about six messages,
/// which rarely hold more durable facts, and a bound keeps a small model
/// from repeating itself until `max_tokens`.
pub const MAX_MEMORIES_PER_JOB: usize = 3;
/// One fact is one short sentence.
pub const MAX_MEMORY_CONTENT: usize = 120;
/// Three short sentences.
pub const MAX_SUMMARY_CHARS: usize = 280;
/// Source messages cited per fact.
pub const MAX_SOURCES: usize = 3;
/// The related memories shown to the model.
pub const RELATED_MEMORIES: usize = 8;

/// Handles shown to the model, and what they stand for: named by
/// `prompts::extraction::request`, resolved by [`parse`].
#[derive(Debug, Clone, Default)]
pub struct Handles {
    pub(in crate::domain) messages: HashMap<String, MessageId>,
    pub(in crate::domain) memories: HashMap<String, Memory>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    #[error("the model's output was cut off at max_tokens")]
    Truncated,
    #[error("the model's output is not valid extraction JSON: {0}")]
    Malformed(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    memories: Vec<RawMemory>,
    summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMemory {
    op: String,
    category: String,
    content: String,
    importance: i64,
    sources: Vec<String>,
    #[serde(default)]
    target: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Update,
    Supersede,
    Noop,
}

/// One validated candidate, with handles resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub op: Op,
    pub category: Category,
    pub content: String,
    pub importance: u8,
    pub sources: Vec<MessageId>,
    pub target: Option<Memory>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub candidates: Vec<Candidate>,
    pub summary: String,
}

/// Validate the model's answer strictly; any violation of the schema is an
/// error (and the job is retried), never a partial write.
pub fn parse(text: &str, truncated: bool, handles: &Handles) -> Result<Output, OutputError> {
    if truncated {
        return Err(OutputError::Truncated);
    }
    let json = text
        .trim()
        .trim_start_matches("```json")
        .trim_start_matches("```")
        .trim_end_matches("```")
        .trim();
    let raw: RawOutput =
        serde_json::from_str(json).map_err(|e| OutputError::Malformed(e.to_string()))?;
    let bad = |why: String| Err(OutputError::Malformed(why));
    if raw.memories.len() > MAX_MEMORIES_PER_JOB {
        return bad(format!(
            "{} memories, more than {MAX_MEMORIES_PER_JOB}",
            raw.memories.len()
        ));
    }
    let summary = raw.summary.trim().to_string();
    if summary.is_empty() || summary.chars().count() > MAX_SUMMARY_CHARS {
        return bad("summary is empty or too long".into());
    }
    let mut candidates = Vec::new();
    for m in raw.memories {
        let op = match m.op.as_str() {
            "add" => Op::Add,
            "update" => Op::Update,
            "supersede" => Op::Supersede,
            "noop" => Op::Noop,
            other => return bad(format!("unknown op {other:?}")),
        };
        let Some(category) = Category::parse(&m.category) else {
            return bad(format!("unknown category {:?}", m.category));
        };
        let content = m.content.trim().to_string();
        if content.chars().count() < 3 || content.chars().count() > MAX_MEMORY_CONTENT {
            return bad("memory content out of bounds".into());
        }
        if !(1..=10).contains(&m.importance) {
            return bad(format!("importance {} out of 1-10", m.importance));
        }
        // Sources must be new messages; an unknown handle is dropped, and a
        // fact with no real source is not kept.
        let sources: Vec<MessageId> = m
            .sources
            .iter()
            .filter_map(|h| handles.messages.get(h.trim()).cloned())
            .collect();
        let target = m
            .target
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .and_then(|t| handles.memories.get(t).cloned());
        if sources.is_empty() && op != Op::Noop {
            continue;
        }
        // An update or supersede without a known target is a new fact.
        let op = match (op, &target) {
            (Op::Update | Op::Supersede, None) => Op::Add,
            (op, _) => op,
        };
        candidates.push(Candidate {
            op,
            category,
            content,
            importance: m.importance as u8,
            sources,
            target,
        });
    }
    Ok(Output {
        candidates,
        summary,
    })
}

/// A memory write, with what the job saw of it when it was an existing one
/// (so a concurrent edit by the person makes the write fail, not vanish).
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryWrite {
    pub memory: Memory,
    pub seen_updated_at: Option<DateTime<Utc>>,
}

/// What one extraction job writes, all together.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub writes: Vec<MemoryWrite>,
    pub summary: String,
    pub added: u32,
    /// The retrieval index ops written with it (`retrieval::job_ops`).
    pub index: Vec<crate::domain::retrieval::IndexOp>,
}

/// Is `candidate` a fact the person asked Hearth to forget?
fn forgotten(candidate: &Candidate, tombstones: &[Tombstone]) -> bool {
    let c = terms(&candidate.content);
    tombstones.iter().any(|t| {
        let shares_source = candidate
            .sources
            .iter()
            .any(|s| t.source_message_ids.contains(s));
        let similar = jaccard(&c, &terms(&t.content));
        similar >= 0.8 || (shares_source && similar >= 0.4)
    })
}

/// Turn validated candidates into writes:
/// - forgotten facts are dropped;
/// - an `add` that repeats a known active fact is dropped;
/// - a memory the person edited is never changed (an update to it is
///   dropped; a supersede of it becomes a plain add);
/// - a supersede ends the old memory and points it at the new one.
pub fn consolidate(
    output: Output,
    session: &SessionId,
    tombstones: &[Tombstone],
    now: DateTime<Utc>,
) -> Plan {
    let mut writes: Vec<MemoryWrite> = Vec::new();
    let mut added = 0;
    let mut seen_contents: Vec<HashSet<String>> = Vec::new();
    for c in output.candidates {
        if c.op == Op::Noop || forgotten(&c, tombstones) {
            continue;
        }
        let c_terms = terms(&c.content);
        let new_memory = |c: &Candidate| Memory {
            id: MemoryId::generate(),
            category: c.category,
            content: c.content.clone(),
            importance: c.importance,
            source_message_ids: c.sources.clone(),
            session_id: session.clone(),
            created_at: now,
            updated_at: now,
            ended_at: None,
            superseded_by: None,
            edited: false,
        };
        let op = match (&c.op, &c.target) {
            (Op::Supersede, Some(t)) if t.edited => Op::Add,
            (op, _) => *op,
        };
        match (op, &c.target) {
            (Op::Add, _) => {
                let repeats = c
                    .target
                    .as_ref()
                    .is_some_and(|t| jaccard(&terms(&t.content), &c_terms) >= 0.8)
                    || seen_contents.iter().any(|s| jaccard(s, &c_terms) >= 0.8);
                if repeats {
                    continue;
                }
                writes.push(MemoryWrite {
                    memory: new_memory(&c),
                    seen_updated_at: None,
                });
                added += 1;
            }
            (Op::Update, Some(t)) if !t.edited && t.is_active() => {
                let mut m = t.clone();
                m.content = c.content.clone();
                m.importance = c.importance;
                m.category = c.category;
                for s in &c.sources {
                    if !m.source_message_ids.contains(s) {
                        m.source_message_ids.push(s.clone());
                    }
                }
                m.updated_at = now;
                writes.push(MemoryWrite {
                    memory: m,
                    seen_updated_at: Some(t.updated_at),
                });
            }
            (Op::Supersede, Some(t)) if t.is_active() => {
                let successor = new_memory(&c);
                let mut old = t.clone();
                old.ended_at = Some(now);
                old.superseded_by = Some(successor.id.clone());
                old.updated_at = now;
                writes.push(MemoryWrite {
                    memory: old,
                    seen_updated_at: Some(t.updated_at),
                });
                writes.push(MemoryWrite {
                    memory: successor,
                    seen_updated_at: None,
                });
                added += 1;
            }
            _ => continue,
        }
        seen_contents.push(c_terms);
    }
    // One write per memory: a later change to the same memory wins.
    let mut index: HashMap<MemoryId, usize> = HashMap::new();
    let mut unique: Vec<MemoryWrite> = Vec::new();
    for w in writes {
        match index.get(&w.memory.id) {
            Some(&i) => {
                let seen = unique[i].seen_updated_at;
                unique[i] = MemoryWrite {
                    seen_updated_at: seen,
                    ..w
                };
            }
            None => {
                index.insert(w.memory.id.clone(), unique.len());
                unique.push(w);
            }
        }
    }
    Plan {
        writes: unique,
        summary: output.summary,
        added,
        index: Vec::new(),
    }
}

/// What of a job's messages may become memory, and the days they show
/// crisis on.
#[derive(Debug, Clone, PartialEq)]
pub struct Material {
    /// What the model is shown: the remembered turns that were not in
    /// crisis, oldest first.
    pub messages: Vec<super::message::Message>,
    /// The days (UTC) of the remembered messages flagged in crisis, each
    /// once, oldest first: a sensitive marker is written for each instead
    /// of anything said then.
    pub hard_days: Vec<chrono::NaiveDate>,
}

/// Sort a job's messages into what the model may read as memory material:
/// - nothing of a session that does not remember (`session_remembers`
///   false: started or marked `remember: false`), nor any turn that is not
///   remembered itself;
/// - no message flagged in crisis (`crisis_ids`, its id), and no reply to
///   one (a reply on the crisis route): what a person said in crisis never
///   becomes a casual memory. Its day is kept as a hard day.
pub fn memory_material(
    messages: Vec<super::message::Message>,
    session_remembers: bool,
    crisis_ids: &HashSet<String>,
) -> Material {
    use super::route::Route;
    let mut hard_days: Vec<chrono::NaiveDate> = Vec::new();
    let mut kept = Vec::new();
    for m in messages {
        if !session_remembers || !m.remember {
            continue;
        }
        if crisis_ids.contains(m.id.as_str()) {
            let day = m.created_at.date_naive();
            if !hard_days.contains(&day) {
                hard_days.push(day);
            }
            continue;
        }
        if m.reply.as_ref().is_some_and(|r| r.route == Route::Crisis) {
            continue;
        }
        kept.push(m);
    }
    hard_days.sort();
    Material {
        messages: kept,
        hard_days,
    }
}

/// The sensitive markers to write for `days`: one per day, none for a day
/// that has one already (`known`, the active memories) or whose marker the
/// person forgot (`tombstones`).
pub fn hard_day_markers(
    days: &[chrono::NaiveDate],
    known: &[Memory],
    tombstones: &[Tombstone],
    session: &SessionId,
    now: DateTime<Utc>,
) -> Vec<MemoryWrite> {
    days.iter()
        .filter_map(|&day| {
            let id = super::memory::hard_day_id(day)?;
            let exists =
                known.iter().any(|m| m.id == id) || tombstones.iter().any(|t| t.memory_id == id);
            (!exists).then(|| MemoryWrite {
                memory: Memory {
                    id,
                    category: Category::Sensitive,
                    content: super::memory::hard_day_text(day),
                    importance: 1,
                    // Never the message: its content is what is kept out.
                    source_message_ids: Vec::new(),
                    session_id: session.clone(),
                    created_at: now,
                    updated_at: now,
                    ended_at: None,
                    superseded_by: None,
                    edited: false,
                },
                seen_updated_at: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    // The handles a real request names, as parse must resolve them.
    use crate::domain::message::{Message, Role};
    use crate::domain::prompts::extraction::request;
    use chrono::TimeZone;

    fn at(m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 9, m, 0).unwrap()
    }

    #[test]
    fn material_keeps_out_crisis_and_unremembered_turns() {
        use crate::domain::message::{ContextCounts, ReplyMeta, Usage};
        use crate::domain::route::Route;
        let crisis_reply = Message {
            reply: Some(ReplyMeta {
                route: Route::Crisis,
                model: "m".into(),
                usage: Usage::default(),
                memories_used: Vec::new(),
                context: ContextCounts::default(),
            }),
            ..message(2, Role::Assistant, "I'm here with you. Please call 988.")
        };
        let unremembered = Message {
            remember: false,
            ..message(3, Role::User, "My sister Ada is visiting.")
        };
        let all = vec![
            message(1, Role::User, "I want to end my life tonight"),
            crisis_reply,
            unremembered,
            message(4, Role::User, "I started a pottery class."),
        ];
        let flagged: HashSet<String> = ["msg-1".to_string()].into();
        let m = memory_material(all.clone(), true, &flagged);
        let texts: Vec<&str> = m.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["I started a pottery class."]);
        assert_eq!(m.hard_days, [at(1).date_naive()]);
        // A session that does not remember gives nothing, not even a day.
        let none = memory_material(all, false, &flagged);
        assert!(none.messages.is_empty() && none.hard_days.is_empty());
    }

    #[test]
    fn one_marker_per_day_never_with_the_words() {
        let s = SessionId::parse("s1").unwrap();
        let day = at(1).date_naive();
        let w = hard_day_markers(&[day], &[], &[], &s, at(5));
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].memory.content, format!("a hard day on {day}"));
        assert_eq!(w[0].memory.category, Category::Sensitive);
        assert!(w[0].memory.source_message_ids.is_empty());
        // The day has its marker already, or the person forgot it: none.
        let known = vec![w[0].memory.clone()];
        assert!(hard_day_markers(&[day], &known, &[], &s, at(6)).is_empty());
        let gone = Tombstone {
            memory_id: w[0].memory.id.clone(),
            content: w[0].memory.content.clone(),
            source_message_ids: Vec::new(),
            forgotten_at: at(7),
        };
        assert!(hard_day_markers(&[day], &[], &[gone], &s, at(8)).is_empty());
    }

    fn message(seq: u64, role: Role, content: &str) -> Message {
        Message {
            remember: true,
            id: MessageId::parse(format!("msg-{seq}")).unwrap(),
            session_id: SessionId::parse("s1").unwrap(),
            seq,
            role,
            content: content.into(),
            created_at: at(seq as u32),
            external_id: None,
            client_message_id: None,
            reply: None,
            answered_by: None,
            assessment: None,
        }
    }

    fn memory(id: &str, content: &str, edited: bool) -> Memory {
        Memory {
            id: MemoryId::parse(id).unwrap(),
            category: Category::WorkAndLife,
            content: content.into(),
            importance: 5,
            source_message_ids: vec![MessageId::parse("old-1").unwrap()],
            session_id: SessionId::parse("s0").unwrap(),
            created_at: at(0),
            updated_at: at(0),
            ended_at: None,
            superseded_by: None,
            edited,
        }
    }

    fn setup(related: &[Memory]) -> Handles {
        let msgs = vec![
            message(1, Role::User, "I started a new job at the bakery"),
            message(2, Role::Assistant, "How exciting!"),
        ];
        request(&msgs, None, related).1
    }

    #[test]
    fn handles_resolve_and_bad_output_is_refused() {
        let h = setup(&[memory("mem-1", "Works as an accountant.", false)]);
        let ok = r#"{"memories":[{"op":"supersede","category":"work_and_life","content":"Works at a bakery.","importance":7,"sources":["m1","m9"],"target":"k1"}],"summary":"New job."}"#;
        let out = parse(ok, false, &h).unwrap();
        assert_eq!(
            out.candidates[0].sources,
            vec![MessageId::parse("msg-1").unwrap()]
        );
        assert_eq!(
            out.candidates[0].target.as_ref().unwrap().id.as_str(),
            "mem-1"
        );
        assert_eq!(parse(ok, true, &h), Err(OutputError::Truncated));
        assert!(parse(r#"{"memories":[],"summary":""}"#, false, &h).is_err());
        assert!(parse(r#"{"memories":[{"op":"add","category":"hobbies","content":"x y z","importance":3,"sources":["m1"],"target":""}],"summary":"s"}"#, false, &h).is_err());
        assert!(parse(r#"{"memories":[{"op":"add","category":"progress","content":"x y z","importance":11,"sources":["m1"],"target":""}],"summary":"s"}"#, false, &h).is_err());
        assert!(parse("{\"memories\": [", false, &h).is_err());
        assert!(parse(r#"{"memories":[],"summary":"s","extra":1}"#, false, &h).is_err());
    }

    fn candidate(op: Op, content: &str, target: Option<Memory>) -> Candidate {
        Candidate {
            op,
            category: Category::WorkAndLife,
            content: content.into(),
            importance: 6,
            sources: vec![MessageId::parse("msg-1").unwrap()],
            target,
        }
    }

    #[test]
    fn supersede_keeps_the_history() {
        let old = memory("mem-1", "Works as an accountant.", false);
        let plan = consolidate(
            Output {
                candidates: vec![candidate(
                    Op::Supersede,
                    "Works at a bakery.",
                    Some(old.clone()),
                )],
                summary: "s".into(),
            },
            &SessionId::parse("s1").unwrap(),
            &[],
            at(30),
        );
        assert_eq!(plan.writes.len(), 2);
        let ended = &plan.writes[0].memory;
        let new = &plan.writes[1].memory;
        assert_eq!((ended.id.as_str(), ended.ended_at), ("mem-1", Some(at(30))));
        assert_eq!(ended.superseded_by.as_ref(), Some(&new.id));
        assert_eq!(
            ended.content, "Works as an accountant.",
            "the old fact is kept as it was"
        );
        assert_eq!(plan.writes[0].seen_updated_at, Some(old.updated_at));
        assert!(new.is_active());
    }

    #[test]
    fn an_edited_memory_is_never_changed() {
        let mine = memory("mem-1", "Works as a nurse (my words).", true);
        let plan = consolidate(
            Output {
                candidates: vec![
                    candidate(
                        Op::Update,
                        "Works as a nurse on nights.",
                        Some(mine.clone()),
                    ),
                    candidate(Op::Supersede, "Works at a bakery.", Some(mine.clone())),
                ],
                summary: "s".into(),
            },
            &SessionId::parse("s1").unwrap(),
            &[],
            at(30),
        );
        assert!(plan.writes.iter().all(|w| w.memory.id != mine.id));
        assert_eq!(plan.added, 1, "the supersede became a plain add");
    }

    #[test]
    fn forgotten_and_repeated_facts_are_dropped() {
        let tomb = Tombstone {
            memory_id: MemoryId::parse("gone").unwrap(),
            content: "Has a brother named Tom.".into(),
            source_message_ids: vec![MessageId::parse("msg-1").unwrap()],
            forgotten_at: at(5),
        };
        let plan = consolidate(
            Output {
                candidates: vec![
                    candidate(Op::Add, "Has a brother called Tom.", None),
                    candidate(Op::Add, "Started a new job at the bakery.", None),
                    candidate(Op::Add, "Started a new job at the bakery!", None),
                ],
                summary: "s".into(),
            },
            &SessionId::parse("s1").unwrap(),
            &[tomb],
            at(30),
        );
        assert_eq!(plan.writes.len(), 1);
        assert!(plan.writes[0].memory.content.contains("bakery"));
    }

    #[test]
    fn another_word_form_of_a_forgotten_fact_stays_forgotten() {
        let tomb = Tombstone {
            memory_id: MemoryId::parse("gone").unwrap(),
            content: "Walks her dogs every morning.".into(),
            source_message_ids: vec![MessageId::parse("old-9").unwrap()],
            forgotten_at: at(5),
        };
        let plan = consolidate(
            Output {
                candidates: vec![candidate(Op::Add, "Walked her dog every morning.", None)],
                summary: "s".into(),
            },
            &SessionId::parse("s1").unwrap(),
            &[tomb],
            at(30),
        );
        assert!(plan.writes.is_empty(), "stems match 'walked' to 'walks'");
    }

    #[test]
    fn related_memories_prefer_shared_words_then_importance() {
        let mut a = memory("a", "Loves hiking with her dog Biscuit.", false);
        a.importance = 3;
        let mut b = memory("b", "Her dog Biscuit is getting old.", false);
        b.importance = 9;
        let c = memory("c", "Works night shifts.", false);
        let ranked = crate::domain::retrieval::related_memories(
            &[a, b, c],
            "I took Biscuit the dog to the vet",
            2,
            at(0),
        );
        let ids: Vec<&str> = ranked.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, vec!["b", "a"]);
    }
}
