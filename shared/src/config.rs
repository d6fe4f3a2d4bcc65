//! Typed configuration, read once from the environment and validated at
//! start. A missing required variable stops the process with one line naming
//! it. Role resolution follows DESIGN.md's "Models" section exactly.

use crate::domain::route::ModelRole;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

pub const DEFAULT_ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.together.xyz/v1";
pub const DEFAULT_ANTHROPIC_MODEL: &str = "claude-haiku-4-5";
pub const DEFAULT_OPENAI_MODEL: &str = "meta-llama/Llama-3.3-70B-Instruct-Turbo";
pub const DEFAULT_AUDIENCE: &str = "authenticated";
pub const DEFAULT_TURN_DEADLINE: Duration = Duration::from_secs(25);
/// FCM HTTP v1's base URL (`HEARTH_FCM_BASE_URL` overrides it in tests).
pub const DEFAULT_FCM_BASE_URL: &str = "https://fcm.googleapis.com";
/// The local JWT secret's file name inside the data dir.
pub const LOCAL_SECRET_FILE: &str = "jwt-secret";
/// Where `scripts/setup-encoder` puts the encoder's files, relative to the
/// working directory.
pub const DEFAULT_ENCODER_DIR: &str = "./.models/all-minilm-l6-v2";
/// Where the crisis classifier's weights are committed, relative to the
/// working directory (the repository's root).
pub const DEFAULT_CLASSIFIER_DIR: &str = "data/safety/classifier";

/// `HEARTH_SCREEN_MODEL`: whether the crisis screen's learned layer must
/// load at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScreenModel {
    /// Without its files the process starts with one warning and screens
    /// on the explicit cues (and the chat model's mark) alone.
    #[default]
    Optional,
    /// Without its files the process does not start (the Lambdas).
    Required,
}

/// A value that must never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The fields of a Google service-account key that FCM push uses, parsed
/// and checked once at start. The private key stays a `Secret`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FcmServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub private_key: Secret,
    pub token_uri: String,
}

impl FcmServiceAccount {
    /// From the service-account JSON; the private key must be an RSA PEM key.
    pub fn from_json(json: &str) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        struct Raw {
            project_id: String,
            client_email: String,
            private_key: String,
            #[serde(default = "default_token_uri")]
            token_uri: String,
        }
        fn default_token_uri() -> String {
            "https://oauth2.googleapis.com/token".into()
        }
        let raw: Raw = serde_json::from_str(json)
            .map_err(|e| format!("not a service-account JSON key: {e}"))?;
        jsonwebtoken::EncodingKey::from_rsa_pem(raw.private_key.as_bytes())
            .map_err(|e| format!("the service account's private_key is not an RSA PEM key: {e}"))?;
        Ok(Self {
            project_id: raw.project_id,
            client_email: raw.client_email,
            private_key: Secret::new(raw.private_key),
            token_uri: raw.token_uri,
        })
    }
}

/// The AWS resources the Lambdas and `--backend aws` use:
/// `HEARTH_TABLE`, `HEARTH_QUEUE_URL`, `HEARTH_EVENT_BUS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResources {
    pub table: String,
    pub queue_url: String,
    pub event_bus: String,
}

impl AwsResources {
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        Ok(Self {
            table: get("HEARTH_TABLE")?,
            queue_url: get("HEARTH_QUEUE_URL")?,
            event_bus: get("HEARTH_EVENT_BUS")?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Anthropic,
    OpenAi,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::OpenAi => "openai",
        }
    }

