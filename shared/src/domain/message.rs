//! Sessions and messages: what a conversation is made of.

use super::assessment::StoredAssessment;
use super::ids::{ClientMessageId, MessageId, SessionId};
use super::journal::JournalItem;
use super::route::Route;
use super::safety::CrisisCategory;
use super::safety::flag::{CrisisReason, Flagged};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
}

/// Tokens a model call consumed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// One stored message of either role. `seq` orders a session's messages
/// (1, 2, 3, ...) and is what extraction ranges and cursors refer to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub session_id: SessionId,
    pub seq: u64,
    pub role: Role,
    pub content: String,
    pub created_at: DateTime<Utc>,
    pub external_id: Option<String>,
    pub client_message_id: Option<ClientMessageId>,
    /// Replies only: how the reply was produced.
    pub reply: Option<ReplyMeta>,
    /// User messages only: the reply that answered it, once there is one.
    pub answered_by: Option<u64>,
    /// User messages only: what the learned layer read in it, once it has
    /// (`ConversationStore::record_assessment`, or with an imported line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<StoredAssessment>,
    /// `false` for a turn the person asked Hearth not to remember (the
    /// request's `remember: false`, or a session marked so when it was
    /// written): it stays conversation (listed, exported, erased) but is
    /// never extracted, summarised or indexed. Absent in older data: true.
    #[serde(default = "remembered", skip_serializing_if = "is_remembered")]
    pub remember: bool,
}

fn remembered() -> bool {
    true
}

fn is_remembered(remember: &bool) -> bool {
    *remember
}

/// What is recorded about how an assistant message came to be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyMeta {
    pub route: Route,
    pub model: String,
    pub usage: Usage,
    /// What was in the prompt: memory ids, `summary:<session>` and
    /// `message:<id>` (excerpts of earlier sessions).
    pub memories_used: Vec<String>,
    /// How much context the reply was given.
    pub context: ContextCounts,
}

/// Counts of what was in a reply's context.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextCounts {
    pub turns: u32,
    pub memories: u32,
    pub summaries: u32,
    /// Excerpts of earlier sessions' messages.
    #[serde(default)]
    pub excerpts: u32,
}

/// Why a chat message was refused before anything was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("message must not be empty")]
    Empty,
    #[error("message is longer than {max} characters")]
    TooLong { max: usize },
    #[error("message must not contain control characters other than newline and tab")]
    ControlCharacter,
}

pub use super::text::has_control_character;

/// Check a chat message against the documented limits.
pub fn validate_content(content: &str) -> Result<(), ContentError> {
    if content.trim().is_empty() {
        return Err(ContentError::Empty);
    }
    if has_control_character(content) {
        return Err(ContentError::ControlCharacter);
    }
    let max = super::limits::MAX_MESSAGE_CHARS;
    if content.chars().count() > max {
        return Err(ContentError::TooLong { max });
    }
    Ok(())
}

/// A conversation's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: SessionId,
    pub created_at: DateTime<Utc>,
    pub last_message_at: DateTime<Utc>,
    pub message_count: u64,
    /// `false` when the session was started with `remember: false` or
    /// marked so (`PATCH /v1/sessions/{id}`): none of its turns is
    /// extracted, summarised or indexed. Absent in older data: true.
    #[serde(default = "remembered", skip_serializing_if = "is_remembered")]
    pub remember: bool,
}

impl Session {
    /// A session with no messages yet, begun at `at`.
    pub fn new(id: SessionId, at: DateTime<Utc>) -> Self {
        Self {
            id,
            created_at: at,
            last_message_at: at,
            message_count: 0,
            remember: true,
        }
    }

    /// The one rule for adding a message to a session: it takes the next
    /// seq, and the session's count and `last_message_at` move with it
    /// (never back: imported history may come in any order).
    fn append(&mut self, role: Role, content: String, created_at: DateTime<Utc>) -> Message {
        self.message_count += 1;
        self.last_message_at = self.last_message_at.max(created_at);
        Message {
            id: MessageId::generate(),
            session_id: self.id.clone(),
            seq: self.message_count,
            role,
            content,
            created_at,
            external_id: None,
            client_message_id: None,
            reply: None,
            answered_by: None,
            assessment: None,
            remember: self.remember,
        }
    }
}

