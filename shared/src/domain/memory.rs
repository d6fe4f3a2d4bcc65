//! Memories: durable facts about a person, with provenance (the messages
//! they came from) and history (a superseded memory stays, with an end date
//! and a pointer to its successor). A memory the person edited is theirs:
//! extraction never changes it. A forgotten memory leaves a tombstone so the
//! same messages cannot bring it back.

use super::ids::{MemoryId, MessageId, SessionId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The categories of the original system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    ValuesAndCoping,
    Relationships,
    WorkAndLife,
    Progress,
    TriggersAndBoundaries,
    /// The sensitive marker extraction writes for a day with a crisis flag
    /// ("a hard day on DATE", at most one per day), in place of anything
    /// the person said then. Never a model's choice (not in `ALL`), never
    /// indexed (so no reply's context or search sees it), never shown to
    /// the extraction model: only the check-in's gentleness reads it.
    Sensitive,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::ValuesAndCoping,
        Category::Relationships,
        Category::WorkAndLife,
        Category::Progress,
        Category::TriggersAndBoundaries,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::ValuesAndCoping => "values_and_coping",
            Category::Relationships => "relationships",
            Category::WorkAndLife => "work_and_life",
            Category::Progress => "progress",
            Category::TriggersAndBoundaries => "triggers_and_boundaries",
            Category::Sensitive => "sensitive",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

pub const MAX_MEMORY_CHARS: usize = 500;

/// The id of the sensitive marker for `day`: one per day, so a second
/// job's marker for the same day is the same memory.
pub fn hard_day_id(day: chrono::NaiveDate) -> Option<MemoryId> {
    MemoryId::parse(format!("hard-day-{day}")).ok()
}

/// The sensitive marker's text.
pub fn hard_day_text(day: chrono::NaiveDate) -> String {
    format!("a hard day on {day}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    pub id: MemoryId,
    pub category: Category,
    pub content: String,
    pub importance: u8,
    pub source_message_ids: Vec<MessageId>,
    pub session_id: SessionId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub superseded_by: Option<MemoryId>,
    /// The person changed it; extraction leaves it alone from then on.
    pub edited: bool,
}

impl Memory {
    pub fn is_active(&self) -> bool {
        self.ended_at.is_none()
    }

    /// A sensitive marker (`Category::Sensitive`): kept out of every
    /// model's view and the index.
    pub fn is_sensitive(&self) -> bool {
        self.category == Category::Sensitive
    }
}

/// What is kept of a forgotten memory: enough to recognise it, so that the
/// same messages do not bring it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tombstone {
    pub memory_id: MemoryId,
    pub content: String,
    pub source_message_ids: Vec<MessageId>,
    pub forgotten_at: DateTime<Utc>,
}

/// Which memories a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryFilter {
    pub category: Option<Category>,
    pub include_superseded: bool,
}

impl MemoryFilter {
    pub fn admits(&self, m: &Memory) -> bool {
        self.category.is_none_or(|c| c == m.category) && (self.include_superseded || m.is_active())
    }
}

/// A person's edit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryPatch {
    pub content: Option<String>,
    pub importance: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    #[error("nothing to change: give content and/or importance")]
    Empty,
    #[error("content must be 1 to {MAX_MEMORY_CHARS} characters")]
    Content,
    #[error("importance must be a whole number from 1 to 10")]
    Importance,
}

impl MemoryPatch {
    pub fn validate(&self) -> Result<(), PatchError> {
        if self.content.is_none() && self.importance.is_none() {
            return Err(PatchError::Empty);
        }
        if let Some(c) = &self.content
            && (c.trim().is_empty() || c.chars().count() > MAX_MEMORY_CHARS)
        {
            return Err(PatchError::Content);
        }
        if let Some(i) = self.importance
            && !(1..=10).contains(&i)
        {
            return Err(PatchError::Importance);
        }
        Ok(())
    }

    /// Apply to `m`, marking it edited.
    pub fn apply(&self, m: &mut Memory, now: DateTime<Utc>) {
        if let Some(c) = &self.content {
            m.content = c.trim().to_string();
        }
        if let Some(i) = self.importance {
            m.importance = i;
        }
        m.edited = true;
        m.updated_at = now;
    }
}

