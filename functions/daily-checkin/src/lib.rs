//! The daily-checkin function, run hourly by an EventBridge schedule. Each
//! run does two things, as of the event's time:
//! - the check-in pass, fanned out: a `checkin` job on the job queue for
//!   each person whose local check-in hour it is. The job workers (the
//!   job-worker function) write, store, push and announce each one
//!   (`CheckInReady`), so any number of people due in one hour fits;
//! - the idle-session extraction sweep: a session idle for
//!   `HEARTH_EXTRACT_IDLE_MINUTES` with unread messages gets an extraction
//!   job, so short conversations are remembered too.
//!
//! The fan-out begins nobody too close to the invocation's deadline. If
//! anyone was not reached, or their settings could not be read, or their
//! job could not be enqueued, the invocation fails after both have run, so
//! that Lambda's asynchronous retries (two, set in template.yaml) run the
//! pass again as of the same event time. A second job for someone whose
//! check-in is done finds it and does nothing. After the retries the event
//! goes to the failure queue, which has an alarm.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use hearth::app::App;
use lambda_runtime::{Error, LambdaEvent};

pub async fn handle(
    app: &App,
    event: LambdaEvent<EventBridgeEvent>,
) -> Result<serde_json::Value, Error> {
    let at = event.payload.time.unwrap_or_else(chrono::Utc::now);
    let checkins = app
        .checkin_pass()
        .fan_out(&*app.ports.queue, at, deadline(&event.context))
        .await?;
    let enqueued = app.idle_sweep().run().await?;
    tracing::info!(%at, ?checkins, enqueued, "hourly pass done");
    if checkins.retry_would_help() {
        return Err(format!(
            "of the people due at {at}, {} failed and {} were not reached in time (logged above); \
             failing the invocation so that the pass runs again as of {at}",
            checkins.failed, checkins.not_reached
        )
        .into());
    }
    Ok(serde_json::json!({"checkins": checkins, "extraction_jobs_enqueued": enqueued}))
}

/// When the invocation times out, as an `Instant` (none if the context
/// has no deadline, as in a test's default context).
fn deadline(context: &lambda_runtime::Context) -> Option<tokio::time::Instant> {
    if context.deadline == 0 {
        return None;
    }
    let left = context
        .deadline()
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    Some(tokio::time::Instant::now() + left)
}
