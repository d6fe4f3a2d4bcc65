//! The table's keys, built in one place (the layout is in
//! docs/data-model.md). Everything a person owns is in their partition
//! `U#<user>`; the sort key says what an item is. Numbers are zero-padded
//! to 20 digits so that string order is number order; times are clamped at
//! the epoch for the same reason.

use super::Item;
use super::schema::{PK, SK};
use crate::domain::ids::{ClientMessageId, MemoryId, MessageId, SessionId, UserId};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;

/// The partition of everything a person owns.
pub(super) const USER: &str = "U#";
pub(super) fn user_pk(user: &UserId) -> String {
    format!("{USER}{user}")
}

/// The primary key of one of `user`'s items.
pub(super) fn key(user: &UserId, sk: impl Into<String>) -> Item {
    Item::from([
        (PK.into(), AttributeValue::S(user_pk(user))),
        (SK.into(), AttributeValue::S(sk.into())),
    ])
}

/// Sessions, by id.
pub(super) const SESSIONS: &str = "S#";
pub(super) fn session_sk(id: &SessionId) -> String {
    format!("{SESSIONS}{id}")
}

pub(super) fn message_sk(session: &SessionId, seq: u64) -> String {
    format!("M#{session}#{seq:020}")
}

pub(super) fn client_sk(id: &ClientMessageId) -> String {
    format!("C#{id}")
}

pub(super) fn external_sk(external_id: &str) -> String {
    format!("E#{external_id}")
}

/// Sessions by creation (the local index `LSI1SK`): millis, then the id.
pub(super) const SESSIONS_BY_CREATED: &str = "SC#";
pub(super) fn created_key(created_ms: i64, id: &SessionId) -> String {
    format!("{SESSIONS_BY_CREATED}{:020}#{id}", created_ms.max(0))
}

/// Crisis flags, by time then message.
pub(super) const FLAGS: &str = "F#";
pub(super) fn flag_sk(at_ms: i64, message: &MessageId) -> String {
    format!("{FLAGS}{:020}#{message}", at_ms.max(0))
}

/// A person's activity on a UTC day, and the day's partition of the
/// activity index (`GSI1PK`; `GSI1SK` is the user id).
pub(super) fn activity_sk(day: NaiveDate) -> String {
    format!("A#{day}")
}
pub(super) fn activity_day(day: NaiveDate) -> String {
    format!("ACT#{day}")
}

/// Memories; ids are time-ordered, so a descending Query is newest first.
pub(super) const MEMORIES: &str = "MEM#";
pub(super) fn memory_sk(id: &MemoryId) -> String {
    format!("{MEMORIES}{id}")
}

/// What a forgotten memory leaves.
pub(super) const TOMBSTONES: &str = "T#";
pub(super) fn tombstone_sk(id: &MemoryId) -> String {
    format!("{TOMBSTONES}{id}")
}

/// A session's extraction state (watermarks and summary).
pub(super) const EXTRACTION: &str = "X#";
pub(super) fn extraction_sk(session: &SessionId) -> String {
    format!("{EXTRACTION}{session}")
}

/// The retrieval index log: `IX#<seq>` an entry, `IXH` its head. Entries
/// sort before the head, so one Query reads the entries and then the head.
pub(super) const INDEX_ENTRY: &str = "IX#";
pub(super) const INDEX_HEAD: &str = "IXH";
pub(super) fn index_sk(seq: u64) -> String {
    format!("{INDEX_ENTRY}{seq:020}")
}

/// The index snapshot's chunks: `IXS#<snapshot id>#<chunk>`, sorting after
/// the head (which names the current snapshot). Ids start with the time
/// they were chosen, so older snapshots sort first.
pub(super) const INDEX_SNAPSHOT: &str = "IXS#";
pub(super) fn snapshot_prefix(id: &str) -> String {
    format!("{INDEX_SNAPSHOT}{id}#")
}
pub(super) fn snapshot_sk(id: &str, chunk: usize) -> String {
    format!("{INDEX_SNAPSHOT}{id}#{chunk:05}")
}

pub(super) const SETTINGS: &str = "SETTINGS";
/// The record of the notices shown (`NoticeState`), with its revision in
/// `rev` for the conditional write.
pub(super) const NOTICES: &str = "NOTICES";

/// Check-ins, one per local date.
pub(super) const CHECKINS: &str = "CK#";
pub(super) fn checkin_sk(local_date: impl std::fmt::Display) -> String {
    format!("{CHECKINS}{local_date}")
}

/// Journal entries and prompts; UUIDv7 ids, so newest first descending.
pub(super) const JOURNAL: &str = "J#";
pub(super) fn journal_sk(id: &str) -> String {
    format!("{JOURNAL}{id}")
}

/// The erasure marker: only the user id and when they erased.
pub(super) const ERASURE: &str = "ERASED";

/// The safety report: de-identified counters of crisis referrals, one item
/// per UTC day in one partition of no one (`REPORT#safety`, `D#<day>`), an
/// attribute per category, locale and layer (`n#<category>#<locale>#<layer>`).
pub(super) const SAFETY_REPORT: &str = "REPORT#safety";
pub(super) const REPORT_DAY: &str = "D#";
pub(super) fn report_day_sk(day: NaiveDate) -> String {
    format!("{REPORT_DAY}{day}")
}
pub(super) const REPORT_COUNTER: &str = "n#";
