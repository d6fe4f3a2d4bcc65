//! Export, erase and import on the embedded store. Locally a person's data
//! is small enough to read whole for an export and to erase in one
//! transaction; the item kinds come from `tables::TABLE_KINDS`.

use super::conversations::put_appended;
use super::queue::{DeadJob, QueuedJob};
use super::tables::*;
use super::{EmbeddedStore, decode, unavailable};
use crate::domain::ids::{SessionId, UserId};
use crate::domain::jobs::Job;
use crate::domain::message::{Message, Session};
use crate::domain::page::Page;
use crate::domain::personal_data::{ExportItem, ImportLine, ImportOutcome};
use crate::ports::{OutboxEntry, PersonalData, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableDatabase, ReadableTable, TableHandle, WriteTransaction};
use serde_json::json;
use std::collections::BTreeMap;

const KINDS: &[&str] = &[
    "session",
    "message",
    "client_message_id",
    "external_id",
    "crisis_flag",
    "activity",
    "memory",
    "tombstone",
    "summary",
    "search_index",
    "settings",
    "checkin",
    "journal_entry",
    "journal_prompt",
    "job",
    "dead_job",
    "event",
];

fn user_range(u: &str) -> std::ops::RangeInclusive<(&str, &str)> {
    (u, "")..=(u, "\u{10FFFF}")
}

fn job_user(body: &str) -> Option<UserId> {
    serde_json::from_str::<Job>(body)
        .ok()
        .map(|j| j.user().clone())
}

