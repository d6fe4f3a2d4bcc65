//! The job-worker function: an SQS consumer. Each record is parsed on
//! its own and dispatched by its job `kind`; failures are reported per record
//! (ReportBatchItemFailures), so one bad body never fails the batch, and a
//! job that keeps failing reaches the DLQ through the queue's redrive policy.
//!
//! The records of a batch (up to 10) run at once: each mostly waits on its
//! model call, and one after another they could outlast the function's
//! timeout, which would return the whole batch to the queue and spend a
//! receive of jobs that never ran.
//!
//! The handlers are the app's (`extract_session`: memory extraction), on
//! DynamoDB, EventBridge and the configured model roles.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use hearth::app::lambda::{Auth, ScreenModelAtBoot};
use hearth::service::jobs::Dispatcher;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use tracing::Instrument;

/// Run the records, all at once; report the ones that failed by their
/// message id.
pub async fn handle(dispatcher: &Dispatcher, event: SqsEvent) -> SqsBatchResponse {
    let runs = event.records.into_iter().map(|record| async move {
        let Some(id) = record.message_id.filter(|id| !id.is_empty()) else {
            // Nothing to report it by; SQS redelivers it after the visibility timeout.
            tracing::error!("SQS record without a message id");
            return None;
        };
        let result = match record.body.as_deref() {
            None => Err(hearth::service::jobs::JobError::Malformed("no body".into())),
            Some(body) => {
                dispatcher
                    .dispatch(body)
                    .instrument(tracing::info_span!("record", message_id = %id))
                    .await
            }
        };
        result.err().map(|e| {
            tracing::error!(message_id = %id, error = %e, "job failed");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
    });
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = futures::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect();
    response
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    hearth::telemetry::init(hearth::telemetry::LogFormat::Json);
    let app =
        hearth::app::lambda::lambda_app("job-worker", ScreenModelAtBoot::Load, Auth::None).await?;
    let dispatcher = app.dispatcher();
    let dispatcher = &dispatcher;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(handle(dispatcher, event.payload).await)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use hearth::domain::jobs::Job;
    use hearth::service::jobs::{JobError, JobHandler};
    use std::sync::Arc;

    struct Accept;
    #[async_trait]
    impl JobHandler for Accept {
        async fn handle(&self, _job: &Job) -> Result<(), JobError> {
            Ok(())
        }
    }

    fn fixture() -> SqsEvent {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/sqs-extract-batch.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn exactly_the_malformed_record_of_the_fixture_is_reported() {
        let dispatcher = Dispatcher::for_every_kind(Arc::new(Accept));
        let resp = handle(&dispatcher, fixture()).await;
        let ids: Vec<_> = resp
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(ids, vec!["7b2c1e0a-5d43-4f7e-9c2b-0d6e1f3a9b11"]);
    }

    /// Each job waits until all three have begun: run one after another,
    /// the first would wait for ever.
    struct Together(tokio::sync::Barrier);
    #[async_trait]
    impl JobHandler for Together {
        async fn handle(&self, _job: &Job) -> Result<(), JobError> {
            self.0.wait().await;
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_records_of_a_batch_run_at_once() {
        let mut event = fixture();
        let good = event.records[0].clone();
        event.records = (0..3)
            .map(|i| {
                let mut r = good.clone();
                r.message_id = Some(format!("m{i}"));
                r
            })
            .collect();
        let dispatcher =
            Dispatcher::for_every_kind(Arc::new(Together(tokio::sync::Barrier::new(3))));
        let resp = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            handle(&dispatcher, event),
        )
        .await
        .expect("the jobs of a batch ran one after another");
        assert!(resp.batch_item_failures.is_empty());
    }

    #[tokio::test]
    async fn the_check_in_job_fixture_is_the_job_the_hourly_pass_enqueues() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/sqs-checkin-job.json"
        );
        let event: SqsEvent =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let job: Job = serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
        assert!(
            matches!(&job, Job::Checkin { at, .. } if at.to_rfc3339() == "2026-11-25T19:00:00+00:00"),
            "{job:?}"
        );
        // Only the check-in handler accepts: the job must be routed to it.
        let dispatcher = Dispatcher::new(Arc::new(Reject), Arc::new(Accept));
        assert!(
            handle(&dispatcher, event)
                .await
                .batch_item_failures
                .is_empty()
        );
    }

    struct Reject;
    #[async_trait]
    impl JobHandler for Reject {
        async fn handle(&self, _job: &Job) -> Result<(), JobError> {
            Err(JobError::Failed("refused".into()))
        }
    }

    #[tokio::test]
    async fn failed_jobs_are_all_reported_and_none_is_dropped() {
        let resp = handle(&Dispatcher::for_every_kind(Arc::new(Reject)), fixture()).await;
        assert_eq!(resp.batch_item_failures.len(), 2);
        assert!(
            resp.batch_item_failures
                .iter()
                .all(|f| !f.item_identifier.is_empty())
        );
    }
}
