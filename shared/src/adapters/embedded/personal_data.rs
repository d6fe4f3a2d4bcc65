//! Export, erase and import on the embedded store. Locally a person's data
//! is small enough to read whole for an export and to erase in one
//! transaction. Each item kind is exported by `export_kind` and erased by
//! `erase_kind`, two matches with no wildcard; `tables::TABLE_KINDS` says
//! which table holds which kind.

use super::conversations::{put_appended, put_flag};
use super::memories::remove_index_snapshot;
use super::queue::{DeadJob, QueuedJob};
use super::tables::*;
use super::{EmbeddedStore, decode, unavailable};
use crate::domain::cursor::{ExportOffset, decode as decode_cursor};
use crate::domain::ids::{SessionId, UserId};
use crate::domain::jobs::Job;
use crate::domain::journal::{JournalItem, JournalKind};
use crate::domain::message::{Message, Session};
use crate::domain::page::Page;
use crate::domain::personal_data::{EraseReceipt, ExportItem, ImportLine, ImportOutcome, ItemKind};
use crate::ports::{OutboxEntry, PersonalData, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableDatabase, ReadableTable, TableHandle, WriteTransaction};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The embedded store holds every kind: it is the local queue and outbox
/// as well as the store.
const KINDS: &[ItemKind] = &ItemKind::ALL;

fn user_range(u: &str) -> std::ops::RangeInclusive<(&str, &str)> {
    (u, "")..=(u, "\u{10FFFF}")
}

fn job_user(body: &str) -> Option<UserId> {
    serde_json::from_str::<Job>(body)
        .ok()
        .map(|j| j.user().clone())
}

fn value(v: &impl serde::Serialize) -> Result<Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn raw(bytes: &[u8]) -> Result<Value, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The JSON values of `u`'s entries in a table keyed (user, text).
fn user_values(
    tx: &ReadTransaction,
    def: redb::TableDefinition<(&str, &str), &[u8]>,
    u: &str,
) -> Result<Vec<Value>, StoreError> {
    let t = tx.open_table(def).map_err(unavailable)?;
    let mut out = Vec::new();
    for e in t.range(user_range(u)).map_err(unavailable)? {
        out.push(raw(e.map_err(unavailable)?.1.value())?);
    }
    Ok(out)
}

/// `u`'s idempotency records (client or external ids): the id and the
/// message it stands for.
fn id_records(
    tx: &ReadTransaction,
    def: redb::TableDefinition<(&str, &str), (&str, u64)>,
    id_field: &str,
    u: &str,
) -> Result<Vec<Value>, StoreError> {
    let t = tx.open_table(def).map_err(unavailable)?;
    let mut out = Vec::new();
    for e in t.range(user_range(u)).map_err(unavailable)? {
        let (k, v) = e.map_err(unavailable)?;
        let (session, seq) = v.value();
        out.push(json!({id_field: k.value().1, "session_id": session, "seq": seq}));
    }
    Ok(out)
}

/// `u`'s journal items of one kind.
fn journal_items(
    tx: &ReadTransaction,
    u: &str,
    kind: JournalKind,
) -> Result<Vec<Value>, StoreError> {
    let t = tx.open_table(JOURNAL).map_err(unavailable)?;
    let mut out = Vec::new();
    for e in t.range(user_range(u)).map_err(unavailable)? {
        let item: JournalItem = decode(e.map_err(unavailable)?.1.value())?;
        if item.kind == kind {
            out.push(value(&item)?);
        }
    }
    Ok(out)
}

