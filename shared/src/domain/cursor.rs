//! Cursors, written once for every list. A cursor is `<list>.<position>`:
//! the list's tag, then where the previous page ended, in that list's
//! terms (a seq, a date and an id, a key). Clients see an opaque string;
//! a store reads it back only as a position in the list it was issued
//! for, so a malformed, over-long or foreign cursor is `BadCursor` (400).

use super::ids::{MemoryId, MessageId, SessionId, UserId};
use super::message::{CrisisFlag, Session};
use chrono::NaiveDate;

/// The longest cursor any list accepts.
pub const MAX_CURSOR_LEN: usize = 512;

/// A cursor that is not a position in the list it was given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cursor is not one this server issued for this list")]
pub struct BadCursor;

/// A position in one list: what its cursors hold.
pub trait Position: Sized {
    /// The list's tag, the cursor's first part. No two lists share one.
    const LIST: &'static str;
    /// The position as the cursor writes it, after the tag.
    fn write(&self) -> String;
    /// The position back from what `write` wrote; `None` if it is not one.
    fn read(s: &str) -> Option<Self>;
}

/// The cursor for `position`.
pub fn encode<P: Position>(position: &P) -> String {
    format!("{}.{}", P::LIST, position.write())
}

/// The position in `cursor`, if it is one of `P`'s list.
pub fn decode<P: Position>(cursor: &str) -> Result<P, BadCursor> {
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(BadCursor);
    }
    cursor
        .strip_prefix(P::LIST)
        .and_then(|rest| rest.strip_prefix('.'))
        .filter(|rest| !rest.is_empty())
        .and_then(P::read)
        .ok_or(BadCursor)
}

/// `<millis>.<id>`: a time, then the id that orders items of one time.
fn read_timed<T>(s: &str, id: impl FnOnce(&str) -> Option<T>) -> Option<(i64, T)> {
    let (ms, rest) = s.split_once('.')?;
    Some((ms.parse().ok()?, id(rest)?))
}

/// A session's messages, oldest first: the last seq read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageSeq(pub u64);

impl Position for MessageSeq {
    const LIST: &'static str = "m";
    fn write(&self) -> String {
        self.0.to_string()
    }
    fn read(s: &str) -> Option<Self> {
        s.parse().ok().map(MessageSeq)
    }
}

/// Sessions, newest first: the last session listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPosition {
    pub created_ms: i64,
    pub id: SessionId,
}

impl SessionPosition {
    pub fn of(s: &Session) -> Self {
        Self {
            created_ms: s.created_at.timestamp_millis(),
            id: s.id.clone(),
        }
    }
}

impl Position for SessionPosition {
    const LIST: &'static str = "s";
    fn write(&self) -> String {
        format!("{}.{}", self.created_ms, self.id)
    }
    fn read(s: &str) -> Option<Self> {
        read_timed(s, |id| SessionId::parse(id).ok())
            .map(|(created_ms, id)| Self { created_ms, id })
    }
}

/// Crisis flags, newest first: the last flag listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagPosition {
    pub at_ms: i64,
    pub message_id: MessageId,
}

impl FlagPosition {
    pub fn of(f: &CrisisFlag) -> Self {
        Self {
            at_ms: f.at.timestamp_millis(),
            message_id: f.message_id.clone(),
        }
    }
}

impl Position for FlagPosition {
    const LIST: &'static str = "f";
    fn write(&self) -> String {
        format!("{}.{}", self.at_ms, self.message_id)
    }
    fn read(s: &str) -> Option<Self> {
        read_timed(s, |id| MessageId::parse(id).ok())
            .map(|(at_ms, message_id)| Self { at_ms, message_id })
    }
}

/// The people active on a day, in user-id order: the last one listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPosition(pub UserId);

impl Position for UserPosition {
    const LIST: &'static str = "a";
    fn write(&self) -> String {
        self.0.to_string()
    }
    fn read(s: &str) -> Option<Self> {
        UserId::parse(s).ok().map(UserPosition)
    }
}

/// Everyone who has a history, in user-id order (the embedded store, the
/// fake): the last person listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonPosition(pub UserId);

impl Position for PersonPosition {
    const LIST: &'static str = "p";
    fn write(&self) -> String {
        self.0.to_string()
    }
    fn read(s: &str) -> Option<Self> {
        UserId::parse(s).ok().map(PersonPosition)
    }
}

/// Everyone who has a history, on DynamoDB, in its Scan's order: the last
/// person listed and the sort key of the item they were listed by, where
/// the Scan resumes. Written `<user>#<sort key>`: ids never hold a '#'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanPosition {
    pub user: UserId,
    pub sk: String,
}

