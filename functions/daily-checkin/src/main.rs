//! The daily-checkin function, run hourly by an EventBridge schedule.
//!
//! Its passes (the idle-session extraction sweep, then the check-ins) arrive
//! with their issues. Until then it fails loudly rather than report work it
//! did not do.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn handle(event: LambdaEvent<EventBridgeEvent>) -> Result<(), Error> {
    tracing::error!(time = ?event.payload.time, "no hourly pass is built yet");
    Err("the hourly pass is not built yet".into())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    hearth::telemetry::init(hearth::telemetry::LogFormat::Json);
    run(service_fn(handle)).await
}
