//! Test harness: start the real application on a random 127.0.0.1 port, on a
//! fresh embedded store, with fake model servers that speak the providers'
//! wire formats, and talk to it over HTTP exactly as a client would.

use hearth::adapters::embedded::{EmbeddedQueue, EmbeddedStore, QueuePolicy};
use hearth::adapters::model_http::RetryPolicy;
use hearth::app::App;
use hearth::config::{Config, Mode};
use hearth::ports::{RiskModel, SystemClock};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256";

/// A running Hearth and its fakes.
pub struct TestApp {
    pub url: String,
    pub http: reqwest::Client,
    pub store: EmbeddedStore,
    pub queue: EmbeddedQueue,
    pub app: Arc<App>,
    _background: hearth::app::local::Background,
    pub anthropic: Option<MockServer>,
    pub openai: Option<MockServer>,
    pub dir: TempDir,
}

/// What to start.
pub struct Options {
    pub anthropic: bool,
    pub openai: bool,
    /// Extra environment, as a deployment would set it.
    pub env: Vec<(&'static str, String)>,
    /// Retries of the local job queue: fast, for tests.
    pub queue_policy: QueuePolicy,
    /// The crisis screen's learned layer in the app's ports (e.g. a
    /// `hearth::testing::FakeRiskModel`); `None`, the default, screens on
    /// the explicit cues and the chat model's mark alone.
    pub risk: Option<Arc<dyn RiskModel>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            anthropic: true,
            openai: false,
            env: Vec::new(),
            queue_policy: QueuePolicy {
                max_receives: 3,
                base_backoff: Duration::from_millis(50),
                max_backoff: Duration::from_millis(200),
            },
            risk: None,
        }
    }
}

impl Options {
    /// Every role on one OpenAI-compatible model with an 8K window.
    pub fn small_window() -> Self {
        Self {
            anthropic: false,
            openai: true,
            env: vec![
                ("HEARTH_CHAT_MODEL", "smollm2-135m-instruct".into()),
                ("HEARTH_DEEP_MODEL", "smollm2-135m-instruct".into()),
            ],
            ..Options::default()
        }
    }
}

/// The estimated tokens of a chat completions request as sent (four
/// characters a token, four per message) plus its reply.
pub fn request_tokens(sent: &Value) -> usize {
    let messages = sent["messages"].as_array().expect("messages");
    let chars: usize = messages
        .iter()
        .map(|m| m["content"].as_str().unwrap_or("").len())
        .sum();
    chars / 4 + 4 * messages.len() + sent["max_tokens"].as_u64().unwrap_or(0) as usize
}

/// A fast retry policy, so failure tests do not wait on real backoff.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(2),
        attempt_timeout: Duration::from_secs(10),
    }
}

impl TestApp {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(opts: Options) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let anthropic = if opts.anthropic {
            Some(MockServer::start().await)
        } else {
            None
        };
        let openai = if opts.openai {
            Some(MockServer::start().await)
        } else {
            None
        };
        let mut env: HashMap<String, String> = HashMap::new();
        env.insert("HEARTH_JWT_SECRET".into(), SECRET.into());
        if let Some(a) = &anthropic {
            env.insert("ANTHROPIC_API_KEY".into(), "sk-ant-test".into());
            env.insert("ANTHROPIC_BASE_URL".into(), a.uri());
        }
        if let Some(o) = &openai {
            env.insert("OPENAI_API_KEY".into(), "sk-openai-test".into());
            env.insert("OPENAI_BASE_URL".into(), format!("{}/v1", o.uri()));
        }
        for (k, v) in opts.env {
            env.insert(k.into(), v);
        }
        let mut config = Config::from_env(|k| env.get(k).cloned(), Mode::Lambda).expect("config");
        config.auth.jwks_refetch_cooldown = Duration::ZERO;
        let store = EmbeddedStore::open(dir.path()).expect("store");
        let queue = EmbeddedQueue::new(store.clone(), opts.queue_policy);
        let mut ports = store.ports(queue.clone());
        ports.risk = opts.risk;
        let app = Arc::new(App::with_parts(
            &config,
            ports,
            reqwest::Client::new(),
            fast_policy(),
            Arc::new(SystemClock),
        ));
        // The background work of `hearth serve`, from the same function:
        // the worker, the idle sweep and the hourly check-in pass.
        let background = hearth::app::local::Background::spawn(&app, Arc::new(queue.clone()));
        let router = hearth::http::router(app.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        Self {
            url,
            http: reqwest::Client::new(),
            store,
            queue,
            app,
            anthropic,
            openai,
            dir,
            _background: background,
        }
    }

