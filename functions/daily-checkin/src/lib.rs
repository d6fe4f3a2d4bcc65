//! The daily-checkin function, run hourly by an EventBridge schedule. Each
//! run does two things, as of the event's time:
//! - the check-in pass: people whose local check-in hour it is get their
//!   daily check-in, stored, pushed and announced (`CheckInReady`);
//! - the idle-session extraction sweep: a session idle for
//!   `HEARTH_EXTRACT_IDLE_MINUTES` with unread messages gets an extraction
//!   job, so short conversations are remembered too.
//!
//! If anyone's check-in failed, or could not be pushed while FCM was
//! unavailable, the invocation fails after both have run, so that Lambda's
//! asynchronous retries (two, set in template.yaml) run the pass again as
//! of the same event time: those already written are found and not written
//! again, only the missing ones are tried, and unpushed ones are pushed.
//! After the retries the event goes to the failure queue, which has an alarm.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use hearth::app::App;
use lambda_runtime::{Error, LambdaEvent};

pub async fn handle(app: &App, event: LambdaEvent<EventBridgeEvent>) -> Result<serde_json::Value, Error> {
    let at = event.payload.time.unwrap_or_else(chrono::Utc::now);
    let checkins = app.checkin_pass().run(at).await?;
    let enqueued = app.idle_sweep().run().await?;
    tracing::info!(%at, ?checkins, enqueued, "hourly pass done");
    if checkins.retry_would_help() {
        return Err(format!(
            "{} check-in(s) due at {at} failed and {} could not be pushed (logged above); failing the invocation so that the pass runs again as of {at}",
            checkins.failed, checkins.push_failed
        )
        .into());
    }
    Ok(serde_json::json!({"checkins": checkins, "extraction_jobs_enqueued": enqueued}))
}
