//! `PersonalData` on the fake: export of everything held about a person in
//! a fixed order, paged by size; erase with a receipt per kind, remembering
//! when it began so that no job in flight writes back; import, idempotent
//! on `external_id`.

use super::{FakeStore, Person};
use crate::domain::ids::UserId;
use crate::domain::page::Page;
use crate::domain::personal_data::{ExportItem, ImportLine, ImportOutcome};
use crate::ports::{PersonalData, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::BTreeMap;

/// The kinds this store holds: every kind the store ports write. (Jobs and
/// events live in the queue and bus fakes.)
pub const KINDS: &[&str] = &[
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
];

fn value(v: &impl serde::Serialize) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Person {
    /// Everything held, in a fixed order.
    fn export(&self) -> Result<Vec<ExportItem>, StoreError> {
        let mut out = Vec::new();
        for s in self.sessions.values() {
            out.push(ExportItem::new("session", value(s)?));
        }
        for m in self.messages.values() {
            out.push(ExportItem::new("message", value(m)?));
        }
        for (cmid, (session, seq)) in &self.client_ids {
            out.push(ExportItem::new(
                "client_message_id",
                json!({"client_message_id": cmid, "session_id": session, "seq": seq}),
            ));
        }
        for (ext, (session, seq)) in &self.external_ids {
            out.push(ExportItem::new(
                "external_id",
                json!({"external_id": ext, "session_id": session, "seq": seq}),
            ));
        }
        for f in &self.crisis_flags {
            out.push(ExportItem::new("crisis_flag", value(f)?));
        }
        for (day, last) in &self.activity {
            out.push(ExportItem::new(
                "activity",
                json!({"day": day, "last_message_at_ms": last.timestamp_millis()}),
            ));
        }
        for m in self.memories.values() {
            out.push(ExportItem::new("memory", value(m)?));
        }
        for t in self.tombstones.values() {
            out.push(ExportItem::new("tombstone", value(t)?));
        }
        for (session, state) in &self.extraction {
            let mut state = value(state)?;
            state["session_id"] = json!(session);
            out.push(ExportItem::new("summary", state));
        }
        for e in &self.index.entries {
            out.push(ExportItem::new(
                "search_index",
                json!({"seq": e.seq, "ops": value(&e.ops)?}),
            ));
        }
        if let Some(s) = &self.settings {
            out.push(ExportItem::new("settings", value(s)?));
        }
        for c in self.checkins.values() {
            out.push(ExportItem::new("checkin", value(c)?));
        }
        for j in self.journal.values() {
            out.push(ExportItem::new(j.kind.as_str(), value(j)?));
        }
        Ok(out)
    }

    /// How many items of each kind are held.
    fn counts(&self) -> BTreeMap<String, u64> {
        let mut counts: BTreeMap<String, u64> = KINDS.iter().map(|k| (k.to_string(), 0)).collect();
        let mut add =
            |kind: &str, n: usize| *counts.entry(kind.to_string()).or_default() += n as u64;
        add("session", self.sessions.len());
        add("message", self.messages.len());
        add("client_message_id", self.client_ids.len());
        add("external_id", self.external_ids.len());
        add("crisis_flag", self.crisis_flags.len());
        add("activity", self.activity.len());
        add("memory", self.memories.len());
        add("tombstone", self.tombstones.len());
        add("summary", self.extraction.len());
        add("search_index", self.index.entries.len());
        add("settings", self.settings.iter().count());
        add("checkin", self.checkins.len());
        for j in self.journal.values() {
            add(j.kind.as_str(), 1);
        }
        counts
    }
}

#[async_trait]
impl PersonalData for FakeStore {
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
        self.read("export_page", user, |p| {
            let all = match p {
                Some(p) => p.export()?,
                None => Vec::new(),
            };
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
    }

    async fn erase(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut state = self.enter("erase")?;
        state.erasures.insert(user.clone(), now);
        Ok(state
            .people
            .remove(user)
            .map(|p| p.counts())
            .unwrap_or_else(|| Person::default().counts()))
    }

    async fn import(
        &self,
        user: &UserId,
        lines: &[ImportLine],
    ) -> Result<ImportOutcome, StoreError> {
        self.write("import", user, |p, _| {
            let mut outcome = ImportOutcome::default();
            let mut touched = BTreeMap::new();
            for line in lines {
                if p.external_ids.contains_key(&line.external_id) {
                    outcome.skipped += 1;
                    continue;
                }
                let mut session = p
                    .sessions
                    .get(&line.session_id)
                    .cloned()
                    .unwrap_or_else(|| line.new_session());
                let message = line.append_to(&mut session);
                p.messages
                    .insert((session.id.clone(), message.seq), message.clone());
                p.external_ids
                    .insert(line.external_id.clone(), (session.id.clone(), message.seq));
                touched.insert(session.id.clone(), session.message_count);
                p.sessions.insert(session.id.clone(), session);
                outcome.imported += 1;
            }
            outcome.sessions = touched.into_iter().collect();
            Ok(outcome)
        })
    }
}
