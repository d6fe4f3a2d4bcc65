//! What the two model clients share: the retry policy (jittered backoff that
//! honours `retry-after`, bounded by the turn's deadline) and the mapping of
//! HTTP failures to `ModelError`.

use crate::ports::ModelError;
use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// Timeouts and retries for one provider.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubled for each after it.
    pub base_delay: Duration,
    /// No single wait is longer, whatever `retry-after` says.
    pub max_delay: Duration,
    /// One HTTP attempt never takes longer than this.
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a random wait up to the exponential step.
    fn backoff(&self, attempt: u32) -> Duration {
        let step = self.base_delay.saturating_mul(1 << attempt.min(10));
        let cap = step.min(self.max_delay).as_millis() as u64;
        Duration::from_millis(rand::rng().random_range(cap / 2..=cap.max(1)))
    }

    /// Run `attempt` until it succeeds, fails for good, or the deadline would
    /// pass. Each attempt gets at most `attempt_timeout` and never more than
    /// what is left before `deadline`.
    pub async fn run<T, F, Fut>(
        &self,
        provider: &'static str,
        deadline: Instant,
        mut attempt: F,
    ) -> Result<T, ModelError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ModelError>>,
    {
        let mut tried = 0;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(ModelError::DeadlineExceeded);
            }
            let left = deadline - now;
            let budget = self.attempt_timeout.min(left);
            tried += 1;
            let err = match tokio::time::timeout(budget, attempt()).await {
                Ok(Ok(done)) => return Ok(done),
                Ok(Err(e)) => e,
                Err(_) if budget < self.attempt_timeout => {
                    return Err(ModelError::DeadlineExceeded);
                }
                Err(_) => ModelError::Timeout,
            };
            if !err.is_retryable() || tried >= self.max_attempts {
                return Err(err);
            }
            // Never retry sooner than the provider asked; if it asks for
            // longer than we may wait, give up now rather than hammer it.
            let wait = err.retry_after().unwrap_or_else(|| self.backoff(tried));
            if wait > self.max_delay || Instant::now() + wait >= deadline {
                tracing::warn!(provider, error = %err, wait_ms = wait.as_millis() as u64, "not retrying: the wait would pass the limit or the deadline");
                return Err(err);
            }
            tracing::warn!(provider, error = %err, attempt = tried, wait_ms = wait.as_millis() as u64, "model call failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }
}

/// `retry-after` in seconds (integer or decimal), or OpenAI's `retry-after-ms`.
/// Send one JSON request to a model provider: the body of a 2xx, or the
/// error the retry policy acts on. Both model clients post through here.
pub async fn send_json(request: reqwest::RequestBuilder) -> Result<Vec<u8>, ModelError> {
    let resp = request.send().await.map_err(transport)?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.map_err(transport)?;
    if !status.is_success() {
        return Err(classify(status, &headers, error_message(&bytes)));
    }
    Ok(bytes.to_vec())
}

pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let read = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    if let Some(ms) = read("retry-after-ms").filter(|v| v.is_finite() && *v >= 0.0) {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    read("retry-after")
        .filter(|v| v.is_finite() && *v >= 0.0 && *v < 86_400.0)
        .map(Duration::from_secs_f64)
}

/// Map a non-success response to the error the policy acts on. `message` is
/// the provider's own error message when its body had one.
pub fn classify(status: StatusCode, headers: &HeaderMap, message: String) -> ModelError {
    let retry_after = retry_after(headers);
    match status.as_u16() {
        429 => ModelError::RateLimited { retry_after },
        529 => ModelError::Overloaded { retry_after },
        408 => ModelError::Timeout,
        s @ 500..=599 => ModelError::Server {
            status: s,
            retry_after,
        },
        s => ModelError::Rejected { status: s, message },
    }
}

/// Map a transport-level failure.
pub fn transport(e: reqwest::Error) -> ModelError {
    if e.is_timeout() {
        ModelError::Timeout
    } else if e.is_decode() {
        ModelError::InvalidResponse(e.to_string())
    } else {
        ModelError::Transport(e.without_url().to_string())
    }
}

/// Pull `error.message` out of an error body in either provider's shape
/// (`{"type":"error","error":{"type":..,"message":..}}` or
/// `{"error":{"message":..,"type":..}}`), without echoing unknown bodies.
pub fn error_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(|m| m.as_str())
                .map(|m| m.chars().take(300).collect())
        })
        .unwrap_or_else(|| "no error message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::completion::Completion;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_milliseconds() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn only_429_529_and_5xx_are_retryable() {
        let h = HeaderMap::new();
        let c = |s: u16| classify(StatusCode::from_u16(s).unwrap(), &h, String::new());
        assert!(c(429).is_retryable());
        assert!(c(529).is_retryable());
        assert!(c(503).is_retryable());
        assert!(!c(400).is_retryable());
        assert!(!c(401).is_retryable());
        assert!(!c(404).is_retryable());
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_waited_out_before_the_next_attempt() {
        let policy = RetryPolicy::default();
        let calls = std::sync::atomic::AtomicU32::new(0);
        let started = Instant::now();
        let deadline = started + Duration::from_secs(25);
        let result = policy
            .run("test", deadline, || async {
                if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    Err(ModelError::RateLimited {
                        retry_after: Some(Duration::from_secs(4)),
                    })
                } else {
                    Ok(Completion {
                        content: "ok".into(),
                        model: "m".into(),
                        usage: Default::default(),
                        finish: crate::domain::completion::FinishReason::Stop,
                    })
                }
            })
            .await;
        assert!(result.is_ok());
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
        // Virtual time: exactly the wait the provider asked for, no less.
        assert!(started.elapsed() >= Duration::from_secs(4));
    }

    #[test]
    fn backoff_stays_within_its_cap() {
        let p = RetryPolicy::default();
        for attempt in 1..8 {
            assert!(p.backoff(attempt) <= p.max_delay);
        }
    }
}
