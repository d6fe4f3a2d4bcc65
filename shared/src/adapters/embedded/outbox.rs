//! The local `EventBus`: domain events appended, in order, to an outbox
//! table. `hearth events` lists it; in production EventBridge takes its place.

use super::paging::page_of;
use super::tables::OUTBOX;
use super::{EmbeddedStore, decode, unavailable};
use crate::domain::events::DomainEvent;
use crate::ports::{EventBus, OutboxEntry, StoreError};
use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable};

/// The EventBridge source every Hearth event carries.
pub const EVENT_SOURCE: &str = "hearth";

#[async_trait]
impl EventBus for EmbeddedStore {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), StoreError> {
        let events = events.to_vec();
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut outbox = tx.open_table(OUTBOX).map_err(unavailable)?;
                let first = match outbox.last().map_err(unavailable)? {
                    Some((k, _)) => k.value() + 1,
                    None => 1,
                };
                for (next, event) in (first..).zip(events) {
                    let entry = OutboxEntry {
                        seq: next,
                        source: EVENT_SOURCE.into(),
                        detail_type: event.detail_type().into(),
                        event,
                    };
                    let bytes = serde_json::to_vec(&entry)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    outbox.insert(next, bytes.as_slice()).map_err(unavailable)?;
                }
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }
}

impl EmbeddedStore {
    /// Outbox entries after `after_seq`, oldest first, at most `limit`.
    pub async fn list_events(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let outbox = tx.open_table(OUTBOX).map_err(unavailable)?;
            let range = outbox
                .range(after_seq.saturating_add(1)..)
                .map_err(unavailable)?;
            Ok(page_of(range, limit, |_, v| decode(v).map(Some))?.0)
        })
        .await
    }
}
