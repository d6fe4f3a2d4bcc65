//! The Anthropic Messages API client (`POST {base}/v1/messages`).

use super::model_http::{RetryPolicy, send_json};
use crate::domain::completion::{Completion, CompletionRequest, FinishReason};
use crate::domain::message::{Role, Usage};
use crate::ports::{ModelClient, ModelError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

const API_VERSION: &str = "2023-06-01";

pub struct AnthropicClient {
    http: reqwest::Client,
    endpoint: String,
    api_key: String,
    policy: RetryPolicy,
}

impl AnthropicClient {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        api_key: String,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            http,
            endpoint: format!("{}/v1/messages", base_url.trim_end_matches('/')),
            api_key,
            policy,
        }
    }

    async fn attempt(&self, body: &WireRequest<'_>) -> Result<Completion, ModelError> {
        let request = self
            .http
            .post(&self.endpoint)
            .header("x-api-key", &self.api_key)
            .header("anthropic-version", API_VERSION)
            .json(body);
        let bytes = send_json(request).await?;
        let wire: WireResponse = serde_json::from_slice(&bytes)
            .map_err(|e| ModelError::InvalidResponse(format!("anthropic: {e}")))?;
        let content: String = wire
            .content
            .iter()
            .filter(|b| b.kind == "text")
            .filter_map(|b| b.text.as_deref())
            .collect();
        Ok(Completion {
            content,
            model: wire.model.unwrap_or_else(|| body.model.to_string()),
            usage: Usage {
                input_tokens: wire.usage.input_tokens,
                output_tokens: wire.usage.output_tokens,
            },
            finish: match wire.stop_reason.as_deref() {
                Some("end_turn") | Some("stop_sequence") => FinishReason::Stop,
                Some("max_tokens") => FinishReason::Length,
                _ => FinishReason::Other,
            },
        })
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    max_tokens: u32,
    temperature: f32,
    system: String,
    messages: Vec<WireMessage<'a>>,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    content: Vec<WireBlock>,
    model: Option<String>,
    stop_reason: Option<String>,
    #[serde(default)]
    usage: WireUsage,
}

#[derive(Deserialize)]
struct WireBlock {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    input_tokens: u32,
    #[serde(default)]
    output_tokens: u32,
}

#[async_trait]
impl ModelClient for AnthropicClient {
    fn provider(&self) -> &'static str {
        "anthropic"
    }

    async fn complete(
        &self,
        model: &str,
        request: &CompletionRequest,
        deadline: Instant,
    ) -> Result<Completion, ModelError> {
        let mut system = request.system.clone();
        if let Some(schema) = &request.json_schema {
            // The Messages API has no response_format; ask in the prompt and
            // let the caller validate, as it does for every provider.
            system.push_str(&format!(
                "\n\nRespond with only a JSON object that matches this JSON Schema, and nothing else:\n{}",
                schema.schema
            ));
        }
        let body = WireRequest {
            model,
            max_tokens: request.max_tokens,
            temperature: request.temperature,
            system,
            messages: request
                .turns
                .iter()
                .map(|t| WireMessage {
                    role: match t.role {
                        Role::User => "user",
                        Role::Assistant => "assistant",
                    },
                    content: &t.content,
                })
                .collect(),
        };
        self.policy
            .run(self.provider(), deadline, || self.attempt(&body))
            .await
    }
}
