//! The chat function: Hearth's HTTP API behind API Gateway. Configuration is
//! read and every client built once per container (one AWS SDK config, one
//! HTTP client); each request is handed to the same router that
//! `hearth serve` runs.

use hearth::app::lambda::{Auth, ScreenModelAtBoot};
use hearth::telemetry::{self, LogFormat};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init(LogFormat::Json);
    let app = Arc::new(
        hearth::app::lambda::lambda_app("chat", ScreenModelAtBoot::Load, Auth::Verifies).await?,
    );
    lambda_http::run(hearth::http::router(app)).await
}
