//! The job queue on SQS (`HEARTH_QUEUE_URL`). Producers enqueue; the
//! `hearth serve --backend aws` worker receives, and deletes a job only once
//! its handler succeeded. A job that keeps failing is moved to the DLQ by
//! the queue's redrive policy.

use crate::domain::jobs::Job;
use crate::ports::{Delivery, JobQueue, JobSource, StoreError};
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::MessageSystemAttributeName;
use std::time::Duration;

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

fn sdk<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(format!("SQS: {}", DisplayErrorContext(&e)))
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

#[async_trait]
impl JobSource for SqsQueue {
    /// Long-poll for up to `max` jobs (SQS allows 1-10 and 20 s).
    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>, StoreError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(sdk)?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                let receive_count = m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                Some(Delivery {
                    message_id: m.message_id?,
                    body: m.body.unwrap_or_default(),
                    receipt: m.receipt_handle?,
                    receive_count,
                })
            })
            .collect())
    }

    async fn ack(&self, delivery: &Delivery) -> Result<(), StoreError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(&delivery.receipt)
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }
}

#[async_trait]
impl JobQueue for SqsQueue {
    async fn enqueue(&self, job: &Job) -> Result<(), StoreError> {
        let body = serde_json::to_string(job).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }
}
