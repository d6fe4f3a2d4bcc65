//! `EventBus`: keeps what was published, in order; can be told to fail.

use super::CallLog;
use crate::domain::events::DomainEvent;
use crate::ports::{EventBus, StoreError};
use async_trait::async_trait;
use std::sync::Mutex;

#[derive(Debug, Default)]
struct State {
    published: Vec<DomainEvent>,
    failures: u32,
}

pub struct FakeBus {
    state: Mutex<State>,
    log: CallLog,
}

impl FakeBus {
    pub fn new(log: &CallLog) -> Self {
        Self {
            state: Mutex::default(),
            log: log.clone(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every event published so far (failed publishes hold none).
    pub fn published(&self) -> Vec<DomainEvent> {
        self.state().published.clone()
    }

    /// The next `times` publishes fail as `Unavailable`.
    pub fn fail_next(&self, times: u32) {
        self.state().failures += times;
    }
}

#[async_trait]
impl EventBus for FakeBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), StoreError> {
        for e in events {
            self.log
                .record(format!("events: publish {}", e.detail_type()));
        }
        let mut state = self.state();
        if state.failures > 0 {
            state.failures -= 1;
            return Err(StoreError::Unavailable("FakeBus: injected failure".into()));
        }
        state.published.extend_from_slice(events);
        Ok(())
    }
}