/// Everything of one kind held about `user`, in key order.
fn export_kind(
    tx: &ReadTransaction,
    user: &UserId,
    kind: ItemKind,
) -> Result<Vec<Value>, StoreError> {
    let u = user.as_str();
    let mut out = Vec::new();
    match kind {
        ItemKind::Session => {
            let t = tx.open_table(SESSIONS).map_err(unavailable)?;
            for e in t.range(user_range(u)).map_err(unavailable)? {
                out.push(value(&decode::<Session>(
                    e.map_err(unavailable)?.1.value(),
                )?)?);
            }
        }
        ItemKind::Message => {
            let t = tx.open_table(MESSAGES).map_err(unavailable)?;
            for e in t
                .range((u, "", 0)..=(u, "\u{10FFFF}", u64::MAX))
                .map_err(unavailable)?
            {
                out.push(value(&decode::<Message>(
                    e.map_err(unavailable)?.1.value(),
                )?)?);
            }
        }
        ItemKind::ClientMessageId => {
            out = id_records(tx, CLIENT_IDS, "client_message_id", u)?;
        }
        ItemKind::ExternalId => out = id_records(tx, EXTERNAL_IDS, "external_id", u)?,
        ItemKind::CrisisFlag => {
            let t = tx.open_table(CRISIS_FLAGS).map_err(unavailable)?;
            for e in t
                .range((u, i64::MIN, "")..=(u, i64::MAX, "\u{10FFFF}"))
                .map_err(unavailable)?
            {
                out.push(raw(e.map_err(unavailable)?.1.value())?);
            }
        }
        ItemKind::Activity => {
            let t = tx.open_table(ACTIVITY).map_err(unavailable)?;
            for e in t.iter().map_err(unavailable)? {
                let (k, v) = e.map_err(unavailable)?;
                let (day, who) = k.value();
                if who == u {
                    out.push(json!({"day": day, "last_message_at_ms": v.value()}));
                }
            }
        }
        ItemKind::Memory => out = user_values(tx, MEMORIES, u)?,
        ItemKind::Tombstone => out = user_values(tx, TOMBSTONES, u)?,
        ItemKind::Summary => {
            let t = tx.open_table(EXTRACTION).map_err(unavailable)?;
            for e in t.range(user_range(u)).map_err(unavailable)? {
                let (k, v) = e.map_err(unavailable)?;
                let mut state = raw(v.value())?;
                state["session_id"] = json!(k.value().1);
                out.push(state);
            }
        }
        ItemKind::SearchIndex => {
            let through = tx
                .open_table(INDEX_SNAPSHOT_HEAD)
                .map_err(unavailable)?
                .get(u)
                .map_err(unavailable)?
                .map_or(0, |v| v.value().1);
            let t = tx.open_table(INDEX_SNAPSHOT).map_err(unavailable)?;
            for e in t.range((u, 0)..=(u, u32::MAX)).map_err(unavailable)? {
                let (k, v) = e.map_err(unavailable)?;
                out.push(json!({"snapshot_through": through, "chunk": k.value().1, "ops": raw(v.value())?}));
            }
            let t = tx.open_table(INDEX_LOG).map_err(unavailable)?;
            for e in t.range((u, 0)..=(u, u64::MAX)).map_err(unavailable)? {
                let (k, v) = e.map_err(unavailable)?;
                out.push(json!({"seq": k.value().1, "ops": raw(v.value())?}));
            }
        }
        ItemKind::Settings => {
            let t = tx.open_table(SETTINGS).map_err(unavailable)?;
            if let Some(v) = t.get(u).map_err(unavailable)? {
                out.push(raw(v.value())?);
            }
        }
        ItemKind::Notices => {
            let t = tx.open_table(NOTICES).map_err(unavailable)?;
            if let Some(v) = t.get(u).map_err(unavailable)? {
                out.push(raw(v.value())?);
            }
        }
        ItemKind::Checkin => out = user_values(tx, CHECKINS, u)?,
        ItemKind::JournalEntry => out = journal_items(tx, u, JournalKind::Entry)?,
        ItemKind::JournalPrompt => out = journal_items(tx, u, JournalKind::Prompt)?,
        ItemKind::Job => {
            let t = tx.open_table(JOBS).map_err(unavailable)?;
            for e in t.iter().map_err(unavailable)? {
                let job: QueuedJob = decode(e.map_err(unavailable)?.1.value())?;
                if job_user(&job.body).as_ref() == Some(user) {
                    out.push(value(&job)?);
                }
            }
        }
        ItemKind::DeadJob => {
            let t = tx.open_table(DEAD_JOBS).map_err(unavailable)?;
            for e in t.iter().map_err(unavailable)? {
                let job: DeadJob = decode(e.map_err(unavailable)?.1.value())?;
                if job_user(&job.body).as_ref() == Some(user) {
                    out.push(value(&job)?);
                }
            }
        }
        ItemKind::Event => {
            let t = tx.open_table(OUTBOX).map_err(unavailable)?;
            for e in t.iter().map_err(unavailable)? {
                let entry: OutboxEntry = decode(e.map_err(unavailable)?.1.value())?;
                if event_user(&entry) == Some(user) {
                    out.push(value(&entry)?);
                }
            }
        }
    }
    Ok(out)
}

