//! The chat function: Hearth's HTTP API behind API Gateway. Configuration is
//! read and every client built once per container; each request is handed to
//! the same router that `hearth serve` runs.

use hearth::adapters::embedded::EmbeddedStore;
use hearth::app::{App, http_client};
use hearth::config::{Config, Mode};
use hearth::telemetry::{self, LogFormat};
use std::path::PathBuf;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init(LogFormat::Json);
    let config = match Config::from_env(|k| std::env::var(k).ok(), Mode::Lambda) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hearth chat: {e}");
            std::process::exit(2);
        }
    };
    // Until the DynamoDB adapter lands (the AWS-path issue), the function
    // runs on the embedded store in the container's /tmp: it works, but its
    // data lives only as long as the container. Not for production.
    let data_dir = std::env::var("HEARTH_DATA_DIR").map_or_else(|_| PathBuf::from("/tmp/hearth"), PathBuf::from);
    tracing::warn!(dir = %data_dir.display(), "using the embedded store; data lives only as long as this container");
    let store = EmbeddedStore::open(&data_dir)?;
    let store = Arc::new(store);
    let app = Arc::new(App::new(&config, store.clone(), store, http_client()));
    lambda_http::run(hearth::http::router(app)).await
}