    fn default_model(self) -> &'static str {
        match self {
            Provider::Anthropic => DEFAULT_ANTHROPIC_MODEL,
            Provider::OpenAi => DEFAULT_OPENAI_MODEL,
        }
    }

    fn default_for(role: ModelRole) -> Provider {
        match role {
            ModelRole::Chat | ModelRole::Checkin => Provider::Anthropic,
            ModelRole::Deep => Provider::OpenAi,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnthropicSettings {
    pub api_key: Secret,
    pub base_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAiSettings {
    pub api_key: Option<Secret>,
    pub base_url: String,
}

/// Which provider and model serve a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleBinding {
    pub provider: Provider,
    pub model: String,
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub hs256_secret: Option<Secret>,
    pub jwks_url: Option<String>,
    pub audience: String,
    pub issuer: Option<String>,
    /// An unknown `kid` triggers a JWKS refetch at most this often.
    pub jwks_refetch_cooldown: Duration,
    /// How long a fetched JWKS is trusted before it is fetched again.
    pub jwks_ttl: Duration,
    /// `HEARTH_AGE_CLAIM`: the token claim whose value (`minor`, `adult`
    /// or `unknown`) sets the person's age band and wins over settings.
    /// Default `age_band`.
    pub age_claim: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub auth: AuthConfig,
    pub anthropic: Option<AnthropicSettings>,
    pub openai: Option<OpenAiSettings>,
    /// Empty when no provider is configured.
    pub roles: HashMap<ModelRole, RoleBinding>,
    pub turn_deadline: Duration,
    /// Whose crisis resources a crisis reply carries, e.g. `en-US`.
    pub crisis_locale: String,
    /// A session idle this long with unread messages is extracted anyway.
    pub extract_idle: Duration,
    /// Deliveries before a job is dead-lettered.
    pub job_max_receives: u32,
    /// `HEARTH_EMBED_MODEL`: the OpenAI-compatible `/embeddings` model that
    /// switches on semantic retrieval. Off when unset.
    pub embed_model: Option<String>,
    /// The memory a process may spend on warm retrieval indexes, in MiB.
    pub index_cache_mb: usize,
    /// `HEARTH_ENCODER_DIR`: the in-process sentence encoder's files
    /// (all-MiniLM-L6-v2's `config.json`, `tokenizer.json`,
    /// `model.safetensors`), as `scripts/setup-encoder` lays them out.
    /// Default [`DEFAULT_ENCODER_DIR`].
    pub encoder_dir: std::path::PathBuf,
    /// `HEARTH_CLASSIFIER_DIR`: the crisis classifier's fine-tuned layers
    /// and thresholds (`model.safetensors`, `metadata.json`), as
    /// `cargo run -p hearth --bin train-screen` writes them. Default
    /// [`DEFAULT_CLASSIFIER_DIR`].
    pub classifier_dir: std::path::PathBuf,
    /// `HEARTH_SCREEN_MODEL`: `required` or `optional` (the default).
    pub screen_model: ScreenModel,
    /// `HEARTH_FCM_SERVICE_ACCOUNT`: the service-account JSON (or a path to
    /// it) for FCM push. Without it check-ins are stored and listed only.
    pub fcm_service_account: Option<FcmServiceAccount>,
    pub fcm_base_url: String,
    /// When the AI disclosure and the minors' notices are shown:
    /// `HEARTH_INTERACTION_IDLE_MINUTES` (default 30),
    /// `HEARTH_AI_DISCLOSURE_TEXT` (default: the built-in text in the
    /// person's language), `HEARTH_UNKNOWN_AGE_AS_MINOR` (default false).
    pub notices: crate::domain::notices::NoticePolicy,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{name} is invalid: {why}")]
    Invalid { name: String, why: String },
    #[error("{0}")]
    Io(String),
}

/// Where the process runs, which decides where the JWT secret may come from.
pub enum Mode<'a> {
    /// In Lambda: `HEARTH_JWT_SECRET` or `HEARTH_JWKS_URL` is required.
    Lambda,
    /// On a laptop: without either, a secret is generated once in the data dir.
    Local { data_dir: &'a Path },
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl Config {
    /// Read the configuration through `var` (normally `std::env::var`).
    pub fn from_env(
        var: impl Fn(&str) -> Option<String>,
        mode: Mode<'_>,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str| non_empty(var(name));

        let anthropic = get("ANTHROPIC_API_KEY").map(|key| AnthropicSettings {
            api_key: Secret::new(key),
            base_url: get("ANTHROPIC_BASE_URL")
                .unwrap_or_else(|| DEFAULT_ANTHROPIC_BASE_URL.into()),
        });
        let openai_key = get("OPENAI_API_KEY");
        let openai_base = get("OPENAI_BASE_URL");
        let openai = (openai_key.is_some() || openai_base.is_some()).then(|| OpenAiSettings {
            api_key: openai_key.map(Secret::new),
            base_url: openai_base.unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.into()),
        });

        let mut roles = HashMap::new();
        for role in ModelRole::ALL {
            let explicit = match get(&format!("{}_PROVIDER", role.env_prefix())) {
                None => None,
                Some(p) => Some(match p.to_ascii_lowercase().as_str() {
                    "anthropic" => Provider::Anthropic,
                    "openai" => Provider::OpenAi,
                    _ => {
                        return Err(ConfigError::Invalid {
                            name: format!("{}_PROVIDER", role.env_prefix()),
                            why: format!("'{p}' is not 'anthropic' or 'openai'"),
                        });
                    }
                }),
            };
            let model = get(&format!("{}_MODEL", role.env_prefix()));
            if let Some(binding) =
                resolve_role(role, explicit, model, anthropic.is_some(), openai.is_some())?
            {
                roles.insert(role, binding);
            }
        }

        let jwks_url = get("HEARTH_JWKS_URL");
        let hs256_secret = match (get("HEARTH_JWT_SECRET"), &mode) {
            (Some(s), _) => Some(Secret::new(s)),
            (None, Mode::Lambda) if jwks_url.is_none() => {
                return Err(ConfigError::Missing(
                    "HEARTH_JWT_SECRET (or HEARTH_JWKS_URL)",
                ));
            }
            (None, Mode::Lambda) => None,
            (None, Mode::Local { data_dir }) => Some(local_secret(data_dir)?),
        };

        let turn_deadline = match get("HEARTH_TURN_DEADLINE_SECS") {
            None => DEFAULT_TURN_DEADLINE,
            Some(v) => match v.parse::<u64>() {
                Ok(s) if (1..=300).contains(&s) => Duration::from_secs(s),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "HEARTH_TURN_DEADLINE_SECS".into(),
                        why: "expected whole seconds between 1 and 300".into(),
                    });
                }
            },
        };

        let crisis_locale = get("HEARTH_CRISIS_LOCALE").unwrap_or_else(|| "en-US".into());
        if !crate::domain::crisis_resources::is_known(&crisis_locale) {
            return Err(ConfigError::Invalid {
                name: "HEARTH_CRISIS_LOCALE".into(),
                why: format!(
                    "no crisis resources for '{crisis_locale}' (known: {})",
                    crate::domain::crisis_resources::TABLE
                        .iter()
                        .map(|r| r.locale)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }

        let number = |name: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(n),
                    _ => Err(ConfigError::Invalid {
                        name: name.into(),
                        why: format!("expected a whole number from 1 to {max}"),
                    }),
                },
            }
        };
        let extract_idle =
            Duration::from_secs(60 * number("HEARTH_EXTRACT_IDLE_MINUTES", 30, 24 * 60)?);
        let job_max_receives = number("HEARTH_JOB_MAX_RECEIVES", 5, 100)? as u32;
        let index_cache_mb = number("HEARTH_INDEX_CACHE_MB", 64, 1_000_000)? as usize;
        let fcm_service_account = match get("HEARTH_FCM_SERVICE_ACCOUNT") {
            None => None,
            Some(v) => {
                let json = if v.starts_with('{') {
                    v
                } else {
                    std::fs::read_to_string(&v).map_err(|e| ConfigError::Invalid {
                        name: "HEARTH_FCM_SERVICE_ACCOUNT".into(),
                        why: format!("not JSON, and not a readable file: {e}"),
                    })?
                };
                Some(
                    FcmServiceAccount::from_json(&json).map_err(|why| ConfigError::Invalid {
                        name: "HEARTH_FCM_SERVICE_ACCOUNT".into(),
                        why,
                    })?,
                )
            }
        };
        let fcm_base_url =
            get("HEARTH_FCM_BASE_URL").unwrap_or_else(|| DEFAULT_FCM_BASE_URL.into());
        let embed_model = get("HEARTH_EMBED_MODEL");
        if embed_model.is_some() && openai.is_none() {
            return Err(ConfigError::Invalid {
                name: "HEARTH_EMBED_MODEL".into(),
                why: "the /embeddings endpoint is OpenAI-compatible: set OPENAI_BASE_URL (or OPENAI_API_KEY) too".into(),
            });
        }

        let encoder_dir = get("HEARTH_ENCODER_DIR")
            .unwrap_or_else(|| DEFAULT_ENCODER_DIR.into())
            .into();
        let classifier_dir = get("HEARTH_CLASSIFIER_DIR")
            .unwrap_or_else(|| DEFAULT_CLASSIFIER_DIR.into())
            .into();
        let screen_model = match get("HEARTH_SCREEN_MODEL").map(|v| v.to_ascii_lowercase()) {
            None => ScreenModel::default(),
            Some(v) if v == "optional" => ScreenModel::Optional,
            Some(v) if v == "required" => ScreenModel::Required,
            Some(v) => {
                return Err(ConfigError::Invalid {
                    name: "HEARTH_SCREEN_MODEL".into(),
                    why: format!("'{v}' is not 'required' or 'optional'"),
                });
            }
        };
        let unknown_as_minor = match get("HEARTH_UNKNOWN_AGE_AS_MINOR")
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(v) => {
                return Err(ConfigError::Invalid {
                    name: "HEARTH_UNKNOWN_AGE_AS_MINOR".into(),
                    why: format!("'{v}' is not true or false"),
                });
            }
        };
        let notices = crate::domain::notices::NoticePolicy {
            idle_gap: chrono::Duration::minutes(number(
                "HEARTH_INTERACTION_IDLE_MINUTES",
                30,
                24 * 60,
            )? as i64),
            disclosure_text: get("HEARTH_AI_DISCLOSURE_TEXT"),
            unknown_as_minor,
            ..Default::default()
        };
        Ok(Config {
            auth: AuthConfig {
                hs256_secret,
                jwks_url,
                audience: get("HEARTH_JWT_AUDIENCE").unwrap_or_else(|| DEFAULT_AUDIENCE.into()),
                issuer: get("HEARTH_JWT_ISSUER"),
                jwks_refetch_cooldown: Duration::from_secs(30),
                jwks_ttl: Duration::from_secs(3600),
                age_claim: get("HEARTH_AGE_CLAIM").unwrap_or_else(|| "age_band".into()),
            },
            anthropic,
            openai,
            roles,
            turn_deadline,
            crisis_locale,
            extract_idle,
            job_max_receives,
            embed_model,
            index_cache_mb,
            encoder_dir,
            classifier_dir,
            screen_model,
            fcm_service_account,
            fcm_base_url,
            notices,
        })
    }

    /// With no provider configured, serve every role from the bundled local
    /// model server (an OpenAI-compatible endpoint on 127.0.0.1).
    /// `HEARTH_<ROLE>_MODEL` is ignored here: the local server has one model.
    pub fn use_local_model(&mut self, base_url: &str, model: &str) {
        self.openai = Some(OpenAiSettings {
            api_key: None,
            base_url: base_url.to_string(),
        });
        self.roles = ModelRole::ALL
            .into_iter()
            .map(|role| {
                (
                    role,
                    RoleBinding {
                        provider: Provider::OpenAi,
                        model: model.to_string(),
                    },
                )
            })
            .collect();
    }

    /// True when no cloud key and no `OPENAI_BASE_URL` is set: the case in
    /// which the bundled local model serves every role.
    pub fn wants_local_model(&self) -> bool {
        self.roles.is_empty()
    }

    /// One line for a person who has configured no model provider.
    pub fn no_provider_hint() -> &'static str {
        "no model provider is configured: set ANTHROPIC_API_KEY, or OPENAI_API_KEY / OPENAI_BASE_URL \
         (any OpenAI-compatible server, e.g. a local llama.cpp server)"
    }
}

