//! The journal: entries are screened (the explicit cues, then the learned
//! layer's one assessment of the entry, before it is stored, so the entry
//! is written once with its flag; a failing risk model leaves it to the
//! cues), stored (with their crisis flag, when flagged) and queued for extraction (so what a person writes there is
//! remembered); a reflective prompt is written by the deep role from the
//! last 72 hours of conversation, the recent entries and the relevant
//! memories, then stored and returned. When what the prompt would read
//! shows crisis, no model is asked: the prompt is the gentle one, with the
//! resources for the person's locale.

use super::crisis::{self, CrisisCare};
use super::models::{ModelFailure, ModelRoles};
use super::recent::conversation_between;
use super::retrieval::Retriever;
use crate::domain::assessment::StoredAssessment;
use crate::domain::crisis_notice::CrisisNotice;
use crate::domain::ids::UserId;
use crate::domain::jobs::Job;
use crate::domain::journal::{self, JournalItem, JournalKind, PROMPT_LOOKBACK};
use crate::domain::message::{CrisisFlag, Role};
use crate::domain::page::PageRequest;
use crate::domain::prompts;
use crate::domain::retrieval::Doc;
use crate::domain::route::{ModelRole, Route};
use crate::domain::safety;
use crate::domain::safety::flag::{FlagSource, Flagged};
use crate::domain::safety::learned::judge_turn;
use crate::ports::{Clock, ConversationStore, JobQueue, JournalStore, RiskModel, StoreError};
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
    pub care: CrisisCare,
    /// The crisis screen's learned layer, when loaded.
    pub risk: Option<Arc<dyn RiskModel>>,
}

/// A journal item as stored, and the crisis notice when the entry was
/// flagged or the prompt is the gentle one.
#[derive(Debug, Clone)]
pub struct Written {
    pub item: JournalItem,
    pub crisis: Option<CrisisNotice>,
}

impl JournalService {
    /// Screen an entry and store it with its flag, publish `CrisisFlagged`
    /// when flagged, then queue its extraction. The entry is durable before
    /// the enqueue; a failed enqueue is an error the caller sees.
    pub async fn add_entry(&self, user: &UserId, text: &str) -> Result<Written, JournalError> {
        journal::validate_entry(text)?;
        let (flagged, read) = match safety::screen(text) {
            Some(signal) => (Some(Flagged::from(&signal)), None),
            None => self.classify(text).await,
        };
        let mut item = JournalItem::new(JournalKind::Entry, text, self.clock.now());
        item.flag = flagged.map(Into::into);
        self.journal.add_journal(user, &item).await?;
        // Searchable at once, by the screen's vector when it made one.
        if let Ok(message) = super::extraction::journal_message(&item) {
            let doc = Doc::message(&message)
                .with_vector(self.retriever.screen_vector(read.as_ref()))
                .in_crisis(flagged.is_some());
            self.retriever.index_stored(user, vec![doc]).await;
        }
        let crisis = match flagged {
            Some(flagged) => {
                // The entry holds its flag; the flag list holds it too, so
                // the next check-in is gentle.
                if let Some(flag) = CrisisFlag::for_journal_entry(&item, flagged)
                    && let Err(e) = self.conversations.record_crisis_flag(user, &flag).await
                {
                    tracing::error!(error = %e, "could not store a flag");
                }
                self.care
                    .publish(user, item.created_at, &flagged, FlagSource::Journal)
                    .await;
                Some(self.care.notice(user, flagged.category).await)
            }
            None => None,
        };
        self.queue
            .enqueue(&Job::ExtractJournal {
                user: user.clone(),
                entry_id: item.id.clone(),
            })
            .await?;
        Ok(Written { item, crisis })
    }

    /// The learned layer's flag on an entry the cues did not flag, and its
    /// reading (with the vector the entry is indexed by); `None` without a
    /// risk model, or when it fails.
    async fn classify(&self, text: &str) -> (Option<Flagged>, Option<StoredAssessment>) {
        let Some(model) = self.risk.as_deref() else {
            return (None, None);
        };
        match model.assess(&[text.to_owned()]).await {
            Ok(mut read) => match read.pop() {
                Some(a) => (
                    judge_turn(&a.risk, &model.thresholds()),
                    Some(StoredAssessment {
                        model: model.model().to_owned(),
                        risk: a.risk,
                        vector: a.vector,
                    }),
                ),
                None => (None, None),
            },
            Err(e) => {
                tracing::warn!(error = %e, "the risk model could not read the entry; it is stored without it");
                (None, None)
            }
        }
    }

    /// Write, store and return a reflective prompt.
    pub async fn prompt(&self, user: &UserId) -> Result<Written, JournalError> {
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
        let theirs: Vec<&str> = turns
            .iter()
            .filter(|(r, _)| *r == Role::User)
            .map(|(_, t)| t.as_str())
            .chain(entries.iter().map(|e| e.text.as_str()))
            .collect();
        // Every entry read is shown to the model, so a flag on any of them
        // counts, however old.
        let flagged_entry = entries
            .iter()
            .find_map(|e| e.flag.as_ref().map(|f| f.category));
        let in_crisis = match flagged_entry {
            Some(c) => Some(c),
            None => {
                crisis::in_window(
                    &*self.conversations,
                    user,
                    since,
                    now,
                    theirs.iter().copied(),
                )
                .await?
            }
        };
        if let Some(category) = in_crisis {
            let notice = self.care.notice(user, category).await;
            let gentle = journal::gentle_prompt(notice.resources.language);
            let item = JournalItem::new(JournalKind::Prompt, &notice.append_to(gentle), now);
            self.journal.add_journal(user, &item).await?;
            return Ok(Written {
                item,
                crisis: Some(notice),
            });
        }
        let said = theirs.join(" ");
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
        Ok(Written { item, crisis: None })
    }
}
