//! The chat turn. In order:
//! 1. screen the message with the explicit cues (pure; they cannot fail);
//! 2. store it, with a crisis flag in the same write when the cues flagged
//!    it: the person's message is durable before anything that can fail.
//!    Beside the write, off its path, the learned layer reads the message
//!    (one `RiskModel::assess`: scores and the vector) and the session's
//!    earlier turns are read; a failure of either leaves the turn to the
//!    cues (and the model's mark), with a warning, never fails it;
//! 3. route it (`triage::route_with`, reading the same encoding), and the
//!    learned layers, on a message the cues did not flag: the
//!    classifier on this turn (`learned::judge_turn`), then the
//!    conversation layer on the person's last turns read together
//!    (`safety::conversation`, from their stored scores). Either makes it a
//!    crisis turn exactly as a cue does: route `crisis`, its flag stored;
//! 4. publish `CrisisFlagged` (no message text) when flagged, and keep the
//!    assessment with the message (`record_assessment`, beside the context
//!    reads), so nothing encodes it again;
//! 5. assemble the route's context within its budgets and the model window;
//! 6. ask the route's role (falling back per DESIGN.md);
//! 7. read and strip the model's risk mark (`domain::risk_mark`): when it
//!    marks a risk the screen missed, the turn becomes a crisis turn (its
//!    flag stored, layer `model_mark`, and `CrisisFlagged` published);
//! 8. store the reply with its route, model, usage and `memories_used`.
//!
//! Beside the message's write, the person's settings and notice record
//! are read (two bounded reads); `domain::notices` decides the turn's
//! notices (the AI disclosure; for a minor the break reminder and the
//! one-time notice, and a prompt that rules out sexual and romantic
//! content), and after the reply one conditional write keeps what was
//! shown.
//!
//! A crisis reply always ends with the crisis resources for the person's
//! locale, added here by code, and the outcome carries them apart as well.
//! If the model fails it is a fixed safe reply, still a 200. A retry with the
//! same `client_message_id` never stores the message twice.

use super::crisis::CrisisCare;
use super::models::{ModelFailure, ModelRoles};
use super::retrieval::Retriever;
use crate::domain::assessment::StoredAssessment;
use crate::domain::checkin::Settings;
use crate::domain::completion::Completion;
use crate::domain::context::{
    ContextProfile, conversation, estimate_tokens, fit_items, within_budget,
};
use crate::domain::crisis_notice::CrisisNotice;
use crate::domain::crisis_resources;
use crate::domain::ids::{ClientMessageId, SessionId, UserId};
use crate::domain::jobs::Job;
use crate::domain::memory::EXTRACT_EVERY;
use crate::domain::message::Role;
use crate::domain::message::{
    ContentError, ContextCounts, CrisisFlag, Message, NewReply, NewUserMessage, ReplyMeta, Usage,
    validate_content,
};
use crate::domain::notices::{AgeBand, Notice, NoticePolicy, NoticeState};
use crate::domain::prompts;
use crate::domain::retrieval::{Doc, Query, Quota, Vector, date_note};
use crate::domain::risk_mark::{self, RiskMark};
use crate::domain::route::Route;
use crate::domain::safety::conversation::{self, Turn, WINDOW_TURNS};
use crate::domain::safety::flag::{FlagSource, Flagged};
use crate::domain::safety::learned::{Thresholds, judge_turn};
use crate::domain::safety::{self, CrisisCategory};
use crate::domain::triage;
use crate::ports::Ports;
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
    /// `false`: "don't remember this". The turn and its reply are stored
    /// as conversation but never extracted, summarised or indexed; a new
    /// session begun so remembers none of its turns.
    pub remember: bool,
}

