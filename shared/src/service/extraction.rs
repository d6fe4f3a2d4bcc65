//! The `extract_session` job: one model call per job. It reads the job's
//! messages, the session's rolling summary and the memories most related to
//! them, asks the deep role (falling back to chat) for schema-bound JSON,
//! validates it, consolidates it with what is known, and writes the
//! memories, summary and watermark together.
//!
//! Idempotent: a job whose range is already extracted is acknowledged with
//! no model call, and the write is conditioned on the watermark, so any
//! number of deliveries leave the memory set one delivery leaves.

use super::jobs::{JobError, JobHandler};
use super::models::{ModelFailure, ModelRoles};
use super::retrieval::Retriever;
use crate::domain::completion::FinishReason;
use crate::domain::context::estimate_tokens;
use crate::domain::events::DomainEvent;
use crate::domain::extraction::{self, RELATED_MEMORIES};
use crate::domain::ids::{MessageId, SessionId, UserId};
use crate::domain::jobs::Job;
use crate::domain::memory::ExtractionState;
use crate::domain::message::{Message, Role};
use crate::domain::prompts;
use crate::domain::retrieval::{self, DocKind, doc_key};
use crate::domain::route::ModelRole;
use crate::ports::{
    ApplyOutcome, Clock, ConversationStore, EventBus, JobQueue, JournalStore, MemoryStore,
};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The most messages one job reads (a job normally covers about six).
const MAX_JOB_MESSAGES: u64 = 200;
/// Known memories the related ones are chosen from.
const CANDIDATE_MEMORIES: usize = 500;
/// Tombstones checked against new facts.
const TOMBSTONES: usize = 500;
/// A job's model deadline: a background job can wait longer than a chat turn.
const JOB_DEADLINE: Duration = Duration::from_secs(90);

pub struct Extractor {
    pub conversations: Arc<dyn ConversationStore>,
    pub memories: Arc<dyn MemoryStore>,
    pub events: Arc<dyn EventBus>,
    pub queue: Arc<dyn JobQueue>,
    pub models: ModelRoles,
    pub clock: Arc<dyn Clock>,
    pub retriever: Arc<Retriever>,
    pub journal: Arc<dyn JournalStore>,
}

fn failed(e: impl std::fmt::Display) -> JobError {
    JobError::Failed(e.to_string())
}

#[async_trait]
impl JobHandler for Extractor {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        match job {
            Job::ExtractSession {
                user,
                session_id,
                to_seq,
                ..
            } => self.session(job, user, session_id, *to_seq).await,
            Job::ExtractJournal { user, entry_id } => self.journal(job, user, entry_id).await,
            Job::Checkin { .. } => Err(JobError::Permanent(format!(
                "{} is not an extraction job",
                job.kind()
            ))),
        }
    }
}

impl Extractor {
    /// A journal entry is extracted as a one-message session of its own,
    /// `journal-<entry id>`, so the watermark makes redelivery a no-op.
    async fn journal(&self, job: &Job, user: &UserId, entry_id: &str) -> Result<(), JobError> {
        let Some(entry) = self
            .journal
            .get_journal(user, entry_id)
            .await
            .map_err(failed)?
        else {
            tracing::warn!(entry_id, "journal entry not found (erased?); acknowledged");
            return Ok(());
        };
        let message = journal_message(&entry).map_err(failed)?;
        let session_id = message.session_id.clone();
        let state = self
            .memories
            .extraction_state(user, &session_id)
            .await
            .map_err(failed)?;
        if state.extracted_through >= 1 {
            tracing::info!(entry_id, "journal entry already extracted; acknowledged");
            return Ok(());
        }
        self.extract(job, user, &session_id, &state, vec![message], 1, true)
            .await
    }

