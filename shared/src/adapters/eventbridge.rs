//! Domain events on EventBridge (`HEARTH_EVENT_BUS`), source `hearth`, one
//! detail-type per event kind, sent in batches of up to 10 (PutEvents' limit).
//! Entries EventBridge reports as failed are retried once, then the call fails.

use crate::domain::events::DomainEvent;
use crate::ports::{EventBus, StoreError};
use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

pub const SOURCE: &str = "hearth";
const BATCH: usize = 10;

#[derive(Clone)]
pub struct EventBridgeBus {
    client: Client,
    bus: String,
}

impl EventBridgeBus {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }

    fn entry(&self, event: &DomainEvent) -> Result<PutEventsRequestEntry, StoreError> {
        Ok(PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(event.detail_type())
            .detail(serde_json::to_string(event).map_err(|e| StoreError::Corrupt(e.to_string()))?)
            .build())
    }

    async fn put(
        &self,
        entries: Vec<PutEventsRequestEntry>,
    ) -> Result<Vec<PutEventsRequestEntry>, StoreError> {
        let out = self
            .client
            .put_events()
            .set_entries(Some(entries.clone()))
            .send()
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!("EventBridge: {}", DisplayErrorContext(&e)))
            })?;
        // Results are in request order; an entry with an error code failed.
        Ok(out
            .entries()
            .iter()
            .zip(entries)
            .filter(|(r, _)| r.error_code().is_some())
            .map(|(_, e)| e)
            .collect())
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), StoreError> {
        for chunk in events.chunks(BATCH) {
            let entries = chunk
                .iter()
                .map(|e| self.entry(e))
                .collect::<Result<Vec<_>, _>>()?;
            let failed = self.put(entries).await?;
            if !failed.is_empty() && !self.put(failed).await?.is_empty() {
                return Err(StoreError::Unavailable(
                    "EventBridge rejected some events twice".into(),
                ));
            }
        }
        Ok(())
    }
}
