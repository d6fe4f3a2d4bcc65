//! The memory-extractor function: an SQS consumer that parses each record on
//! its own and reports failures per record (ReportBatchItemFailures), so one
//! bad body never fails the batch.
//!
//! No job handler is registered yet (extraction arrives with the memory
//! pipeline issue), so every record is reported as failed and, after the
//! queue's redrive count, reaches the DLQ: nothing is dropped silently.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use hearth::domain::jobs::Job;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn handle(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let mut response = SqsBatchResponse::default();
    for record in event.payload.records {
        let Some(id) = record.message_id.filter(|id| !id.is_empty()) else {
            tracing::error!("SQS record without a message id; cannot report it");
            continue;
        };
        let reason = match record.body.as_deref().map(serde_json::from_str::<Job>) {
            None => "record has no body".to_string(),
            Some(Err(e)) => format!("malformed job: {e}"),
            Some(Ok(job)) => format!("no handler is registered for job kind {}", job.kind()),
        };
        tracing::error!(message_id = %id, %reason, "job not processed");
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    hearth::telemetry::init(hearth::telemetry::LogFormat::Json);
    run(service_fn(handle)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::SqsMessage;

    fn record(id: Option<&str>, body: Option<&str>) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = id.map(Into::into);
        m.body = body.map(Into::into);
        m
    }

    #[tokio::test]
    async fn every_record_without_a_handler_is_reported_failed_by_its_id() {
        let mut event = SqsEvent::default();
        event.records = vec![
            record(Some("m-1"), Some(r#"{"kind":"extract_session","user":"u","session_id":"s","from_seq":1,"to_seq":6}"#)),
            record(Some("m-2"), Some("not json")),
            record(Some(""), Some("{}")),
            record(None, None),
        ];
        let resp = handle(LambdaEvent::new(event, lambda_runtime::Context::default())).await.unwrap();
        let ids: Vec<_> = resp.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(ids, vec!["m-1", "m-2"]);
    }
}
