//! The chat turn. In order:
//! 1. route the message (pure; the crisis screen runs first and cannot fail);
//! 2. store it, with a crisis flag in the same write when flagged: the
//!    person's message is durable before anything that can fail;
//! 3. publish `CrisisFlagged` (no message text) when flagged;
//! 4. assemble the route's context within its budgets and the model window;
//! 5. ask the route's role (falling back per DESIGN.md);
//! 6. store the reply with its route, model, usage and `memories_used`.
//!
//! A crisis reply always ends with the crisis resources, added here by code.
//! If the model fails it is a fixed safe reply, still a 200. A retry with the
//! same `client_message_id` never stores the message twice.

use super::models::{ModelFailure, ModelRoles};
use crate::domain::context::{ContextProfile, conversation, within_budget};
use crate::domain::crisis_resources;
use crate::domain::events::DomainEvent;
use crate::domain::ids::{ClientMessageId, SessionId, UserId};
use crate::domain::message::{
    ContentError, ContextCounts, Message, NewReply, NewUserMessage, ReplyMeta, Usage,
    validate_content,
};
use crate::domain::prompts;
use crate::domain::boundaries;
use crate::domain::memory::Category;
use crate::domain::route::Route;
use crate::domain::router;
use crate::domain::safety::CrisisCategory;
use crate::app::Ports;
use crate::domain::jobs::Job;
use crate::domain::memory::EXTRACT_EVERY;
use crate::ports::{Clock, StoreError};
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

/// The ports and settings a chat turn needs.
pub struct ChatService {
    ports: Ports,
    models: ModelRoles,
    clock: Arc<dyn Clock>,
    turn_deadline: Duration,
    crisis_locale: String,
}

/// A reply before it is stored.
struct Drafted {
    content: String,
    model: String,
    usage: Usage,
}

impl ChatService {
    pub fn new(
        ports: Ports,
        models: ModelRoles,
        clock: Arc<dyn Clock>,
        turn_deadline: Duration,
        crisis_locale: String,
    ) -> Self {
        Self {
            ports,
            models,
            clock,
            turn_deadline,
            crisis_locale,
        }
    }

    pub async fn turn(&self, user: &UserId, req: ChatRequest) -> Result<ChatOutcome, ChatError> {
        let deadline = Instant::now() + self.turn_deadline;
        validate_content(&req.message)?;
        let t = Instant::now();
        let req_text = req.message.clone();
        let decision = router::route(&req.message);
        let route = decision.route;
        let crisis = decision.crisis.as_ref().map(|c| c.category);
        let route_us = t.elapsed().as_micros() as u64;

        let t = Instant::now();
        let recorded = self
            .ports
            .conversations
            .record_user_message(
                user,
                NewUserMessage {
                    session_id: req.session_id,
                    content: req.message,
                    client_message_id: req.client_message_id,
                    created_at: self.clock.now(),
                    crisis,
                },
            )
            .await?;
        let store_ms = ms(t);
        let session_id = recorded.session.id.clone();
        if let Some(reply) = recorded.reply {
            tracing::info!(session = %session_id, "replayed an answered turn");
            return Ok(ChatOutcome { session_id, user_message: recorded.message, reply });
        }
        if let (Some(category), false) = (crisis, recorded.replayed) {
            self.publish_crisis(user, category, recorded.message.created_at).await;
        }

        let t = Instant::now();
        let profile = ContextProfile::for_route(route).fit(self.models.context_window(route));
        let recent = self
            .ports
            .conversations
            .recent_messages(user, &session_id, recorded.message.seq, profile.recent_turns)
            .await?;
        let turns = conversation(within_budget(&recent, profile.budgets.turns));
        let known = self.knowledge(user, &session_id, route, &req_text, profile).await;
        let counts = ContextCounts { turns: turns.len() as u32, memories: known.memories.len() as u32, summaries: known.summaries.len() as u32 };
        let memories_used = known.ids();
        let request = prompts::reply_request_with(route, turns, profile, known.render());
        let context_ms = ms(t);

        let t = Instant::now();
        let answer = self.models.complete(user, route, &request, deadline).await;
        let model_ms = ms(t);
        let drafted = match (crisis, answer) {
            (None, Ok(a)) => Drafted {
                content: a.completion.content,
                model: a.completion.model,
                usage: a.completion.usage,
            },
            (None, Err(ModelFailure::NotConfigured(hint))) => return Err(ChatError::ModelUnavailable(hint)),
            (None, Err(ModelFailure::Failed(e))) => {
                return Err(ChatError::ModelUnavailable(format!(
                    "the model could not answer ({e}); your message is saved, so try again"
                )));
            }
            (Some(category), answer) => self.crisis_reply(category, answer.ok().map(|a| a.completion)),
        };

        let t = Instant::now();
        let reply = self
            .ports
            .conversations
            .record_reply(
                user,
                &session_id,
                recorded.message.seq,
                NewReply {
                    content: drafted.content,
                    created_at: self.clock.now(),
                    meta: ReplyMeta {
                        route,
                        model: drafted.model,
                        usage: drafted.usage,
                        memories_used,
                        context: counts,
                    },
                },
            )
            .await?;
        let reply_ms = ms(t);
        self.enqueue_extraction_if_due(user, &session_id, reply.seq).await;
        tracing::info!(
            session = %session_id, %route, reasons = ?decision.reasons,
            route_us, store_ms, context_ms, model_ms, reply_ms,
            "turn complete"
        );
        Ok(ChatOutcome { session_id, user_message: recorded.message, reply })
    }

