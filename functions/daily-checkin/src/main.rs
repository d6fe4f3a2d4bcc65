//! The daily-checkin function, run hourly by an EventBridge schedule. Each
//! run does the idle-session extraction sweep: a session idle for
//! `HEARTH_EXTRACT_IDLE_MINUTES` with unread messages gets an extraction
//! job, so short conversations are remembered too. (The check-in pass
//! itself arrives with its issue, in this same handler.)

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use hearth::adapters::aws::{AwsAdapters, AwsResources, sdk_config};
use hearth::app::App;
use hearth::config::{Config, Mode};
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
    let env = |k: &str| std::env::var(k).ok();
    let (config, resources) = match Config::from_env(env, Mode::Lambda).and_then(|c| Ok((c, AwsResources::from_env(env)?))) {
        Ok(both) => both,
        Err(e) => {
            eprintln!("hearth daily-checkin: {e}");
            std::process::exit(2);
        }
    };
    let aws = AwsAdapters::new(&sdk_config().await, &resources);
    let app = App::new(&config, aws.ports(), hearth::app::http_client());
    let sweep = app.idle_sweep();
    let sweep = &sweep;
    run(service_fn(move |event| handle(sweep, event))).await
}