fn value(v: &impl serde::Serialize) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Everything held about `u`, in a fixed order.
fn collect(tx: &ReadTransaction, user: &UserId) -> Result<Vec<ExportItem>, StoreError> {
    let u = user.as_str();
    let mut out = Vec::new();
    let t = tx.open_table(SESSIONS).map_err(unavailable)?;
    for e in t.range(user_range(u)).map_err(unavailable)? {
        out.push(ExportItem::new(
            "session",
            value(&decode::<Session>(e.map_err(unavailable)?.1.value())?)?,
        ));
    }
    let t = tx.open_table(MESSAGES).map_err(unavailable)?;
    for e in t
        .range((u, "", 0)..=(u, "\u{10FFFF}", u64::MAX))
        .map_err(unavailable)?
    {
        out.push(ExportItem::new(
            "message",
            value(&decode::<Message>(e.map_err(unavailable)?.1.value())?)?,
        ));
    }
    for (table, kind, key) in [
        (CLIENT_IDS, "client_message_id", "client_message_id"),
        (EXTERNAL_IDS, "external_id", "external_id"),
    ] {
        let t = tx.open_table(table).map_err(unavailable)?;
        for e in t.range(user_range(u)).map_err(unavailable)? {
            let (k, v) = e.map_err(unavailable)?;
            let (session, seq) = v.value();
            out.push(ExportItem::new(
                kind,
                json!({key: k.value().1, "session_id": session, "seq": seq}),
            ));
        }
    }
    let t = tx.open_table(CRISIS_FLAGS).map_err(unavailable)?;
    for e in t
        .range((u, i64::MIN, "")..=(u, i64::MAX, "\u{10FFFF}"))
        .map_err(unavailable)?
    {
        out.push(ExportItem::new(
            "crisis_flag",
            serde_json::from_slice(e.map_err(unavailable)?.1.value())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        ));
    }
    let t = tx.open_table(ACTIVITY).map_err(unavailable)?;
    for e in t.iter().map_err(unavailable)? {
        let (k, v) = e.map_err(unavailable)?;
        let (day, who) = k.value();
        if who == u {
            out.push(ExportItem::new(
                "activity",
                json!({"day": day, "last_message_at_ms": v.value()}),
            ));
        }
    }
    for (table, kind) in [(MEMORIES, "memory"), (TOMBSTONES, "tombstone")] {
        let t = tx.open_table(table).map_err(unavailable)?;
        for e in t.range(user_range(u)).map_err(unavailable)? {
            out.push(ExportItem::new(
                kind,
                serde_json::from_slice(e.map_err(unavailable)?.1.value())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            ));
        }
    }
    let t = tx.open_table(EXTRACTION).map_err(unavailable)?;
    for e in t.range(user_range(u)).map_err(unavailable)? {
        let (k, v) = e.map_err(unavailable)?;
        let mut state: serde_json::Value =
            serde_json::from_slice(v.value()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        state["session_id"] = json!(k.value().1);
        out.push(ExportItem::new("summary", state));
    }
    let t = tx.open_table(INDEX_LOG).map_err(unavailable)?;
    for e in t.range((u, 0)..=(u, u64::MAX)).map_err(unavailable)? {
        let (k, v) = e.map_err(unavailable)?;
        let ops: serde_json::Value =
            serde_json::from_slice(v.value()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        out.push(ExportItem::new(
            "search_index",
            json!({"seq": k.value().1, "ops": ops}),
        ));
    }
    if let Some(v) = tx
        .open_table(SETTINGS)
        .map_err(unavailable)?
        .get(u)
        .map_err(unavailable)?
    {
        out.push(ExportItem::new(
            "settings",
            serde_json::from_slice(v.value()).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        ));
    }
    let t = tx.open_table(CHECKINS).map_err(unavailable)?;
    for e in t.range(user_range(u)).map_err(unavailable)? {
        out.push(ExportItem::new(
            "checkin",
            serde_json::from_slice(e.map_err(unavailable)?.1.value())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        ));
    }
    let t = tx.open_table(JOURNAL).map_err(unavailable)?;
    for e in t.range(user_range(u)).map_err(unavailable)? {
        let item: crate::domain::journal::JournalItem = decode(e.map_err(unavailable)?.1.value())?;
        out.push(ExportItem::new(item.kind.as_str(), value(&item)?));
    }
    let t = tx.open_table(JOBS).map_err(unavailable)?;
    for e in t.iter().map_err(unavailable)? {
        let job: QueuedJob = decode(e.map_err(unavailable)?.1.value())?;
        if job_user(&job.body).as_ref() == Some(user) {
            out.push(ExportItem::new("job", value(&job)?));
        }
    }
    let t = tx.open_table(DEAD_JOBS).map_err(unavailable)?;
    for e in t.iter().map_err(unavailable)? {
        let job: DeadJob = decode(e.map_err(unavailable)?.1.value())?;
        if job_user(&job.body).as_ref() == Some(user) {
            out.push(ExportItem::new("dead_job", value(&job)?));
        }
    }
    let t = tx.open_table(OUTBOX).map_err(unavailable)?;
    for e in t.iter().map_err(unavailable)? {
        let entry: OutboxEntry = decode(e.map_err(unavailable)?.1.value())?;
        if event_user(&entry) == Some(user) {
            out.push(ExportItem::new("event", value(&entry)?));
        }
    }
    Ok(out)
}

fn event_user(e: &OutboxEntry) -> Option<&UserId> {
    use crate::domain::events::DomainEvent::*;
    match &e.event {
        CrisisFlagged { user, .. } | MemoriesUpdated { user, .. } | CheckInReady { user, .. } => {
            Some(user)
        }
    }
}

/// Remove every entry of `u` from a table keyed (user, text).
fn remove_user_keys<V: redb::Value + 'static>(
    tx: &WriteTransaction,
    def: redb::TableDefinition<(&str, &str), V>,
    u: &str,
) -> Result<u64, StoreError> {
    let mut t = tx.open_table(def).map_err(unavailable)?;
    let keys: Vec<String> = t
        .range(user_range(u))
        .map_err(unavailable)?
        .map(|e| e.map(|(k, _)| k.value().1.to_string()))
        .collect::<Result<_, _>>()
        .map_err(unavailable)?;
    for k in &keys {
        t.remove((u, k.as_str())).map_err(unavailable)?;
    }
    Ok(keys.len() as u64)
}

/// Remove every entry of `u` from a table keyed (user, millis, id).
fn remove_user_timed_keys<V: redb::Value + 'static>(
    tx: &WriteTransaction,
    def: redb::TableDefinition<(&str, i64, &str), V>,
    u: &str,
) -> Result<u64, StoreError> {
    let mut t = tx.open_table(def).map_err(unavailable)?;
    let keys: Vec<(i64, String)> = t
        .range((u, i64::MIN, "")..=(u, i64::MAX, "\u{10FFFF}"))
        .map_err(unavailable)?
        .map(|e| e.map(|(k, _)| (k.value().1, k.value().2.to_string())))
        .collect::<Result<_, _>>()
        .map_err(unavailable)?;
    for (ms, id) in &keys {
        t.remove((u, *ms, id.as_str())).map_err(unavailable)?;
    }
    Ok(keys.len() as u64)
}

