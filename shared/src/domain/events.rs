//! Domain events, published on the event port (EventBridge in production, an
//! outbox locally). They never carry message text.

use super::ids::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "detail_type")]
pub enum DomainEvent {
    CrisisFlagged {
        user: UserId,
        at: DateTime<Utc>,
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
    /// The EventBridge detail-type.
    pub fn detail_type(&self) -> &'static str {
        match self {
            DomainEvent::CrisisFlagged { .. } => "CrisisFlagged",
            DomainEvent::MemoriesUpdated { .. } => "MemoriesUpdated",
            DomainEvent::CheckInReady { .. } => "CheckInReady",
        }
    }
}