/// Where extraction stands in one session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractionState {
    /// Messages up to this seq have been read by extraction.
    pub extracted_through: u64,
    /// Messages up to this seq are covered by an enqueued job.
    pub enqueued_through: u64,
    /// The session's rolling summary.
    pub summary: Option<String>,
}

impl ExtractionState {
    /// Claim the range a job should cover, if one is due (`extraction_due`):
    /// it is marked enqueued and returned. The state must then be written
    /// only if it has not moved since it was read.
    pub fn claim(&mut self, message_count: u64, min_new: u64) -> Option<(u64, u64)> {
        let due = extraction_due(self, message_count, min_new);
        if let Some((_, to)) = due {
            self.enqueued_through = to;
        }
        due
    }

    /// Give back a claimed range whose job could not be enqueued, so that
    /// the next turn or the idle sweep claims it again. Only the newest
    /// claim can be given back, and never below what was already
    /// extracted. False (nothing to write) when anything moved the claim
    /// since.
    pub fn release(&mut self, (from, to): (u64, u64)) -> bool {
        if self.enqueued_through != to {
            return false;
        }
        self.enqueued_through = from.saturating_sub(1).max(self.extracted_through);
        true
    }

    /// A job's result: messages up to `through` are read and covered, and
    /// `summary` is the session's rolling summary.
    /// An empty `summary` (a job whose turns were all kept out of
    /// memory) keeps the one there was.
    pub fn record_extracted(&mut self, through: u64, summary: &str) {
        self.extracted_through = through;
        self.enqueued_through = self.enqueued_through.max(through);
        if !summary.is_empty() || self.summary.is_none() {
            self.summary = Some(summary.to_string());
        }
    }
}

/// Messages that make an extraction due during a session.
pub const EXTRACT_EVERY: u64 = 6;

/// The range an extraction job should cover, if one is due: when at least
/// `min_new` messages are not yet covered by a job.
pub fn extraction_due(
    state: &ExtractionState,
    message_count: u64,
    min_new: u64,
) -> Option<(u64, u64)> {
    let covered = state.enqueued_through.max(state.extracted_through);
    (message_count >= covered + min_new.max(1)).then_some((covered + 1, message_count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_message_makes_extraction_due_once() {
        let mut s = ExtractionState::default();
        assert_eq!(extraction_due(&s, 5, EXTRACT_EVERY), None);
        assert_eq!(extraction_due(&s, 6, EXTRACT_EVERY), Some((1, 6)));
        s.enqueued_through = 6;
        assert_eq!(extraction_due(&s, 7, EXTRACT_EVERY), None);
        assert_eq!(extraction_due(&s, 12, EXTRACT_EVERY), Some((7, 12)));
        assert_eq!(
            extraction_due(&s, 8, 1),
            Some((7, 8)),
            "the idle sweep takes any unread rest"
        );
    }

    #[test]
    fn a_claim_is_given_back_only_while_it_is_the_newest() {
        let mut s = ExtractionState::default();
        assert_eq!(s.claim(6, EXTRACT_EVERY), Some((1, 6)));
        assert_eq!(s.claim(6, EXTRACT_EVERY), None, "claimed once");
        assert_eq!(s.claim(12, EXTRACT_EVERY), Some((7, 12)));
        assert!(!s.release((1, 6)), "an older claim stays");
        assert_eq!(s.enqueued_through, 12);
        assert!(s.release((7, 12)));
        assert_eq!(s.enqueued_through, 6);
        s.record_extracted(9, "so far");
        assert_eq!((s.extracted_through, s.enqueued_through), (9, 9));
        assert_eq!(s.summary.as_deref(), Some("so far"));
        assert_eq!(s.claim(15, EXTRACT_EVERY), Some((10, 15)));
        s.extracted_through = 12;
        assert!(s.release((10, 15)));
        assert_eq!(s.enqueued_through, 12, "never below what was extracted");
    }

    #[test]
    fn patches_are_validated() {
        assert_eq!(MemoryPatch::default().validate(), Err(PatchError::Empty));
        assert_eq!(
            MemoryPatch {
                importance: Some(11),
                ..Default::default()
            }
            .validate(),
            Err(PatchError::Importance)
        );
        assert_eq!(
            MemoryPatch {
                content: Some("  ".into()),
                ..Default::default()
            }
            .validate(),
            Err(PatchError::Content)
        );
        assert!(
            MemoryPatch {
                importance: Some(3),
                ..Default::default()
            }
            .validate()
            .is_ok()
        );
    }
}