/// DESIGN.md's rule for one role. `Ok(None)` when no provider is configured.
pub fn resolve_role(
    role: ModelRole,
    explicit: Option<Provider>,
    model: Option<String>,
    anthropic: bool,
    openai: bool,
) -> Result<Option<RoleBinding>, ConfigError> {
    let configured = |p: Provider| match p {
        Provider::Anthropic => anthropic,
        Provider::OpenAi => openai,
    };
    let provider = match explicit {
        Some(p) if configured(p) => p,
        Some(p) => {
            return Err(ConfigError::Invalid {
                name: format!("{}_PROVIDER", role.env_prefix()),
                why: format!(
                    "{} is not configured (set {})",
                    p.as_str(),
                    match p {
                        Provider::Anthropic => "ANTHROPIC_API_KEY",
                        Provider::OpenAi => "OPENAI_API_KEY or OPENAI_BASE_URL",
                    }
                ),
            });
        }
        None => {
            let preferred = Provider::default_for(role);
            let other = match preferred {
                Provider::Anthropic => Provider::OpenAi,
                Provider::OpenAi => Provider::Anthropic,
            };
            if configured(preferred) {
                preferred
            } else if configured(other) {
                other
            } else {
                return Ok(None);
            }
        }
    };
    Ok(Some(RoleBinding {
        provider,
        model: model.unwrap_or_else(|| provider.default_model().to_string()),
    }))
}

