//! The daily-checkin function, run hourly by an EventBridge schedule. Each
//! run does two things, as of the event's time:
//! - the check-in pass: people whose local check-in hour it is get their
//!   daily check-in, stored, pushed and announced (`CheckInReady`);
//! - the idle-session extraction sweep: a session idle for
//!   `HEARTH_EXTRACT_IDLE_MINUTES` with unread messages gets an extraction
//!   job, so short conversations are remembered too.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use hearth::app::App;
use lambda_runtime::{Error, LambdaEvent};

pub async fn handle(app: &App, event: LambdaEvent<EventBridgeEvent>) -> Result<serde_json::Value, Error> {
    let at = event.payload.time.unwrap_or_else(chrono::Utc::now);
    let checkins = app.checkin_pass().run(at).await?;
    let enqueued = app.idle_sweep().run().await?;
    tracing::info!(%at, ?checkins, enqueued, "hourly pass done");
    Ok(serde_json::json!({"checkins": checkins, "extraction_jobs_enqueued": enqueued}))
}
