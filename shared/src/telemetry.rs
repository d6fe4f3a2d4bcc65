//! Telemetry, set up in one place: JSON logs in Lambda (CloudWatch reads them
//! field by field), compact text on a laptop. `RUST_LOG` filters either.
//!
//! An event written with `parent: None` is a root event: it is in no span,
//! so no span's fields (the request's id and user) are attached to it.
//! tracing-subscriber's JSON formatter would still attach the current span
//! to it; [`JsonLines`] does not. That is how a line that must not be tied
//! to a person (the route of a crisis turn, a failed crisis count) is
//! written: see docs/crisis-protocol.md, "What is logged".

use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{Format, Json, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

pub enum LogFormat {
    Json,
    Text,
}

/// Install the global subscriber. Safe to call twice (the second is ignored).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = match format {
        LogFormat::Json => json_subscriber(filter, std::io::stderr).try_init(),
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .compact()
            .finish()
            .try_init(),
    };
}

/// The JSON log subscriber Lambda runs, writing to `writer`: one JSON
/// object a line, the event's fields flattened, the current span's fields
/// under `span`, except on root events.
pub fn json_subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .fmt_fields(JsonFields::new())
        .event_format(JsonLines::new())
        .finish()
}

/// The JSON event format, with span fields only on events in a span.
pub struct JsonLines {
    in_span: Format<Json>,
    root: Format<Json>,
}

impl JsonLines {
    fn new() -> Self {
        let base = || {
            tracing_subscriber::fmt::format()
                .json()
                .flatten_event(true)
                .with_span_list(false)
                .with_ansi(false)
        };
        Self {
            in_span: base().with_current_span(true),
            root: base().with_current_span(false),
        }
    }
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        if event.is_root() {
            self.root.format_event(ctx, writer, event)
        } else {
            self.in_span.format_event(ctx, writer, event)
        }
    }
}