/// Read the local JWT secret, creating it (owner-only) on first use.
pub fn local_secret(data_dir: &Path) -> Result<Secret, ConfigError> {
    use rand::RngCore;
    let path = data_dir.join(LOCAL_SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(s) if !s.trim().is_empty() => return Ok(Secret::new(s.trim())),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(ConfigError::Io(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    }
    create_private_dir(data_dir)
        .map_err(|e| ConfigError::Io(format!("cannot create {}: {e}", data_dir.display())))?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, &secret)
        .map_err(|e| ConfigError::Io(format!("cannot write {}: {e}", path.display())))?;
    Ok(Secret::new(secret))
}

/// Create `dir` (and its parents) if need be, and make it the owner's
/// alone (0700): the data dir holds people's conversations and the secret.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        // A dir made by an older version, or by hand, is tightened too.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    builder.create(dir)
}

/// Make `path` readable and writable by its owner only (0600).
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(mut f) => {
            f.write_all(contents.as_bytes())?;
            f.sync_all()
        }
        // Another process created it first; theirs wins.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn lambda_mode_requires_a_jwt_secret_or_jwks() {
        let err = Config::from_env(env(&[]), Mode::Lambda).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Missing("HEARTH_JWT_SECRET (or HEARTH_JWKS_URL)")
        );
        assert!(Config::from_env(env(&[("HEARTH_JWKS_URL", "http://x")]), Mode::Lambda).is_ok());
    }

    #[test]
    fn roles_use_their_default_provider_when_configured() {
        let c = Config::from_env(
            env(&[
                ("HEARTH_JWT_SECRET", "s"),
                ("ANTHROPIC_API_KEY", "k"),
                ("OPENAI_API_KEY", "o"),
            ]),
            Mode::Lambda,
        )
        .unwrap();
        assert_eq!(c.roles[&ModelRole::Chat].provider, Provider::Anthropic);
        assert_eq!(c.roles[&ModelRole::Chat].model, "claude-haiku-4-5");
        assert_eq!(c.roles[&ModelRole::Deep].provider, Provider::OpenAi);
        assert_eq!(c.roles[&ModelRole::Deep].model, DEFAULT_OPENAI_MODEL);
    }

    #[test]
    fn a_role_falls_to_the_other_configured_provider() {
        let c = Config::from_env(
            env(&[
                ("HEARTH_JWT_SECRET", "s"),
                ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
                ("HEARTH_CHAT_MODEL", "tiny"),
            ]),
            Mode::Lambda,
        )
        .unwrap();
        assert_eq!(
            c.roles[&ModelRole::Chat],
            RoleBinding {
                provider: Provider::OpenAi,
                model: "tiny".into()
            }
        );
        assert_eq!(c.roles[&ModelRole::Checkin].model, DEFAULT_OPENAI_MODEL);
    }

    #[test]
    fn explicit_provider_wins_and_must_be_configured() {
        let c = Config::from_env(
            env(&[
                ("HEARTH_JWT_SECRET", "s"),
                ("ANTHROPIC_API_KEY", "k"),
                ("OPENAI_API_KEY", "o"),
                ("HEARTH_DEEP_PROVIDER", "anthropic"),
            ]),
            Mode::Lambda,
        )
        .unwrap();
        assert_eq!(c.roles[&ModelRole::Deep].provider, Provider::Anthropic);
        let err = Config::from_env(
            env(&[
                ("HEARTH_JWT_SECRET", "s"),
                ("HEARTH_CHAT_PROVIDER", "openai"),
            ]),
            Mode::Lambda,
        )
        .unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { .. }));
    }

    #[test]
    fn no_provider_means_no_roles() {
        let c = Config::from_env(env(&[("HEARTH_JWT_SECRET", "s")]), Mode::Lambda).unwrap();
        assert!(c.roles.is_empty());
    }

    #[test]
    fn the_local_model_serves_every_role_only_when_nothing_is_configured() {
        let mut c = Config::from_env(env(&[("HEARTH_JWT_SECRET", "s")]), Mode::Lambda).unwrap();
        assert!(c.wants_local_model());
        c.use_local_model("http://127.0.0.1:5555/v1", "smollm2");
        for role in ModelRole::ALL {
            assert_eq!(
                c.roles[&role],
                RoleBinding {
                    provider: Provider::OpenAi,
                    model: "smollm2".into()
                }
            );
        }
        assert_eq!(
            c.openai.as_ref().unwrap().base_url,
            "http://127.0.0.1:5555/v1"
        );
        let explicit = Config::from_env(
            env(&[
                ("HEARTH_JWT_SECRET", "s"),
                ("OPENAI_BASE_URL", "http://127.0.0.1:1/v1"),
            ]),
            Mode::Lambda,
        )
        .unwrap();
        assert!(
            !explicit.wants_local_model(),
            "an explicit OPENAI_BASE_URL is used as given"
        );
    }

    #[test]
    fn local_secret_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = local_secret(dir.path()).unwrap();
        let b = local_secret(dir.path()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.expose().len(), 64);
        assert_eq!(format!("{a:?}"), "Secret([redacted])");
    }

    #[test]
    fn the_encoder_dir_is_the_setup_scripts_unless_set() {
        let secret = ("HEARTH_JWT_SECRET", "s");
        let default = Config::from_env(env(&[secret]), Mode::Lambda).unwrap();
        assert_eq!(default.encoder_dir, Path::new(DEFAULT_ENCODER_DIR));
        let set = Config::from_env(
            env(&[secret, ("HEARTH_ENCODER_DIR", "/opt/encoder")]),
            Mode::Lambda,
        )
        .unwrap();
        assert_eq!(set.encoder_dir, Path::new("/opt/encoder"));
    }

    #[test]
    fn the_classifier_dir_is_the_committed_one_unless_set() {
        let secret = ("HEARTH_JWT_SECRET", "s");
        let default = Config::from_env(env(&[secret]), Mode::Lambda).unwrap();
        assert_eq!(default.classifier_dir, Path::new(DEFAULT_CLASSIFIER_DIR));
        let set = Config::from_env(
            env(&[
                secret,
                ("HEARTH_CLASSIFIER_DIR", "/opt/encoder/crisis-classifier"),
            ]),
            Mode::Lambda,
        )
        .unwrap();
        assert_eq!(
            set.classifier_dir,
            Path::new("/opt/encoder/crisis-classifier")
        );
    }

    #[test]
    fn the_screen_model_is_optional_unless_required() {
        let secret = ("HEARTH_JWT_SECRET", "s");
        let with = |v: &str| {
            Config::from_env(env(&[secret, ("HEARTH_SCREEN_MODEL", v)]), Mode::Lambda)
                .map(|c| c.screen_model)
        };
        let default = Config::from_env(env(&[secret]), Mode::Lambda).unwrap();
        assert_eq!(default.screen_model, ScreenModel::Optional);
        assert_eq!(with("required"), Ok(ScreenModel::Required));
        assert_eq!(with("Required"), Ok(ScreenModel::Required));
        assert_eq!(with("optional"), Ok(ScreenModel::Optional));
        assert_eq!(with(" "), Ok(ScreenModel::Optional), "blank is unset");
        let err = with("yes").unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { name, .. } if name == "HEARTH_SCREEN_MODEL"),
            "{err}"
        );
    }
}
