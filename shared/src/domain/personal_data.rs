//! The person owns their data: export (everything, paged), erase (all of
//! it, with a receipt), import (existing history, idempotent on
//! `external_id`). The pure parts live here: item kinds, the erase
//! receipt, limits, and the validation of import lines.

use super::assessment::StoredAssessment;
use super::ids::SessionId;
use super::journal::JournalKind;
use super::message::{CrisisFlag, Message, Role, Session};
use super::safety::flag::Flagged;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An export page stays under this many bytes of items (Lambda's response
/// limit is 6 MB).
pub const EXPORT_PAGE_BYTES: usize = 1024 * 1024;
/// Largest import request body.
pub const IMPORT_MAX_BYTES: usize = 5 * 1024 * 1024;
/// Most lines in one import request.
pub const IMPORT_MAX_LINES: usize = 10_000;
/// Longest imported message, in characters (older apps allowed long ones).
pub const IMPORT_MAX_CONTENT_CHARS: usize = 16_000;
/// The earliest `created_at` an import accepts (2000-01-01T00:00:00Z): an
/// older one is a mistake, not history of a chat app.
pub const IMPORT_EARLIEST_SECS: i64 = 946_684_800;
/// How far past the server's clock an imported `created_at` may be, for a
/// client whose clock runs a little fast.
pub const IMPORT_CLOCK_SKEW_SECS: i64 = 300;

/// Every kind of item Hearth holds about a person. Export and erase cover
/// each one: the stores match on it with no wildcard, so a new kind does
/// not compile until each store says how it exports and erases it. The
/// names are the export's `kind` and the erase receipt's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Session,
    Message,
    ClientMessageId,
    ExternalId,
    CrisisFlag,
    Activity,
    Memory,
    Tombstone,
    Summary,
    SearchIndex,
    Settings,
    /// When the person was last shown each notice (the AI disclosure, the
    /// break reminder), and their last interaction.
    Notices,
    Checkin,
    JournalEntry,
    JournalPrompt,
    /// A queued job (the embedded queue; SQS holds them in Lambda).
    Job,
    /// A job that failed too often (the embedded queue's dead letters).
    DeadJob,
    /// A domain event (the embedded outbox; EventBridge does not keep them).
    Event,
}

impl ItemKind {
    pub const ALL: [ItemKind; 18] = [
        ItemKind::Session,
        ItemKind::Message,
        ItemKind::ClientMessageId,
        ItemKind::ExternalId,
        ItemKind::CrisisFlag,
        ItemKind::Activity,
        ItemKind::Memory,
        ItemKind::Tombstone,
        ItemKind::Summary,
        ItemKind::SearchIndex,
        ItemKind::Settings,
        ItemKind::Notices,
        ItemKind::Checkin,
        ItemKind::JournalEntry,
        ItemKind::JournalPrompt,
        ItemKind::Job,
        ItemKind::DeadJob,
        ItemKind::Event,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Session => "session",
            ItemKind::Message => "message",
            ItemKind::ClientMessageId => "client_message_id",
            ItemKind::ExternalId => "external_id",
            ItemKind::CrisisFlag => "crisis_flag",
            ItemKind::Activity => "activity",
            ItemKind::Memory => "memory",
            ItemKind::Tombstone => "tombstone",
            ItemKind::Summary => "summary",
            ItemKind::SearchIndex => "search_index",
            ItemKind::Settings => "settings",
            ItemKind::Notices => "notices",
            ItemKind::Checkin => "checkin",
            ItemKind::JournalEntry => "journal_entry",
            ItemKind::JournalPrompt => "journal_prompt",
            ItemKind::Job => "job",
            ItemKind::DeadJob => "dead_job",
            ItemKind::Event => "event",
        }
    }

    pub fn parse(s: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl From<JournalKind> for ItemKind {
    fn from(kind: JournalKind) -> Self {
        match kind {
            JournalKind::Entry => ItemKind::JournalEntry,
            JournalKind::Prompt => ItemKind::JournalPrompt,
        }
    }
}

impl std::fmt::Display for ItemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an erase deleted: a count per kind, with a zero for every kind the
/// store holds (so a repeat reads all zeros). Serialised as
/// `{"<kind>": n}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EraseReceipt(BTreeMap<ItemKind, u64>);

impl EraseReceipt {
    /// Nothing deleted yet, of each of `kinds`.
    pub fn new(kinds: &[ItemKind]) -> Self {
        Self(kinds.iter().map(|k| (*k, 0)).collect())
    }

    pub fn add(&mut self, kind: ItemKind, deleted: u64) {
        *self.0.entry(kind).or_insert(0) += deleted;
    }

    /// How many of `kind` were deleted.
    pub fn get(&self, kind: ItemKind) -> u64 {
        self.0.get(&kind).copied().unwrap_or(0)
    }

    /// Each kind with its count, in `ItemKind` order.
    pub fn counts(&self) -> impl Iterator<Item = (ItemKind, u64)> + '_ {
        self.0.iter().map(|(k, n)| (*k, *n))
    }
}

