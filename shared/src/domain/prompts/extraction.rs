//! The memory-extraction request: the new messages, the rolling summary and
//! the related memories, each under a short handle, and the bounded JSON
//! schema the model answers in. `extraction::parse` resolves the handles
//! and validates the answer against the same bounds.

use super::{DATA_RULE, data_block, quoted};
use crate::domain::completion::{CompletionRequest, JsonSchema, Turn};
use crate::domain::extraction::{
    Handles, MAX_MEMORIES_PER_JOB, MAX_MEMORY_CONTENT, MAX_SOURCES, MAX_SUMMARY_CHARS,
};
use crate::domain::memory::{Category, Memory};
use crate::domain::message::{Message, Role};
use serde_json::json;

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
Each message carries the date it was written: write dates as absolute dates (\"on 7 May 2023\", \"in June 2023\"), \
resolving words such as yesterday, last week or next month against that message's own date, never against today. \
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

/// Build the extraction request. `related` are the known memories most
/// related to the new messages (see `retrieval::related_memories`).
pub fn request(
    new_messages: &[Message],
    summary: Option<&str>,
    related: &[Memory],
) -> (CompletionRequest, Handles) {
    let mut handles = Handles::default();
    let mut text = String::from("Rolling summary so far:\n");
    text.push_str(&data_block(
        &match summary.filter(|s| !s.trim().is_empty()) {
            Some(s) => quoted(s),
            None => "(none yet)".into(),
        },
    ));
    text.push_str("\nAlready known about the person (id: [category] fact):\n");
    let mut known = String::new();
    if related.is_empty() {
        known.push_str("(nothing yet)\n");
    }
    for (i, m) in related.iter().enumerate() {
        let h = format!("k{}", i + 1);
        known.push_str(&format!(
            "{h}: [{}] {}\n",
            m.category.as_str(),
            quoted(&m.content)
        ));
        handles.memories.insert(h, m.clone());
    }
    text.push_str(&data_block(&known));
    text.push_str("\nNew messages (id: date written: who: text):\n");
    let mut lines = String::new();
    for (i, m) in new_messages.iter().enumerate() {
        let h = format!("m{}", i + 1);
        let who = match m.role {
            Role::User => "person",
            Role::Assistant => "hearth",
        };
        let date = m.created_at.format("%a %-d %B %Y");
        lines.push_str(&format!("{h}: {date}: {who}: {}\n", quoted(&m.content)));
        handles.messages.insert(h, m.id.clone());
    }
    text.push_str(&data_block(&lines));
    let req = CompletionRequest {
        system: format!("{EXTRACTION_SYSTEM}\n\n{DATA_RULE}"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{MemoryId, MessageId, SessionId};
    use chrono::{DateTime, TimeZone, Utc};

    fn at(m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 9, m, 0).unwrap()
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

    fn memory(id: &str, content: &str) -> Memory {
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
            edited: false,
        }
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
            &[memory("mem-1", "Works as an accountant.")],
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
}
