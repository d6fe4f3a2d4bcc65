//! Memory extraction, the pure part: the request (new messages, the rolling
//! summary and the related memories, each under a short handle), the bounded
//! JSON schema, strict validation of the answer, and consolidation into the
//! writes that one job makes. No I/O: the extraction job runs this.

use super::completion::{CompletionRequest, JsonSchema, Turn};
use super::ids::{MemoryId, MessageId, SessionId};
use super::memory::{Category, Memory, Tombstone};
use super::message::{Message, Role};
use super::text::{jaccard, terms};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
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

/// Output budget. The original system gave its extraction model 180-230
/// tokens for the memories alone. Here the answer also carries the rolling
/// summary. At the schema's limits it holds:
/// - 3 memories, each 120 characters of content plus keys, handles and the
///   whitespace a JSON grammar allows: about 90 tokens each;
/// - a 280-character summary: about 70 tokens.
///
/// That is about 350 tokens at the schema's limits, and a tiny local model
/// fills every string to its limit. 512 leaves room for tokenizer variance,
/// so a valid answer at the bounds is never cut off, while typical answers
/// from a capable model stay near the original 200.
pub const EXTRACTION_MAX_TOKENS: u32 = 512;

pub const EXTRACTION_SYSTEM: &str = "\
You maintain the long-term memory of Hearth, a supportive companion app, about one person. \
From the new messages, extract durable facts about the person that will matter in later conversations: \
what they value and how they cope, the people in their life, their work and daily life, their progress, \
and their triggers and boundaries (including topics they do not want raised). \
Ignore small talk, passing moods and anything said only by the assistant. \
Write each fact in the third person, as one short sentence. \
Compare with what is already known: use op \"add\" for a new fact, \"update\" to refine a known fact (target its id), \
\"supersede\" when a new fact replaces a known one that is no longer true (target its id), and \"noop\" when it is already known. \
Cite the ids of the new messages each fact comes from. Use an empty target for \"add\". \
Also rewrite the session's rolling summary in at most three sentences. \
Answer with JSON only, matching the schema.";

/// The JSON schema the model must answer in, for a prompt with
/// `messages` new messages and `memories` known ones. Every array and string
/// is bounded, and handles are enums of the ones in the prompt, so a
/// grammar-constrained model cannot cite what does not exist.
pub fn schema(messages: usize, memories: usize) -> serde_json::Value {
    let categories: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    let message_handles: Vec<String> = (1..=messages.max(1)).map(|i| format!("m{i}")).collect();
    let mut targets: Vec<String> = vec![String::new()];
    targets.extend((1..=memories).map(|i| format!("k{i}")));
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["memories", "summary"],
        "properties": {
            "memories": {
                "type": "array",
                "maxItems": MAX_MEMORIES_PER_JOB,
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["op", "category", "content", "importance", "sources", "target"],
                    "properties": {
                        "op": {"type": "string", "enum": ["add", "update", "supersede", "noop"]},
                        "category": {"type": "string", "enum": categories},
                        "content": {"type": "string", "minLength": 3, "maxLength": MAX_MEMORY_CONTENT},
                        "importance": {"type": "integer", "minimum": 1, "maximum": 10},
                        "sources": {"type": "array", "minItems": 1, "maxItems": MAX_SOURCES, "items": {"type": "string", "enum": message_handles}},
                        "target": {"type": "string", "enum": targets}
                    }
                }
            },
            "summary": {"type": "string", "minLength": 1, "maxLength": MAX_SUMMARY_CHARS}
        }
    })
}

/// Handles shown to the model, and what they stand for.
#[derive(Debug, Clone, Default)]
pub struct Handles {
    messages: HashMap<String, MessageId>,
    memories: HashMap<String, Memory>,
}

/// Build the extraction request. `related` are the known memories most
/// related to the new messages (see `retrieval::related_memories`).
pub fn request(
    new_messages: &[Message],
    summary: Option<&str>,
    related: &[Memory],
) -> (CompletionRequest, Handles) {
    let mut handles = Handles::default();
    let mut text = String::from("Rolling summary so far:\n");
    text.push_str(
        summary
            .filter(|s| !s.trim().is_empty())
            .unwrap_or("(none yet)"),
    );
    text.push_str("\n\nAlready known about the person (id: [category] fact):\n");
    if related.is_empty() {
        text.push_str("(nothing yet)\n");
    }
    for (i, m) in related.iter().enumerate() {
        let h = format!("k{}", i + 1);
        text.push_str(&format!("{h}: [{}] {}\n", m.category.as_str(), m.content));
        handles.memories.insert(h, m.clone());
    }
    text.push_str("\nNew messages (id: who: text):\n");
    for (i, m) in new_messages.iter().enumerate() {
        let h = format!("m{}", i + 1);
        let who = match m.role {
            Role::User => "person",
            Role::Assistant => "hearth",
        };
        text.push_str(&format!("{h}: {who}: {}\n", m.content));
        handles.messages.insert(h, m.id.clone());
    }
    let req = CompletionRequest {
        system: EXTRACTION_SYSTEM.to_string(),
        turns: vec![Turn {
            role: Role::User,
            content: text,
        }],
        max_tokens: EXTRACTION_MAX_TOKENS,
        temperature: 0.2,
        json_schema: Some(JsonSchema {
            name: "memory_extraction".into(),
            schema: schema(new_messages.len(), related.len()),
        }),
    };
    (req, handles)
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 9, m, 0).unwrap()
    }

    fn message(seq: u64, role: Role, content: &str) -> Message {
        Message {
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
    fn the_request_snapshot() {
        let msgs = vec![
            message(1, Role::User, "My sister Maya visits on Fridays."),
            message(2, Role::Assistant, "That sounds lovely."),
        ];
        let (req, _) = request(
            &msgs,
            Some("They talked about family."),
            &[memory("mem-1", "Works as an accountant.", false)],
        );
        insta::assert_json_snapshot!(req);
    }

    #[test]
    fn every_schema_bound_is_set_and_handles_are_enums() {
        let s = schema(2, 1);
        assert_eq!(
            s["properties"]["memories"]["maxItems"],
            MAX_MEMORIES_PER_JOB
        );
        assert_eq!(s["properties"]["summary"]["maxLength"], MAX_SUMMARY_CHARS);
        let item = &s["properties"]["memories"]["items"]["properties"];
        assert_eq!(item["content"]["maxLength"], MAX_MEMORY_CONTENT);
        assert_eq!(item["importance"]["maximum"], 10);
        assert_eq!(item["sources"]["maxItems"], MAX_SOURCES);
        assert_eq!(item["sources"]["items"]["enum"], json!(["m1", "m2"]));
        assert_eq!(item["target"]["enum"], json!(["", "k1"]));
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