    pub fn anthropic(&self) -> &MockServer {
        self.anthropic.as_ref().expect("anthropic fake")
    }

    pub fn openai(&self) -> &MockServer {
        self.openai.as_ref().expect("openai fake")
    }

    /// A valid token for `user`.
    pub fn token(&self, user: &str) -> String {
        token_with(json!({"sub": user}))
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(self.http.post(self.at(path)).bearer_auth(token).json(&body))
            .await
    }

    pub async fn post_raw(
        &self,
        token: &str,
        path: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        self.send(
            self.http
                .post(self.at(path))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body),
        )
        .await
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.send(self.http.get(self.at(path)).bearer_auth(token))
            .await
    }

    pub async fn chat(&self, token: &str, body: Value) -> (u16, Value) {
        self.post(token, "/v1/chat", body).await
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("response is not JSON (status {status}): {text}"));
        (status, body)
    }
}

/// An HS256 token signed with the test secret. `claims` overrides the
/// defaults (`aud: authenticated`, `exp` in an hour); a `null` removes one.
pub fn token_with(claims: Value) -> String {
    sign(
        jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
}

pub fn sign(
    header: jsonwebtoken::Header,
    overrides: Value,
    key: &jsonwebtoken::EncodingKey,
) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({"aud": "authenticated", "exp": now + 3600, "iat": now});
    for (k, v) in overrides.as_object().expect("claims object") {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    jsonwebtoken::encode(&header, &claims, key).expect("sign")
}

/// A Messages API success body.
pub fn anthropic_ok(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5-20251001",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": 42, "output_tokens": 11}
    }))
}

/// A Messages API error body, e.g. (429, "rate_limit_error"), (529, "overloaded_error").
pub fn anthropic_error(status: u16, kind: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "type": "error",
        "error": {"type": kind, "message": format!("fake {kind}")}
    }))
}

/// A chat completions success body.
pub fn openai_ok(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-123",
        "object": "chat.completion",
        "created": 1_795_600_000,
        "model": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 9, "total_tokens": 39}
    }))
}

/// A chat completions error body.
pub fn openai_error(status: u16, kind: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {"message": format!("fake {kind}"), "type": kind, "param": null, "code": null}
    }))
}

/// Answer every Messages API call with `text`.
pub async fn anthropic_answers(server: &MockServer, text: &str) {
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(anthropic_ok(text))
        .mount(server)
        .await;
}

/// Wait (bounded) until `server` has received `n` requests.
pub async fn wait_for_requests(server: &MockServer, n: usize) {
    for _ in 0..500 {
        if server.received_requests().await.map_or(0, |r| r.len()) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the fake server never received {n} requests");
}

/// The JSON body of the `i`th request a fake received.
pub async fn request_body(server: &MockServer, i: usize) -> Value {
    let reqs = server.received_requests().await.expect("recording on");
    serde_json::from_slice(&reqs[i].body).expect("JSON request")
}

/// The AWS emulator (moto's server) that `scripts/test` starts.
pub mod aws {
    use hearth::adapters::dynamodb::DynamoStore;

    /// The emulator's endpoint. The AWS tests need it: without it they fail
    /// and say how to run them, rather than pass without testing anything.
    pub fn endpoint() -> String {
        std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
            panic!("the AWS tests need moto's server: run ./scripts/test, or start `moto_server -H 127.0.0.1 -p PORT` and set AWS_ENDPOINT_URL")
        })
    }

    /// An SDK configuration pointed at the emulator, with test credentials.
    pub async fn sdk() -> aws_config::SdkConfig {
        let endpoint = endpoint();
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load()
            .await
    }

    /// A name no other test uses, so tests run in parallel.
    pub fn unique(prefix: &str) -> String {
        format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
    }

    /// A new table with Hearth's schema.
    pub async fn fresh_table() -> DynamoStore {
        let sdk = sdk().await;
        let client = aws_sdk_dynamodb::Client::new(&sdk);
        let name = unique("t");
        hearth::adapters::provision::create_table(&client, &name)
            .await
            .expect("create table");
        DynamoStore::new(client, name)
    }
}

