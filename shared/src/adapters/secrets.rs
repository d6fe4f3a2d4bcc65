//! Secrets read once at start from Secrets Manager, through the AWS
//! Parameters and Secrets Lambda extension (a layer in template.yaml): a GET
//! on `localhost:2773/secretsmanager/get?secretId=...` with the function's
//! session token in `X-Aws-Parameters-Secrets-Token`. No SDK client is
//! needed, and no secret is a plaintext environment variable.
//!
//! Each secret-bearing variable (`HEARTH_JWT_SECRET`, ...) may instead name
//! its secret in a second variable (`HEARTH_JWT_SECRET_ID`, a name or an
//! ARN). A function is given
//! only the ids of the secrets it uses. Without an id the plain variable is
//! read as before, which is how `hearth serve` and the tests run.

use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;

/// The variables that carry a secret, each with the variable that may name
/// its secret instead.
pub const SECRET_VARIABLES: [(&str, &str); 4] = [
    ("HEARTH_JWT_SECRET", "HEARTH_JWT_SECRET_ID"),
    ("ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY_SECRET_ID"),
    ("OPENAI_API_KEY", "OPENAI_API_KEY_SECRET_ID"),
    (
        "HEARTH_FCM_SERVICE_ACCOUNT",
        "HEARTH_FCM_SERVICE_ACCOUNT_SECRET_ID",
    ),
];

/// The extension's default port (`PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`).
pub const DEFAULT_PORT: u16 = 2773;

/// Attempts at one secret: the extension may still be starting when the
/// function's init begins.
const ATTEMPTS: u32 = 3;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error(
        "{var}: {id} is set but the Parameters and Secrets extension is not (no AWS_SESSION_TOKEN)"
    )]
    NoExtension { var: String, id: String },
    #[error("{var}: secret {id} could not be read: {why}")]
    Unreadable {
        var: String,
        id: String,
        why: String,
    },
    #[error("{var}: secret {id} has no string value")]
    NotAString { var: String, id: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetSecretValue {
    secret_string: Option<String>,
}

/// A client of the extension's local HTTP endpoint.
pub struct SecretsExtension {
    base_url: String,
    token: String,
    http: reqwest::Client,
}

impl SecretsExtension {
    pub fn new(
        base_url: impl Into<String>,
        token: impl Into<String>,
        http: reqwest::Client,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            token: token.into(),
            http,
        }
    }

    /// The extension as Lambda runs it: its port from
    /// `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`, the token from
    /// `AWS_SESSION_TOKEN`. None outside Lambda.
    pub fn from_env(var: impl Fn(&str) -> Option<String>, http: reqwest::Client) -> Option<Self> {
        let token = var("AWS_SESSION_TOKEN").filter(|t| !t.is_empty())?;
        let port = var("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(DEFAULT_PORT);
        Some(Self::new(format!("http://localhost:{port}"), token, http))
    }

    /// The secret's string value. `var` names the variable it is for, in
    /// errors (which never include the value).
    pub async fn secret_string(&self, var: &str, id: &str) -> Result<String, SecretError> {
        let url = format!(
            "{}/secretsmanager/get?secretId={}",
            self.base_url,
            percent_encode(id)
        );
        let unreadable = |why: String| SecretError::Unreadable {
            var: var.into(),
            id: id.into(),
            why,
        };
        let mut attempt = 0;
        let response = loop {
            attempt += 1;
            let sent = self
                .http
                .get(&url)
                .header("X-Aws-Parameters-Secrets-Token", &self.token)
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => break r,
                // Not ready yet, or Secrets Manager briefly unavailable.
                Ok(r)
                    if (r.status().is_server_error() || r.status() == 400)
                        && attempt < ATTEMPTS => {}
                Ok(r) => return Err(unreadable(format!("the extension answered {}", r.status()))),
                Err(e) if e.is_connect() && attempt < ATTEMPTS => {}
                Err(e) => return Err(unreadable(e.to_string())),
            }
            tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
        };
        let body: GetSecretValue = response
            .json()
            .await
            .map_err(|e| unreadable(format!("not a GetSecretValue answer: {e}")))?;
        body.secret_string.ok_or_else(|| SecretError::NotAString {
            var: var.into(),
            id: id.into(),
        })
    }
}

/// The value of each secret variable whose id variable is set, read
/// through `extension`. Variables without an id are left to the plain
/// environment.
pub async fn resolve(
    var: impl Fn(&str) -> Option<String>,
    extension: Option<&SecretsExtension>,
) -> Result<HashMap<String, String>, SecretError> {
    let mut out = HashMap::new();
    for (name, id_var) in SECRET_VARIABLES {
        let Some(id) = var(id_var).filter(|id| !id.trim().is_empty()) else {
            continue;
        };
        let id = id.trim();
        let Some(extension) = extension else {
            return Err(SecretError::NoExtension {
                var: name.into(),
                id: id.into(),
            });
        };
        out.insert(name.to_string(), extension.secret_string(name, id).await?);
    }
    Ok(out)
}

