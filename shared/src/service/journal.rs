//! The journal: entries are stored and queued for extraction (so what a
//! person writes there is remembered); a reflective prompt is written by
//! the deep role from the last 72 hours of conversation, the recent
//! entries and the relevant memories, then stored and returned.

use super::models::{ModelFailure, ModelRoles};
use super::recent::conversation_between;
use super::retrieval::Retriever;
use crate::domain::ids::UserId;
use crate::domain::jobs::Job;
use crate::domain::journal::{self, JournalItem, JournalKind, PROMPT_LOOKBACK};
use crate::domain::message::Role;
use crate::domain::page::PageRequest;
use crate::domain::prompts;
use crate::domain::route::{ModelRole, Route};
use crate::ports::{Clock, ConversationStore, JobQueue, JournalStore, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const RECENT_SESSIONS: u32 = 10;
const MESSAGES_PER_SESSION: usize = 40;
const RECENT_ENTRIES: u32 = 5;
const DEADLINE: Duration = Duration::from_secs(45);

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(transparent)]
    Entry(#[from] journal::EntryError),
    #[error("{0}")]
    ModelUnavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct JournalService {
    pub conversations: Arc<dyn ConversationStore>,
    pub journal: Arc<dyn JournalStore>,
    pub queue: Arc<dyn JobQueue>,
    pub models: ModelRoles,
    pub retriever: Arc<Retriever>,
    pub clock: Arc<dyn Clock>,
}

impl JournalService {
    /// Store an entry, then queue its extraction. The entry is durable
    /// before the enqueue; a failed enqueue is an error the caller sees.
    pub async fn add_entry(&self, user: &UserId, text: &str) -> Result<JournalItem, JournalError> {
        journal::validate_entry(text)?;
        let item = JournalItem::new(JournalKind::Entry, text, self.clock.now());
        self.journal.add_journal(user, &item).await?;
        self.queue
            .enqueue(&Job::ExtractJournal {
                user: user.clone(),
                entry_id: item.id.clone(),
            })
            .await?;
        Ok(item)
    }

    /// Write, store and return a reflective prompt.
    pub async fn prompt(&self, user: &UserId) -> Result<JournalItem, JournalError> {
        let now = self.clock.now();
        let since = now - PROMPT_LOOKBACK;
        let turns = conversation_between(
            &*self.conversations,
            user,
            since,
            now,
            RECENT_SESSIONS,
            MESSAGES_PER_SESSION,
        )
        .await?;
        let entries = self
            .journal
            .list_journal(
                user,
                Some(JournalKind::Entry),
                &PageRequest::first(RECENT_ENTRIES),
            )
            .await?
            .items;
        let said: String = turns
            .iter()
            .filter(|(r, _)| *r == Role::User)
            .map(|(_, t)| t.as_str())
            .chain(entries.iter().map(|e| e.text.as_str()))
            .collect::<Vec<_>>()
            .join(" ");
        let known = self
            .retriever
            .memories_section(user, &said, Route::Reasoning, now, "journal prompt")
            .await;
        let request = prompts::journal::prompt_request(&turns, &entries, known.as_deref());
        let answer = self
            .models
            .complete_for(
                user,
                "journal_prompt",
                ModelRole::Deep,
                Some(ModelRole::Chat),
                &request,
                Instant::now() + DEADLINE,
            )
            .await
            .map_err(|e| match e {
                ModelFailure::NotConfigured(hint) => JournalError::ModelUnavailable(hint),
                ModelFailure::Failed(e) => JournalError::ModelUnavailable(format!(
                    "the model could not write a prompt ({e}); try again"
                )),
            })?;
        let text = answer.completion.content.trim();
        if text.is_empty() {
            return Err(JournalError::ModelUnavailable(
                "the model wrote an empty prompt; try again".into(),
            ));
        }
        let item = JournalItem::new(JournalKind::Prompt, text, now);
        self.journal.add_journal(user, &item).await?;
        Ok(item)
    }
}
