//! The person owns their data: export (everything, paged), erase (all of
//! it, with a receipt), import (existing history, idempotent on
//! `external_id`). The pure parts live here: item kinds, limits, and the
//! validation of import lines.

use super::ids::SessionId;
use super::message::{Message, Role, Session};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An export page stays under this many bytes of items (Lambda's response
/// limit is 6 MB).
pub const EXPORT_PAGE_BYTES: usize = 1024 * 1024;
/// Largest import request body.
pub const IMPORT_MAX_BYTES: usize = 5 * 1024 * 1024;
/// Most lines in one import request.
pub const IMPORT_MAX_LINES: usize = 10_000;
/// Longest imported message, in characters (older apps allowed long ones).
pub const IMPORT_MAX_CONTENT_CHARS: usize = 16_000;

/// One exported item: its kind and the object as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportItem {
    pub kind: String,
    #[serde(flatten)]
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl ExportItem {
    pub fn new(kind: &str, value: serde_json::Value) -> Self {
        let data = match value {
            serde_json::Value::Object(map) => map,
            other => {
                let mut m = serde_json::Map::new();
                m.insert("value".into(), other);
                m
            }
        };
        Self {
            kind: kind.to_string(),
            data,
        }
    }
}

/// One line of an import: a message of existing history.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportLine {
    pub session_id: SessionId,
    pub role: Role,
    pub content: String,
    pub created_at: DateTime<Utc>,
    pub external_id: String,
}

impl ImportLine {
    /// The session this line creates when its `session_id` is new: the id
    /// as given, dated by the line.
    pub fn new_session(&self) -> Session {
        Session::new(self.session_id.clone(), self.created_at)
    }

    /// The message this line becomes, as the session's next one.
    pub fn append_to(&self, session: &mut Session) -> Message {
        Message::imported(
            session,
            self.role,
            &self.content,
            self.created_at,
            &self.external_id,
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    session_id: String,
    role: String,
    content: String,
    created_at: String,
    external_id: serde_json::Value,
}

/// Parse one NDJSON line, naming the problem if it is not a valid message.
pub fn parse_line(line: &str) -> Result<ImportLine, String> {
    let raw: RawLine =
        serde_json::from_str(line).map_err(|e| format!("not a valid import line: {e}"))?;
    let session_id = SessionId::parse(raw.session_id).map_err(|e| e.to_string())?;
    let role = match raw.role.as_str() {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        other => {
            return Err(format!(
                "role must be \"user\" or \"assistant\", not {other:?}"
            ));
        }
    };
    let content = raw.content;
    if content.trim().is_empty() {
        return Err("content must not be empty".into());
    }
    if content.chars().count() > IMPORT_MAX_CONTENT_CHARS {
        return Err(format!(
            "content is longer than {IMPORT_MAX_CONTENT_CHARS} characters"
        ));
    }
    let created_at = DateTime::parse_from_rfc3339(&raw.created_at)
        .map_err(|_| {
            format!(
                "created_at must be an RFC 3339 timestamp, not {:?}",
                raw.created_at
            )
        })?
        .with_timezone(&Utc);
    // Supabase exports ids as numbers or strings; both are fine.
    let external_id = match raw.external_id {
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err("external_id must be a string or a number".into()),
    };
    if external_id.is_empty()
        || external_id.len() > 128
        || external_id.contains('#')
        || external_id.chars().any(char::is_control)
    {
        return Err("external_id must be 1-128 characters, without '#'".into());
    }
    Ok(ImportLine {
        session_id,
        role,
        content,
        created_at,
        external_id,
    })
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub imported: u64,
    /// Lines whose `external_id` was already imported.
    pub skipped: u64,
    /// Sessions that received messages, with their message count after.
    pub sessions: Vec<(SessionId, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_validated_with_a_reason() {
        let ok = r#"{"session_id":"s1","role":"user","content":"hi","created_at":"2025-03-01T10:00:00Z","external_id":42}"#;
        let l = parse_line(ok).unwrap();
        assert_eq!((l.external_id.as_str(), l.role), ("42", Role::User));
        for (bad, why) in [
            (
                r#"{"session_id":"s1","role":"bot","content":"hi","created_at":"2025-03-01T10:00:00Z","external_id":"a"}"#,
                "role",
            ),
            (
                r#"{"session_id":"s1","role":"user","content":"hi","created_at":"yesterday","external_id":"a"}"#,
                "created_at",
            ),
            (
                r#"{"session_id":"s#1","role":"user","content":"hi","created_at":"2025-03-01T10:00:00Z","external_id":"a"}"#,
                "session_id",
            ),
            (
                r#"{"session_id":"s1","role":"user","content":" ","created_at":"2025-03-01T10:00:00Z","external_id":"a"}"#,
                "content",
            ),
            (
                r#"{"session_id":"s1","role":"user","content":"hi","created_at":"2025-03-01T10:00:00Z"}"#,
                "external_id",
            ),
            ("not json", "valid"),
        ] {
            let err = parse_line(bad).unwrap_err();
            assert!(err.contains(why), "{why}: {err}");
        }
    }
}