    /// The crisis reply: the model's words if it answered, else the fixed
    /// safe reply; the resources for the locale are always appended by code.
    fn crisis_reply(&self, category: CrisisCategory, answer: Option<crate::domain::completion::Completion>) -> Drafted {
        let resources = crisis_resources::render(
            crisis_resources::for_locale(&self.crisis_locale, &self.crisis_locale),
            Some(category),
        );
        match answer.filter(|c| !c.content.trim().is_empty()) {
            Some(c) => Drafted {
                content: format!("{}\n\n{resources}", c.content.trim()),
                model: c.model,
                usage: c.usage,
            },
            None => {
                tracing::warn!("crisis reply: the chat role did not answer; sending the fixed safe reply");
                Drafted {
                    content: format!("{}\n\n{resources}", prompts::FIXED_CRISIS_REPLY),
                    model: "fixed".into(),
                    usage: Usage::default(),
                }
            }
        }
    }

    /// What Hearth knows that fits this message: the related memories and
    /// the session summaries the route calls for, within its budgets. A
    /// bounded number of reads (at most `KNOWN_MEMORIES` memories and a few
    /// summaries), however long the person's history. Failing to read them
    /// degrades the reply, never fails it.
    async fn knowledge(&self, user: &UserId, session: &SessionId, route: Route, text: &str, profile: ContextProfile) -> Known {
        let (max_memories, max_summaries) = crate::domain::context::knowledge_counts(route);
        let mut known = Known::default();
        if max_memories > 0 {
            match self.ports.memories.active_memories(user, KNOWN_MEMORIES).await {
                Ok(all) => {
                    // Topics the person asked not to raise stay out, unless
                    // they raise them now.
                    known.boundaries = boundaries::boundaries(&all);
                    let force = boundaries::in_force(&known.boundaries, text);
                    let allowed: Vec<_> = all
                        .into_iter()
                        .filter(|m| m.category == Category::TriggersAndBoundaries || !boundaries::touches(&m.content, &force))
                        .collect();
                    let ranked = crate::domain::extraction::rank_related(&allowed, text, max_memories);
                    known.memories = crate::domain::context::fit_items(ranked, profile.budgets.memories, |m| m.content.as_str());
                }
                Err(e) => tracing::warn!(error = %e, "could not read memories; replying without them"),
            }
        }
        if max_summaries > 0 {
            let mut sessions = vec![session.clone()];
            if max_summaries > 1
                && let Ok(page) = self.ports.conversations.list_sessions(user, &crate::domain::page::PageRequest::first(max_summaries as u32 + 1)).await
            {
                sessions.extend(page.items.into_iter().map(|s| s.id).filter(|id| id != session));
            }
            let mut summaries = Vec::new();
            for id in sessions.into_iter().take(max_summaries) {
                if let Ok(state) = self.ports.memories.extraction_state(user, &id).await
                    && let Some(summary) = state.summary
                {
                    summaries.push((id, summary));
                }
            }
            let force = boundaries::in_force(&known.boundaries, text);
            summaries.retain(|(_, s)| !boundaries::touches(s, &force));
            known.summaries = crate::domain::context::fit_items(summaries, profile.budgets.summaries, |(_, s)| s.as_str());
        }
        known
    }

    /// Every 6 new messages (either role), one extraction job for them, so
    /// the session's next replies already benefit. The claim is atomic, so
    /// racing turns enqueue one job. If the enqueue fails the claim is given
    /// back, and the next turn or the idle sweep takes it; the person's turn
    /// is not failed for it.
    async fn enqueue_extraction_if_due(&self, user: &UserId, session: &SessionId, message_count: u64) {
        let claimed = match self.ports.memories.claim_extraction(user, session, message_count, EXTRACT_EVERY).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(%session, error = %e, "could not check whether extraction is due");
                return;
            }
        };
        let Some((from_seq, to_seq)) = claimed else { return };
        let job = Job::ExtractSession { user: user.clone(), session_id: session.clone(), from_seq, to_seq };
        match self.ports.queue.enqueue(&job).await {
            Ok(()) => tracing::info!(%session, from_seq, to_seq, "extraction job enqueued"),
            Err(e) => {
                tracing::error!(%session, error = %e, "could not enqueue extraction; releasing the claim");
                if let Err(e) = self.ports.memories.release_extraction(user, session, (from_seq, to_seq)).await {
                    tracing::error!(%session, error = %e, "could not release the claim; the idle sweep will not see it");
                }
            }
        }
    }

    async fn publish_crisis(&self, user: &UserId, category: CrisisCategory, at: chrono::DateTime<chrono::Utc>) {
        tracing::warn!(user = %user, category = category.as_str(), "crisis flagged");
        let event = DomainEvent::CrisisFlagged { user: user.clone(), at };
        if let Err(e) = self.ports.events.publish(&[event]).await {
            // The flag itself is stored with the message; only the
            // notification failed. Answering the person comes first.
            tracing::error!(user = %user, error = %e, "could not publish CrisisFlagged");
        }
    }
}

/// The most memories a turn reads to rank from (a bounded read).
const KNOWN_MEMORIES: usize = 200;

#[derive(Default)]
struct Known {
    boundaries: Vec<boundaries::Boundary>,
    memories: Vec<crate::domain::memory::Memory>,
    summaries: Vec<(SessionId, String)>,
}

impl Known {
    /// What was in the prompt: memory ids, and `summary:<session>` for summaries.
    fn ids(&self) -> Vec<String> {
        self.memories
            .iter()
            .map(|m| m.id.to_string())
            .chain(self.summaries.iter().map(|(s, _)| format!("summary:{s}")))
            .collect()
    }

    fn render(&self) -> Option<String> {
        let memories: Vec<(String, String)> = self.memories.iter().map(|m| (m.category.as_str().to_string(), m.content.clone())).collect();
        let summaries: Vec<String> = self.summaries.iter().map(|(_, s)| s.clone()).collect();
        prompts::known_context(&memories, &summaries)
    }
}

fn ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}