impl Position for ScanPosition {
    const LIST: &'static str = "v";
    fn write(&self) -> String {
        format!("{}#{}", self.user, self.sk)
    }
    fn read(s: &str) -> Option<Self> {
        let (user, sk) = s.split_once('#')?;
        let user = UserId::parse(user).ok()?;
        (!sk.is_empty()).then(|| Self {
            user,
            sk: sk.to_string(),
        })
    }
}

/// Memories, newest first (ids are time-ordered): the last one listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryPosition(pub MemoryId);

impl Position for MemoryPosition {
    const LIST: &'static str = "k";
    fn write(&self) -> String {
        self.0.to_string()
    }
    fn read(s: &str) -> Option<Self> {
        MemoryId::parse(s).ok().map(MemoryPosition)
    }
}

/// Check-ins, newest first: the local date of the last one listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckinPosition(pub NaiveDate);

impl Position for CheckinPosition {
    const LIST: &'static str = "c";
    fn write(&self) -> String {
        self.0.to_string()
    }
    fn read(s: &str) -> Option<Self> {
        s.parse().ok().map(CheckinPosition)
    }
}

/// Journal items, newest first (UUIDv7 ids): the id of the last one listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalPosition(pub String);

impl Position for JournalPosition {
    const LIST: &'static str = "j";
    fn write(&self) -> String {
        self.0.clone()
    }
    fn read(s: &str) -> Option<Self> {
        uuid::Uuid::parse_str(s)
            .ok()
            .map(|_| JournalPosition(s.to_string()))
    }
}

/// An export page of the embedded store, which reads a person's data
/// whole: how many items the earlier pages held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOffset(pub usize);

impl Position for ExportOffset {
    const LIST: &'static str = "e";
    fn write(&self) -> String {
        self.0.to_string()
    }
    fn read(s: &str) -> Option<Self> {
        s.parse().ok().map(ExportOffset)
    }
}

/// An export page of the DynamoDB store, which reads a person's partition
/// in key order: the sort key of the last item exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportAfterKey(pub String);

impl Position for ExportAfterKey {
    const LIST: &'static str = "d";
    fn write(&self) -> String {
        self.0.clone()
    }
    fn read(s: &str) -> Option<Self> {
        Some(ExportAfterKey(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<P: Position + PartialEq + std::fmt::Debug>(p: P) {
        assert_eq!(decode::<P>(&encode(&p)), Ok(p));
    }

    #[test]
    fn every_position_reads_back_what_it_wrote() {
        round_trip(MessageSeq(42));
        round_trip(SessionPosition {
            created_ms: -1_000,
            id: SessionId::parse("legacy.session-1").unwrap(),
        });
        round_trip(FlagPosition {
            at_ms: 1_700_000_000_000,
            message_id: MessageId::generate(),
        });
        round_trip(UserPosition(UserId::parse("a@b.c").unwrap()));
        round_trip(PersonPosition(UserId::parse("a@b.c").unwrap()));
        round_trip(ScanPosition {
            user: UserId::parse("a@b.c").unwrap(),
            sk: "S#legacy.session-1".into(),
        });
        round_trip(MemoryPosition(MemoryId::generate()));
        round_trip(CheckinPosition("2026-01-02".parse().unwrap()));
        round_trip(JournalPosition(uuid::Uuid::now_v7().to_string()));
        round_trip(ExportOffset(7));
        round_trip(ExportAfterKey("M#s1#00000000000000000001".into()));
    }

    #[test]
    fn a_bad_or_foreign_cursor_is_refused() {
        let session = encode(&SessionPosition {
            created_ms: 5,
            id: SessionId::parse("s1").unwrap(),
        });
        assert_eq!(decode::<MessageSeq>(&session), Err(BadCursor), "foreign");
        assert_eq!(
            decode::<MessageSeq>(&encode(&ExportOffset(3))),
            Err(BadCursor)
        );
        assert_eq!(decode::<CheckinPosition>("k.2026-01-02"), Err(BadCursor));
        for bad in [
            "garbage",
            "m.",
            "m",
            "m.x",
            "s.5",
            "s.x.s1",
            "s.5.a#b",
            "j.not-a-uuid",
            "v.no-sort-key",
            "v.bad user#S#s1",
        ] {
            assert!(
                decode::<MessageSeq>(bad).is_err()
                    && decode::<SessionPosition>(bad).is_err()
                    && decode::<JournalPosition>(bad).is_err()
                    && decode::<ScanPosition>(bad).is_err(),
                "{bad}"
            );
        }
        let long = format!("d.{}", "x".repeat(MAX_CURSOR_LEN));
        assert_eq!(decode::<ExportAfterKey>(&long), Err(BadCursor), "bounded");
    }
}
