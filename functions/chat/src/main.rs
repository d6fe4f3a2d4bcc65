//! The chat function: Hearth's HTTP API behind API Gateway. Configuration is
//! read and every client built once per container (one AWS SDK config, one
//! HTTP client); each request is handed to the same router that
//! `hearth serve` runs.

use hearth::adapters::aws::{AwsAdapters, AwsResources, sdk_config};
use hearth::app::{App, http_client};
use hearth::config::{Config, Mode};
use hearth::telemetry::{self, LogFormat};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init(LogFormat::Json);
    let env = |k: &str| std::env::var(k).ok();
    let (config, resources) = match Config::from_env(env, Mode::Lambda).and_then(|c| Ok((c, AwsResources::from_env(env)?))) {
        Ok(both) => both,
        Err(e) => {
            eprintln!("hearth chat: {e}");
            std::process::exit(2);
        }
    };
    let aws = AwsAdapters::new(&sdk_config().await, &resources);
    let app = Arc::new(App::new(&config, aws.ports(), http_client()));
    lambda_http::run(hearth::http::router(app)).await
}
