//! The OpenAI-compatible chat completions client
//! (`POST {base}/chat/completions`): Together AI in production, and equally
//! vLLM, llama.cpp's server or Ollama locally.

use super::model_http::{RetryPolicy, send_json};
use crate::domain::completion::{Completion, CompletionRequest, FinishReason};
use crate::domain::message::{Role, Usage};
use crate::ports::{Embedder, ModelClient, ModelError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::time::Instant;

/// POST `body` with the optional bearer key.
async fn post_json(
    http: &reqwest::Client,
    endpoint: &str,
    api_key: Option<&str>,
    body: &impl Serialize,
) -> Result<Vec<u8>, ModelError> {
    let mut req = http.post(endpoint).json(body);
    if let Some(key) = api_key {
        req = req.bearer_auth(key);
    }
    send_json(req).await
}

pub struct OpenAiClient {
    http: reqwest::Client,
    endpoint: String,
    api_key: Option<String>,
    policy: RetryPolicy,
}

impl OpenAiClient {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        api_key: Option<String>,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            http,
            endpoint: format!("{}/chat/completions", base_url.trim_end_matches('/')),
            api_key,
            policy,
        }
    }

    async fn attempt(&self, body: &WireRequest<'_>) -> Result<Completion, ModelError> {
        let bytes = post_json(&self.http, &self.endpoint, self.api_key.as_deref(), body).await?;
        let wire: WireResponse = serde_json::from_slice(&bytes)
            .map_err(|e| ModelError::InvalidResponse(format!("openai: {e}")))?;
        let choice = wire
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| ModelError::InvalidResponse("openai: no choices".into()))?;
        Ok(Completion {
            content: choice.message.content.unwrap_or_default(),
            model: wire.model.unwrap_or_else(|| body.model.to_string()),
            usage: Usage {
                input_tokens: wire.usage.prompt_tokens,
                output_tokens: wire.usage.completion_tokens,
            },
            finish: match choice.finish_reason.as_deref() {
                Some("stop") => FinishReason::Stop,
                Some("length") => FinishReason::Length,
                _ => FinishReason::Other,
            },
        })
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    max_tokens: u32,
    temperature: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    choices: Vec<WireChoice>,
    model: Option<String>,
    #[serde(default)]
    usage: WireUsage,
}

#[derive(Deserialize)]
struct WireChoice {
    message: WireChoiceMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireChoiceMessage {
    content: Option<String>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

#[async_trait]
impl ModelClient for OpenAiClient {
    fn provider(&self) -> &'static str {
        "openai"
    }

    async fn complete(
        &self,
        model: &str,
        request: &CompletionRequest,
        deadline: Instant,
    ) -> Result<Completion, ModelError> {
        let mut messages = vec![WireMessage {
            role: "system",
            content: &request.system,
        }];
        messages.extend(request.turns.iter().map(|t| WireMessage {
            role: match t.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            },
            content: &t.content,
        }));
        let body = WireRequest {
            model,
            messages,
            max_tokens: request.max_tokens,
            temperature: request.temperature,
            response_format: request.json_schema.as_ref().map(|s| {
                json!({
                    "type": "json_schema",
                    "json_schema": {"name": s.name, "strict": true, "schema": s.schema}
                })
            }),
        };
        self.policy
            .run(self.provider(), deadline, || self.attempt(&body))
            .await
    }
}

/// The OpenAI-compatible embeddings client (`POST {base}/embeddings`), with
/// the shared retry policy.
pub struct OpenAiEmbedder {
    http: reqwest::Client,
    endpoint: String,
    api_key: Option<String>,
    model: String,
    policy: RetryPolicy,
}

impl OpenAiEmbedder {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        api_key: Option<String>,
        model: &str,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            http,
            endpoint: format!("{}/embeddings", base_url.trim_end_matches('/')),
            api_key,
            model: model.to_string(),
            policy,
        }
    }

    async fn attempt(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, ModelError> {
        let bytes = post_json(
            &self.http,
            &self.endpoint,
            self.api_key.as_deref(),
            &json!({"model": self.model, "input": texts}),
        )
        .await?;
        let wire: WireEmbeddings = serde_json::from_slice(&bytes)
            .map_err(|e| ModelError::InvalidResponse(format!("embeddings: {e}")))?;
        if wire.data.len() != texts.len() {
            return Err(ModelError::InvalidResponse(format!(
                "embeddings: {} vectors for {} texts",
                wire.data.len(),
                texts.len()
            )));
        }
        let mut out = vec![Vec::new(); texts.len()];
        for d in wire.data {
            let slot = out.get_mut(d.index).ok_or_else(|| {
                ModelError::InvalidResponse(format!("embeddings: index {} out of range", d.index))
            })?;
            *slot = d.embedding;
        }
        Ok(out)
    }
}

#[derive(Deserialize)]
struct WireEmbeddings {
    data: Vec<WireEmbedding>,
}

#[derive(Deserialize)]
struct WireEmbedding {
    index: usize,
    embedding: Vec<f32>,
}

#[async_trait]
impl Embedder for OpenAiEmbedder {
    async fn embed(
        &self,
        texts: &[String],
        deadline: Instant,
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        self.policy
            .run("openai", deadline, || self.attempt(texts))
            .await
    }
}
