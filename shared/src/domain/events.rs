//! Domain events, published on the event port (EventBridge in production, an
//! outbox locally). They never carry message text.

use super::ids::UserId;
use super::safety::CrisisCategory;
use super::safety::flag::{CrisisReason, FlagSource, Flagged};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "detail_type")]
pub enum DomainEvent {
    /// An input was flagged: which category, which layer fired and why
    /// (`reason`), and where it came from. The three are `None` only in
    /// events written before they were recorded.
    CrisisFlagged {
        user: UserId,
        at: DateTime<Utc>,
        #[serde(default)]
        category: Option<CrisisCategory>,
        #[serde(default)]
        reason: Option<CrisisReason>,
        #[serde(default)]
        source: Option<FlagSource>,
    },
    MemoriesUpdated {
        user: UserId,
        count: u32,
        at: DateTime<Utc>,
    },
    CheckInReady {
        user: UserId,
        checkin_id: String,
        at: DateTime<Utc>,
    },
}

impl DomainEvent {
    /// The event for a flag on `user`'s input from `source`, at `at`.
    pub fn crisis_flagged(
        user: &UserId,
        at: DateTime<Utc>,
        flagged: &Flagged,
        source: FlagSource,
    ) -> Self {
        DomainEvent::CrisisFlagged {
            user: user.clone(),
            at,
            category: Some(flagged.category),
            reason: Some(flagged.reason.stored()),
            source: Some(source),
        }
    }

    /// The EventBridge detail-type.
    pub fn detail_type(&self) -> &'static str {
        match self {
            DomainEvent::CrisisFlagged { .. } => "CrisisFlagged",
            DomainEvent::MemoriesUpdated { .. } => "MemoriesUpdated",
            DomainEvent::CheckInReady { .. } => "CheckInReady",
        }
    }
}
