//! The indexed item: a memory, a session summary or a past message, as
//! ranking needs it and a search hit shows it, with the key (`memory:<id>`,
//! ...) that a later log op replaces or removes it by.

use super::dated;
use super::vectors::Vector;
use crate::domain::ids::SessionId;
use crate::domain::memory::{Category, Memory};
use crate::domain::message::{Message, Role};
use crate::domain::text::Span;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// A message said in crisis (flagged, or answered on the crisis
    /// route): the person finds it in search, but it is never brought
    /// into a reply's context.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub crisis: bool,
    /// A message's place in its session: what finds its neighbours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The days its text speaks of ("yesterday" resolved against `at`),
    /// worked out once when the item is made, so a cold index replays
    /// them instead of parsing every text again. `None` in entries written
    /// before dates were indexed: the index works them out then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dates: Option<Vec<Span>>,
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
            crisis: false,
            seq: None,
            dates: Some(dated::spans(&m.content, m.updated_at)),
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
            crisis: false,
            seq: None,
            dates: Some(dated::spans(text, at)),
        }
    }

    /// A stored message as the index keeps it: searchable as soon as it
    /// is stored, with the vector when one is known (the screen's, or the
    /// worker's), and marked when said in crisis.
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
            crisis: m
                .reply
                .as_ref()
                .is_some_and(|r| r.route == crate::domain::route::Route::Crisis),
            seq: Some(m.seq),
            dates: Some(dated::spans(&m.content, m.created_at)),
        }
    }

    /// With the days its text speaks of worked out (what the constructors
    /// do; for items built field by field).
    pub fn dated(mut self) -> Doc {
        self.dates = Some(dated::spans(&self.text, self.at));
        self
    }

    pub fn with_vector(mut self, vector: Option<Vector>) -> Doc {
        self.vector = vector;
        self
    }

    /// Mark (or keep marked) a message said in crisis.
    pub fn in_crisis(mut self, crisis: bool) -> Doc {
        self.crisis |= crisis;
        self
    }
}

pub fn doc_key(kind: DocKind, id: &str) -> String {
    format!("{}:{id}", kind.as_str())
}
