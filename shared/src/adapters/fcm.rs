//! Push over FCM HTTP v1. The OAuth2 access token comes from a Google
//! service account through the JWT-bearer grant (RFC 7523): an RS256 JWT
//! signed with the account's key is exchanged at its `token_uri`, and the
//! token is cached until a minute before it expires. A message goes out as
//! `POST {base}/v1/projects/{project_id}/messages:send`.
//!
//! - `UNREGISTERED` (HTTP 404, or 400 naming it): the device token is gone.
//! - 429 and 5xx: retried with jittered backoff, never sooner than
//!   `retry-after`.
//! - 401: the cached access token is dropped and the send tried once more.
//! - anything else fails, and the caller keeps the check-in stored.

use super::model_http::retry_after;
use crate::config::FcmServiceAccount;
use crate::ports::{Push, PushError, PushNotification, PushOutcome};
use async_trait::async_trait;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::Rng;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
const ATTEMPTS: u32 = 3;

pub struct FcmPush {
    http: reqwest::Client,
    send_url: String,
    client_email: String,
    token_uri: String,
    key: EncodingKey,
    token: tokio::sync::Mutex<Option<(String, Instant)>>,
    base_delay: Duration,
}

impl FcmPush {
    /// From the service account that configuration parsed. The private key
    /// stays in memory only.
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        sa: &FcmServiceAccount,
    ) -> Result<FcmPush, String> {
        let key = EncodingKey::from_rsa_pem(sa.private_key.expose().as_bytes())
            .map_err(|e| format!("the service account's private_key is not an RSA PEM key: {e}"))?;
        Ok(FcmPush {
            http,
            send_url: format!(
                "{}/v1/projects/{}/messages:send",
                base_url.trim_end_matches('/'),
                sa.project_id
            ),
            client_email: sa.client_email.clone(),
            token_uri: sa.token_uri.clone(),
            key,
            token: tokio::sync::Mutex::new(None),
            base_delay: Duration::from_millis(500),
        })
    }

    /// Shorter backoff (tests).
    pub fn with_base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// A cached access token, or a fresh one from the JWT-bearer grant.
    async fn access_token(&self) -> Result<String, PushError> {
        let mut cached = self.token.lock().await;
        if let Some((token, expires)) = cached.as_ref()
            && Instant::now() + Duration::from_secs(60) < *expires
        {
            return Ok(token.clone());
        }
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"iss": self.client_email, "scope": SCOPE, "aud": self.token_uri, "iat": now, "exp": now + 3600});
        let assertion = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map_err(|e| PushError::Failed(format!("could not sign the OAuth assertion: {e}")))?;
        let body = format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"
        );
        let resp = self
            .http
            .post(&self.token_uri)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| PushError::Retryable(format!("OAuth token endpoint: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            let err = format!("OAuth token endpoint answered HTTP {status}");
            return Err(if status.as_u16() == 429 || status.is_server_error() {
                PushError::Retryable(err)
            } else {
                PushError::Failed(err)
            });
        }
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
            #[serde(default = "hour")]
            expires_in: u64,
        }
        fn hour() -> u64 {
            3600
        }
        let t: Token = resp
            .json()
            .await
            .map_err(|e| PushError::Failed(format!("OAuth token endpoint: {e}")))?;
        *cached = Some((
            t.access_token.clone(),
            Instant::now() + Duration::from_secs(t.expires_in),
        ));
        Ok(t.access_token)
    }

    async fn attempt(
        &self,
        device_token: &str,
        note: &PushNotification,
    ) -> Result<PushOutcome, (PushError, Option<Duration>)> {
        let access = self.access_token().await.map_err(|e| (e, None))?;
        let body = json!({"message": {"token": device_token, "notification": {"title": note.title, "body": note.body}}});
        let resp = self
            .http
            .post(&self.send_url)
            .bearer_auth(access)
            .json(&body)
            .send()
            .await
            .map_err(|e| (PushError::Retryable(format!("FCM: {e}")), None))?;
        let status = resp.status();
        let wait = retry_after(resp.headers());
        let text = resp.text().await.unwrap_or_default();
        if status.is_success() {
            return Ok(PushOutcome::Delivered);
        }
        if text.contains("UNREGISTERED") || status.as_u16() == 404 {
            return Ok(PushOutcome::Unregistered);
        }
        if status.as_u16() == 401 {
            *self.token.lock().await = None;
            return Err((
                PushError::Retryable("FCM refused the access token".into()),
                None,
            ));
        }
        let err = format!("FCM answered HTTP {status}");
        if status.as_u16() == 429 || status.is_server_error() {
            Err((PushError::Retryable(err), wait))
        } else {
            Err((
                PushError::Failed(format!(
                    "{err}: {}",
                    text.chars().take(300).collect::<String>()
                )),
                None,
            ))
        }
    }
}

#[async_trait]
impl Push for FcmPush {
    async fn send(
        &self,
        device_token: &str,
        note: &PushNotification,
    ) -> Result<PushOutcome, PushError> {
        let mut tried = 0;
        loop {
            tried += 1;
            match self.attempt(device_token, note).await {
                Ok(outcome) => return Ok(outcome),
                Err((PushError::Retryable(e), wait)) if tried < ATTEMPTS => {
                    let cap = self.base_delay.saturating_mul(1 << tried).as_millis() as u64;
                    let backoff =
                        Duration::from_millis(rand::rng().random_range(cap / 2..=cap.max(1)));
                    let wait = wait.map_or(backoff, |w| w.max(backoff));
                    tracing::warn!(error = %e, attempt = tried, wait_ms = wait.as_millis() as u64, "push failed; retrying");
                    tokio::time::sleep(wait).await;
                }
                Err((e, _)) => return Err(e),
            }
        }
    }
}
