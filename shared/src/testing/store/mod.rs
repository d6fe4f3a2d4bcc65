//! One in-memory store for every store port: conversations, memories,
//! settings, check-ins, the journal, and export/erase/import. Each person's
//! data is one value in a map behind a mutex; a write works on a copy of
//! that value and keeps it only if it succeeds, so a failed call changes
//! nothing, as a real store's transaction would. It passes the store
//! contract suite (`shared/tests/fake_contract.rs`).
//!
//! Any call can be told to fail: [`FakeStore::fail_next`] makes the next
//! call of a port method, by name, return `Unavailable`.

mod conversations;
mod memories;
mod personal_data;
mod reports;
mod settings_checkins_journal;

use super::CallLog;
use crate::domain::checkin::{CheckIn, Settings};
use crate::domain::cursor::Position;
use crate::domain::ids::{ClientMessageId, MemoryId, SessionId, UserId};
use crate::domain::journal::JournalItem;
use crate::domain::memory::{ExtractionState, Memory, Tombstone};
use crate::domain::message::{CrisisFlag, Message, Session};
use crate::domain::notices::NoticeState;
use crate::domain::page::Page;
use crate::domain::retrieval::{IndexEntry, IndexOp, IndexSnapshot, log_chunks};
use crate::ports::StoreError;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

/// Everything held about one person.
#[derive(Debug, Clone, Default)]
struct Person {
    sessions: BTreeMap<SessionId, Session>,
    /// (session, seq) -> message
    messages: BTreeMap<(SessionId, u64), Message>,
    /// client_message_id -> (session, seq): idempotency of chat turns
    client_ids: BTreeMap<ClientMessageId, (SessionId, u64)>,
    /// external_id -> (session, seq): idempotency of imports
    external_ids: BTreeMap<String, (SessionId, u64)>,
    crisis_flags: Vec<CrisisFlag>,
    /// UTC day -> when the person last sent a message that day
    activity: BTreeMap<NaiveDate, DateTime<Utc>>,
    /// UUIDv7 ids: key order is time order, as in the real stores
    memories: BTreeMap<MemoryId, Memory>,
    tombstones: BTreeMap<MemoryId, Tombstone>,
    extraction: BTreeMap<SessionId, ExtractionState>,
    index: IndexLog,
    settings: Option<Settings>,
    notices: Option<NoticeState>,
    /// local date -> check-in: one per date
    checkins: BTreeMap<NaiveDate, CheckIn>,
    journal: BTreeMap<String, JournalItem>,
}

/// A person's retrieval index log: entries up to `head`, less those the
/// snapshot covers, and the generation chosen when the first was written
/// (0 while there is none).
#[derive(Debug, Clone, Default)]
struct IndexLog {
    entries: Vec<IndexEntry>,
    head: u64,
    generation: u64,
    snapshot: Option<IndexSnapshot>,
}

impl IndexLog {
    fn head(&self) -> u64 {
        self.head
    }

    /// Append one write's ops, as stored log entries of bounded size.
    fn append(&mut self, ops: &[IndexOp]) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        if self.generation == 0 {
            self.generation = rand::random::<u64>() | 1;
        }
        let corrupt = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
        for chunk in log_chunks(ops).map_err(corrupt)? {
            let ops: Vec<IndexOp> = serde_json::from_str(&chunk).map_err(corrupt)?;
            self.head += 1;
            self.entries.push(IndexEntry {
                seq: self.head,
                ops,
            });
        }
        Ok(())
    }

    /// Keep `snapshot` and drop the entries it covers, if it is of this
    /// log, within it, and newer than the one kept.
    fn compact(&mut self, snapshot: &IndexSnapshot) -> Result<bool, StoreError> {
        let kept = self.snapshot.as_ref().map_or(0, |s| s.through);
        if self.generation == 0
            || snapshot.generation != self.generation
            || snapshot.through > self.head
            || snapshot.through <= kept
        {
            return Ok(false);
        }
        // Stored as the real stores store it: chunked, through JSON.
        let corrupt = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
        let chunks = snapshot.chunks().map_err(corrupt)?;
        let stored = IndexSnapshot::from_chunks(
            snapshot.generation,
            snapshot.through,
            chunks.iter().map(|c| c.as_bytes()),
        )
        .map_err(corrupt)?;
        self.entries.retain(|e| e.seq > snapshot.through);
        self.snapshot = Some(stored);
        Ok(true)
    }
}

#[derive(Debug, Default)]
struct State {
    people: BTreeMap<UserId, Person>,
    /// When each person's last erase began: jobs with older data write nothing.
    erasures: HashMap<UserId, DateTime<Utc>>,
    /// Port method name -> calls left to fail.
    failures: HashMap<&'static str, u32>,
    /// (day, category, locale, layer) -> count: the safety report, no user id
    reports: BTreeMap<(NaiveDate, String, String, String), u64>,
}

/// The in-memory store. See the module note.
pub struct FakeStore {
    state: Mutex<State>,
    log: CallLog,
}

impl FakeStore {
    pub fn new(log: &CallLog) -> Self {
        Self {
            state: Mutex::default(),
            log: log.clone(),
        }
    }

    /// The next `times` calls of the port method `op` (e.g.
    /// `"record_reply"`) fail as `Unavailable`, changing nothing.
    pub fn fail_next(&self, op: &'static str, times: u32) {
        *self.lock().failures.entry(op).or_default() += times;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Log the call, and fail it if told to.
    fn enter(&self, op: &'static str) -> Result<MutexGuard<'_, State>, StoreError> {
        self.log.record(format!("store: {op}"));
        let mut state = self.lock();
        if let Some(left) = state.failures.get_mut(op).filter(|n| **n > 0) {
            *left -= 1;
            return Err(StoreError::Unavailable(format!(
                "FakeStore: injected failure of {op}"
            )));
        }
        Ok(state)
    }

    /// Read one person's data (`None`: nothing held).
    fn read<T>(
        &self,
        op: &'static str,
        user: &UserId,
        f: impl FnOnce(Option<&Person>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let state = self.enter(op)?;
        f(state.people.get(user))
    }

    /// Change one person's data: `f` works on a copy, kept only on success.
    /// It is also told when the person's last erase began.
    fn write<T>(
        &self,
        op: &'static str,
        user: &UserId,
        f: impl FnOnce(&mut Person, Option<DateTime<Utc>>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut state = self.enter(op)?;
        let erased = state.erasures.get(user).copied();
        let mut person = state.people.get(user).cloned().unwrap_or_default();
        let out = f(&mut person, erased)?;
        state.people.insert(user.clone(), person);
        Ok(out)
    }
}

/// The first `limit` of `items` (in list order, already past the cursor),
/// with a cursor at the last one's position if more remain.
fn page<T, P: Position>(
    items: impl IntoIterator<Item = T>,
    limit: u32,
    position: impl Fn(&T) -> P,
) -> Page<T> {
    let mut items = items.into_iter();
    let taken: Vec<T> = items.by_ref().take(limit as usize).collect();
    let more = items.next().is_some();
    Page::resuming(taken, more, position)
}
