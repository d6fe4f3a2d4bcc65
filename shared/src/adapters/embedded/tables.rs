//! The embedded store's tables. Keys are tuples that start with the user id,
//! so every read is a range inside one person's data, the same shape as the
//! DynamoDB partition key (see docs/data-model.md).

use crate::domain::personal_data::ItemKind;
use redb::{Database, TableDefinition};

/// (user, session_id) -> Session JSON
pub const SESSIONS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("sessions");
/// (user, created_at millis, session_id) -> (): sessions newest first
pub const SESSIONS_BY_CREATED: TableDefinition<(&str, i64, &str), ()> =
    TableDefinition::new("sessions_by_created");
/// (user, session_id, seq) -> Message JSON
pub const MESSAGES: TableDefinition<(&str, &str, u64), &[u8]> = TableDefinition::new("messages");
/// (user, client_message_id) -> (session_id, seq): idempotency of chat turns
pub const CLIENT_IDS: TableDefinition<(&str, &str), (&str, u64)> =
    TableDefinition::new("client_message_ids");

/// (user, at millis, message_id) -> CrisisFlag JSON
pub const CRISIS_FLAGS: TableDefinition<(&str, i64, &str), &[u8]> =
    TableDefinition::new("crisis_flags");
/// (UTC day "YYYY-MM-DD", user) -> last message millis: the activity index
pub const ACTIVITY: TableDefinition<(&str, &str), i64> = TableDefinition::new("activity_by_day");
/// seq -> OutboxEntry JSON: domain events, in order (the local EventBus)
pub const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");

/// (user, memory_id) -> Memory JSON (ids are time-ordered UUIDv7)
pub const MEMORIES: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("memories");
/// (user, memory_id) -> Tombstone JSON: what a forgotten memory leaves
pub const TOMBSTONES: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("tombstones");
/// (user, session_id) -> ExtractionState JSON
pub const EXTRACTION: TableDefinition<(&str, &str), &[u8]> =
    TableDefinition::new("extraction_state");

/// (user, seq) -> JSON array of retrieval IndexOps: the person's index log
pub const INDEX_LOG: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("index_log");
/// user -> (the last index log seq, the log's generation)
pub const INDEX_HEAD: TableDefinition<&str, (u64, u64)> = TableDefinition::new("index_head");
/// (user, chunk) -> JSON array of puts: the person's newest index snapshot
pub const INDEX_SNAPSHOT: TableDefinition<(&str, u32), &[u8]> =
    TableDefinition::new("index_snapshot");
/// user -> (the log generation, the seq it covers, its chunk count)
pub const INDEX_SNAPSHOT_HEAD: TableDefinition<&str, (u64, u64, u32)> =
    TableDefinition::new("index_snapshot_head");

/// user -> Settings JSON
pub const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");
/// user -> NoticeState JSON: the notices last shown, the last interaction
pub const NOTICES: TableDefinition<&str, &[u8]> = TableDefinition::new("notices");
/// (user, local date) -> CheckIn JSON: one per person per local date
pub const CHECKINS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("checkins");
/// (user, journal id) -> JournalItem JSON (UUIDv7 ids: key order is time order)
pub const JOURNAL: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("journal");

/// job id -> QueuedJob JSON: the durable local job queue
pub const JOBS: TableDefinition<u64, &[u8]> = TableDefinition::new("jobs");
/// job id -> DeadJob JSON: jobs that failed too often
pub const DEAD_JOBS: TableDefinition<u64, &[u8]> = TableDefinition::new("dead_jobs");

/// (user, external_id) -> (session_id, seq): idempotency of imports
pub const EXTERNAL_IDS: TableDefinition<(&str, &str), (&str, u64)> =
    TableDefinition::new("external_ids");
/// user -> millis when their erase began: jobs with older data write nothing
pub const ERASURES: TableDefinition<&str, i64> = TableDefinition::new("erasures");

/// (UTC day "YYYY-MM-DD", category, locale, layer) -> count: the
/// de-identified crisis-referral counters (no user id)
pub const SAFETY_REPORT: TableDefinition<(&str, &str, &str, &str), u64> =
    TableDefinition::new("safety_report");

/// Every table, and the item kinds it holds (export and erase cover each;
/// a test fails if a table is missing here). No kind: no personal data.
pub const TABLE_KINDS: &[(&str, &[ItemKind])] = &[
    ("sessions", &[ItemKind::Session]),
    ("sessions_by_created", &[ItemKind::Session]),
    ("messages", &[ItemKind::Message]),
    ("client_message_ids", &[ItemKind::ClientMessageId]),
    ("external_ids", &[ItemKind::ExternalId]),
    ("crisis_flags", &[ItemKind::CrisisFlag]),
    ("activity_by_day", &[ItemKind::Activity]),
    ("memories", &[ItemKind::Memory]),
    ("tombstones", &[ItemKind::Tombstone]),
    ("extraction_state", &[ItemKind::Summary]),
    ("index_log", &[ItemKind::SearchIndex]),
    ("index_head", &[ItemKind::SearchIndex]),
    ("index_snapshot", &[ItemKind::SearchIndex]),
    ("index_snapshot_head", &[ItemKind::SearchIndex]),
    ("settings", &[ItemKind::Settings]),
    ("notices", &[ItemKind::Notices]),
    ("checkins", &[ItemKind::Checkin]),
    (
        "journal",
        &[ItemKind::JournalEntry, ItemKind::JournalPrompt],
    ),
    ("jobs", &[ItemKind::Job]),
    ("dead_jobs", &[ItemKind::DeadJob]),
    ("outbox", &[ItemKind::Event]),
    // Only the user id and when they erased: what enforces the erasure.
    ("erasures", &[]),
    // Counts by day, category, locale and layer: no user id, no one's data.
    ("safety_report", &[]),
];

/// Create every table, so that read transactions never meet a missing one.
pub fn create_all(db: &Database) -> Result<(), redb::Error> {
    let tx = db.begin_write()?;
    tx.open_table(SESSIONS)?;
    tx.open_table(SESSIONS_BY_CREATED)?;
    tx.open_table(MESSAGES)?;
    tx.open_table(CLIENT_IDS)?;
    tx.open_table(CRISIS_FLAGS)?;
    tx.open_table(OUTBOX)?;
    tx.open_table(ACTIVITY)?;
    tx.open_table(MEMORIES)?;
    tx.open_table(TOMBSTONES)?;
    tx.open_table(EXTRACTION)?;
    tx.open_table(INDEX_LOG)?;
    tx.open_table(INDEX_HEAD)?;
    tx.open_table(INDEX_SNAPSHOT)?;
    tx.open_table(INDEX_SNAPSHOT_HEAD)?;
    tx.open_table(SETTINGS)?;
    tx.open_table(NOTICES)?;
    tx.open_table(CHECKINS)?;
    tx.open_table(JOURNAL)?;
    tx.open_table(JOBS)?;
    tx.open_table(DEAD_JOBS)?;
    tx.open_table(EXTERNAL_IDS)?;
    tx.open_table(ERASURES)?;
    tx.open_table(SAFETY_REPORT)?;
    tx.commit()?;
    Ok(())
}
