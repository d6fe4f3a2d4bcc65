//! The journal: entries the person writes, and reflective prompts Hearth
//! writes for them from their recent days. Pure code.

use super::completion::{CompletionRequest, Turn};
use super::message::Role;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalKind {
    /// Written by the person.
    Entry,
    /// A reflective prompt written by Hearth.
    Prompt,
}

impl JournalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalKind::Entry => "journal_entry",
            JournalKind::Prompt => "journal_prompt",
        }
    }
}

/// One journal item. Ids are UUIDv7, so key order is time order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalItem {
    pub id: String,
    pub kind: JournalKind,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

impl JournalItem {
    pub fn new(kind: JournalKind, text: &str, at: DateTime<Utc>) -> JournalItem {
        JournalItem {
            id: uuid::Uuid::now_v7().to_string(),
            kind,
            text: text.trim().to_string(),
            created_at: at,
        }
    }
}

/// Longest journal entry, in characters.
pub const MAX_ENTRY_CHARS: usize = 10_000;
/// What a journal prompt looks back over.
pub const PROMPT_LOOKBACK: Duration = Duration::hours(72);
/// The prompt's output budget, as in the original system: 180–230 tokens.
pub const PROMPT_MIN_TOKENS: u32 = 180;
pub const PROMPT_MAX_TOKENS: u32 = 230;

pub fn validate_entry(text: &str) -> Result<(), EntryError> {
    let n = text.trim().chars().count();
    if n == 0 {
        return Err(EntryError::Empty);
    }
    if n > MAX_ENTRY_CHARS {
        return Err(EntryError::TooLong);
    }
    Ok(())
}

/// Why a journal entry's text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("text is required")]
    Empty,
    #[error("text must be at most {MAX_ENTRY_CHARS} characters")]
    TooLong,
}

const PROMPT_SYSTEM: &str = "You are Hearth, writing a reflective journal prompt for a person you talk with every day. \
From their last three days of conversation, their recent journal entries and what you remember about them, write one gentle, open prompt \
that invites them to reflect on something that matters to them right now: a few sentences of context in your own words, then one or two open questions. \
Write between 180 and 230 tokens. No lists, no headings, no advice, no diagnosis.";

/// The deep role's request for a journal prompt.
pub fn prompt_request(
    recent: &[(Role, String)],
    entries: &[JournalItem],
    known: Option<&str>,
) -> CompletionRequest {
    let mut system = PROMPT_SYSTEM.to_string();
    if let Some(k) = known {
        system.push_str("\n\n");
        system.push_str(k);
    }
    let mut text = String::from("Their conversation with you in the last 72 hours:\n");
    for (role, t) in recent {
        let who = if *role == Role::User { "Them" } else { "You" };
        text.push_str(&format!(
            "{who}: {}\n",
            t.chars().take(800).collect::<String>()
        ));
    }
    if !entries.is_empty() {
        text.push_str("\nTheir recent journal entries:\n");
        for e in entries {
            text.push_str(&format!(
                "({}) {}\n",
                e.created_at.format("%Y-%m-%d"),
                e.text.chars().take(1_500).collect::<String>()
            ));
        }
    }
    text.push_str(&format!(
        "\nWrite the journal prompt ({PROMPT_MIN_TOKENS}–{PROMPT_MAX_TOKENS} tokens)."
    ));
    CompletionRequest {
        system,
        turns: vec![Turn {
            role: Role::User,
            content: text,
        }],
        max_tokens: PROMPT_MAX_TOKENS,
        temperature: 0.7,
        json_schema: None,
    }
}