    async fn session(
        &self,
        job: &Job,
        user: &UserId,
        session_id: &SessionId,
        to_seq: u64,
    ) -> Result<(), JobError> {
        let to_seq = &to_seq;
        let state = self
            .memories
            .extraction_state(user, session_id)
            .await
            .map_err(failed)?;
        if state.extracted_through >= *to_seq {
            tracing::info!(%session_id, to_seq, "already extracted; acknowledged without a model call");
            return Ok(());
        }
        // Everything not yet read, including any gap a dead-lettered job left.
        // Oldest first: a long gap is read from its start, the rest follows.
        let from = state.extracted_through + 1;
        let until = (*to_seq).min(from + MAX_JOB_MESSAGES - 1);
        let messages = self
            .conversations
            .recent_messages(user, session_id, until, (until - from + 1) as usize)
            .await
            .map_err(failed)?;
        if messages.is_empty() {
            // Not this user's session, or erased: nothing to read, nothing to write.
            tracing::warn!(%session_id, "extraction job found no messages; acknowledged");
            return Ok(());
        }
        // A session started or marked `remember: false` gives nothing.
        let remembers = self
            .conversations
            .get_session(user, session_id)
            .await
            .map_err(failed)?
            .is_none_or(|s| s.remember);
        self.extract(job, user, session_id, &state, messages, *to_seq, remembers)
            .await
    }

