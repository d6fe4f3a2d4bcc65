//! Unit tests of the use cases on the in-memory fakes (`crate::testing`):
//! the chat turn, the extraction job and the check-in pass, each built from
//! fake ports the way the composition root builds it from real ones. No
//! HTTP, no redb, no network.

mod chat;
mod checkin;
mod crisis;
mod extraction;
mod import;
mod journal;
mod learned;
mod migrate;

use super::models::{Binding, ModelRoles};
use super::retrieval::Retriever;
use crate::domain::extraction::{MemoryWrite, Plan};
use crate::domain::ids::{MemoryId, SessionId, UserId};
use crate::domain::memory::{Category, Memory};
use crate::domain::message::{ContextCounts, Message, NewReply, NewUserMessage, ReplyMeta, Usage};
use crate::domain::page::PageRequest;
use crate::domain::retrieval::job_ops;
use crate::domain::route::{ModelRole, Route};
use crate::ports::{ApplyOutcome, Clock, ConversationStore, MemoryStore};
use crate::testing::{FakeModel, Fakes};
use std::collections::HashMap;
use std::sync::Arc;

/// The model id each role is bound to: names that give the windows of the
/// real defaults (a Claude model's, a Llama 3's).
pub fn model_id(role: ModelRole) -> &'static str {
    match role {
        ModelRole::Chat => "claude-fake-chat",
        ModelRole::Deep => "llama-3-fake-deep",
        ModelRole::Checkin => "claude-fake-checkin",
    }
}

/// What the composition root says when no provider is configured.
pub const NOT_CONFIGURED: &str = "no model provider is configured: set ANTHROPIC_API_KEY";

/// The fakes, one scripted model per role, and a retriever over the fake
/// store: what every use case here is built from.
pub struct World {
    pub fakes: Fakes,
    pub chat: Arc<FakeModel>,
    pub deep: Arc<FakeModel>,
    pub checkin: Arc<FakeModel>,
    pub retriever: Arc<Retriever>,
}

impl World {
    pub fn new() -> Self {
        let fakes = Fakes::new();
        Self {
            chat: fakes.model("chat"),
            deep: fakes.model("deep"),
            checkin: fakes.model("checkin"),
            retriever: Arc::new(Retriever::new(fakes.store.clone(), None, 64)),
            fakes,
        }
    }

    /// Every role bound to its own fake.
    pub fn roles(&self) -> ModelRoles {
        self.roles_of(&ModelRole::ALL)
    }

    /// Only `roles` bound; the others are not configured.
    pub fn roles_of(&self, roles: &[ModelRole]) -> ModelRoles {
        let bindings: HashMap<ModelRole, Binding> = roles
            .iter()
            .map(|role| {
                let model = match role {
                    ModelRole::Chat => &self.chat,
                    ModelRole::Deep => &self.deep,
                    ModelRole::Checkin => &self.checkin,
                };
                let binding = Binding {
                    client: model.clone(),
                    model: model_id(*role).to_string(),
                };
                (*role, binding)
            })
            .collect();
        ModelRoles::new(bindings, NOT_CONFIGURED)
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.fakes.clock.now()
    }

    /// A conversation stored straight through the port: each line a user
    /// message and a reply, a minute apart from now on. Returns its session
    /// and its messages, oldest first.
    pub async fn conversation(&self, user: &UserId, lines: &[&str]) -> (SessionId, Vec<Message>) {
        let store = &self.fakes.store;
        let mut session: Option<SessionId> = None;
        for line in lines {
            let t = store
                .record_user_message(
                    user,
                    NewUserMessage {
                        remember: true,
                        session_id: session.clone(),
                        content: line.to_string(),
                        client_message_id: None,
                        created_at: self.now(),
                        crisis: None,
                    },
                )
                .await
                .unwrap();
            self.fakes.clock.advance(chrono::Duration::minutes(1));
            store
                .record_reply(
                    user,
                    &t.session.id,
                    t.message.seq,
                    reply("I hear you.", self.now()),
                )
                .await
                .unwrap();
            self.fakes.clock.advance(chrono::Duration::minutes(1));
            session = Some(t.session.id);
        }
        let session = session.expect("at least one line");
        let messages = store
            .list_messages(user, &session, &PageRequest::first(100))
            .await
            .unwrap()
            .items;
        (session, messages)
    }

    /// Memories and a summary, written as an extraction job over
    /// `messages` writes them (and indexes them, messages included).
    pub async fn remember(
        &self,
        user: &UserId,
        session: &SessionId,
        messages: &[Message],
        facts: &[(Category, &str)],
        summary: &str,
    ) -> Vec<Memory> {
        let now = self.now();
        let memories: Vec<Memory> = facts
            .iter()
            .map(|(category, content)| Memory {
                id: MemoryId::generate(),
                category: *category,
                content: content.to_string(),
                importance: 7,
                source_message_ids: messages.iter().take(1).map(|m| m.id.clone()).collect(),
                session_id: session.clone(),
                created_at: now,
                updated_at: now,
                ended_at: None,
                superseded_by: None,
                edited: false,
            })
            .collect();
        let plan = Plan {
            writes: memories
                .iter()
                .map(|m| MemoryWrite {
                    memory: m.clone(),
                    seen_updated_at: None,
                })
                .collect(),
            summary: summary.into(),
            added: memories.len() as u32,
            index: job_ops(
                messages,
                &memories,
                session,
                summary,
                now,
                &Default::default(),
            ),
        };
        let through = messages.last().map_or(0, |m| m.seq);
        let outcome = self
            .fakes
            .store
            .apply_extraction(user, session, 0, through, &plan, now)
            .await
            .unwrap();
        assert_eq!(outcome, ApplyOutcome::Applied);
        memories
    }
}

pub fn user(name: &str) -> UserId {
    UserId::parse(name).unwrap()
}

/// A reply as the chat turn stores one.
pub fn reply(text: &str, at: chrono::DateTime<chrono::Utc>) -> NewReply {
    NewReply {
        remember: true,
        content: text.into(),
        created_at: at,
        meta: ReplyMeta {
            route: Route::Support,
            model: model_id(ModelRole::Chat).into(),
            usage: Usage::default(),
            memories_used: Vec::new(),
            context: ContextCounts::default(),
        },
    }
}
