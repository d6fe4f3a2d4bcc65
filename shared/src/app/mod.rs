//! The composition root: the one place that knows every layer. It reads
//! the typed configuration, builds every client once, and hands the use
//! cases their ports. Every entry point builds its app here (the Lambdas
//! through `lambda`, `hearth serve` and the CLI through `local`, the test
//! harness directly), so they all serve exactly the same API. It returns
//! errors; only an entry point's `main` decides to exit.

pub mod lambda;
pub mod listener;
pub mod local;

use crate::adapters::anthropic::AnthropicClient;
use crate::adapters::model_http::RetryPolicy;
use crate::adapters::openai::{OpenAiClient, OpenAiEmbedder};
use crate::adapters::risk_model::{self, RiskClassifier};
use crate::auth::Authenticator;
use crate::config::{Config, Provider, ScreenModel};
use crate::ports::{Clock, ModelClient, Ports, RiskModel, SystemClock};
use crate::ports::{Embedder, Push};
use crate::service::chat::ChatService;
use crate::service::checkin::CheckinPass;
use crate::service::crisis::CrisisCare;
use crate::service::extraction::Extractor;
use crate::service::jobs::Dispatcher;
use crate::service::journal::JournalService;
use crate::service::models::{Binding, ModelRoles};
use crate::service::retrieval::Retriever;
use crate::service::sweep::IdleSweep;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Retrieval's engine for these ports: an OpenAI-compatible `/embeddings`
/// model when `HEARTH_EMBED_MODEL` is set, else the screen's encoder in
/// process (the default), else lexical ranking only.
pub fn retriever(
    config: &Config,
    ports: &Ports,
    http: &reqwest::Client,
    policy: RetryPolicy,
) -> Retriever {
    let memories = Arc::clone(&ports.memories);
    match (&config.embed_model, &config.openai, &ports.risk) {
        (Some(model), Some(o), _) => {
            let embedder: Arc<dyn Embedder> = Arc::new(OpenAiEmbedder::new(
                http.clone(),
                &o.base_url,
                o.api_key.as_ref().map(|k| k.expose().to_string()),
                model,
                policy,
            ));
            Retriever::new(memories, Some(embedder), config.index_cache_mb)
        }
        (_, _, Some(risk)) => {
            Retriever::with_screen(memories, Arc::clone(risk), config.index_cache_mb)
        }
        _ => Retriever::new(memories, None, config.index_cache_mb),
    }
}

/// Everything a request handler or a job needs, built once per process.
pub struct App {
    pub chat: ChatService,
    pub ports: Ports,
    pub auth: Authenticator,
    pub models: ModelRoles,
    pub clock: Arc<dyn Clock>,
    pub extract_idle: Duration,
    /// Each person's retrieval index, warm in this process.
    pub retriever: Arc<Retriever>,
    /// FCM push, when configured.
    pub push: Option<Arc<dyn Push>>,
    pub crisis_locale: String,
    /// When the AI disclosure and the minors' notices are shown.
    pub notices: crate::domain::notices::NoticePolicy,
    ready: AtomicBool,
}

impl App {
    pub fn new(config: &Config, ports: Ports, http: reqwest::Client) -> Self {
        Self::with_parts(
            config,
            ports,
            http,
            RetryPolicy::default(),
            Arc::new(SystemClock),
        )
    }

    /// As `new`, with the retry policy and clock chosen by the caller (tests).
    pub fn with_parts(
        config: &Config,
        ports: Ports,
        http: reqwest::Client,
        policy: RetryPolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let models = model_roles(config, &http, policy);
        let retriever = Arc::new(retriever(config, &ports, &http, policy));
        Self {
            chat: ChatService::new(
                ports.clone(),
                models.clone(),
                Arc::clone(&clock),
                config.turn_deadline,
                config.crisis_locale.clone(),
                Arc::clone(&retriever),
            )
            .with_notices(config.notices.clone()),
            retriever,
            push: config.fcm_service_account.as_ref().and_then(|sa| {
                match crate::adapters::fcm::FcmPush::new(http.clone(), &config.fcm_base_url, sa) {
                    Ok(p) => Some(Arc::new(p) as Arc<dyn Push>),
                    Err(e) => {
                        tracing::error!(error = %e, "FCM push is not available");
                        None
                    }
                }
            }),
            crisis_locale: config.crisis_locale.clone(),
            notices: config.notices.clone(),
            ports,
            auth: Authenticator::new(&config.auth, http),
            models,
            clock,
            extract_idle: config.extract_idle,
            ready: AtomicBool::new(true),
        }
    }

    /// The job handlers, by kind: what the worker and the Lambda extractor run.
    pub fn dispatcher(&self) -> Dispatcher {
        let extractor = Extractor {
            conversations: Arc::clone(&self.ports.conversations),
            memories: Arc::clone(&self.ports.memories),
            events: Arc::clone(&self.ports.events),
            queue: Arc::clone(&self.ports.queue),
            models: self.models.clone(),
            clock: Arc::clone(&self.clock),
            retriever: Arc::clone(&self.retriever),
            journal: Arc::clone(&self.ports.journal),
        };
        Dispatcher::new(Arc::new(extractor), Arc::new(self.checkin_pass()))
    }