    /// One model call over the job's memory material (`memory_material`:
    /// no turn kept out of memory, nothing said in crisis; the oldest that
    /// fit the window), then one write of memories, summary, watermark and
    /// index. A crisis day gets its sensitive marker instead. A job with
    /// no material moves the watermark with no model call.
    #[allow(clippy::too_many_arguments)]
    async fn extract(
        &self,
        job: &Job,
        user: &UserId,
        session_id: &SessionId,
        state: &ExtractionState,
        messages: Vec<Message>,
        to_seq: u64,
        session_remembers: bool,
    ) -> Result<(), JobError> {
        let to_seq = &to_seq;
        let range_end = messages.last().map_or(*to_seq, |m| m.seq);
        let range_as_of = messages.iter().map(|m| m.created_at).max();
        let crisis = crisis_message_ids(&*self.conversations, user)
            .await
            .map_err(failed)?;
        // First, before any model call: every remembered message of the
        // range is in the index with its vector (encoded here, in
        // batches), whatever the model does next. Usually they were put
        // when stored and only the replies' vectors are new.
        let remembered: Vec<Message> = messages
            .iter()
            .filter(|m| session_remembers && m.remember)
            .cloned()
            .collect();
        let put = self
            .retriever
            .complete_messages(user, &remembered, || async { Ok(crisis.clone()) })
            .await
            .map_err(JobError::Failed)?;
        if put > 0 {
            tracing::info!(%session_id, put, "messages indexed with their vectors");
        }
        let material = extraction::memory_material(messages, session_remembers, &crisis);
        let messages = material.messages;
        if messages.is_empty() {
            return self
                .markers_only(
                    user,
                    session_id,
                    state,
                    range_end,
                    &material.hard_days,
                    range_as_of,
                )
                .await;
        }
        let text: String = messages
            .iter()
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let known = self
            .memories
            .active_memories(user, CANDIDATE_MEMORIES)
            .await
            .map_err(failed)?;
        // A sensitive marker is never memory material for the model.
        let candidates: Vec<_> = known
            .iter()
            .filter(|m| !m.is_sensitive())
            .cloned()
            .collect();
        let related =
            retrieval::related_memories(&candidates, &text, RELATED_MEMORIES, self.clock.now());
        let tombstones = self
            .memories
            .tombstones(user, TOMBSTONES)
            .await
            .map_err(failed)?;

        // The prompt must fit the smaller window of the deep and chat
        // models: read the oldest messages that fit, and leave the rest to a
        // follow-up job.
        let window = self
            .models
            .context_window_for(ModelRole::Deep, Some(ModelRole::Chat));
        let fixed = estimate_tokens(prompts::extraction::EXTRACTION_SYSTEM)
            + estimate_tokens(prompts::DATA_RULE)
            + estimate_tokens(
                &prompts::extraction::schema(MAX_JOB_MESSAGES as usize, related.len()).to_string(),
            )
            + related
                .iter()
                .map(|m| estimate_tokens(&m.content) + 8)
                .sum::<u32>()
            + state.summary.as_deref().map_or(0, estimate_tokens)
            + prompts::extraction::EXTRACTION_MAX_TOKENS
            + 64;
        let budget = ((window as f32 * 0.85) as u32).saturating_sub(fixed);
        let mut used = 0;
        let fitting = messages
            .iter()
            .take_while(|m| {
                used += estimate_tokens(&m.content) + 8;
                used <= budget
            })
            .count()
            .max(1);
        // All of it fits: the range's turns kept out of memory after the
        // last one read are done with too.
        let through = if fitting == messages.len() {
            range_end
        } else {
            messages[fitting - 1].seq
        };
        let messages = &messages[..fitting];
        let data_as_of = messages
            .iter()
            .map(|m| m.created_at)
            .max()
            .unwrap_or_else(|| self.clock.now());
        let (request, handles) =
            prompts::extraction::request(messages, state.summary.as_deref(), &related);

        let answer = self
            .models
            .complete_for(
                user,
                job.kind(),
                ModelRole::Deep,
                Some(ModelRole::Chat),
                &request,
                Instant::now() + JOB_DEADLINE,
            )
            .await
            .map_err(|e| match e {
                ModelFailure::NotConfigured(hint) => JobError::Permanent(hint),
                ModelFailure::Failed(e) => failed(e),
            })?;
        let completion = answer.completion;
        let output = extraction::parse(
            &completion.content,
            completion.finish == FinishReason::Length,
            &handles,
        )
        .map_err(failed)?;
        let mut plan = extraction::consolidate(output, session_id, &tombstones, self.clock.now());
        plan.writes.extend(extraction::hard_day_markers(
            &material.hard_days,
            &known,
            &tombstones,
            session_id,
            self.clock.now(),
        ));
        // The retrieval index learns the job's memories and summary in the
        // same write (vectors first, when semantic retrieval is on); its
        // messages are in it already.
        let mut to_embed: Vec<(String, String)> = plan
            .writes
            .iter()
            .filter(|w| w.memory.is_active())
            .map(|w| {
                (
                    doc_key(DocKind::Memory, w.memory.id.as_str()),
                    w.memory.content.clone(),
                )
            })
            .collect();
        to_embed.push((
            doc_key(DocKind::Summary, session_id.as_str()),
            plan.summary.clone(),
        ));
        let vectors = self
            .retriever
            .embed_items(to_embed)
            .await
            .map_err(JobError::Failed)?;
        let written: Vec<_> = plan.writes.iter().map(|w| w.memory.clone()).collect();
        plan.index = retrieval::job_ops(
            &[],
            &written,
            session_id,
            &plan.summary,
            self.clock.now(),
            &vectors,
        );
        match self
            .memories
            .apply_extraction(
                user,
                session_id,
                state.extracted_through,
                through,
                &plan,
                data_as_of,
            )
            .await
            .map_err(failed)?
        {
            ApplyOutcome::Applied => {
                tracing::info!(%session_id, through, writes = plan.writes.len(), added = plan.added, "memories extracted");
                let event = DomainEvent::MemoriesUpdated {
                    user: user.clone(),
                    count: plan.writes.len() as u32,
                    at: self.clock.now(),
                };
                if let Err(e) = self.events.publish(&[event]).await {
                    tracing::error!(error = %e, "memories stored, but MemoriesUpdated could not be published");
                }
                // Keep the person's index log short for a cold process; the
                // job is done whatever happens here.
                if let Err(e) = self.retriever.compact(user).await {
                    tracing::warn!(error = %e, "could not snapshot the index; a later job will");
                }
                if through < *to_seq
                    && let Job::ExtractSession { .. } = job
                {
                    let rest = Job::ExtractSession {
                        user: user.clone(),
                        session_id: session_id.clone(),
                        from_seq: through + 1,
                        to_seq: *to_seq,
                    };
                    self.queue.enqueue(&rest).await.map_err(failed)?;
                    tracing::info!(%session_id, from_seq = through + 1, to_seq, "the rest did not fit one prompt; enqueued a follow-up job");
                }
                Ok(())
            }
            ApplyOutcome::AlreadyApplied => {
                tracing::info!(%session_id, "another delivery extracted this range first");
                Ok(())
            }
            ApplyOutcome::Erased => {
                tracing::info!(%session_id, "the person erased their data meanwhile; nothing written");
                Ok(())
            }
            ApplyOutcome::Conflict => Err(JobError::Failed(
                "a memory changed while the job ran; it will run again".into(),
            )),
        }
    }
}

