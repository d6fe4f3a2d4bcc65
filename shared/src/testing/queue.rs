//! `JobQueue` and `JobSource` over one in-memory queue: jobs are received
//! in order, a failed one is delivered again until it has been received
//! `max_receives` times and is then dead-lettered, as SQS's redrive policy
//! and the embedded queue do.

use super::CallLog;
use crate::domain::jobs::Job;
use crate::ports::{Delivery, JobQueue, JobSource, StoreError};
use async_trait::async_trait;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;

/// Deliveries before a job is dead-lettered, unless set otherwise.
pub const MAX_RECEIVES: u32 = 5;

#[derive(Debug, Clone)]
struct Queued {
    id: u64,
    body: String,
    receives: u32,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    /// Every job ever enqueued, in order.
    enqueued: Vec<Job>,
    pending: VecDeque<Queued>,
    /// Received and neither acknowledged nor failed yet, by receipt.
    in_flight: BTreeMap<String, Queued>,
    dead: Vec<(String, String)>,
    enqueue_failures: u32,
}

pub struct FakeQueue {
    state: Mutex<State>,
    ready: Notify,
    max_receives: u32,
    log: CallLog,
}

impl FakeQueue {
    pub fn new(log: &CallLog) -> Self {
        Self::with_max_receives(log, MAX_RECEIVES)
    }

    pub fn with_max_receives(log: &CallLog, max_receives: u32) -> Self {
        Self {
            state: Mutex::default(),
            ready: Notify::new(),
            max_receives: max_receives.max(1),
            log: log.clone(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every job enqueued so far, whatever became of it.
    pub fn enqueued(&self) -> Vec<Job> {
        self.state().enqueued.clone()
    }

    /// The bodies waiting to be received (failed ones back among them).
    pub fn pending(&self) -> Vec<String> {
        self.state()
            .pending
            .iter()
            .map(|q| q.body.clone())
            .collect()
    }

    /// Dead-lettered bodies, with the last error of each.
    pub fn dead(&self) -> Vec<(String, String)> {
        self.state().dead.clone()
    }

    /// The next `times` enqueues fail as `Unavailable`.
    pub fn fail_next_enqueue(&self, times: u32) {
        self.state().enqueue_failures += times;
    }

    /// Put a raw body on the queue (a malformed or foreign message).
    pub fn push_body(&self, body: &str) {
        self.push(body.to_string());
    }

    fn push(&self, body: String) {
        {
            let mut state = self.state();
            state.next_id += 1;
            let id = state.next_id;
            state.pending.push_back(Queued {
                id,
                body,
                receives: 0,
            });
        }
        self.ready.notify_one();
    }

    fn take(&self, max: usize) -> Vec<Delivery> {
        let mut state = self.state();
        let mut out = Vec::new();
        while out.len() < max {
            let Some(mut q) = state.pending.pop_front() else {
                break;
            };
            q.receives += 1;
            let receipt = format!("{}-{}", q.id, q.receives);
            out.push(Delivery {
                message_id: q.id.to_string(),
                body: q.body.clone(),
                receipt: receipt.clone(),
                receive_count: q.receives,
            });
            state.in_flight.insert(receipt, q);
        }
        out
    }
}

#[async_trait]
impl JobQueue for FakeQueue {
    async fn enqueue(&self, job: &Job) -> Result<(), StoreError> {
        self.log.record(format!("queue: enqueue {}", job.kind()));
        {
            let mut state = self.state();
            if state.enqueue_failures > 0 {
                state.enqueue_failures -= 1;
                return Err(StoreError::Unavailable(
                    "FakeQueue: injected failure".into(),
                ));
            }
            state.enqueued.push(job.clone());
        }
        let body = serde_json::to_string(job).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.push(body);
        Ok(())
    }
}

#[async_trait]
impl JobSource for FakeQueue {
    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>, StoreError> {
        let got = self.take(max);
        if !got.is_empty() {
            return Ok(got);
        }
        // Long polling: wait for an enqueue (a permit left by one that came
        // before counts), or give up after `wait`.
        let _ = tokio::time::timeout(wait, self.ready.notified()).await;
        Ok(self.take(max))
    }

    async fn ack(&self, delivery: &Delivery) -> Result<(), StoreError> {
        self.log.record("queue: ack");
        self.state().in_flight.remove(&delivery.receipt);
        Ok(())
    }

    async fn fail(&self, delivery: &Delivery, error: &str) -> Result<(), StoreError> {
        self.log.record("queue: fail");
        let requeued = {
            let mut state = self.state();
            let Some(q) = state.in_flight.remove(&delivery.receipt) else {
                return Ok(());
            };
            if q.receives >= self.max_receives {
                state.dead.push((q.body, error.to_string()));
                false
            } else {
                state.pending.push_back(q);
                true
            }
        };
        if requeued {
            self.ready.notify_one();
        }
        Ok(())
    }
}