#[async_trait]
impl PersonalData for EmbeddedStore {
    fn item_kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    async fn export_page(
        &self,
        user: &UserId,
        cursor: Option<&str>,
        max_bytes: usize,
    ) -> Result<Page<ExportItem>, StoreError> {
        let start: usize = match cursor {
            None => 0,
            Some(c) => c
                .strip_prefix("e.")
                .and_then(|n| n.parse().ok())
                .ok_or(StoreError::BadCursor)?,
        };
        let user = user.clone();
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let all = collect(&tx, &user)?;
            let mut items = Vec::new();
            let mut bytes = 0;
            for item in all.iter().skip(start) {
                let size = serde_json::to_vec(item)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?
                    .len();
                if !items.is_empty() && bytes + size > max_bytes {
                    break;
                }
                bytes += size;
                items.push(item.clone());
            }
            let end = start + items.len();
            let next_cursor = (end < all.len()).then(|| format!("e.{end}"));
            Ok(Page { items, next_cursor })
        })
        .await
    }

    async fn erase(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let user = user.clone();
        self.run(move |db| {
            let u = user.as_str();
            let tx = db.begin_write().map_err(unavailable)?;
            let mut counts: BTreeMap<String, u64> =
                KINDS.iter().map(|k| (k.to_string(), 0)).collect();
            {
                tx.open_table(ERASURES)
                    .map_err(unavailable)?
                    .insert(u, now.timestamp_millis())
                    .map_err(unavailable)?;
                *counts.get_mut("session").unwrap() += remove_user_keys(&tx, SESSIONS, u)?;
                remove_user_timed_keys(&tx, SESSIONS_BY_CREATED, u)?;
                let mut messages = tx.open_table(MESSAGES).map_err(unavailable)?;
                let keys: Vec<(String, u64)> = messages
                    .range((u, "", 0)..=(u, "\u{10FFFF}", u64::MAX))
                    .map_err(unavailable)?
                    .map(|e| e.map(|(k, _)| (k.value().1.to_string(), k.value().2)))
                    .collect::<Result<_, _>>()
                    .map_err(unavailable)?;
                for (s, seq) in &keys {
                    messages
                        .remove((u, s.as_str(), *seq))
                        .map_err(unavailable)?;
                }
                *counts.get_mut("message").unwrap() += keys.len() as u64;
                *counts.get_mut("client_message_id").unwrap() +=
                    remove_user_keys(&tx, CLIENT_IDS, u)?;
                *counts.get_mut("external_id").unwrap() += remove_user_keys(&tx, EXTERNAL_IDS, u)?;
                *counts.get_mut("crisis_flag").unwrap() +=
                    remove_user_timed_keys(&tx, CRISIS_FLAGS, u)?;
                let mut activity = tx.open_table(ACTIVITY).map_err(unavailable)?;
                let days: Vec<String> = activity
                    .iter()
                    .map_err(unavailable)?
                    .filter_map(|e| {
                        e.ok()
                            .and_then(|(k, _)| (k.value().1 == u).then(|| k.value().0.to_string()))
                    })
                    .collect();
                for d in &days {
                    activity.remove((d.as_str(), u)).map_err(unavailable)?;
                }
                *counts.get_mut("activity").unwrap() += days.len() as u64;
                *counts.get_mut("memory").unwrap() += remove_user_keys(&tx, MEMORIES, u)?;
                *counts.get_mut("tombstone").unwrap() += remove_user_keys(&tx, TOMBSTONES, u)?;
                *counts.get_mut("summary").unwrap() += remove_user_keys(&tx, EXTRACTION, u)?;
                {
                    let mut log = tx.open_table(INDEX_LOG).map_err(unavailable)?;
                    let seqs: Vec<u64> = log
                        .range((u, 0)..=(u, u64::MAX))
                        .map_err(unavailable)?
                        .map(|e| e.map(|(k, _)| k.value().1))
                        .collect::<Result<_, _>>()
                        .map_err(unavailable)?;
                    for seq in &seqs {
                        log.remove((u, *seq)).map_err(unavailable)?;
                    }
                    let head = tx
                        .open_table(INDEX_HEAD)
                        .map_err(unavailable)?
                        .remove(u)
                        .map_err(unavailable)?
                        .is_some();
                    *counts.get_mut("search_index").unwrap() += seqs.len() as u64 + head as u64;
                }
                *counts.get_mut("settings").unwrap() += tx
                    .open_table(SETTINGS)
                    .map_err(unavailable)?
                    .remove(u)
                    .map_err(unavailable)?
                    .is_some() as u64;
                *counts.get_mut("checkin").unwrap() += remove_user_keys(&tx, CHECKINS, u)?;
                {
                    let mut journal = tx.open_table(JOURNAL).map_err(unavailable)?;
                    let items: Vec<(String, crate::domain::journal::JournalKind)> = journal
                        .range(user_range(u))
                        .map_err(unavailable)?
                        .map(|e| {
                            let (k, v) = e.map_err(unavailable)?;
                            let item: crate::domain::journal::JournalItem = decode(v.value())?;
                            Ok((k.value().1.to_string(), item.kind))
                        })
                        .collect::<Result<_, StoreError>>()?;
                    for (id, kind) in &items {
                        journal.remove((u, id.as_str())).map_err(unavailable)?;
                        *counts.get_mut(kind.as_str()).unwrap() += 1;
                    }
                }
                for (def, kind) in [(JOBS, "job"), (DEAD_JOBS, "dead_job")] {
                    let mut t = tx.open_table(def).map_err(unavailable)?;
                    let ids: Vec<u64> = t
                        .iter()
                        .map_err(unavailable)?
                        .filter_map(|e| e.ok())
                        .filter(|(_, v)| {
                            serde_json::from_slice::<serde_json::Value>(v.value())
                                .ok()
                                .and_then(|j| j["body"].as_str().and_then(job_user))
                                .as_ref()
                                == Some(&user)
                        })
                        .map(|(k, _)| k.value())
                        .collect();
                    for id in &ids {
                        t.remove(*id).map_err(unavailable)?;
                    }
                    *counts.get_mut(kind).unwrap() += ids.len() as u64;
                }
                let mut outbox = tx.open_table(OUTBOX).map_err(unavailable)?;
                let seqs: Vec<u64> = outbox
                    .iter()
                    .map_err(unavailable)?
                    .filter_map(|e| e.ok())
                    .filter(|(_, v)| {
                        decode::<OutboxEntry>(v.value())
                            .ok()
                            .is_some_and(|e| event_user(&e) == Some(&user))
                    })
                    .map(|(k, _)| k.value())
                    .collect();
                for s in &seqs {
                    outbox.remove(*s).map_err(unavailable)?;
                }
                *counts.get_mut("event").unwrap() += seqs.len() as u64;
            }
            tx.commit().map_err(unavailable)?;
            Ok(counts)
        })
        .await
    }

    async fn import(
        &self,
        user: &UserId,
        lines: &[ImportLine],
    ) -> Result<ImportOutcome, StoreError> {
        let (user, lines) = (user.clone(), lines.to_vec());
        self.run(move |db| {
            let u = user.as_str();
            let tx = db.begin_write().map_err(unavailable)?;
            let mut outcome = ImportOutcome::default();
            let mut touched: BTreeMap<String, u64> = BTreeMap::new();
            {
                let mut sessions = tx.open_table(SESSIONS).map_err(unavailable)?;
                let mut by_created = tx.open_table(SESSIONS_BY_CREATED).map_err(unavailable)?;
                let mut messages = tx.open_table(MESSAGES).map_err(unavailable)?;
                let mut external = tx.open_table(EXTERNAL_IDS).map_err(unavailable)?;
                for line in &lines {
                    if external
                        .get((u, line.external_id.as_str()))
                        .map_err(unavailable)?
                        .is_some()
                    {
                        outcome.skipped += 1;
                        continue;
                    }
                    let sid = line.session_id.as_str();
                    let mut session: Session = match sessions.get((u, sid)).map_err(unavailable)? {
                        Some(v) => decode(v.value())?,
                        None => {
                            let s = line.new_session();
                            by_created
                                .insert((u, s.created_at.timestamp_millis(), sid), ())
                                .map_err(unavailable)?;
                            s
                        }
                    };
                    let message = line.append_to(&mut session);
                    put_appended(&mut sessions, &mut messages, u, &session, &message)?;
                    external
                        .insert((u, line.external_id.as_str()), (sid, message.seq))
                        .map_err(unavailable)?;
                    touched.insert(sid.to_string(), session.message_count);
                    outcome.imported += 1;
                }
            }
            tx.commit().map_err(unavailable)?;
            outcome.sessions = touched
                .into_iter()
                .map(|(s, n)| {
                    SessionId::parse(s)
                        .map(|s| (s, n))
                        .map_err(|e| StoreError::Corrupt(e.to_string()))
                })
                .collect::<Result<_, _>>()?;
            Ok(outcome)
        })
        .await
    }
}

impl EmbeddedStore {
    /// The names of the tables in the file (for the export/erase coverage test).
    pub fn table_names(&self) -> Result<Vec<String>, StoreError> {
        let tx = self.db.begin_read().map_err(unavailable)?;
        Ok(tx
            .list_tables()
            .map_err(unavailable)?
            .map(|t| t.name().to_string())
            .collect())
    }
}
