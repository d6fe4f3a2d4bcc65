//! `hearth`: the whole backend in one process for a laptop. `serve` runs the
//! HTTP API on the embedded store; `token` mints a JWT the server accepts.

mod local_model;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use hearth::adapters::aws::{AwsAdapters, AwsResources};
use hearth::adapters::embedded::{EmbeddedQueue, EmbeddedStore, OpenError, QueuePolicy};
use hearth::app::{App, http_client};
use hearth::config::{Config, Mode, Secret, local_secret};
use hearth::domain::ids::UserId;
use hearth::domain::route::ModelRole;
use hearth::ports::JobSource;
use hearth::ports::Ports;
use hearth::service::jobs::run_worker;
use hearth::telemetry::{self, LogFormat};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Written into the data dir while `hearth serve` holds it, so that another
/// command can name the running server.
const SERVER_FILE: &str = "server.json";

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

#[derive(Args)]
struct DataArgs {
    /// Where the embedded store and the local JWT secret live.
    #[arg(long, default_value = "./.hearth")]
    data_dir: PathBuf,
    /// Which store to use.
    #[arg(long, value_enum, default_value_t = Backend::Embedded)]
    backend: Backend,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    /// The durable embedded store in --data-dir.
    Embedded,
    /// DynamoDB, SQS and EventBridge, named by HEARTH_TABLE, HEARTH_QUEUE_URL
    /// and HEARTH_EVENT_BUS (AWS_ENDPOINT_URL for a local emulator).
    Aws,
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Token {
            user,
            ttl,
            data_dir,
        } => token(&user, ttl, &data_dir),
        Command::Serve {
            addr,
            data,
            llm_dir,
        } => {
            telemetry::init(LogFormat::Text);
            runtime().and_then(|rt| rt.block_on(serve(addr, data, llm_dir)))
        }
        Command::Events { data, after, limit } => {
            runtime().and_then(|rt| rt.block_on(events(data, after, limit)))
        }
        Command::Export { user, data } => runtime().and_then(|rt| rt.block_on(export(&user, data))),
        Command::Import { file, user, data } => {
            runtime().and_then(|rt| rt.block_on(import(&file, &user, data)))
        }
        Command::Jobs { data, dead } => runtime().and_then(|rt| rt.block_on(jobs(data, dead))),
        Command::Checkins {
            command: CheckinsCommand::Run { at, data, llm_dir },
        } => {
            telemetry::init(LogFormat::Text);
            runtime().and_then(|rt| rt.block_on(checkins_run(at, data, llm_dir)))
        }
        Command::Provision { prefix } => runtime().and_then(|rt| rt.block_on(provision(&prefix))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().context("cannot start the async runtime")
}

/// Open the embedded store in `dir`, or explain who holds it.
fn open_store(data: &DataArgs) -> anyhow::Result<EmbeddedStore> {
    match EmbeddedStore::open(&data.data_dir) {
        Ok(s) => Ok(s),
        Err(OpenError::Locked(dir)) => anyhow::bail!(
            "the data dir {} is held by {}; stop it, or use another --data-dir",
            dir.display(),
            running_server(&dir)
        ),
        Err(e) => Err(e.into()),
    }
}

async fn events(data: DataArgs, after: u64, limit: usize) -> anyhow::Result<()> {
    if data.backend == Backend::Aws {
        anyhow::bail!(
            "with --backend aws, events go to the EventBridge bus HEARTH_EVENT_BUS; read them with a rule or an archive there"
        );
    }
    let store = open_store(&data)?;
    let mut out = std::io::stdout().lock();
    for entry in store.list_events(after, limit).await? {
        writeln!(out, "{}", serde_json::to_string(&entry)?)?;
    }
    Ok(())
}

/// The ports, and the worker's job source, for the chosen backend.
async fn open_ports(
    data: &DataArgs,
    max_receives: u32,
) -> anyhow::Result<(Ports, Arc<dyn JobSource>)> {
    Ok(match data.backend {
        Backend::Embedded => {
            let store = open_store(data)?;
            let policy = QueuePolicy {
                max_receives,
                ..QueuePolicy::default()
            };
            let queue = EmbeddedQueue::new(store.clone(), policy);
            (store.ports(queue.clone()), Arc::new(queue))
        }
        Backend::Aws => {
            let resources = AwsResources::from_env(env_var)?;
            let aws = AwsAdapters::new(&hearth::adapters::aws::sdk_config().await, &resources);
            tracing::info!(table = %resources.table, queue = %resources.queue_url, bus = %resources.event_bus, "using AWS");
            (aws.ports(), Arc::new(aws.queue.clone()))
        }
    })
}

async fn export(user: &str, data: DataArgs) -> anyhow::Result<()> {
    let user = UserId::parse(user).context("--user")?;
    let (ports, _) = open_ports(&data, 5).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write!(
        out,
        "{{\"user\":{},\"exported_at\":{},\"items\":[",
        serde_json::to_string(user.as_str())?,
        serde_json::to_string(&chrono_now())?
    )?;
    let (mut cursor, mut first, mut count) = (None::<String>, true, 0u64);
    loop {
        let page = ports
            .personal_data
            .export_page(
                &user,
                cursor.as_deref(),
                hearth::domain::personal_data::EXPORT_PAGE_BYTES,
            )
            .await?;
        for item in &page.items {
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            serde_json::to_writer(&mut out, item)?;
            count += 1;
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    writeln!(out, "]}}")?;
    out.flush()?;
    eprintln!("exported {count} items");
    Ok(())
}

fn chrono_now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

async fn import(file: &Path, user: &str, data: DataArgs) -> anyhow::Result<()> {
    use hearth::service::personal_data::{import, parse_ndjson};
    let user = UserId::parse(user).context("--user")?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    // The request limit does not apply to a file: parse it in request-sized chunks.
    let all: Vec<&str> = text.lines().collect();
    for (n, chunk) in all
        .chunks(hearth::domain::personal_data::IMPORT_MAX_LINES)
        .enumerate()
    {
        let (ok, mut bad) = parse_ndjson(&chunk.join("\n")).map_err(|e| anyhow::anyhow!("{e}"))?;
        for e in &mut bad {
            e.line += n * hearth::domain::personal_data::IMPORT_MAX_LINES;
        }
        lines.extend(ok);
        errors.extend(bad);
    }
    for e in &errors {
        eprintln!("line {}: {}", e.line, e.message);
    }
    let (ports, _) = open_ports(&data, 5).await?;
    let bar = indicatif::ProgressBar::new(lines.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} lines ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut report = import(&ports, &user, &lines, |n| bar.inc(n as u64)).await?;
    bar.finish_and_clear();
    report.errors = errors;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

async fn jobs(data: DataArgs, dead: bool) -> anyhow::Result<()> {
    if data.backend == Backend::Aws {
        anyhow::bail!(
            "with --backend aws, jobs are on SQS (HEARTH_QUEUE_URL) and dead ones on its DLQ"
        );
    }
    let queue = EmbeddedQueue::new(open_store(&data)?, QueuePolicy::default());
    let mut out = std::io::stdout().lock();
    if dead {
        for job in queue.dead().await? {
            writeln!(out, "{}", serde_json::to_string(&job)?)?;
        }
    } else {
        for job in queue.pending().await? {
            writeln!(out, "{}", serde_json::to_string(&job)?)?;
        }
    }
    Ok(())
}

async fn provision(prefix: &str) -> anyhow::Result<()> {
    let max_receives = match env_var("HEARTH_JOB_MAX_RECEIVES") {
        Some(v) => v.trim().parse().context("HEARTH_JOB_MAX_RECEIVES")?,
        None => hearth::adapters::dynamodb::schema::DEFAULT_MAX_RECEIVES,
    };
    let sdk = hearth::adapters::aws::sdk_config().await;
    let r = hearth::adapters::provision::provision(&sdk, prefix, max_receives).await?;
    println!("HEARTH_TABLE={}", r.table);
    println!("HEARTH_QUEUE_URL={}", r.queue_url);
    println!("HEARTH_EVENT_BUS={}", r.event_bus);
    Ok(())
}

async fn checkins_run(
    at: Option<chrono::DateTime<chrono::Utc>>,
    data: DataArgs,
    llm_dir: PathBuf,
) -> anyhow::Result<()> {
    let mut config = Config::from_env(
        env_var,
        Mode::Local {
            data_dir: &data.data_dir,
        },
    )?;
    let (ports, _) = open_ports(&data, config.job_max_receives).await?;
    std::fs::create_dir_all(&data.data_dir)
        .with_context(|| format!("cannot create {}", data.data_dir.display()))?;
    let http = http_client();
    let local = start_local_model(
        &mut config,
        &llm_dir,
        &data.data_dir,
        &http,
        "check-ins get the fallback line",
    )
    .await?;
    let app = App::new(&config, ports, http);
    let report = app
        .checkin_pass()
        .run(at.unwrap_or_else(chrono::Utc::now))
        .await;
    if let Some(model) = local {
        model.stop().await;
    }
    println!("{}", serde_json::to_string(&report?)?);
    Ok(())
}

/// The bundled local model, running under this process's supervision.
struct RunningModel {
    pid: u32,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningModel {
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// No cloud key and no OPENAI_BASE_URL: start the bundled local model (set
/// up by scripts/setup-local-model in `llm_dir`), wait for its health, and
/// point every role at it. If it is not set up, say how, and what happens
/// meanwhile (`without`).
async fn start_local_model(
    config: &mut Config,
    llm_dir: &Path,
    data_dir: &Path,
    http: &reqwest::Client,
    without: &str,
) -> anyhow::Result<Option<RunningModel>> {
    if !config.wants_local_model() {
        return Ok(None);
    }
    let Some(installed) = local_model::locate(llm_dir) else {
        tracing::warn!(
            "{}; or run ./scripts/setup-local-model to set up the bundled local model in {} \
             (./scripts/run does this). Until then {without}",
            Config::no_provider_hint(),
            llm_dir.display()
        );
        return Ok(None);
    };
    let log_file = data_dir.join("llama-server.log");
    let model = local_model::LocalModel::start(&installed, &log_file, http).await?;
    config.use_local_model(&model.base_url, local_model::MODEL_ALIAS);
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let pid = model.pid;
    let task = tokio::spawn(model.supervise(log_file, stopped));
    Ok(Some(RunningModel { pid, stop, task }))
}

/// The time until the next hour starts (UTC), plus a minute's margin.
fn until_next_hour() -> Duration {
    let now = chrono::Utc::now();
    let into = now.timestamp().rem_euclid(3600) as u64;
    Duration::from_secs(3600 - into + 60)
}

fn token(user: &str, ttl: Duration, data_dir: &Path) -> anyhow::Result<()> {
    let user = UserId::parse(user).context("--user")?;
    let secret = match env_var("HEARTH_JWT_SECRET").filter(|s| !s.trim().is_empty()) {
        Some(s) => Secret::new(s.trim()),
        None => local_secret(data_dir)?,
    };
    let audience = env_var("HEARTH_JWT_AUDIENCE")
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| hearth::config::DEFAULT_AUDIENCE.into());
    let issuer = env_var("HEARTH_JWT_ISSUER").filter(|s| !s.trim().is_empty());
    let jwt = hearth::auth::mint_hs256(&secret, &user, &audience, issuer.as_deref(), ttl)?;
    println!("{jwt}");
    Ok(())
}

async fn serve(addr: SocketAddr, data: DataArgs, llm_dir: PathBuf) -> anyhow::Result<()> {
    let mut config = Config::from_env(
        env_var,
        Mode::Local {
            data_dir: &data.data_dir,
        },
    )?;
    let (ports, jobs) = open_ports(&data, config.job_max_receives).await?;
    std::fs::create_dir_all(&data.data_dir)
        .with_context(|| format!("cannot create {}", data.data_dir.display()))?;
    let data_dir = data.data_dir;
    let http = http_client();

    // No cloud key and no OPENAI_BASE_URL: the bundled local model serves
    // every role, and Hearth is ready only once it is healthy.
    let local = start_local_model(
        &mut config,
        &llm_dir,
        &data_dir,
        &http,
        "POST /v1/chat answers 503",
    )
    .await?;
    for role in ModelRole::ALL {
        match config.roles.get(&role) {
            Some(b) => tracing::info!("role {role}: {} {}", b.provider.as_str(), b.model),
            None => tracing::info!("role {role}: not configured"),
        }
    }

    let app = Arc::new(App::new(&config, ports, http));
    // The in-process worker, and the idle-session sweep every 5 minutes.
    let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(run_worker(jobs, app.dispatcher(), worker_stopped.clone()));
    let sweeper = {
        let (sweep, mut stopped) = (app.idle_sweep(), worker_stopped);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(300));
            loop {
                tokio::select! {
                    _ = every.tick() => {
                        if let Err(e) = sweep.run().await {
                            tracing::error!(error = %e, "idle sweep failed; it runs again in 5 minutes");
                        }
                    }
                    _ = stopped.changed() => return,
                }
            }
        })
    };
    // The check-in pass, once at the start of every hour.
    let hourly = {
        let (pass, mut stopped) = (app.checkin_pass(), stop_worker.subscribe());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(until_next_hour()) => {
                        // As the Lambda's retries do: a pass in which anyone
                        // failed runs again as of the same time, twice at most
                        // (what was written is found, not written again).
                        let at = chrono::Utc::now();
                        for attempt in 1..=3u64 {
                            match pass.run(at).await {
                                Ok(report) if !report.retry_would_help() => break,
                                Ok(report) => tracing::error!(?report, attempt, "check-ins failed in this pass"),
                                Err(e) => tracing::error!(error = %e, attempt, "check-in pass failed"),
                            }
                            if attempt < 3 {
                                tokio::select! {
                                    _ = tokio::time::sleep(Duration::from_secs(60 * attempt)) => {}
                                    _ = stopped.changed() => return,
                                }
                            }
                        }
                    }
                    _ = stopped.changed() => return,
                }
            }
        })
    };
    let router = hearth::http::router(app);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local_addr = listener.local_addr()?;
    let server_file = data_dir.join(SERVER_FILE);
    let _ = std::fs::write(
        &server_file,
        serde_json::json!({
            "pid": std::process::id(),
            "url": format!("http://{local_addr}"),
            "model_pid": local.as_ref().map(|m| m.pid),
        })
        .to_string(),
    );
    println!("listening on http://{local_addr}");
    let _ = std::io::stdout().flush();

    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    let _ = stop_worker.send(true);
    let _ = worker.await;
    let _ = sweeper.await;
    let _ = hourly.await;
    if let Some(model) = local {
        model.stop().await;
    }
    let _ = std::fs::remove_file(&server_file);
    served.context("server failed")?;
    tracing::info!("stopped");
    Ok(())
}

/// Describe the server that holds `dir`, from the file it left there.
fn running_server(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(SERVER_FILE))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| Some((v["pid"].as_u64()?, v["url"].as_str()?.to_string())))
        .map(|(pid, url)| format!("a running `hearth serve` (pid {pid}, {url})"))
        .unwrap_or_else(|| "another running hearth process".into())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
