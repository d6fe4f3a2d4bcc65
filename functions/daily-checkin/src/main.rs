//! The daily-checkin Lambda: the hourly pass in `lib.rs` behind lambda_runtime.

use hearth::app::lambda::{Auth, ScreenModelAtBoot};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    hearth::telemetry::init(hearth::telemetry::LogFormat::Json);
    let app = hearth::app::lambda::lambda_app("daily-checkin", ScreenModelAtBoot::Skip, Auth::None)
        .await?;
    let app = &app;
    run(service_fn(move |event| daily_checkin::handle(app, event))).await
}
