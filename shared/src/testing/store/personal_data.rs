//! `PersonalData` on the fake: export of everything held about a person in
//! a fixed order, paged by size; erase with a receipt per kind, remembering
//! when it began so that no job in flight writes back; import, idempotent
//! on `external_id`.

use super::{FakeStore, Person};
use crate::domain::cursor::{ExportOffset, decode as decode_cursor};
use crate::domain::ids::UserId;
use crate::domain::page::Page;
use crate::domain::personal_data::{EraseReceipt, ExportItem, ImportLine, ImportOutcome, ItemKind};
use crate::ports::{PersonalData, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::BTreeMap;

/// The kinds this store holds: every kind the store ports write. Jobs and
/// events live in the queue and bus fakes.
const KINDS: &[ItemKind] = &[
    ItemKind::Session,
    ItemKind::Message,
    ItemKind::ClientMessageId,
    ItemKind::ExternalId,
    ItemKind::CrisisFlag,
    ItemKind::Activity,
    ItemKind::Memory,
    ItemKind::Tombstone,
    ItemKind::Summary,
    ItemKind::SearchIndex,
    ItemKind::Settings,
    ItemKind::Notices,
    ItemKind::Checkin,
    ItemKind::JournalEntry,
    ItemKind::JournalPrompt,
];

fn value(v: &impl serde::Serialize) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Person {
    /// The items of `kind` held, as exported. A new kind does not compile
    /// until it is said here how it is exported (and so erased).
    fn items(&self, kind: ItemKind) -> Result<Vec<ExportItem>, StoreError> {
        let all = |values: Vec<serde_json::Value>| {
            values
                .into_iter()
                .map(|v| ExportItem::new(kind, v))
                .collect()
        };
        let each = |values: Vec<Result<serde_json::Value, StoreError>>| {
            values.into_iter().collect::<Result<Vec<_>, _>>().map(all)
        };
        match kind {
            ItemKind::Session => each(self.sessions.values().map(value).collect()),
            ItemKind::Message => each(self.messages.values().map(value).collect()),
            ItemKind::ClientMessageId => Ok(all(self
                .client_ids
                .iter()
                .map(|(cmid, (session, seq))| {
                    json!({"client_message_id": cmid, "session_id": session, "seq": seq})
                })
                .collect())),
            ItemKind::ExternalId => Ok(all(self
                .external_ids
                .iter()
                .map(|(ext, (session, seq))| {
                    json!({"external_id": ext, "session_id": session, "seq": seq})
                })
                .collect())),
            ItemKind::CrisisFlag => each(self.crisis_flags.iter().map(value).collect()),
            ItemKind::Activity => Ok(all(self
                .activity
                .iter()
                .map(|(day, last)| {
                    json!({"day": day, "last_message_at_ms": last.timestamp_millis()})
                })
                .collect())),
            ItemKind::Memory => each(self.memories.values().map(value).collect()),
            ItemKind::Tombstone => each(self.tombstones.values().map(value).collect()),
            ItemKind::Summary => each(
                self.extraction
                    .iter()
                    .map(|(session, state)| {
                        let mut state = value(state)?;
                        state["session_id"] = json!(session);
                        Ok(state)
                    })
                    .collect(),
            ),
            ItemKind::SearchIndex => each(
                self.index
                    .snapshot
                    .iter()
                    .map(|s| Ok(json!({"snapshot_through": s.through, "ops": value(&s.ops)?})))
                    .chain(
                        self.index
                            .entries
                            .iter()
                            .map(|e| Ok(json!({"seq": e.seq, "ops": value(&e.ops)?}))),
                    )
                    .collect(),
            ),
            ItemKind::Settings => each(self.settings.iter().map(value).collect()),
            ItemKind::Notices => each(self.notices.iter().map(value).collect()),
            ItemKind::Checkin => each(self.checkins.values().map(value).collect()),
            ItemKind::JournalEntry | ItemKind::JournalPrompt => each(
                self.journal
                    .values()
                    .filter(|j| ItemKind::from(j.kind) == kind)
                    .map(value)
                    .collect(),
            ),
            // Held by the queue and bus fakes, never by this store.
            ItemKind::Job | ItemKind::DeadJob | ItemKind::Event => Ok(Vec::new()),
        }
    }

    /// Everything held, in a fixed order: kind by kind.
    fn export(&self) -> Result<Vec<ExportItem>, StoreError> {
        let mut out = Vec::new();
        for kind in KINDS {
            out.extend(self.items(*kind)?);
        }
        Ok(out)
    }

    /// What erasing everything held deletes, per kind.
    fn receipt(&self) -> Result<EraseReceipt, StoreError> {
        let mut receipt = EraseReceipt::new(KINDS);
        for kind in KINDS {
            receipt.add(*kind, self.items(*kind)?.len() as u64);
        }
        Ok(receipt)
    }
}

#[async_trait]
impl PersonalData for FakeStore {
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
            Ok(Page::resuming(items, end < all.len(), |_| {
                ExportOffset(end)
            }))
        })
    }

    async fn erase(&self, user: &UserId, now: DateTime<Utc>) -> Result<EraseReceipt, StoreError> {
        let mut state = self.enter("erase")?;
        state.erasures.insert(user.clone(), now);
        let receipt = match state.people.get(user) {
            Some(p) => p.receipt()?,
            None => EraseReceipt::new(KINDS),
        };
        state.people.remove(user);
        Ok(receipt)
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
                p.put_appended(&session, &message);
                if let Some(flag) = line.flag_for(&message) {
                    p.crisis_flags.push(flag);
                    outcome.flagged += 1;
                }
                p.external_ids
                    .insert(line.external_id.clone(), (session.id.clone(), message.seq));
                touched.insert(session.id.clone(), session.message_count);
                outcome.imported += 1;
                outcome.stored.push(message);
            }
            outcome.sessions = touched.into_iter().collect();
            Ok(outcome)
        })
    }
}
