//! Background jobs: parse each delivery on its own, dispatch it by `kind` to
//! the handler registered for it, and say per delivery whether it succeeded.
//! A malformed body or an unknown kind is a failure of that delivery only.
//! The Lambda extractor and the local worker share this.

use crate::domain::jobs::Job;
use crate::ports::JobSource;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// Why a job failed, and whether running it again can help.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JobError {
    /// The body is not a job this version knows: no retry can help.
    #[error("malformed job: {0}")]
    Malformed(String),
    /// Something outside the job failed (the store, a model, push): a later
    /// delivery may succeed.
    #[error("job failed: {0}")]
    Failed(String),
    /// The job can never succeed as it is (for example, no model is
    /// configured for its role): a retry cannot help until an operator acts.
    #[error("job cannot run: {0}")]
    Permanent(String),
}

impl JobError {
    /// Whether another delivery of the same job might succeed.
    pub fn retry_can_help(&self) -> bool {
        matches!(self, JobError::Failed(_))
    }
}

/// Does one kind of job. Must be idempotent: a job may be delivered twice.
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn handle(&self, job: &Job) -> Result<(), JobError>;
}

/// The handler of every kind of job. `dispatch` matches on the `Job` enum,
/// so a new kind of job without a handler does not compile.
#[derive(Clone)]
pub struct Dispatcher {
    /// `extract_session` and `extract_journal`.
    pub extraction: Arc<dyn JobHandler>,
    /// `checkin`: one person's check-in, fanned out by the hourly pass.
    pub checkins: Arc<dyn JobHandler>,
}

impl Dispatcher {
    pub fn new(extraction: Arc<dyn JobHandler>, checkins: Arc<dyn JobHandler>) -> Self {
        Self {
            extraction,
            checkins,
        }
    }

    /// One handler for every kind (tests).
    pub fn for_every_kind(handler: Arc<dyn JobHandler>) -> Self {
        Self::new(handler.clone(), handler)
    }

    fn handler(&self, job: &Job) -> &Arc<dyn JobHandler> {
        match job {
            Job::ExtractSession { .. } | Job::ExtractJournal { .. } => &self.extraction,
            Job::Checkin { .. } => &self.checkins,
        }
    }

    /// Parse and run one job body.
    pub async fn dispatch(&self, body: &str) -> Result<(), JobError> {
        let job: Job =
            serde_json::from_str(body).map_err(|e| JobError::Malformed(e.to_string()))?;
        let handler = self.handler(&job);
        // A span per job: every log line of the job names it, and its end
        // says how long it took.
        let span = tracing::info_span!("job", kind = job.kind(), key = %job.dedup_key());
        async {
            let started = std::time::Instant::now();
            let result = handler.handle(&job).await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            // The caller logs a failure, with the delivery's id.
            tracing::info!(elapsed_ms, ok = result.is_ok(), "job finished");
            result
        }
        .instrument(span)
        .await
    }
}

/// The in-process worker: take jobs from `source`, run them, ack each one
/// that succeeded. A failed job is left for redelivery (and the DLQ).
pub async fn run_worker(
    source: Arc<dyn JobSource>,
    dispatcher: Dispatcher,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let batch = tokio::select! {
            batch = source.receive(10, Duration::from_secs(5)) => batch,
            _ = stop.changed() => return,
        };
        match batch {
            Ok(deliveries) => {
                for d in deliveries {
                    match dispatcher.dispatch(&d.body).await {
                        Ok(()) => {
                            if let Err(e) = source.ack(&d).await {
                                tracing::error!(message_id = %d.message_id, error = %e, "job done but not acknowledged; it will run again");
                            }
                        }
                        Err(e) => {
                            tracing::error!(
                                message_id = %d.message_id, receive_count = d.receive_count, error = %e,
                                retry_can_help = e.retry_can_help(),
                                "job failed; it will be retried, then dead-lettered"
                            );
                            if let Err(e) = source.fail(&d, &e.to_string()).await {
                                tracing::error!(message_id = %d.message_id, error = %e, "could not record the job's failure");
                            }
                        }
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "could not receive jobs; retrying in 5 s");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}
