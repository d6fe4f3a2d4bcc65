//! `hearth`: the whole backend in one process for a laptop. This file only
//! parses the command line and calls the library: the local runtime is
//! `hearth::app::local`, export and import are `hearth::service::personal_data`,
//! migrate is `hearth::service::migrate`.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use hearth::app::local::{self, Backend, ServeOptions};
use hearth::domain::ids::UserId;
use hearth::domain::safety_report::SafetyReport;
use hearth::service::personal_data;
use hearth::telemetry::{self, LogFormat};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "hearth",
    version,
    about = "Hearth, a memory-first companion backend, in one process"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API, with the worker, the idle sweep and the hourly check-in pass.
    Serve {
        /// Address to listen on; port 0 picks a free one.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[command(flatten)]
        data: DataArgs,
        /// Where scripts/setup-local-model put the local model, used when no
        /// provider is configured.
        #[arg(long, env = "HEARTH_LLM_DIR", default_value = "./.llm")]
        llm_dir: PathBuf,
    },
    /// List the domain events in the local outbox, oldest first, as JSON lines.
    Events {
        #[command(flatten)]
        data: DataArgs,
        /// Only events after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: u64,
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// Write everything held about USER as one JSON document to stdout.
    Export {
        #[arg(long)]
        user: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Import NDJSON history (one `{session_id, role, content, created_at,
    /// external_id}` per line) for USER, in batches, with a progress bar.
    Import {
        /// The NDJSON file.
        file: PathBuf,
        #[arg(long)]
        user: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Index the history stored before messages were indexed on write, for
    /// USER or everyone; idempotent (a second run indexes 0). Prints a JSON
    /// summary line. With the encoder's files (./scripts/setup-encoder) or
    /// HEARTH_EMBED_MODEL it computes vectors in batches, else lexical only.
    Migrate {
        /// Only this person (default: everyone who has a history).
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the local job queue: pending jobs, or with --dead the dead-lettered ones.
    Jobs {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        dead: bool,
    },
    /// Create the table, job queue (with DLQ) and event bus on AWS or an
    /// emulator (AWS_ENDPOINT_URL), and print the variables to export.
    Provision {
        #[arg(long, default_value = "hearth")]
        prefix: String,
    },
    /// The daily check-ins.
    Checkins {
        #[command(subcommand)]
        command: CheckinsCommand,
    },
    /// De-identified reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Print a JWT for USER that the server accepts.
    Token {
        #[arg(long)]
        user: String,
        /// Lifetime, e.g. 90s, 30m, 1h.
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        ttl: Duration,
        #[arg(long, default_value = "./.hearth")]
        data_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum CheckinsCommand {
    /// Run one hourly check-in pass, as if it were --at (default: now), and
    /// print what it did. Uses the configured model providers; with none, the
    /// bundled local model as `serve` does (started for the pass, then
    /// stopped); if that is not set up either, check-ins get the fallback line.
    Run {
        /// The pass's time, RFC 3339, e.g. 2026-11-25T10:00:00Z.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        #[command(flatten)]
        data: DataArgs,
        /// Where scripts/setup-local-model put the local model.
        #[arg(long, env = "HEARTH_LLM_DIR", default_value = "./.llm")]
        llm_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Crisis-referral notifications by UTC day, category, locale and the
    /// layer that caught them, with no user id; a count below --min-count
    /// is shown as "<N" (docs/crisis-protocol.md).
    Safety {
        /// The first day, YYYY-MM-DD (UTC).
        #[arg(long)]
        from: chrono::NaiveDate,
        /// The last day, included.
        #[arg(long)]
        to: chrono::NaiveDate,
        #[arg(long, value_enum, default_value = "json")]
        format: ReportFormat,
        /// The smallest count shown on its own.
        #[arg(long, default_value_t = hearth::domain::safety_report::DEFAULT_MIN_COUNT,
              value_parser = clap::value_parser!(u64).range(1..))]
        min_count: u64,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Json,
    Csv,
}

#[derive(Args)]
struct DataArgs {
    /// Where the embedded store and the local JWT secret live.
    #[arg(long, default_value = "./.hearth")]
    data_dir: PathBuf,
    /// Which store to use: `embedded` (the durable store in --data-dir) or
    /// `aws` (DynamoDB, SQS and EventBridge named by HEARTH_TABLE,
    /// HEARTH_QUEUE_URL and HEARTH_EVENT_BUS; AWS_ENDPOINT_URL for an emulator).
    #[arg(long, default_value = "embedded")]
    backend: Backend,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Serve { .. } | Command::Checkins { .. } | Command::Migrate { .. }
    ) {
        telemetry::init(LogFormat::Text);
    }
    let result = match cli.command {
        Command::Token {
            user,
            ttl,
            data_dir,
        } => token(&user, ttl, &data_dir),
        command => tokio::runtime::Runtime::new()
            .context("cannot start the async runtime")
            .and_then(|rt| rt.block_on(run(command))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            addr,
            data,
            llm_dir,
        } => {
            let opts = ServeOptions {
                addr,
                data_dir: data.data_dir,
                backend: data.backend,
                llm_dir,
            };
            local::serve(opts, hearth::http::router, local::shutdown_signal()).await?;
        }
        Command::Events { data, after, limit } => {
            let lines = local::event_lines(data.backend, &data.data_dir, after, limit).await?;
            print_lines(&lines)?;
        }
        Command::Export { user, data } => {
            let user = UserId::parse(user).context("--user")?;
            let (ports, _) = local::open_ports(data.backend, &data.data_dir, 5).await?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let now = chrono::Utc::now();
            let count =
                personal_data::export_document(&*ports.personal_data, &user, now, &mut out).await?;
            eprintln!("exported {count} items");
        }
        Command::Import { file, user, data } => {
            let user = UserId::parse(user).context("--user")?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let (lines, errors) = personal_data::parse_ndjson_file(&text, chrono::Utc::now());
            for e in &errors {
                eprintln!("line {}: {}", e.line, e.message);
            }
            let (ports, retriever) = local::import_ports(data.backend, &data.data_dir).await?;
            let bar = indicatif::ProgressBar::new(lines.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} lines ({per_sec}, {eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let mut report =
                personal_data::import(&ports, &retriever, &user, &lines, |n| bar.inc(n as u64))
                    .await?;
            bar.finish_and_clear();
            report.errors = errors;
            println!("{}", serde_json::to_string(&report)?);
        }
        Command::Migrate { user, data } => {
            let user = user.map(UserId::parse).transpose().context("--user")?;
            let migration = local::migration(data.backend, &data.data_dir).await?;
            let report = match &user {
                Some(user) => migration.backfill(user).await?,
                None => {
                    migration
                        .backfill_everyone(|user, one| {
                            eprintln!(
                                "{user}: {} indexed of {}",
                                one.indexed,
                                one.messages + one.journal_entries
                            );
                        })
                        .await?
                }
            };
            println!("{}", serde_json::to_string(&report)?);
            if !report.failed.is_empty() {
                anyhow::bail!(
                    "{} people could not be backfilled (see the log); run hearth migrate again",
                    report.failed.len()
                );
            }
        }
        Command::Jobs { data, dead } => {
            print_lines(&local::job_lines(data.backend, &data.data_dir, dead).await?)?;
        }
        Command::Provision { prefix } => print_lines(&local::provision(&prefix).await?)?,
        Command::Checkins {
            command: CheckinsCommand::Run { at, data, llm_dir },
        } => {
            let at = at.unwrap_or_else(chrono::Utc::now);
            let report =
                local::checkin_pass_once(at, data.backend, &data.data_dir, &llm_dir).await?;
            println!("{}", serde_json::to_string(&report)?);
        }
        Command::Report {
            command:
                ReportCommand::Safety {
                    from,
                    to,
                    format,
                    min_count,
                    data,
                },
        } => {
            anyhow::ensure!(from <= to, "--from must not be after --to");
            let (ports, _) = local::open_ports(data.backend, &data.data_dir, 5).await?;
            let counts = ports.reports.referral_counts(from, to).await?;
            let report = SafetyReport::new(from, to, min_count, &counts);
            match format {
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                ReportFormat::Csv => print!("{}", report.to_csv()),
            }
        }
        Command::Token {
            user,
            ttl,
            data_dir,
        } => token(&user, ttl, &data_dir)?,
    }
    Ok(())
}

fn token(user: &str, ttl: Duration, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let user = UserId::parse(user).context("--user")?;
    println!("{}", local::mint_token(&user, ttl, data_dir)?);
    Ok(())
}

fn print_lines(lines: &[String]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    lines.iter().try_for_each(|line| writeln!(out, "{line}"))
}
