//! The daily-checkin function, run hourly by an EventBridge schedule. Each
//! run does the idle-session extraction sweep: a session idle for
//! `HEARTH_EXTRACT_IDLE_MINUTES` with unread messages gets an extraction
//! job, so short conversations are remembered too. (The check-in pass
//! itself arrives with its issue, in this same handler.)

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use hearth::service::sweep::IdleSweep;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn handle(sweep: &IdleSweep, event: LambdaEvent<EventBridgeEvent>) -> Result<serde_json::Value, Error> {
    let enqueued = sweep.run().await?;
    tracing::info!(time = ?event.payload.time, enqueued, "hourly pass done");
    Ok(serde_json::json!({"extraction_jobs_enqueued": enqueued}))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    hearth::telemetry::init(hearth::telemetry::LogFormat::Json);
    let app = hearth::adapters::aws::lambda_app("daily-checkin").await;
    let sweep = app.idle_sweep();
    let sweep = &sweep;
    run(service_fn(move |event| handle(sweep, event))).await
}
