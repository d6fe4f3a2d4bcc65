//! Items and queries for the engine's unit tests: dated a fixed number of
//! days before one fixed "now", so that recency is deterministic.

use super::{Doc, DocKind, Query};
use crate::domain::ids::SessionId;
use crate::domain::memory::Category;
use crate::domain::message::Role;
use crate::domain::route::Route;
use chrono::{DateTime, Duration, Utc};

pub(super) fn at(days_ago: i64) -> DateTime<Utc> {
    "2026-06-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap() - Duration::days(days_ago)
}

pub(super) fn now() -> DateTime<Utc> {
    at(0)
}

pub(super) fn memory(
    id: &str,
    category: Category,
    importance: u8,
    text: &str,
    days_ago: i64,
) -> Doc {
    Doc {
        kind: DocKind::Memory,
        id: id.into(),
        session_id: SessionId::parse("s-old").unwrap(),
        external_id: None,
        category: Some(category),
        role: None,
        importance,
        text: text.into(),
        at: at(days_ago),
        vector: None,
        crisis: false,
        seq: None,
        dates: None,
    }
}

pub(super) fn message(id: &str, session: &str, text: &str, days_ago: i64) -> Doc {
    Doc {
        kind: DocKind::Message,
        id: id.into(),
        session_id: SessionId::parse(session).unwrap(),
        external_id: None,
        category: None,
        role: Some(Role::User),
        importance: 5,
        text: text.into(),
        at: at(days_ago),
        vector: None,
        crisis: false,
        seq: None,
        dates: None,
    }
}

pub(super) fn q(text: &str, route: Route) -> Query<'_> {
    Query {
        text,
        vector: None,
        route,
        now: now(),
    }
}