/// A completed turn.
#[derive(Debug, Clone)]
pub struct ChatOutcome {
    pub session_id: SessionId,
    pub user_message: Message,
    pub reply: Message,
    /// Set when the turn was flagged, by the screen or by the model's mark:
    /// the category and the person's resources, which `reply.content` also
    /// ends with.
    pub crisis: Option<CrisisNotice>,
    /// What the person is told beside the reply (`domain::notices`): the
    /// AI disclosure, and for a minor the break reminder and the one-time
    /// notice. Empty when none is due.
    pub notices: Vec<Notice>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error("session not found")]
    SessionNotFound,
    /// The message is stored; only the reply is missing. `session_id` is
    /// the session this turn created, when it began one.
    #[error("{why}")]
    ModelUnavailable {
        why: String,
        session_id: Option<SessionId>,
    },
    /// The `client_message_id` was used before, with other content or in
    /// another session: not a retry of that turn.
    #[error("{0}")]
    Conflict(String),
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
    care: CrisisCare,
    retriever: Arc<Retriever>,
    /// The check of every reply (`service::reply_check`).
    reply_check: super::reply_check::ReplyCheck,
    notices: NoticePolicy,
}

/// What a turn knows of the person for its notices: their settings and
/// the record of the notices shown (`None` when it could not be read, so
/// nothing is written back over it).
struct Interaction {
    settings: Settings,
    /// Whether `settings` were read (else they are the defaults).
    settings_read: bool,
    state: Option<NoticeState>,
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
        retriever: Arc<Retriever>,
    ) -> Self {
        Self {
            care: CrisisCare {
                settings: Arc::clone(&ports.settings),
                events: Arc::clone(&ports.events),
                reports: Arc::clone(&ports.reports),
                default_locale: crisis_locale,
            },
            ports,
            models,
            clock,
            turn_deadline,
            retriever,
            notices: NoticePolicy::default(),
            // Rules only on the request path: the encoder layer would add
            // encoder calls to a turn that now encodes once (the screen's).
            reply_check: super::reply_check::ReplyCheck::new(None),
        }
    }

    /// When the notices are shown (the default is New York's and
    /// California's rules with a 30-minute idle gap).
    pub fn with_notices(mut self, policy: NoticePolicy) -> Self {
        self.notices = policy;
        self
    }

    pub async fn turn(&self, user: &UserId, req: ChatRequest) -> Result<ChatOutcome, ChatError> {
        self.turn_as(user, None, req).await
    }

    /// A turn of a caller whose token claims `age_claim` (which wins over
    /// the person's settings).
    pub async fn turn_as(
        &self,
        user: &UserId,
        age_claim: Option<AgeBand>,
        req: ChatRequest,
    ) -> Result<ChatOutcome, ChatError> {
        let deadline = Instant::now() + self.turn_deadline;
        let new_session = req.session_id.is_none();
        let asked_session = req.session_id.clone();
        validate_content(&req.message)?;
        let t = Instant::now();
        let req_text = req.message.clone();
        let cued = safety::screen(&req.message).as_ref().map(Flagged::from);
        let mut route_us = t.elapsed().as_micros() as u64;

        let t = Instant::now();
        // The earlier turns matter only to the conversation layer, on a
        // message the cues did not flag, in a session that has some.
        let earlier_in = req.session_id.clone().filter(|_| cued.is_none());
        let store = self.ports.conversations.record_user_message(
            user,
            NewUserMessage {
                remember: req.remember,
                session_id: req.session_id,
                content: req.message,
                client_message_id: req.client_message_id,
                created_at: self.clock.now(),
                crisis: cued,
            },
        );
        let (recorded, (read, screen_ms), earlier, interaction) = tokio::join!(
            store,
            self.assess(&req_text),
            self.earlier_turns(user, earlier_in.as_ref()),
            self.interaction(user),
        );
        let recorded = recorded?;
        if recorded.replayed {
            reused_id_conflict(&recorded, &req_text, asked_session.as_ref())?;
        }
        let store_ms = ms(t);
        // The router reads the encoding the screen made (its cues run
        // again inside, in microseconds, and agree).
        let t = Instant::now();
        let vector = read.as_ref().map(|a| a.vector.as_slice());
        let decision = triage::route_with(&req_text, vector);
        route_us += t.elapsed().as_micros() as u64;
        let session_id = recorded.session.id.clone();
        let language =
            crisis_resources::for_locale(&interaction.settings.locale, &self.care.default_locale)
                .language;
        if let Some(reply) = recorded.reply {
            tracing::info!(session = %session_id, "replayed an answered turn");
            let crisis = self.replayed_notice(user, &recorded.message, &reply).await;
            let notices = interaction.state.as_ref().map_or_else(Vec::new, |s| {
                self.notices
                    .shown_at(s, recorded.message.created_at, language)
            });
            return Ok(ChatOutcome {
                session_id,
                user_message: recorded.message,
                reply,
                crisis,
                notices,
            });
        }
        let state = interaction.state.clone().unwrap_or_default();
        let minor = AgeBand::effective(age_claim, interaction.settings.age_band)
            .is_minor(self.notices.unknown_as_minor);
        let shown = self.notices.for_message(
            &state,
            recorded.message.created_at,
            new_session,
            minor,
            language,
        );

        let learned = match cued {
            Some(_) => None,
            None => self.learned_flag(&recorded.message, read.as_ref(), &earlier),
        };
        if let Some(flagged) = learned {
            // As the model's mark: the message is stored, so its flag is
            // written beside it. A replay writes the same flag again.
            let flag = CrisisFlag::for_message(&recorded.message, flagged);
            if let Err(e) = self
                .ports
                .conversations
                .record_crisis_flag(user, &flag)
                .await
            {
                tracing::error!(error = %e, "could not store a flag");
            }
        }
        let flagged = cued.or(learned);
        let route = match flagged {
            Some(_) => Route::Crisis,
            None => decision.route,
        };
        if let (Some(flagged), false) = (flagged, recorded.replayed) {
            self.care
                .publish(
                    user,
                    recorded.message.created_at,
                    &flagged,
                    FlagSource::Chat,
                )
                .await;
        }

        let t = Instant::now();
        let profile = ContextProfile::for_route(route).fit(self.models.context_window(route));
        // The message is searchable from now on, whatever the models do,
        // by the vector the screen computed: one encoding per turn.
        let vector = self.retriever.screen_vector(read.as_ref());
        let doc = Doc::message(&recorded.message)
            .with_vector(vector.clone())
            .in_crisis(flagged.is_some());
        let (recent, known, (), ()) = tokio::join!(
            self.ports.conversations.recent_messages(
                user,
                &session_id,
                recorded.message.seq,
                profile.recent_turns,
            ),
            self.knowledge(
                user,
                &session_id,
                route,
                &req_text,
                vector,
                profile,
                deadline
            ),
            self.keep_assessment(user, &recorded.message, read.as_ref()),
            self.retriever
                .index_stored(user, remembered(&recorded.message, vec![doc])),
        );
        let turns = conversation(within_budget(&recent?, profile.budgets.turns));
        let counts = ContextCounts {
            turns: turns.len() as u32,
            memories: known.memories.len() as u32,
            summaries: known.summaries.len() as u32,
            excerpts: known.excerpts.len() as u32,
        };
        let memories_used = known.ids();
        let request =
            prompts::chat::reply_request_for(route, turns, profile, known.render(), minor);
        let context_ms = ms(t);

        let t = Instant::now();
        let answer = self.models.complete(user, route, &request, deadline).await;
        let model_ms = ms(t);
        // The mark is read off every answer, and stripped before anything
        // is stored or shown.
        let answer = answer.map(|a| {
            let read = risk_mark::read(&a.completion.content);
            let completion = Completion {
                content: read.text,
                ..a.completion
            };
            (completion, read.mark)
        });
        let (drafted, stored_route, crisis) = match (flagged, answer) {
            (None, Ok((completion, RiskMark::Risk(category)))) => {
                // The model saw a risk the screen missed: the same answer,
                // as a crisis turn, with no second call.
                let marked = Flagged::by_model_mark(category);
                let flag = CrisisFlag::for_message(&recorded.message, marked);
                if let Err(e) = self
                    .ports
                    .conversations
                    .record_crisis_flag(user, &flag)
                    .await
                {
                    // The reply still carries the resources; only the
                    // record is missing.
                    tracing::error!(error = %e, "could not store a flag");
                }
                self.care
                    .publish(user, flag.at, &marked, FlagSource::Chat)
                    .await;
                let notice = self.care.notice(user, category).await;
                let drafted = self.crisis_reply(&notice, Some(completion));
                (drafted, Route::Crisis, Some(notice))
            }
            (None, Ok((completion, _))) => (
                Drafted {
                    content: completion.content,
                    model: completion.model,
                    usage: completion.usage,
                },
                route,
                None,
            ),
            (None, Err(ModelFailure::NotConfigured(hint))) => {
                return Err(ChatError::ModelUnavailable {
                    why: hint,
                    session_id: new_session.then(|| session_id.clone()),
                });
            }
            (None, Err(ModelFailure::Failed(e))) => {
                return Err(ChatError::ModelUnavailable {
                    why: format!(
                        "the model could not answer ({e}); your message is saved, so try again"
                    ),
                    session_id: new_session.then(|| session_id.clone()),
                });
            }
            (Some(flagged), answer) => {
                let notice = self.care.notice(user, flagged.category).await;
                let drafted = self.crisis_reply(&notice, answer.ok().map(|(c, _)| c));
                (drafted, route, Some(notice))
            }
        };
        // The check of every reply, before it is stored or shown.
        let (drafted, crisis) = self.check_reply(user, drafted, crisis, minor).await;

        let t = Instant::now();
        let reply = self
            .ports
            .conversations
            .record_reply(
                user,
                &session_id,
                recorded.message.seq,
                NewReply {
                    remember: recorded.message.remember,
                    content: drafted.content,
                    created_at: self.clock.now(),
                    meta: ReplyMeta {
                        route: stored_route,
                        model: drafted.model,
                        usage: drafted.usage,
                        memories_used,
                        context: counts,
                    },
                },
            )
            .await?;
        let reply_ms = ms(t);
        // The reply is searchable at once too; the worker adds its vector.
        // A message the model's mark turned into a crisis turn is marked.
        let mut docs = vec![Doc::message(&reply)];
        if stored_route == Route::Crisis && flagged.is_none() {
            docs.push(
                Doc::message(&recorded.message)
                    .in_crisis(true)
                    .with_vector(self.retriever.screen_vector(read.as_ref())),
            );
        }
        let record_notices = async {
            if interaction.state.is_some() {
                self.record_notices(user, &shown.next).await;
            }
            self.keep_age_claim(user, &interaction, age_claim).await;
        };
        tokio::join!(
            record_notices,
            self.enqueue_extraction_if_due(user, &session_id, reply.seq),
            self.retriever
                .index_stored(user, remembered(&recorded.message, docs)),
        );
        // The router's reasons explain a route; on a crisis turn they would
        // name the rule that fired, so they are left out (see `crisis`).
        let reasons: &[&str] = if crisis.is_some() {
            &[]
        } else {
            &decision.reasons
        };
        tracing::info!(
            session = %session_id, route_us, store_ms, screen_ms, context_ms, model_ms, reply_ms,
            "turn complete"
        );
        // The route, apart from the request's span: beside the user id,
        // `crisis` would say who is in crisis.
        tracing::info!(parent: None, route = %stored_route, ?reasons, "turn routed");
        Ok(ChatOutcome {
            session_id,
            user_message: recorded.message,
            reply,
            crisis,
            notices: shown.notices,
        })
    }

    /// The person's settings (or the defaults) and their notice record, in
    /// two bounded reads side by side. A failed read is a warning: the
    /// defaults apply (adult rules unless configured otherwise, and every
    /// notice due), and nothing is written back over the record.
    async fn interaction(&self, user: &UserId) -> Interaction {
        let (settings, state) = tokio::join!(
            self.ports.settings.settings(user),
            self.ports.settings.notices(user)
        );
        let settings_read = settings.is_ok();
        let settings = match settings {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the settings; the turn goes on with the defaults");
                None
            }
        }
        .unwrap_or_else(|| Settings::defaults(&self.care.default_locale));
        let state = match state {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the notice record; every notice is shown");
                None
            }
        };
        Interaction {
            settings,
            settings_read,
            state,
        }
    }

    /// A token's age claim sets the person's age band, so that what has
    /// no token (the check-in pass) applies it too: a write only on the
    /// turn where the claim first differs from the settings.
    async fn keep_age_claim(
        &self,
        user: &UserId,
        interaction: &Interaction,
        claim: Option<AgeBand>,
    ) {
        let Some(claim) =
            claim.filter(|c| interaction.settings_read && *c != interaction.settings.age_band)
        else {
            return;
        };
        let settings = Settings {
            age_band: claim,
            ..interaction.settings.clone()
        };
        if let Err(e) = self.ports.settings.put_settings(user, &settings).await {
            tracing::warn!(error = %e, "could not keep the token's age band in the settings");
        }
    }

    /// Keep what this turn showed: one conditional write. Losing the race
    /// to another turn (or failing) only means a notice may come again.
    async fn record_notices(&self, user: &UserId, next: &NoticeState) {
        match self.ports.settings.record_notices(user, next).await {
            Ok(true) => {}
            Ok(false) => tracing::info!("another turn recorded its notices first"),
            Err(e) => tracing::warn!(error = %e, "could not record the notices shown"),
        }
    }

    /// What the learned layer reads in the person's message, with the time
    /// it took (ms); `None` without a risk model, or when it fails: the
    /// turn goes on without it.
    async fn assess(&self, text: &str) -> (Option<StoredAssessment>, u64) {
        let Some(model) = self.ports.risk.as_deref() else {
            return (None, 0);
        };
        let t = Instant::now();
        let read = match model.assess(&[text.to_owned()]).await {
            Ok(mut all) if all.len() == 1 => all.pop().map(|a| StoredAssessment {
                model: model.model().to_owned(),
                risk: a.risk,
                vector: a.vector,
            }),
            Ok(all) => {
                tracing::warn!(
                    got = all.len(),
                    "the risk model gave no single answer for the message; the turn goes on without it"
                );
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "the risk model could not read the message; the turn goes on without it");
                None
            }
        };
        (read, ms(t))
    }

    /// The session's latest messages before this turn (and perhaps this
    /// turn's, if its write landed first): enough for the person's last
    /// `WINDOW_TURNS` turns and their replies. Failing to read them leaves
    /// the turn to the other layers.
    async fn earlier_turns(&self, user: &UserId, session: Option<&SessionId>) -> Vec<Message> {
        let Some(session) = session else {
            return Vec::new();
        };
        match self
            .ports
            .conversations
            .recent_messages(user, session, u64::MAX, 2 * WINDOW_TURNS + 1)
            .await
        {
            Ok(messages) => messages,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the session's earlier turns; the turn goes on without them");
                Vec::new()
            }
        }
    }

    /// The learned layers' flag on a message the cues did not flag: the
    /// classifier on it, else the person's last turns read together.
    fn learned_flag(
        &self,
        message: &Message,
        read: Option<&StoredAssessment>,
        earlier: &[Message],
    ) -> Option<Flagged> {
        let model = self.ports.risk.as_deref();
        let thresholds: Option<Thresholds> = model.map(|m| m.thresholds());
        if let (Some(read), Some(t)) = (read, &thresholds)
            && let Some(flagged) = judge_turn(&read.risk, t)
        {
            return Some(flagged);
        }
        // Scores are compared only with the current model's.
        let scores = |a: Option<&StoredAssessment>| {
            a.filter(|a| model.is_some_and(|m| m.model() == a.model))
                .map(|a| a.risk)
        };
        let crisis_reply = |seq: u64| {
            earlier
                .iter()
                .any(|m| m.seq == seq && m.reply.as_ref().map(|r| r.route) == Some(Route::Crisis))
        };
        let mut turns: Vec<Turn> = earlier
            .iter()
            .filter(|m| m.role == Role::User && m.seq < message.seq)
            .map(|m| Turn {
                text: &m.content,
                at: m.created_at,
                risk: scores(m.assessment.as_ref()),
                flagged: m.answered_by.is_some_and(crisis_reply),
            })
            .collect();
        turns.push(Turn {
            text: &message.content,
            at: message.created_at,
            risk: scores(read),
            flagged: false,
        });
        conversation::judge_conversation(&turns, thresholds.as_ref())
    }

    /// Keep what the learned layer read with the message; failing to is
    /// only a missing record (later readers do without it).
    async fn keep_assessment(
        &self,
        user: &UserId,
        message: &Message,
        read: Option<&StoredAssessment>,
    ) {
        let Some(read) = read.filter(|r| message.assessment.as_ref() != Some(*r)) else {
            return;
        };
        if let Err(e) = self
            .ports
            .conversations
            .record_assessment(user, &message.session_id, message.seq, read)
            .await
        {
            tracing::warn!(error = %e, "could not keep the message's assessment");
        }
    }

    /// The crisis reply: the model's words if it answered, else the fixed
    /// safe reply; the resources for the person's locale are always
    /// appended by code.
    fn crisis_reply(&self, notice: &CrisisNotice, answer: Option<Completion>) -> Drafted {
        match answer.filter(|c| !c.content.trim().is_empty()) {
            Some(c) => Drafted {
                content: notice.append_to(&c.content),
                model: c.model,
                usage: c.usage,
            },
            None => {
                tracing::warn!(
                    parent: None,
                    "crisis reply: the chat role did not answer; sending the fixed safe reply"
                );
                Drafted {
                    content: notice
                        .append_to(prompts::chat::fixed_crisis_reply(notice.resources.language)),
                    model: "fixed".into(),
                    usage: Usage::default(),
                }
            }
        }
    }

    /// The reply check (`service::reply_check`): a reply that claims to be
    /// human, gives method detail for self-harm, or (for a minor) is
    /// sexual or romantic is replaced by a safe reply, counted with no
    /// user id. Method detail gets the crisis path's fixed reply with the
    /// person's resources, in the reply and apart. The fixed replies are
    /// Hearth's own and are not checked.
    async fn check_reply(
        &self,
        user: &UserId,
        drafted: Drafted,
        crisis: Option<CrisisNotice>,
        minor: bool,
    ) -> (Drafted, Option<CrisisNotice>) {
        if drafted.model == "fixed" {
            return (drafted, crisis);
        }
        let Some(issue) = self.reply_check.judge(&drafted.content, minor).await else {
            return (drafted, crisis);
        };
        super::reply_check::count_replaced(issue, "chat");
        if issue == crate::domain::reply_check::ReplyIssue::MethodDetail {
            let notice = match crisis {
                Some(n) => n,
                None => self.care.notice(user, CrisisCategory::SelfHarm).await,
            };
            let content =
                notice.append_to(prompts::chat::fixed_crisis_reply(notice.resources.language));
            let safe = Drafted {
                content,
                model: "fixed".into(),
                usage: drafted.usage,
            };
            return (safe, Some(notice));
        }
        let text = crate::domain::reply_check::safe_reply(issue);
        let content = match &crisis {
            Some(notice) => notice.append_to(text),
            None => text.to_string(),
        };
        let safe = Drafted {
            content,
            model: "fixed".into(),
            usage: drafted.usage,
        };
        (safe, crisis)
    }

    /// A replayed crisis turn's notice, as the first answer gave it: the
    /// category of the message's stored flag (the screen's, or the model
    /// mark's), else what the screen says of it now, else `suicidal`, so a
    /// crisis reply never comes back without its resources apart.
    async fn replayed_notice(
        &self,
        user: &UserId,
        message: &Message,
        reply: &Message,
    ) -> Option<CrisisNotice> {
        if reply.reply.as_ref().map(|m| m.route) != Some(Route::Crisis) {
            return None;
        }
        let flagged = match self
            .ports
            .conversations
            .list_crisis_flags(user, &crate::domain::page::PageRequest::first(20))
            .await
        {
            Ok(page) => page
                .items
                .into_iter()
                .find(|f| f.message_id == message.id)
                .map(|f| f.category),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the flags of a replayed turn");
                None
            }
        };
        let category = flagged
            .or_else(|| triage::route(&message.content).crisis.map(|c| c.category))
            .unwrap_or(CrisisCategory::Suicidal);
        Some(self.care.notice(user, category).await)
    }

    /// What Hearth knows that fits this message, chosen by the retrieval
    /// engine within the route's quota and token budgets: memories,
    /// session summaries (the current one first) and excerpts of earlier
    /// sessions. One store read when the person's index is warm, however
    /// long their history. Failing to read it degrades the reply, never
    /// fails it.
    #[allow(clippy::too_many_arguments)] // the turn's parts, each read once
    async fn knowledge(
        &self,
        user: &UserId,
        session: &SessionId,
        route: Route,
        text: &str,
        screened: Option<Vector>,
        profile: ContextProfile,
        deadline: Instant,
    ) -> Known {
        let quota = Quota::for_route(route);
        if quota.memories + quota.summaries + quota.messages == 0 {
            return Known::default();
        }
        // The query's vector is the screen's when it made one; else (an
        // embeddings endpoint) it is fetched while the index refreshes.
        let (vector, index) = tokio::join!(
            async {
                match screened {
                    Some(v) => Some(v),
                    None => self.retriever.query_vector(text, deadline).await,
                }
            },
            self.retriever.index(user)
        );
        let index = match index {
            Ok(index) => index,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the retrieval index; replying without it");
                return Known::default();
            }
        };
        let query = Query {
            text,
            vector: vector.as_ref(),
            route,
            now: self.clock.now(),
        };
        let chosen = index.select_relevant(&query, Some(session));
        let memories = chosen
            .memories
            .iter()
            .map(|h| {
                (
                    h.doc.id.clone(),
                    h.doc.category.map_or("memory", |c| c.as_str()).to_string(),
                    h.doc.text.clone(),
                )
            })
            .collect();
        let summaries = chosen
            .summaries
            .iter()
            .map(|h| {
                let day = h.doc.at.date_naive().format("%-d %B %Y");
                (h.doc.session_id.clone(), format!("({day}) {}", h.doc.text))
            })
            .collect();
        let excerpts: Vec<(String, String, String)> = chosen
            .messages
            .iter()
            .map(|h| {
                (
                    h.doc.id.clone(),
                    date_note(&h.doc.text, h.doc.at),
                    h.doc.text.clone(),
                )
            })
            .collect();
        let memories = fit_items(memories, profile.budgets.memories, |(_, _, t)| t.as_str());
        let summaries = fit_items(summaries, profile.budgets.summaries, |(_, t)| t.as_str());
        let used: u32 = summaries.iter().map(|(_, t)| estimate_tokens(t) + 4).sum();
        let excerpts = fit_items(
            excerpts,
            profile.budgets.summaries.saturating_sub(used),
            |(_, _, t)| t.as_str(),
        );
        Known {
            memories,
            summaries,
            excerpts,
        }
    }

    /// Every 6 new messages (either role), one extraction job for them, so
    /// the session's next replies already benefit. The claim is atomic, so
    /// racing turns enqueue one job. If the enqueue fails the claim is given
    /// back, and the next turn or the idle sweep takes it; the person's turn
    /// is not failed for it.
    async fn enqueue_extraction_if_due(
        &self,
        user: &UserId,
        session: &SessionId,
        message_count: u64,
    ) {
        let claimed = match self
            .ports
            .memories
            .claim_extraction(user, session, message_count, EXTRACT_EVERY)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(%session, error = %e, "could not check whether extraction is due");
                return;
            }
        };
        let Some((from_seq, to_seq)) = claimed else {
            return;
        };
        let job = Job::ExtractSession {
            user: user.clone(),
            session_id: session.clone(),
            from_seq,
            to_seq,
        };
        match self.ports.queue.enqueue(&job).await {
            Ok(()) => tracing::info!(%session, from_seq, to_seq, "extraction job enqueued"),
            Err(e) => {
                tracing::error!(%session, error = %e, "could not enqueue extraction; releasing the claim");
                if let Err(e) = self
                    .ports
                    .memories
                    .release_extraction(user, session, (from_seq, to_seq))
                    .await
                {
                    tracing::error!(%session, error = %e, "could not release the claim; the idle sweep will not see it");
                }
            }
        }
    }
}

