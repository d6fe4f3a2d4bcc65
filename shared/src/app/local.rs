//! The local runtime: what `hearth serve` runs in one process, and what the
//! test harness runs too. It opens the chosen backend's ports, starts the
//! bundled local model when no provider is configured, and runs the
//! background work beside the HTTP API: the job worker, the idle-session
//! sweep every 5 minutes and the hourly check-in pass with its retries.

use super::{App, ScreenModelError, http_client, load_risk_model};
use crate::adapters::aws::{AwsAdapters, sdk_config};
use crate::adapters::embedded::{EmbeddedQueue, EmbeddedStore, OpenError, QueuePolicy};
use crate::adapters::local_model::{self, LocalModel, LocalModelError};
use crate::config::{AwsResources, Config, ConfigError, Mode};
use crate::domain::route::ModelRole;
use crate::ports::{JobSource, Ports};
use crate::service::jobs::run_worker;
use crate::service::migrate::Migration;
use crate::service::retrieval::Retriever;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Written into the data dir while `hearth serve` holds it, so that another
/// command can name the running server.
pub const SERVER_FILE: &str = "server.json";
/// How often the idle sweep looks for sessions to extract.
pub const SWEEP_EVERY: Duration = Duration::from_secs(300);
/// A check-in pass in which anyone failed runs again after 1, then 2 minutes.
const PASS_ATTEMPTS: u64 = 3;

/// Which store the local commands use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The durable embedded store in the data dir.
    Embedded,
    /// DynamoDB, SQS and EventBridge, named by `HEARTH_TABLE`,
    /// `HEARTH_QUEUE_URL` and `HEARTH_EVENT_BUS` (`AWS_ENDPOINT_URL` for a
    /// local emulator).
    Aws,
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "embedded" => Ok(Backend::Embedded),
            "aws" => Ok(Backend::Aws),
            other => Err(format!("unknown backend {other:?}: use embedded or aws")),
        }
    }
}