impl Extractor {
    /// A job with no memory material: the watermark moves past its range
    /// and the session's summary stays as it was, with no model call; a
    /// crisis day in it gets its sensitive marker.
    async fn markers_only(
        &self,
        user: &UserId,
        session_id: &SessionId,
        state: &ExtractionState,
        through: u64,
        hard_days: &[chrono::NaiveDate],
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), JobError> {
        let writes = if hard_days.is_empty() {
            Vec::new()
        } else {
            let known = self
                .memories
                .active_memories(user, CANDIDATE_MEMORIES)
                .await
                .map_err(failed)?;
            let tombstones = self
                .memories
                .tombstones(user, TOMBSTONES)
                .await
                .map_err(failed)?;
            extraction::hard_day_markers(
                hard_days,
                &known,
                &tombstones,
                session_id,
                self.clock.now(),
            )
        };
        let plan = crate::domain::extraction::Plan {
            writes,
            summary: String::new(),
            added: 0,
            index: Vec::new(),
        };
        let as_of = as_of.unwrap_or_else(|| self.clock.now());
        match self
            .memories
            .apply_extraction(
                user,
                session_id,
                state.extracted_through,
                through,
                &plan,
                as_of,
            )
            .await
            .map_err(failed)?
        {
            ApplyOutcome::Conflict => Err(JobError::Failed(
                "a memory changed while the job ran; it will run again".into(),
            )),
            _ => {
                tracing::info!(%session_id, through, markers = plan.writes.len(), "nothing to remember in the range; the watermark moved");
                Ok(())
            }
        }
    }
}

/// The ids of the person's messages that were flagged in crisis (a
/// person has few flags; read only when a message is missing from the
/// index).
pub(crate) async fn crisis_message_ids(
    conversations: &dyn ConversationStore,
    user: &UserId,
) -> Result<std::collections::HashSet<String>, crate::ports::StoreError> {
    use crate::domain::page::PageRequest;
    let mut ids = std::collections::HashSet::new();
    let mut page = PageRequest::first(crate::domain::limits::MAX_PAGE_SIZE);
    loop {
        let flags = conversations.list_crisis_flags(user, &page).await?;
        ids.extend(flags.items.iter().map(|f| f.message_id.to_string()));
        match flags.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(ids),
        }
    }
}

/// A journal entry as the one message of its own session,
/// `journal-<entry id>`: how extraction reads it and the index keeps it.
pub(crate) fn journal_message(
    entry: &crate::domain::journal::JournalItem,
) -> Result<Message, crate::domain::ids::IdError> {
    Ok(Message {
        remember: true,
        id: MessageId::parse(&entry.id)?,
        session_id: SessionId::parse(format!("journal-{}", entry.id))?,
        seq: 1,
        role: Role::User,
        content: entry.text.clone(),
        created_at: entry.created_at,
        external_id: None,
        client_message_id: None,
        reply: None,
        answered_by: None,
        assessment: None,
    })
}
