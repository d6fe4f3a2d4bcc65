//! The bundled local model process: llama.cpp's `llama-server` with a small
//! GGUF, set up by `scripts/setup-local-model` under the LLM dir. The local
//! runtime (`app::local`) starts it when no provider is configured, on 127.0.0.1 only, waits for its
//! health endpoint before reporting ready, reports if it dies, and stops it
//! (and only it) on exit.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// The name the local server answers to (`--alias`), reported as `reply.model`.
pub const MODEL_ALIAS: &str = "smollm2-135m-instruct";
const MODEL_FILE: &str = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
const SERVER_FILE: &str = "bin/llama-server";
const HEALTH_TIMEOUT: Duration = Duration::from_secs(120);

/// Why the local model server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LocalModelError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the local model server exited during start-up ({status}); see {log}")]
    ExitedDuringStart { status: String, log: String },
    #[error("the local model server was not healthy after {secs} s; see {log}")]
    NotHealthy { secs: u64, log: String },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> LocalModelError {
    let what = what.into();
    move |source| LocalModelError::Io { what, source }
}

/// What `scripts/setup-local-model` leaves behind.
pub struct Installed {
    pub server: PathBuf,
    pub model: PathBuf,
}

/// Find a set-up local model in `llm_dir`, if there is one.
pub fn locate(llm_dir: &Path) -> Option<Installed> {
    let server = llm_dir.join(SERVER_FILE);
    let model = llm_dir.join(MODEL_FILE);
    (server.is_file() && model.is_file()).then_some(Installed { server, model })
}

/// A running local model server that this process started.
pub struct LocalModel {
    child: Child,
    pub pid: u32,
    /// The OpenAI-compatible base URL, e.g. `http://127.0.0.1:40123/v1`.
    pub base_url: String,
}

impl LocalModel {
    /// Start the server on a free loopback port and wait until it is healthy.
    pub async fn start(
        installed: &Installed,
        log_file: &Path,
        http: &reqwest::Client,
    ) -> Result<Self, LocalModelError> {
        let port = free_port()?;
        let log = std::fs::File::create(log_file)
            .map_err(io(format!("cannot write {}", log_file.display())))?;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut cmd = Command::new(&installed.server);
        cmd.arg("--model")
            .arg(&installed.model)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            // Two slots of 8192 tokens each (llama.cpp splits --ctx-size
            // across slots): SmolLM2's full window, which is what Hearth
            // budgets prompts for, and a chat turn need not wait for an
            // extraction job.
            .args([
                "--alias",
                MODEL_ALIAS,
                "--ctx-size",
                "16384",
                "--parallel",
                "2",
            ])
            .args(["--threads", &threads.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io("cannot share the log file"))?)
            .stderr(log)
            .kill_on_drop(true);
        #[cfg(target_os = "linux")]
        // SAFETY: prctl is async-signal-safe; it runs in the child between fork and exec.
        unsafe {
            // If hearth itself is killed, the kernel stops the model too.
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(io(format!("cannot start {}", installed.server.display())))?;
        let pid = child.id().unwrap_or_default();
        let root = format!("http://127.0.0.1:{port}");
        tracing::info!(pid, url = %root, "starting the local model server; waiting for it to be healthy");

        let started = tokio::time::Instant::now();
        loop {
            if let Some(status) = child
                .try_wait()
                .map_err(io("cannot watch the local model server"))?
            {
                return Err(LocalModelError::ExitedDuringStart {
                    status: status.to_string(),
                    log: log_file.display().to_string(),
                });
            }
            let healthy = http
                .get(format!("{root}/health"))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                break;
            }
            if started.elapsed() > HEALTH_TIMEOUT {
                let _ = child.start_kill();
                return Err(LocalModelError::NotHealthy {
                    secs: HEALTH_TIMEOUT.as_secs(),
                    log: log_file.display().to_string(),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tracing::info!(
            pid,
            ms = started.elapsed().as_millis() as u64,
            "local model server is healthy"
        );
        Ok(Self {
            child,
            pid,
            base_url: format!("{root}/v1"),
        })
    }

    /// Watch the server until `stop` fires, then stop it. If it dies first,
    /// say so loudly: chat answers 503 until `hearth serve` is restarted.
    pub async fn supervise(mut self, log_file: PathBuf, stop: tokio::sync::oneshot::Receiver<()>) {
        tokio::select! {
            status = self.child.wait() => match status {
                Ok(status) => tracing::error!(
                    pid = self.pid, %status,
                    "the local model server exited; chat answers 503 until hearth serve is restarted (log: {})",
                    log_file.display()
                ),
                Err(e) => tracing::error!(pid = self.pid, error = %e, "lost track of the local model server"),
            },
            _ = stop => self.stop().await,
        }
    }

    /// Stop the server this process started: SIGTERM, then SIGKILL after 5 s.
    async fn stop(mut self) {
        if let Ok(None) = self.child.try_wait() {
            #[cfg(unix)]
            // SAFETY: signals our own child, which is not reaped yet, so the pid is still ours.
            unsafe {
                libc::kill(self.pid as i32, libc::SIGTERM);
            }
            if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
                .await
                .is_err()
            {
                let _ = self.child.kill().await;
            }
            tracing::info!(pid = self.pid, "stopped the local model server");
        }
    }
}

fn free_port() -> Result<u16, LocalModelError> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(io("no free loopback port"))?;
    Ok(listener
        .local_addr()
        .map_err(io("no free loopback port"))?
        .port())
}
