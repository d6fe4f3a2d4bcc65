//! `hearth serve`'s listener: the router served per connection with hyper,
//! under limits that shed a slow or greedy client. hyper's header read
//! timeout closes a connection whose request head does not arrive in time
//! (it also bounds the wait for the next request on a kept-alive one),
//! tower-http's body timeout ends a body that trickles, an idle watchdog
//! closes a connection on which nothing moves, and a semaphore caps the
//! open connections: one past the cap gets a JSON 503 and is closed.

use crate::config::ConfigError;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// The connection limits of `hearth serve` (README, "Limits").
#[derive(Debug, Clone, PartialEq)]
pub struct ServerLimits {
    /// `HEARTH_HEADER_TIMEOUT_SECS`: the whole request head must arrive
    /// within this, counted from when the server starts waiting for it.
    pub header_timeout: Duration,
    /// `HEARTH_BODY_TIMEOUT_SECS`: the longest wait for the next piece of a
    /// request body.
    pub body_timeout: Duration,
    /// `HEARTH_IDLE_TIMEOUT_SECS`: a connection on which no byte moves
    /// either way for this long is closed (after the request in flight, if
    /// any; longer than the chat turn's deadline, so a turn is not cut).
    pub idle_timeout: Duration,
    /// `HEARTH_MAX_CONNECTIONS`: open connections at once; one more is
    /// answered 503 `overloaded` and closed.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}

impl ServerLimits {
    /// The defaults, with each `HEARTH_*` variable that is set (seconds may
    /// have a fraction, e.g. `0.5`).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut limits = Self::default();
        let secs = |name: &str, into: &mut Duration| -> Result<(), ConfigError> {
            if let Some(v) = get(name).filter(|v| !v.trim().is_empty()) {
                *into = v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0)
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or_else(|| ConfigError::Invalid {
                        name: name.into(),
                        why: "expected a positive number of seconds".into(),
                    })?;
            }
            Ok(())
        };
        secs("HEARTH_HEADER_TIMEOUT_SECS", &mut limits.header_timeout)?;
        secs("HEARTH_BODY_TIMEOUT_SECS", &mut limits.body_timeout)?;
        secs("HEARTH_IDLE_TIMEOUT_SECS", &mut limits.idle_timeout)?;
        if let Some(v) = get("HEARTH_MAX_CONNECTIONS").filter(|v| !v.trim().is_empty()) {
            limits.max_connections = v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "HEARTH_MAX_CONNECTIONS".into(),
                    why: "expected a whole number above 0".into(),
                })?;
        }
        Ok(limits)
    }
}

/// What a connection past the cap is told before it is closed.
const OVERLOADED: &str = "{\"error\":{\"code\":\"overloaded\",\"message\":\"the server has too many open connections; try again shortly\"}}";

/// Serve `router` on `listener` under `limits` until `shutdown` completes,
/// then let each connection finish the request it is on.
pub async fn serve_listener(
    listener: TcpListener,
    router: axum::Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let service = tower::ServiceBuilder::new()
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
        .service(router);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopped) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, most likely: wait a moment
                    // rather than spin; the open connections time out.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(
                max = limits.max_connections,
                "connection refused: at the cap"
            );
            tokio::spawn(refuse(stream));
            continue;
        };
        let service = TowerToHyperService::new(service.clone());
        let (limits, mut stopped) = (limits.clone(), stopped.clone());
        connections.spawn(async move {
            let _slot = slot;
            let io = Watched::new(stream);
            let last = io.last_activity();
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(io), service);
            tokio::pin!(conn);
            let every = (limits.idle_timeout / 4).max(Duration::from_millis(10));
            let mut tick = tokio::time::interval(every);
            // Set once the connection is asked to close; past a second idle
            // period after that it is dropped, even mid-write.
            let mut closing_since: Option<Instant> = None;
            loop {
                tokio::select! {
                    done = conn.as_mut() => {
                        if let Err(e) = done {
                            tracing::debug!(error = %e, "connection ended");
                        }
                        return;
                    }
                    _ = tick.tick() => {
                        let idle = last.idle_for();
                        match closing_since {
                            None if idle >= limits.idle_timeout => {
                                conn.as_mut().graceful_shutdown();
                                closing_since = Some(Instant::now());
                            }
                            Some(since) if since.elapsed() >= limits.idle_timeout && idle >= limits.idle_timeout => return,
                            _ => {}
                        }
                    }
                    _ = stopped.changed(), if closing_since.is_none() => {
                        conn.as_mut().graceful_shutdown();
                        closing_since = Some(Instant::now());
                    }
                }
            }
        });
    }
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// Answer a connection past the cap with a 503 and close it, within a
/// second whatever the client does.
async fn refuse(mut stream: TcpStream) {
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{OVERLOADED}",
        OVERLOADED.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

/// When a connection last moved a byte, shared with its watchdog.
#[derive(Clone)]
struct LastActivity {
    start: Instant,
    at_ms: Arc<AtomicU64>,
}

impl LastActivity {
    fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.at_ms.store(ms, Ordering::Relaxed);
    }
    fn idle_for(&self) -> Duration {
        let now = self.start.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.at_ms.load(Ordering::Relaxed)))
    }
}

/// A TCP stream that notes each read and write that moves bytes.
struct Watched {
    stream: TcpStream,
    last: LastActivity,
}

impl Watched {
    fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            last: LastActivity {
                start: Instant::now(),
                at_ms: Arc::new(AtomicU64::new(0)),
            },
        }
    }
    fn last_activity(&self) -> LastActivity {
        self.last.clone()
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.last.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.last.touch();
        }
        polled
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn limits_have_defaults_and_read_the_environment() {
        assert_eq!(
            ServerLimits::from_env(|_| None).unwrap(),
            ServerLimits::default()
        );
        let env: HashMap<&str, &str> = [
            ("HEARTH_HEADER_TIMEOUT_SECS", "0.5"),
            ("HEARTH_MAX_CONNECTIONS", "7"),
        ]
        .into();
        let limits = ServerLimits::from_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(limits.header_timeout, Duration::from_millis(500));
        assert_eq!(limits.max_connections, 7);
        for bad in [
            ("HEARTH_IDLE_TIMEOUT_SECS", "0"),
            ("HEARTH_MAX_CONNECTIONS", "x"),
        ] {
            let err = ServerLimits::from_env(|k| (k == bad.0).then(|| bad.1.to_string()));
            assert!(err.is_err(), "{bad:?}");
        }
    }
}
