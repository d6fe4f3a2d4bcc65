//! Background jobs. Each carries a `kind` and everything its consumer needs
//! to be idempotent under redelivery.

use super::ids::{SessionId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Extract memories from messages `from_seq..=to_seq` of a session.
    ExtractSession {
        user: UserId,
        session_id: SessionId,
        from_seq: u64,
        to_seq: u64,
    },
    /// Extract memories from one journal entry.
    ExtractJournal { user: UserId, entry_id: String },
    /// One person's daily check-in, as of the hourly pass at `at`: the
    /// scheduled pass fans out one per person due.
    Checkin { user: UserId, at: DateTime<Utc> },
}

impl Job {
    pub const EXTRACT_SESSION: &'static str = "extract_session";
    pub const EXTRACT_JOURNAL: &'static str = "extract_journal";
    pub const CHECKIN: &'static str = "checkin";

    pub fn kind(&self) -> &'static str {
        match self {
            Job::ExtractSession { .. } => Self::EXTRACT_SESSION,
            Job::ExtractJournal { .. } => Self::EXTRACT_JOURNAL,
            Job::Checkin { .. } => Self::CHECKIN,
        }
    }

    pub fn user(&self) -> &UserId {
        match self {
            Job::ExtractSession { user, .. }
            | Job::ExtractJournal { user, .. }
            | Job::Checkin { user, .. } => user,
        }
    }

    /// A key that is the same for every delivery of the same job.
    pub fn dedup_key(&self) -> String {
        match self {
            Job::ExtractSession {
                session_id,
                from_seq,
                to_seq,
                ..
            } => format!("extract_session:{session_id}:{from_seq}-{to_seq}"),
            Job::ExtractJournal { entry_id, .. } => format!("extract_journal:{entry_id}"),
            Job::Checkin { user, at } => format!("checkin:{user}:{}", at.to_rfc3339()),
        }
    }
}