/// The JSON bodies a fake model received that were replies to chat turns
/// (no `response_format`), in order.
pub async fn reply_requests(server: &MockServer) -> Vec<Value> {
    all_requests(server)
        .await
        .into_iter()
        .filter(|b| b.get("response_format").is_none() && !is_extraction(b))
        .collect()
}

/// The JSON bodies of extraction requests a fake model received, in order.
pub async fn extraction_requests(server: &MockServer) -> Vec<Value> {
    all_requests(server)
        .await
        .into_iter()
        .filter(is_extraction)
        .collect()
}

fn is_extraction(b: &Value) -> bool {
    let system = b["system"]
        .as_str()
        .or_else(|| b["messages"][0]["content"].as_str())
        .unwrap_or("");
    system.contains("long-term memory")
}

async fn all_requests(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .expect("recording on")
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("JSON request"))
        .collect()
}

/// The deep role answers extraction requests with `answer` (as JSON text).
pub async fn extraction_answers(server: &MockServer, answer: Value) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("memory_extraction"))
        .respond_with(openai_ok(&answer.to_string()))
        .mount(server)
        .await;
}

pub fn fact(op: &str, category: &str, content: &str, sources: &[&str], target: &str) -> Value {
    json!({"op": op, "category": category, "content": content, "importance": 7, "sources": sources, "target": target})
}

/// Three turns (six messages) in one session; returns the session id.
pub async fn six_messages(
    app: &TestApp,
    token: &str,
    session: Option<&str>,
    lines: [&str; 3],
) -> String {
    let mut session = session.map(str::to_string);
    for line in lines {
        let mut body = json!({"message": line});
        if let Some(s) = &session {
            body["session_id"] = json!(s);
        }
        let (status, turn) = app.chat(token, body).await;
        assert_eq!(status, 200, "{turn}");
        session = Some(turn["session_id"].as_str().unwrap().to_string());
    }
    session.unwrap()
}

pub async fn memories(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (status, body) = app.get(token, &format!("/v1/memories{query}")).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// Wait (bounded) until the worker has left no pending job.
pub async fn drained(app: &TestApp) {
    for _ in 0..200 {
        if app.queue.pending().await.unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "the worker did not drain the queue: {:?}",
        app.queue.pending().await.unwrap()
    );
}

/// The real crisis screen and encoder (all-MiniLM-L6-v2 and the committed
/// classifier), for tests of semantic retrieval; `None`, with a note, when
/// the encoder's files are not set up (`scripts/setup-encoder`), unless
/// `HEARTH_REQUIRE_ENCODER=1` (as `scripts/test` sets) makes that a failure.
pub fn real_risk_model() -> Option<Arc<dyn RiskModel>> {
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let encoder = std::env::var_os("HEARTH_ENCODER_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo.join(".models/all-minilm-l6-v2"));
    let classifier = repo.join("data/safety/classifier");
    if !encoder.join("model.safetensors").exists()
        && std::env::var("HEARTH_REQUIRE_ENCODER").as_deref() != Ok("1")
    {
        eprintln!(
            "skipped: no encoder files in {} (run scripts/setup-encoder)",
            encoder.display()
        );
        return None;
    }
    let model = hearth::adapters::risk_model::RiskClassifier::load(&encoder, &classifier)
        .expect("the encoder and the classifier load");
    Some(Arc::new(model))
}

/// Wait (bounded, `secs`) until every message in the person's index has a
/// vector and there are at least `messages` of them.
pub async fn indexed_with_vectors(app: &TestApp, user: &str, messages: usize, secs: u64) {
    let user = hearth::domain::ids::UserId::parse(user).unwrap();
    let until = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let (all, with) = {
            let index = app.app.retriever.index(&user).await.unwrap();
            let docs: Vec<_> = index
                .docs()
                .filter(|d| d.kind == hearth::domain::retrieval::DocKind::Message)
                .collect();
            (
                docs.len(),
                docs.iter().filter(|d| d.vector.is_some()).count(),
            )
        };
        if all >= messages && with == all {
            return;
        }
        assert!(
            std::time::Instant::now() < until,
            "after {secs} s, {with} of {all} indexed messages have vectors (want {messages})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