/// What went into a prompt, as chosen by retrieval.
#[derive(Default)]
struct Known {
    /// (memory id, category, text)
    memories: Vec<(String, String, String)>,
    /// (session, summary)
    summaries: Vec<(SessionId, String)>,
    /// (message id, date, text)
    excerpts: Vec<(String, String, String)>,
}

impl Known {
    /// What was in the prompt: memory ids, `summary:<session>` for
    /// summaries and `message:<id>` for excerpts.
    fn ids(&self) -> Vec<String> {
        self.memories
            .iter()
            .map(|(id, _, _)| id.clone())
            .chain(self.summaries.iter().map(|(s, _)| format!("summary:{s}")))
            .chain(
                self.excerpts
                    .iter()
                    .map(|(id, _, _)| format!("message:{id}")),
            )
            .collect()
    }

    fn render(&self) -> Option<String> {
        let memories: Vec<(String, String)> = self
            .memories
            .iter()
            .map(|(_, c, t)| (c.clone(), t.clone()))
            .collect();
        let summaries: Vec<String> = self.summaries.iter().map(|(_, s)| s.clone()).collect();
        let excerpts: Vec<(String, String)> = self
            .excerpts
            .iter()
            .map(|(_, d, t)| (d.clone(), t.clone()))
            .collect();
        prompts::known_context(&memories, &summaries, &excerpts)
    }
}

/// What of a turn is indexed: all of it, or nothing when the person asked
/// Hearth not to remember it (the message's own mark, which its session's
/// took when it was written).
fn remembered(message: &Message, docs: Vec<Doc>) -> Vec<Doc> {
    if message.remember { docs } else { Vec::new() }
}

fn ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

/// A replayed `client_message_id` must be a retry of the same turn: the
/// same content, and the same session when the request names one (a retry
/// of a session's first message names none).
fn reused_id_conflict(
    recorded: &crate::domain::message::RecordedTurn,
    content: &str,
    asked_session: Option<&SessionId>,
) -> Result<(), ChatError> {
    if recorded.message.content != content {
        return Err(ChatError::Conflict(
            "client_message_id was already used for a different message".into(),
        ));
    }
    if asked_session.is_some_and(|s| *s != recorded.session.id) {
        return Err(ChatError::Conflict(
            "client_message_id was already used in another session".into(),
        ));
    }
    Ok(())
}
