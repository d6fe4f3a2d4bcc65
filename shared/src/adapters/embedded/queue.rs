//! The local job queue, durable in the embedded store: a job survives a
//! restart. Semantics follow SQS's: a received job is hidden for a backoff
//! that doubles with each delivery, comes back if not acknowledged, and is
//! moved to a dead-letter list after the configured number of receives
//! (`HEARTH_JOB_MAX_RECEIVES`). `hearth jobs --dead` lists that list.

use super::tables::{DEAD_JOBS, JOBS};
use super::{EmbeddedStore, decode, encode, unavailable};
use crate::domain::jobs::Job;
use crate::ports::{Delivery, JobQueue, JobSource, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedJob {
    pub id: u64,
    pub body: String,
    pub receive_count: u32,
    pub visible_at: DateTime<Utc>,
    pub enqueued_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadJob {
    pub id: u64,
    pub body: String,
    pub receive_count: u32,
    pub last_error: Option<String>,
    pub dead_at: DateTime<Utc>,
}

/// Retries and dead-lettering.
#[derive(Debug, Clone, Copy)]
pub struct QueuePolicy {
    /// Deliveries before a job is dead-lettered.
    pub max_receives: u32,
    /// Hidden this long after the first delivery; doubled for each after it.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for QueuePolicy {
    fn default() -> Self {
        Self {
            max_receives: 5,
            base_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(900),
        }
    }
}

impl QueuePolicy {
    fn backoff(&self, receive_count: u32) -> Duration {
        self.base_backoff
            .saturating_mul(1 << receive_count.saturating_sub(1).min(16))
            .min(self.max_backoff)
    }
}

#[derive(Clone)]
pub struct EmbeddedQueue {
    store: EmbeddedStore,
    policy: QueuePolicy,
    notify: Arc<Notify>,
}

impl EmbeddedQueue {
    pub fn new(store: EmbeddedStore, policy: QueuePolicy) -> Self {
        Self {
            store,
            policy,
            notify: Arc::new(Notify::new()),
        }
    }

    /// Jobs waiting or in flight, oldest first.
    pub async fn pending(&self) -> Result<Vec<QueuedJob>, StoreError> {
        self.store
            .run(|db| {
                let tx = db.begin_read().map_err(unavailable)?;
                let jobs = tx.open_table(JOBS).map_err(unavailable)?;
                jobs.iter()
                    .map_err(unavailable)?
                    .map(|e| decode(e.map_err(unavailable)?.1.value()))
                    .collect()
            })
            .await
    }

    /// Jobs that failed `max_receives` times, oldest first.
    pub async fn dead(&self) -> Result<Vec<DeadJob>, StoreError> {
        self.store
            .run(|db| {
                let tx = db.begin_read().map_err(unavailable)?;
                let dead = tx.open_table(DEAD_JOBS).map_err(unavailable)?;
                dead.iter()
                    .map_err(unavailable)?
                    .map(|e| decode(e.map_err(unavailable)?.1.value()))
                    .collect()
            })
            .await
    }

    /// One pass: deliver what is visible, dead-letter what is spent. An idle
    /// poll only reads: the write transaction (and its fsync) happens only
    /// when a job is due.
    async fn take(&self, max: usize) -> Result<Vec<Delivery>, StoreError> {
        let policy = self.policy;
        self.store
            .run(move |db| {
                let now = Utc::now();
                {
                    let tx = db.begin_read().map_err(unavailable)?;
                    let jobs = tx.open_table(JOBS).map_err(unavailable)?;
                    let mut due = false;
                    for e in jobs.iter().map_err(unavailable)? {
                        if decode::<QueuedJob>(e.map_err(unavailable)?.1.value())?.visible_at <= now
                        {
                            due = true;
                            break;
                        }
                    }
                    if !due {
                        return Ok(Vec::new());
                    }
                }
                let tx = db.begin_write().map_err(unavailable)?;
                let mut out = Vec::new();
                {
                    let mut jobs = tx.open_table(JOBS).map_err(unavailable)?;
                    let mut dead = tx.open_table(DEAD_JOBS).map_err(unavailable)?;
                    let visible: Vec<QueuedJob> = jobs
                        .iter()
                        .map_err(unavailable)?
                        .map(|e| decode::<QueuedJob>(e.map_err(unavailable)?.1.value()))
                        .collect::<Result<Vec<_>, _>>()?
                        .into_iter()
                        .filter(|j| j.visible_at <= now)
                        .collect();
                    for mut job in visible {
                        if job.receive_count >= policy.max_receives {
                            let d = DeadJob {
                                id: job.id,
                                body: job.body,
                                receive_count: job.receive_count,
                                last_error: job.last_error,
                                dead_at: now,
                            };
                            dead.insert(d.id, encode(&d)?.as_slice())
                                .map_err(unavailable)?;
                            jobs.remove(d.id).map_err(unavailable)?;
                            tracing::error!(
                                job = d.id,
                                receives = d.receive_count,
                                "job dead-lettered"
                            );
                            continue;
                        }
                        if out.len() == max {
                            break;
                        }
                        job.receive_count += 1;
                        job.visible_at = now + policy.backoff(job.receive_count);
                        jobs.insert(job.id, encode(&job)?.as_slice())
                            .map_err(unavailable)?;
                        out.push(Delivery {
                            message_id: job.id.to_string(),
                            body: job.body.clone(),
                            receipt: job.id.to_string(),
                            receive_count: job.receive_count,
                        });
                    }
                }
                tx.commit().map_err(unavailable)?;
                Ok(out)
            })
            .await
    }
}

fn job_id(d: &Delivery) -> Result<u64, StoreError> {
    d.receipt
        .parse()
        .map_err(|_| StoreError::Corrupt("not an embedded queue receipt".into()))
}

#[async_trait]
impl JobQueue for EmbeddedQueue {
    async fn enqueue(&self, job: &Job) -> Result<(), StoreError> {
        let body = serde_json::to_string(job).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.store
            .run(move |db| {
                let tx = db.begin_write().map_err(unavailable)?;
                {
                    let mut jobs = tx.open_table(JOBS).map_err(unavailable)?;
                    let dead = tx.open_table(DEAD_JOBS).map_err(unavailable)?;
                    let last = |k: Option<u64>| k.unwrap_or(0);
                    let id = 1 + last(jobs.last().map_err(unavailable)?.map(|(k, _)| k.value()))
                        .max(last(
                            dead.last().map_err(unavailable)?.map(|(k, _)| k.value()),
                        ));
                    let now = Utc::now();
                    let job = QueuedJob {
                        id,
                        body,
                        receive_count: 0,
                        visible_at: now,
                        enqueued_at: now,
                        last_error: None,
                    };
                    jobs.insert(id, encode(&job)?.as_slice())
                        .map_err(unavailable)?;
                }
                tx.commit().map_err(unavailable)
            })
            .await?;
        self.notify.notify_waiters();
        Ok(())
    }
}

#[async_trait]
impl JobSource for EmbeddedQueue {
    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>, StoreError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.notify.notified();
            let got = self.take(max.max(1)).await?;
            if !got.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(got);
            }
            // Wake on a new job, or poll for ones whose backoff ended.
            let _ = tokio::time::timeout(
                Duration::from_millis(200).min(deadline - tokio::time::Instant::now()),
                notified,
            )
            .await;
        }
    }

    async fn ack(&self, delivery: &Delivery) -> Result<(), StoreError> {
        let id = job_id(delivery)?;
        self.store
            .run(move |db| {
                let tx = db.begin_write().map_err(unavailable)?;
                tx.open_table(JOBS)
                    .map_err(unavailable)?
                    .remove(id)
                    .map_err(unavailable)?;
                tx.commit().map_err(unavailable)
            })
            .await
    }

    async fn fail(&self, delivery: &Delivery, error: &str) -> Result<(), StoreError> {
        let (id, error, max) = (
            job_id(delivery)?,
            error.to_string(),
            self.policy.max_receives,
        );
        self.store
            .run(move |db| {
                let tx = db.begin_write().map_err(unavailable)?;
                {
                    let mut jobs = tx.open_table(JOBS).map_err(unavailable)?;
                    let job: Option<QueuedJob> = match jobs.get(id).map_err(unavailable)? {
                        Some(v) => Some(decode(v.value())?),
                        None => None,
                    };
                    if let Some(mut job) = job {
                        job.last_error = Some(error);
                        if job.receive_count >= max {
                            let d = DeadJob {
                                id,
                                body: job.body,
                                receive_count: job.receive_count,
                                last_error: job.last_error,
                                dead_at: Utc::now(),
                            };
                            tx.open_table(DEAD_JOBS)
                                .map_err(unavailable)?
                                .insert(id, encode(&d)?.as_slice())
                                .map_err(unavailable)?;
                            jobs.remove(id).map_err(unavailable)?;
                            tracing::error!(
                                job = id,
                                receives = d.receive_count,
                                "job dead-lettered"
                            );
                        } else {
                            jobs.insert(id, encode(&job)?.as_slice())
                                .map_err(unavailable)?;
                        }
                    }
                }
                tx.commit().map_err(unavailable)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{SessionId, UserId};

    fn job() -> Job {
        Job::ExtractSession {
            user: UserId::parse("u").unwrap(),
            session_id: SessionId::parse("s").unwrap(),
            from_seq: 1,
            to_seq: 6,
        }
    }

    #[tokio::test]
    async fn a_failing_job_is_retried_with_backoff_then_dead_lettered() {
        let dir = tempfile::tempdir().unwrap();
        let policy = QueuePolicy {
            max_receives: 3,
            base_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_secs(1),
        };
        let q = EmbeddedQueue::new(EmbeddedStore::open(dir.path()).unwrap(), policy);
        q.enqueue(&job()).await.unwrap();
        for n in 1..=3 {
            let got = q.receive(10, Duration::from_secs(2)).await.unwrap();
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].receive_count, n);
            // Hidden while its backoff runs.
            assert!(q.take(10).await.unwrap().is_empty());
            q.fail(&got[0], "boom").await.unwrap();
        }
        assert!(q.pending().await.unwrap().is_empty());
        let dead = q.dead().await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(
            (dead[0].receive_count, dead[0].last_error.as_deref()),
            (3, Some("boom"))
        );
    }

    #[tokio::test]
    async fn an_acknowledged_job_is_gone_and_jobs_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        {
            let q = EmbeddedQueue::new(
                EmbeddedStore::open(dir.path()).unwrap(),
                QueuePolicy::default(),
            );
            q.enqueue(&job()).await.unwrap();
            q.enqueue(&job()).await.unwrap();
        }
        let q = EmbeddedQueue::new(
            EmbeddedStore::open(dir.path()).unwrap(),
            QueuePolicy::default(),
        );
        let got = q.receive(1, Duration::from_millis(100)).await.unwrap();
        assert_eq!(serde_json::from_str::<Job>(&got[0].body).unwrap(), job());
        q.ack(&got[0]).await.unwrap();
        assert_eq!(q.pending().await.unwrap().len(), 1);
    }
}
