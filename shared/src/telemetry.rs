//! Telemetry, set up in one place: JSON logs in Lambda (CloudWatch reads them
//! field by field), compact text on a laptop. `RUST_LOG` filters either.

use tracing_subscriber::EnvFilter;

pub enum LogFormat {
    Json,
    Text,
}

/// Install the global subscriber. Safe to call twice (the second is ignored).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_ansi(false)
            .try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
}