    /// The journal use cases.
    pub fn journal(&self) -> JournalService {
        JournalService {
            conversations: Arc::clone(&self.ports.conversations),
            journal: Arc::clone(&self.ports.journal),
            queue: Arc::clone(&self.ports.queue),
            models: self.models.clone(),
            retriever: Arc::clone(&self.retriever),
            clock: Arc::clone(&self.clock),
            care: CrisisCare {
                settings: Arc::clone(&self.ports.settings),
                events: Arc::clone(&self.ports.events),
                reports: Arc::clone(&self.ports.reports),
                default_locale: self.crisis_locale.clone(),
            },
            risk: self.ports.risk.clone(),
        }
    }

    /// The hourly check-in pass.
    pub fn checkin_pass(&self) -> CheckinPass {
        CheckinPass {
            conversations: Arc::clone(&self.ports.conversations),
            settings: Arc::clone(&self.ports.settings),
            checkins: Arc::clone(&self.ports.checkins),
            memories: Arc::clone(&self.ports.memories),
            events: Arc::clone(&self.ports.events),
            push: self.push.clone(),
            models: self.models.clone(),
            retriever: Arc::clone(&self.retriever),
            default_locale: self.crisis_locale.clone(),
            notices: self.notices.clone(),
        }
    }

    /// The idle-session extraction sweep.
    pub fn idle_sweep(&self) -> IdleSweep {
        IdleSweep {
            conversations: Arc::clone(&self.ports.conversations),
            memories: Arc::clone(&self.ports.memories),
            queue: Arc::clone(&self.ports.queue),
            clock: Arc::clone(&self.clock),
            idle: self.extract_idle,
        }
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }
}

/// `HEARTH_SCREEN_MODEL=required` and the crisis screen's model did not
/// load: the process does not start. Names both directories, whichever
/// one lacks its files.
#[derive(Debug, thiserror::Error)]
#[error(
    "HEARTH_SCREEN_MODEL=required, but the crisis screen's model did not load from \
     HEARTH_ENCODER_DIR={encoder_dir} and HEARTH_CLASSIFIER_DIR={classifier_dir}: {cause} \
     (./scripts/setup-encoder sets up the encoder's files)"
)]
pub struct ScreenModelError {
    pub encoder_dir: String,
    pub classifier_dir: String,
    pub cause: risk_model::LoadError,
}

/// The crisis screen's learned layer, loaded once at start (blocking,
/// about 0.1 to 0.5 s) from `HEARTH_ENCODER_DIR` and
/// `HEARTH_CLASSIFIER_DIR`, for `Ports::risk`. Without its files: with
/// `HEARTH_SCREEN_MODEL=required` an error; otherwise one warning that says
/// how to set them up, and `None` (the screen runs on its explicit cues and
/// the chat model's mark alone).
pub fn load_risk_model(config: &Config) -> Result<Option<Arc<dyn RiskModel>>, ScreenModelError> {
    let started = std::time::Instant::now();
    match RiskClassifier::load(&config.encoder_dir, &config.classifier_dir) {
        Ok(model) => {
            tracing::info!(
                model = model.model(),
                load_ms = started.elapsed().as_millis() as u64,
                "crisis screen: the learned layer is loaded"
            );
            Ok(Some(Arc::new(model)))
        }
        Err(cause) if config.screen_model == ScreenModel::Optional => {
            tracing::warn!(
                "crisis screen: the learned layer is off, so messages are screened on the explicit \
                 cues and the chat model's mark alone: {cause}. Run ./scripts/setup-encoder (./scripts/run \
                 does this), or set HEARTH_ENCODER_DIR and HEARTH_CLASSIFIER_DIR; \
                 HEARTH_SCREEN_MODEL=required makes this an error"
            );
            Ok(None)
        }
        Err(cause) => Err(ScreenModelError {
            encoder_dir: config.encoder_dir.display().to_string(),
            classifier_dir: config.classifier_dir.display().to_string(),
            cause,
        }),
    }
}

/// One HTTP client for every outbound call, on rustls with aws-lc-rs (the
/// same TLS stack as the AWS SDK).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("hearth/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Build one client per configured provider and bind each role to one.
pub fn model_roles(config: &Config, http: &reqwest::Client, policy: RetryPolicy) -> ModelRoles {
    let anthropic: Option<Arc<dyn ModelClient>> = config.anthropic.as_ref().map(|a| {
        Arc::new(AnthropicClient::new(
            http.clone(),
            &a.base_url,
            a.api_key.expose().to_string(),
            policy,
        )) as Arc<dyn ModelClient>
    });
    let openai: Option<Arc<dyn ModelClient>> = config.openai.as_ref().map(|o| {
        Arc::new(OpenAiClient::new(
            http.clone(),
            &o.base_url,
            o.api_key.as_ref().map(|k| k.expose().to_string()),
            policy,
        )) as Arc<dyn ModelClient>
    });
    let mut bindings = HashMap::new();
    for (role, b) in &config.roles {
        let client = match b.provider {
            Provider::Anthropic => anthropic.clone(),
            Provider::OpenAi => openai.clone(),
        };
        if let Some(client) = client {
            bindings.insert(
                *role,
                Binding {
                    client,
                    model: b.model.clone(),
                },
            );
        }
    }
    ModelRoles::new(bindings, Config::no_provider_hint())
}