/// Why a local command could not run.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("the data dir {dir} is held by {holder}; stop it, or use another --data-dir")]
    Locked { dir: String, holder: String },
    #[error("cannot open the embedded store: {0}")]
    Open(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    LocalModel(#[from] LocalModelError),
    #[error(transparent)]
    ScreenModel(#[from] ScreenModelError),
    #[error(transparent)]
    Store(#[from] crate::ports::StoreError),
    #[error("{0}")]
    NotOnAws(&'static str),
    #[error("cannot mint a token: {0}")]
    Token(String),
    #[error("cannot provision: {0}")]
    Provision(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> LocalError {
    let what = what.into();
    move |source| LocalError::Io { what, source }
}

/// Open the embedded store in `dir`, or explain who holds it.
pub fn open_store(dir: &Path) -> Result<EmbeddedStore, LocalError> {
    match EmbeddedStore::open(dir) {
        Ok(s) => Ok(s),
        Err(OpenError::Locked(dir)) => Err(LocalError::Locked {
            holder: running_server(&dir),
            dir: dir.display().to_string(),
        }),
        Err(e) => Err(LocalError::Open(e.to_string())),
    }
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

/// The ports, and the worker's job source, for the chosen backend.
pub async fn open_ports(
    backend: Backend,
    data_dir: &Path,
    max_receives: u32,
) -> Result<(Ports, Arc<dyn JobSource>), LocalError> {
    Ok(match backend {
        Backend::Embedded => {
            let store = open_store(data_dir)?;
            let policy = QueuePolicy {
                max_receives,
                ..QueuePolicy::default()
            };
            let queue = EmbeddedQueue::new(store.clone(), policy);
            (store.ports(queue.clone()), Arc::new(queue))
        }
        Backend::Aws => {
            let resources = AwsResources::from_env(|k| std::env::var(k).ok())?;
            let aws = AwsAdapters::new(&sdk_config().await, &resources);
            tracing::info!(table = %resources.table, queue = %resources.queue_url, bus = %resources.event_bus, "using AWS");
            (aws.ports(), Arc::new(aws.queue.clone()))
        }
    })
}

/// The ports, and the worker's job source, of a local command that screens
/// what people write (`hearth serve`, `hearth import`): the backend's, with
/// the crisis screen's model loaded once in `Ports::risk`
/// (`HEARTH_SCREEN_MODEL` decides whether it must load). The model loads
/// first, so a required one that is missing fails before the store opens.
pub async fn screening_ports(
    config: &Config,
    backend: Backend,
    data_dir: &Path,
) -> Result<(Ports, Arc<dyn JobSource>), LocalError> {
    let risk = load_risk_model(config)?;
    let (mut ports, jobs) = open_ports(backend, data_dir, config.job_max_receives).await?;
    ports.risk = risk;
    Ok((ports, jobs))
}

/// The ports `hearth import` writes through: as `serve`'s, from the
/// environment's configuration, so imported lines pass the same screen.
pub async fn import_ports(
    backend: Backend,
    data_dir: &Path,
) -> Result<(Ports, Retriever), LocalError> {
    let config = Config::from_env(|k| std::env::var(k).ok(), Mode::Local { data_dir })?;
    let ports = screening_ports(&config, backend, data_dir).await?.0;
    let retriever = super::retriever(&config, &ports, &http_client(), Default::default());
    Ok((ports, retriever))
}

/// What `hearth migrate` backfills with: the backend's ports and a
/// retriever built as `serve` builds it, so the vectors it computes (with
/// the screen's encoder, or `HEARTH_EMBED_MODEL`) are the ones replies are
/// retrieved by; without either, the backfill indexes lexically.
pub async fn migration(backend: Backend, data_dir: &Path) -> Result<Migration, LocalError> {
    let (ports, retriever) = import_ports(backend, data_dir).await?;
    Ok(Migration {
        conversations: ports.conversations,
        journal: ports.journal,
        retriever: Arc::new(retriever),
    })
}

/// The bundled local model, running under this process's supervision.
pub struct RunningModel {
    pub pid: u32,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningModel {
    /// Stop the model server, and only it.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// No cloud key and no `OPENAI_BASE_URL`: start the bundled local model (set
/// up by scripts/setup-local-model in `llm_dir`), wait for its health, and
/// point every role at it. If it is not set up, say how, and what happens
/// meanwhile (`without`).
pub async fn start_local_model(
    config: &mut Config,
    llm_dir: &Path,
    data_dir: &Path,
    http: &reqwest::Client,
    without: &str,
) -> Result<Option<RunningModel>, LocalError> {
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
    let model = LocalModel::start(&installed, &log_file, http).await?;
    config.use_local_model(&model.base_url, local_model::MODEL_ALIAS);
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let pid = model.pid;
    let task = tokio::spawn(model.supervise(log_file, stopped));
    Ok(Some(RunningModel { pid, stop, task }))
}

/// The background work of one process: the job worker, the idle sweep and
/// the hourly check-in pass. Dropping it does not stop them; `stop` does.
pub struct Background {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Background {
    /// Start the worker on `jobs`, the idle sweep every `SWEEP_EVERY`, and the
    /// check-in pass at the start of every hour.
    pub fn spawn(app: &App, jobs: Arc<dyn JobSource>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let worker = tokio::spawn(run_worker(jobs, app.dispatcher(), stopped.clone()));
        let sweeper = {
            let (sweep, mut stopped) = (app.idle_sweep(), stopped.clone());
            tokio::spawn(async move {
                let mut every = tokio::time::interval(SWEEP_EVERY);
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
        let hourly = {
            let (pass, mut stopped) = (app.checkin_pass(), stopped);
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(until_next_hour(chrono::Utc::now())) => {
                            // As the Lambda's retries do: a pass in which anyone
                            // failed runs again as of the same time, twice at most
                            // (what was written is found, not written again).
                            let at = chrono::Utc::now();
                            for attempt in 1..=PASS_ATTEMPTS {
                                match pass.run(at).await {
                                    Ok(report) if !report.retry_would_help() => break,
                                    Ok(report) => tracing::error!(?report, attempt, "check-ins failed in this pass"),
                                    Err(e) => tracing::error!(error = %e, attempt, "check-in pass failed"),
                                }
                                if attempt < PASS_ATTEMPTS {
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
        Self {
            stop,
            tasks: vec![worker, sweeper, hourly],
        }
    }

    /// Stop the background work and wait for it to finish what it is doing.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The time until the next hour starts (UTC), plus a minute's margin.
pub fn until_next_hour(now: chrono::DateTime<chrono::Utc>) -> Duration {
    let into = now.timestamp().rem_euclid(3600) as u64;
    Duration::from_secs(3600 - into + 60)
}

/// What `hearth serve` is told.
pub struct ServeOptions {
    /// Port 0 picks a free one.
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub backend: Backend,
    /// Where scripts/setup-local-model put the local model.
    pub llm_dir: PathBuf,
}

/// Read the configuration, build everything and serve the HTTP API that
/// `router` makes of the app (`hearth::http::router`: the entry point layer
/// depends on the app, not the other way round), with its background work,
/// until `shutdown` completes. Prints `listening on http://HOST:PORT` once
/// ready.
pub async fn serve(
    opts: ServeOptions,
    router: impl FnOnce(Arc<App>) -> axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LocalError> {
    let data_dir = &opts.data_dir;
    let mut config = Config::from_env(|k| std::env::var(k).ok(), Mode::Local { data_dir })?;
    let limits = super::listener::ServerLimits::from_env(|k| std::env::var(k).ok())?;
    let (ports, jobs) = screening_ports(&config, opts.backend, data_dir).await?;
    crate::config::create_private_dir(data_dir)
        .map_err(io(format!("cannot create {}", data_dir.display())))?;
    let http = http_client();

    // No cloud key and no OPENAI_BASE_URL: the bundled local model serves
    // every role, and Hearth is ready only once it is healthy.
    let local = start_local_model(
        &mut config,
        &opts.llm_dir,
        data_dir,
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
    let background = Background::spawn(&app, jobs);
    let router = router(app);
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .map_err(io(format!("cannot listen on {}", opts.addr)))?;
    let local_addr = listener
        .local_addr()
        .map_err(io("cannot read the listening address"))?;
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
    let _ = crate::config::make_private(&server_file);
    println!("listening on http://{local_addr}");
    let _ = std::io::stdout().flush();

    let served = super::listener::serve_listener(listener, router, limits, shutdown).await;
    background.stop().await;
    if let Some(model) = local {
        model.stop().await;
    }
    let _ = std::fs::remove_file(&server_file);
    served.map_err(io("server failed"))?;
    tracing::info!("stopped");
    Ok(())
}

/// Run one check-in pass as of `at` on the chosen backend, as `hearth
/// checkins run` does: with the configured providers, or else the bundled
/// local model, started for the pass and stopped after it.
pub async fn checkin_pass_once(
    at: chrono::DateTime<chrono::Utc>,
    backend: Backend,
    data_dir: &Path,
    llm_dir: &Path,
) -> Result<crate::service::checkin::PassReport, LocalError> {
    let mut config = Config::from_env(|k| std::env::var(k).ok(), Mode::Local { data_dir })?;
    let (ports, _) = open_ports(backend, data_dir, config.job_max_receives).await?;
    std::fs::create_dir_all(data_dir)
        .map_err(io(format!("cannot create {}", data_dir.display())))?;
    let http = http_client();
    let local = start_local_model(
        &mut config,
        llm_dir,
        data_dir,
        &http,
        "check-ins get the fallback line",
    )
    .await?;
    let app = App::new(&config, ports, http);
    let report = app.checkin_pass().run(at).await;
    if let Some(model) = local {
        model.stop().await;
    }
    Ok(report?)
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.trim().is_empty())
}

/// A JWT for `user` that a local server accepts (`hearth token`): signed
/// with `HEARTH_JWT_SECRET`, or else the data dir's secret, created if there
/// is none yet; `iss` set when `HEARTH_JWT_ISSUER` is.
pub fn mint_token(
    user: &crate::domain::ids::UserId,
    ttl: Duration,
    data_dir: &Path,
) -> Result<String, LocalError> {
    let secret = match env_var("HEARTH_JWT_SECRET") {
        Some(s) => crate::config::Secret::new(s.trim()),
        None => crate::config::local_secret(data_dir)?,
    };
    let audience =
        env_var("HEARTH_JWT_AUDIENCE").unwrap_or_else(|| crate::config::DEFAULT_AUDIENCE.into());
    let issuer = env_var("HEARTH_JWT_ISSUER");
    crate::auth::mint_hs256(&secret, user, &audience, issuer.as_deref(), ttl)
        .map_err(|e| LocalError::Token(e.to_string()))
}

/// Create (idempotently) the table, the job queue with its DLQ and the bus
/// on AWS or an emulator, and return the `NAME=value` lines to export.
pub async fn provision(prefix: &str) -> Result<Vec<String>, LocalError> {
    let max_receives = match env_var("HEARTH_JOB_MAX_RECEIVES") {
        Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
            name: "HEARTH_JOB_MAX_RECEIVES".into(),
            why: "expected a whole number".into(),
        })?,
        None => crate::adapters::dynamodb::schema::DEFAULT_MAX_RECEIVES,
    };
    let sdk = sdk_config().await;
    let r = crate::adapters::provision::provision(&sdk, prefix, max_receives)
        .await
        .map_err(|e| LocalError::Provision(e.to_string()))?;
    Ok(vec![
        format!("HEARTH_TABLE={}", r.table),
        format!("HEARTH_QUEUE_URL={}", r.queue_url),
        format!("HEARTH_EVENT_BUS={}", r.event_bus),
    ])
}

/// The local outbox's events after `after`, oldest first, as JSON lines
/// (`hearth events`). On AWS the events are on the bus instead.
pub async fn event_lines(
    backend: Backend,
    data_dir: &Path,
    after: u64,
    limit: usize,
) -> Result<Vec<String>, LocalError> {
    if backend == Backend::Aws {
        return Err(LocalError::NotOnAws(
            "with --backend aws, events go to the EventBridge bus HEARTH_EVENT_BUS; read them with a rule or an archive there",
        ));
    }
    let store = open_store(data_dir)?;
    let events = store.list_events(after, limit).await?;
    Ok(events.iter().map(json_line).collect())
}

/// The embedded queue's pending jobs, or with `dead` its dead letters, as
/// JSON lines (`hearth jobs`). On AWS they are on SQS and its DLQ.
pub async fn job_lines(
    backend: Backend,
    data_dir: &Path,
    dead: bool,
) -> Result<Vec<String>, LocalError> {
    if backend == Backend::Aws {
        return Err(LocalError::NotOnAws(
            "with --backend aws, jobs are on SQS (HEARTH_QUEUE_URL) and dead ones on its DLQ",
        ));
    }
    let queue = EmbeddedQueue::new(open_store(data_dir)?, QueuePolicy::default());
    Ok(if dead {
        queue.dead().await?.iter().map(json_line).collect()
    } else {
        queue.pending().await?.iter().map(json_line).collect()
    })
}

fn json_line(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|e| format!("{{\"unprintable\":{:?}}}", e.to_string()))
}

/// Completes on Ctrl-C or SIGTERM: `hearth serve`'s graceful shutdown.
pub async fn shutdown_signal() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hourly_pass_waits_for_the_next_hour_and_a_minute() {
        let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        assert_eq!(
            until_next_hour(at("2026-11-25T10:00:00Z")),
            Duration::from_secs(3660)
        );
        assert_eq!(
            until_next_hour(at("2026-11-25T10:59:30Z")),
            Duration::from_secs(90)
        );
    }

    #[test]
    fn backends_parse_by_name() {
        assert_eq!("embedded".parse::<Backend>(), Ok(Backend::Embedded));
        assert_eq!("aws".parse::<Backend>(), Ok(Backend::Aws));
        assert!("sqlite".parse::<Backend>().is_err());
    }
}
