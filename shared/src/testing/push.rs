//! `Push`: answers each send from a script (delivered when nothing is
//! scripted) and keeps every notification it was given.

use super::CallLog;
use crate::ports::{Push, PushError, PushNotification, PushOutcome};
use async_trait::async_trait;
use std::collections::VecDeque;
use std::sync::Mutex;

/// One send as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSent {
    pub device_token: String,
    pub notification: PushNotification,
}

#[derive(Debug, Default)]
struct State {
    script: VecDeque<Result<PushOutcome, PushError>>,
    sent: Vec<PushSent>,
}

pub struct FakePush {
    state: Mutex<State>,
    log: CallLog,
}

impl FakePush {
    pub fn new(log: &CallLog) -> Self {
        Self {
            state: Mutex::default(),
            log: log.clone(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next send answers `outcome`; later ones follow in order, then
    /// `Delivered`.
    pub fn then(&self, outcome: Result<PushOutcome, PushError>) -> &Self {
        self.state().script.push_back(outcome);
        self
    }

    /// Every send so far, answered or failed.
    pub fn sent(&self) -> Vec<PushSent> {
        self.state().sent.clone()
    }
}

#[async_trait]
impl Push for FakePush {
    async fn send(
        &self,
        device_token: &str,
        notification: &PushNotification,
    ) -> Result<PushOutcome, PushError> {
        self.log.record("push: send");
        let mut state = self.state();
        state.sent.push(PushSent {
            device_token: device_token.to_string(),
            notification: notification.clone(),
        });
        state
            .script
            .pop_front()
            .unwrap_or(Ok(PushOutcome::Delivered))
    }
}