/// One exported item: its kind and the object as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportItem {
    pub kind: ItemKind,
    #[serde(flatten)]
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl ExportItem {
    pub fn new(kind: ItemKind, value: serde_json::Value) -> Self {
        let data = match value {
            serde_json::Value::Object(map) => map,
            other => {
                let mut m = serde_json::Map::new();
                m.insert("value".into(), other);
                m
            }
        };
        Self { kind, data }
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
    /// Set when the import's crisis screen flagged the line: a store writes
    /// the flag with the message (`flag_for`), in the same write.
    pub crisis: Option<Flagged>,
    /// What the learned layer read in the line (the person's lines only),
    /// stored with the message in the same write.
    pub assessment: Option<StoredAssessment>,
}

impl ImportLine {
    /// The session this line creates when its `session_id` is new: the id
    /// as given, dated by the line.
    pub fn new_session(&self) -> Session {
        Session::new(self.session_id.clone(), self.created_at)
    }

    /// The crisis flag `message` (this line, stored) is written with, if
    /// the line was flagged.
    pub fn flag_for(&self, message: &Message) -> Option<CrisisFlag> {
        self.crisis.map(|f| CrisisFlag::for_message(message, f))
    }

    /// The message this line becomes, as the session's next one.
    pub fn append_to(&self, session: &mut Session) -> Message {
        Message {
            assessment: self.assessment.clone(),
            ..Message::imported(
                session,
                self.role,
                &self.content,
                self.created_at,
                &self.external_id,
            )
        }
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
    if super::message::has_control_character(&content) {
        return Err(
            "content must not contain control characters other than newline and tab".into(),
        );
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
    if created_at.timestamp() < IMPORT_EARLIEST_SECS {
        return Err("created_at must not be before 2000-01-01".into());
    }
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
        crisis: None,
        assessment: None,
    })
}

/// Refuse a line stamped later than `now` plus the clock skew: a future
/// `created_at` would pin its session first in every list forever.
pub fn check_not_future(line: &ImportLine, now: DateTime<Utc>) -> Result<(), String> {
    if line.created_at > now + chrono::Duration::seconds(IMPORT_CLOCK_SKEW_SECS) {
        return Err(format!(
            "created_at must not be later than now (up to {IMPORT_CLOCK_SKEW_SECS} s of clock skew)"
        ));
    }
    Ok(())
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportOutcome {
    pub imported: u64,
    /// Lines whose `external_id` was already imported.
    pub skipped: u64,
    /// Imported lines that were stored with a crisis flag.
    pub flagged: u64,
    /// Sessions that received messages, with their message count after.
    pub sessions: Vec<(SessionId, u64)>,
    /// The messages this call stored, in line order: what is indexed next.
    pub stored: Vec<crate::domain::message::Message>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_kinds_are_named_alike_in_code_and_json() {
        for kind in ItemKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
            assert_eq!(ItemKind::parse(kind.as_str()), Some(kind));
        }
        let mut receipt = EraseReceipt::new(&[ItemKind::Message, ItemKind::CrisisFlag]);
        receipt.add(ItemKind::Message, 2);
        assert_eq!(
            serde_json::to_value(&receipt).unwrap(),
            serde_json::json!({"message": 2, "crisis_flag": 0})
        );
    }

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