/// Everything held about `user`, kind by kind, in a fixed order.
fn collect(tx: &ReadTransaction, user: &UserId) -> Result<Vec<ExportItem>, StoreError> {
    let mut out = Vec::new();
    for kind in KINDS {
        for v in export_kind(tx, user, *kind)? {
            out.push(ExportItem::new(*kind, v));
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

/// Remove `user`'s jobs from a queue table (queued or dead: both keep the
/// job's body).
fn remove_jobs(
    tx: &WriteTransaction,
    def: redb::TableDefinition<u64, &[u8]>,
    user: &UserId,
) -> Result<u64, StoreError> {
    let mut t = tx.open_table(def).map_err(unavailable)?;
    let ids: Vec<u64> = t
        .iter()
        .map_err(unavailable)?
        .filter_map(|e| e.ok())
        .filter(|(_, v)| {
            serde_json::from_slice::<Value>(v.value())
                .ok()
                .and_then(|j| j["body"].as_str().and_then(job_user))
                .as_ref()
                == Some(user)
        })
        .map(|(k, _)| k.value())
        .collect();
    for id in &ids {
        t.remove(*id).map_err(unavailable)?;
    }
    Ok(ids.len() as u64)
}

/// Remove `u`'s journal items of one kind.
fn remove_journal(tx: &WriteTransaction, u: &str, kind: JournalKind) -> Result<u64, StoreError> {
    let mut journal = tx.open_table(JOURNAL).map_err(unavailable)?;
    let mut ids = Vec::new();
    for e in journal.range(user_range(u)).map_err(unavailable)? {
        let (k, v) = e.map_err(unavailable)?;
        if decode::<JournalItem>(v.value())?.kind == kind {
            ids.push(k.value().1.to_string());
        }
    }
    for id in &ids {
        journal.remove((u, id.as_str())).map_err(unavailable)?;
    }
    Ok(ids.len() as u64)
}

/// Delete everything of one kind held about `user`, counting the items.
fn erase_kind(tx: &WriteTransaction, user: &UserId, kind: ItemKind) -> Result<u64, StoreError> {
    let u = user.as_str();
    match kind {
        ItemKind::Session => {
            remove_user_timed_keys(tx, SESSIONS_BY_CREATED, u)?;
            remove_user_keys(tx, SESSIONS, u)
        }
        ItemKind::Message => {
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
            Ok(keys.len() as u64)
        }
        ItemKind::ClientMessageId => remove_user_keys(tx, CLIENT_IDS, u),
        ItemKind::ExternalId => remove_user_keys(tx, EXTERNAL_IDS, u),
        ItemKind::CrisisFlag => remove_user_timed_keys(tx, CRISIS_FLAGS, u),
        ItemKind::Activity => {
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
            Ok(days.len() as u64)
        }
        ItemKind::Memory => remove_user_keys(tx, MEMORIES, u),
        ItemKind::Tombstone => remove_user_keys(tx, TOMBSTONES, u),
        ItemKind::Summary => remove_user_keys(tx, EXTRACTION, u),
        ItemKind::SearchIndex => {
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
            let snapshot = remove_index_snapshot(tx, u)?;
            Ok(seqs.len() as u64 + head as u64 + snapshot)
        }
        ItemKind::Settings => Ok(tx
            .open_table(SETTINGS)
            .map_err(unavailable)?
            .remove(u)
            .map_err(unavailable)?
            .is_some() as u64),
        ItemKind::Notices => Ok(tx
            .open_table(NOTICES)
            .map_err(unavailable)?
            .remove(u)
            .map_err(unavailable)?
            .is_some() as u64),
        ItemKind::Checkin => remove_user_keys(tx, CHECKINS, u),
        ItemKind::JournalEntry => remove_journal(tx, u, JournalKind::Entry),
        ItemKind::JournalPrompt => remove_journal(tx, u, JournalKind::Prompt),
        ItemKind::Job => remove_jobs(tx, JOBS, user),
        ItemKind::DeadJob => remove_jobs(tx, DEAD_JOBS, user),
        ItemKind::Event => {
            let mut outbox = tx.open_table(OUTBOX).map_err(unavailable)?;
            let seqs: Vec<u64> = outbox
                .iter()
                .map_err(unavailable)?
                .filter_map(|e| e.ok())
                .filter(|(_, v)| {
                    decode::<OutboxEntry>(v.value())
                        .ok()
                        .is_some_and(|e| event_user(&e) == Some(user))
                })
                .map(|(k, _)| k.value())
                .collect();
            for s in &seqs {
                outbox.remove(*s).map_err(unavailable)?;
            }
            Ok(seqs.len() as u64)
        }
    }
}

#[async_trait]
impl PersonalData for EmbeddedStore {
    fn item_kinds(&self) -> &'static [ItemKind] {
        KINDS
    }

    async fn export_page(
        &self,
        user: &UserId,
        cursor: Option<&str>,
        max_bytes: usize,
    ) -> Result<Page<ExportItem>, StoreError> {
        let start = match cursor {
            None => 0,
            Some(c) => decode_cursor::<ExportOffset>(c)?.0,
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
            Ok(Page::resuming(items, end < all.len(), |_| {
                ExportOffset(end)
            }))
        })
        .await
    }

    async fn erase(&self, user: &UserId, now: DateTime<Utc>) -> Result<EraseReceipt, StoreError> {
        let user = user.clone();
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            // The marker first: no job in flight writes back after it.
            tx.open_table(ERASURES)
                .map_err(unavailable)?
                .insert(user.as_str(), now.timestamp_millis())
                .map_err(unavailable)?;
            let mut receipt = EraseReceipt::new(KINDS);
            for kind in KINDS {
                receipt.add(*kind, erase_kind(&tx, &user, *kind)?);
            }
            tx.commit().map_err(unavailable)?;
            Ok(receipt)
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
                    if let Some(flag) = line.flag_for(&message) {
                        put_flag(&tx, u, &flag)?;
                        outcome.flagged += 1;
                    }
                    external
                        .insert((u, line.external_id.as_str()), (sid, message.seq))
                        .map_err(unavailable)?;
                    touched.insert(sid.to_string(), session.message_count);
                    outcome.imported += 1;
                    outcome.stored.push(message);
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
