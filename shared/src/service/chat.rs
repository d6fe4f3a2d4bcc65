//! The chat turn: store the person's message first, assemble context, ask
//! the model, store the reply. Retries with the same `client_message_id`
//! never store the message twice.

use super::models::{ModelFailure, ModelRoles};
use crate::domain::context::{ContextProfile, conversation};
use crate::domain::ids::{ClientMessageId, SessionId, UserId};
use crate::domain::message::{
    ContentError, ContextCounts, Message, NewReply, NewUserMessage, ReplyMeta, validate_content,
};
use crate::domain::prompts;
use crate::domain::route::Route;
use crate::ports::{Clock, ConversationStore, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// What a client asks for.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    pub message: String,
    pub session_id: Option<SessionId>,
    pub client_message_id: Option<ClientMessageId>,
}

/// A completed turn.
#[derive(Debug, Clone)]
pub struct ChatOutcome {
    pub session_id: SessionId,
    pub user_message: Message,
    pub reply: Message,
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error("session not found")]
    SessionNotFound,
    /// The message is stored; only the reply is missing.
    #[error("{0}")]
    ModelUnavailable(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ChatError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ChatError::SessionNotFound,
            e => ChatError::Store(e),
        }
    }
}

pub struct ChatService {
    store: Arc<dyn ConversationStore>,
    models: ModelRoles,
    clock: Arc<dyn Clock>,
    turn_deadline: Duration,
}

impl ChatService {
    pub fn new(
        store: Arc<dyn ConversationStore>,
        models: ModelRoles,
        clock: Arc<dyn Clock>,
        turn_deadline: Duration,
    ) -> Self {
        Self {
            store,
            models,
            clock,
            turn_deadline,
        }
    }

    pub async fn turn(&self, user: &UserId, req: ChatRequest) -> Result<ChatOutcome, ChatError> {
        let deadline = Instant::now() + self.turn_deadline;
        validate_content(&req.message)?;

        // 1. The person's message is durable before anything that can fail.
        let t = Instant::now();
        let recorded = self
            .store
            .record_user_message(
                user,
                NewUserMessage {
                    session_id: req.session_id,
                    content: req.message,
                    client_message_id: req.client_message_id,
                    created_at: self.clock.now(),
                },
            )
            .await?;
        let store_ms = ms(t);
        let session_id = recorded.session.id.clone();
        if let Some(reply) = recorded.reply {
            tracing::info!(session = %session_id, "replayed an answered turn");
            return Ok(ChatOutcome {
                session_id,
                user_message: recorded.message,
                reply,
            });
        }

        // 2. Context. Routing arrives with the routing issue; until then
        // every message is everyday support.
        let route = Route::Support;
        let profile = ContextProfile::for_route(route);
        let t = Instant::now();
        let recent = self
            .store
            .recent_messages(user, &session_id, recorded.message.seq, profile.recent_turns)
            .await?;
        let turns = conversation(&recent);
        let counts = ContextCounts {
            turns: turns.len() as u32,
            memories: 0,
            summaries: 0,
        };
        let request = prompts::support_request(turns, profile);
        let context_ms = ms(t);

        // 3. The model, within the turn's deadline.
        let t = Instant::now();
        let answer = self
            .models
            .complete(user, route, &request, deadline)
            .await
            .map_err(|e| match e {
                ModelFailure::NotConfigured(hint) => ChatError::ModelUnavailable(hint),
                ModelFailure::Failed(e) => ChatError::ModelUnavailable(format!(
                    "the model could not answer ({e}); your message is saved, so try again"
                )),
            })?;
        let model_ms = ms(t);

        // 4. The reply, with how it was made.
        let t = Instant::now();
        let reply = self
            .store
            .record_reply(
                user,
                &session_id,
                recorded.message.seq,
                NewReply {
                    content: answer.completion.content,
                    created_at: self.clock.now(),
                    meta: ReplyMeta {
                        route,
                        model: answer.completion.model,
                        usage: answer.completion.usage,
                        memories_used: Vec::new(),
                        context: counts,
                    },
                },
            )
            .await?;
        tracing::info!(
            session = %session_id, %route, role = %answer.role,
            store_ms, context_ms, model_ms, reply_ms = ms(t),
            "turn complete"
        );
        Ok(ChatOutcome {
            session_id,
            user_message: recorded.message,
            reply,
        })
    }
}

fn ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}