impl Message {
    /// A person's chat message, as `session`'s next.
    /// A session begun by this message takes its `remember`; a turn of
    /// a session that does not remember is not remembered either.
    pub fn user(session: &mut Session, input: &NewUserMessage) -> Self {
        if session.message_count == 0 {
            session.remember = input.remember;
        }
        let remember = input.remember && session.remember;
        Self {
            remember,
            client_message_id: input.client_message_id.clone(),
            ..session.append(Role::User, input.content.clone(), input.created_at)
        }
    }

    /// A reply, as `session`'s next, with how it was produced.
    /// A reply to a turn that is not remembered is not remembered.
    pub fn reply(session: &mut Session, reply: &NewReply) -> Self {
        let remember = reply.remember && session.remember;
        Self {
            remember,
            reply: Some(reply.meta.clone()),
            ..session.append(Role::Assistant, reply.content.clone(), reply.created_at)
        }
    }

    /// A message of imported history, as `session`'s next, keeping the
    /// id it had where it came from.
    pub fn imported(
        session: &mut Session,
        role: Role,
        content: &str,
        created_at: DateTime<Utc>,
        external_id: &str,
    ) -> Self {
        Self {
            external_id: Some(external_id.to_string()),
            ..session.append(role, content.to_string(), created_at)
        }
    }
}

/// A user message the chat turn is about to store.
#[derive(Debug, Clone)]
pub struct NewUserMessage {
    /// `None` starts a new session with a generated id.
    pub session_id: Option<SessionId>,
    pub content: String,
    pub client_message_id: Option<ClientMessageId>,
    pub created_at: DateTime<Utc>,
    /// Set when the crisis screen flagged the message: a crisis flag is
    /// stored with it, in the same write.
    pub crisis: Option<Flagged>,
    /// `false`: "don't remember this" (see `Message::remember`); a new
    /// session begun with it is not remembered as a whole.
    pub remember: bool,
}

/// A stored record that a person's message showed crisis, for later
/// features such as gentler check-ins. It never holds the message text.
/// It lives with the message it is about: the screen (`safety`) only names
/// the category, so the dependency points one way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrisisFlag {
    pub at: DateTime<Utc>,
    pub session_id: SessionId,
    pub message_id: MessageId,
    pub category: CrisisCategory,
    /// Which layer fired and why; `None` on flags stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<CrisisReason>,
}

impl CrisisFlag {
    /// The flag for a stored message the screen flagged.
    pub fn for_message(message: &Message, flagged: Flagged) -> Self {
        Self {
            at: message.created_at,
            session_id: message.session_id.clone(),
            message_id: message.id.clone(),
            category: flagged.category,
            reason: Some(flagged.reason.stored()),
        }
    }

    /// The flag for a journal entry the screen flagged, under the entry's
    /// own ids as extraction sees it (session `journal-<id>`, message
    /// `<id>`), so the check-in and the flag list see journal crises too.
    /// `None` only if the entry's id is not a valid id.
    pub fn for_journal_entry(entry: &JournalItem, flagged: Flagged) -> Option<Self> {
        Some(Self {
            at: entry.created_at,
            session_id: SessionId::parse(format!("journal-{}", entry.id)).ok()?,
            message_id: MessageId::parse(&entry.id).ok()?,
            category: flagged.category,
            reason: Some(flagged.reason.stored()),
        })
    }
}

/// The result of storing a user message: the message, its session, and the
/// reply if a retry finds the turn already answered.
#[derive(Debug, Clone)]
pub struct RecordedTurn {
    pub session: Session,
    pub message: Message,
    pub reply: Option<Message>,
    /// True when `client_message_id` matched a message stored earlier.
    pub replayed: bool,
}

/// An assistant reply to store against the user message it answers.
#[derive(Debug, Clone)]
pub struct NewReply {
    pub content: String,
    pub created_at: DateTime<Utc>,
    pub meta: ReplyMeta,
    /// The question's `remember`: a reply is remembered only with it.
    pub remember: bool,
}
