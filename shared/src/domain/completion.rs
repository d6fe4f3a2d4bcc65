//! What Hearth asks of a model and what it gets back, independent of the wire
//! protocol. The adapters translate these to the Anthropic Messages API and
//! the OpenAI-compatible chat completions API.

use super::message::{Role, Usage};
use serde::Serialize;

/// One turn of the conversation as a model sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Turn {
    pub role: Role,
    pub content: String,
}

/// A provider-neutral completion request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompletionRequest {
    pub system: String,
    pub turns: Vec<Turn>,
    pub max_tokens: u32,
    pub temperature: f32,
    /// When set, the model is asked for JSON matching this schema.
    pub json_schema: Option<JsonSchema>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonSchema {
    pub name: String,
    pub schema: serde_json::Value,
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    Stop,
    /// Cut off by `max_tokens`: the text is incomplete.
    Length,
    Other,
}

/// A model's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub content: String,
    /// The model id the provider reports, or the one asked for.
    pub model: String,
    pub usage: Usage,
    pub finish: FinishReason,
}