/// A query value, percent-encoded (secret names may hold `/`, `+`, `=`,
/// `@`; ARNs hold `:`).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::get;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Fake {
        calls: AtomicUsize,
        /// Answer 400 (the extension not ready yet) to this many calls first.
        not_ready: usize,
    }

    async fn serve(fake: Arc<Fake>) -> String {
        async fn handler(
            State(fake): State<Arc<Fake>>,
            headers: HeaderMap,
            Query(q): Query<HashMap<String, String>>,
        ) -> Result<axum::Json<serde_json::Value>, StatusCode> {
            let n = fake.calls.fetch_add(1, Ordering::SeqCst);
            if n < fake.not_ready {
                return Err(StatusCode::BAD_REQUEST);
            }
            if headers
                .get("x-aws-parameters-secrets-token")
                .map(|v| v.as_bytes())
                != Some(b"tok")
            {
                return Err(StatusCode::FORBIDDEN);
            }
            let secrets = HashMap::from([
                ("hearth/jwt-secret", "jwt-value"),
                (
                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hearth/a+b=c@d",
                    "arn-value",
                ),
            ]);
            match q.get("secretId").and_then(|id| secrets.get(id.as_str())) {
                Some(v) => Ok(axum::Json(
                    serde_json::json!({"Name": q["secretId"], "SecretString": v, "VersionId": "1"}),
                )),
                None if q.get("secretId").map(String::as_str) == Some("binary") => Ok(axum::Json(
                    serde_json::json!({"Name": "binary", "SecretBinary": "AAEC"}),
                )),
                None => Err(StatusCode::NOT_FOUND),
            }
        }
        let app = axum::Router::new()
            .route("/secretsmanager/get", get(handler))
            .with_state(fake);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[tokio::test]
    async fn each_secret_id_is_read_through_the_extension_with_the_session_token() {
        let fake = Arc::new(Fake::default());
        let ext = SecretsExtension::new(serve(fake.clone()).await, "tok", reqwest::Client::new());
        let got = resolve(
            env(&[
                ("HEARTH_JWT_SECRET_ID", "hearth/jwt-secret"),
                (
                    "OPENAI_API_KEY_SECRET_ID",
                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hearth/a+b=c@d",
                ),
                // A plain variable without an id is the environment's.
                ("ANTHROPIC_API_KEY", "plain"),
            ]),
            Some(&ext),
        )
        .await
        .unwrap();
        assert_eq!(
            got,
            HashMap::from([
                ("HEARTH_JWT_SECRET".to_string(), "jwt-value".to_string()),
                ("OPENAI_API_KEY".to_string(), "arn-value".to_string()),
            ])
        );
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_wrong_token_a_missing_secret_or_a_binary_one_fails_naming_the_variable() {
        let base = serve(Arc::new(Fake::default())).await;
        let wrong = SecretsExtension::new(base.clone(), "nope", reqwest::Client::new());
        let err = wrong
            .secret_string("HEARTH_JWT_SECRET", "hearth/jwt-secret")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, SecretError::Unreadable { why, .. } if why.contains("403")),
            "{err}"
        );
        let ext = SecretsExtension::new(base, "tok", reqwest::Client::new());
        let err = ext
            .secret_string("OPENAI_API_KEY", "absent")
            .await
            .unwrap_err();
        assert!(
            err.to_string().starts_with("OPENAI_API_KEY: secret absent"),
            "{err}"
        );
        assert_eq!(
            ext.secret_string("HEARTH_FCM_SERVICE_ACCOUNT", "binary")
                .await,
            Err(SecretError::NotAString {
                var: "HEARTH_FCM_SERVICE_ACCOUNT".into(),
                id: "binary".into()
            })
        );
    }

    #[tokio::test]
    async fn an_extension_not_ready_yet_is_asked_again() {
        let fake = Arc::new(Fake {
            not_ready: 2,
            ..Fake::default()
        });
        let ext = SecretsExtension::new(serve(fake.clone()).await, "tok", reqwest::Client::new());
        assert_eq!(
            ext.secret_string("HEARTH_JWT_SECRET", "hearth/jwt-secret")
                .await
                .unwrap(),
            "jwt-value"
        );
        assert_eq!(fake.calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_id_without_the_extension_is_an_error_and_no_id_reads_nothing() {
        let err = resolve(env(&[("HEARTH_JWT_SECRET_ID", "x")]), None)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            SecretError::NoExtension {
                var: "HEARTH_JWT_SECRET".into(),
                id: "x".into()
            }
        );
        assert!(
            resolve(env(&[("HEARTH_JWT_SECRET", "s")]), None)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_extension_is_found_from_lambdas_environment() {
        let http = reqwest::Client::new();
        assert!(SecretsExtension::from_env(env(&[]), http.clone()).is_none());
        let ext = SecretsExtension::from_env(
            env(&[
                ("AWS_SESSION_TOKEN", "t"),
                ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "2999"),
            ]),
            http,
        )
        .unwrap();
        assert_eq!(ext.base_url, "http://localhost:2999");
        assert_eq!(ext.token, "t");
    }
}
