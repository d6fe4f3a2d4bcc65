//! The backfill behind `hearth migrate`: history stored before messages
//! were indexed on write (chat, import and journal entries now are) is put
//! in each person's index log, so search and the reply's retrieval find it.
//! It reads a person's sessions and their messages page by page, and their
//! journal entries, and hands each page to `Retriever::complete_messages`,
//! which puts what the index lacks (with its crisis mark) and, when
//! vectors are on, encodes in batches what it holds without one.
//! Idempotent: a second run puts nothing.

use super::extraction::{crisis_message_ids, journal_message};
use super::retrieval::Retriever;
use crate::domain::ids::UserId;
use crate::domain::journal::JournalKind;
use crate::domain::limits::MAX_PAGE_SIZE;
use crate::domain::message::Message;
use crate::domain::page::PageRequest;
use crate::ports::{ConversationStore, JournalStore, StoreError};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::OnceCell;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The index could not be read or written, or the messages encoded.
    #[error("{0}")]
    Index(String),
}

/// What a backfill read and put. `indexed` counts the messages and
/// journal entries put in the index (new, or given their vector).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BackfillReport {
    pub users: usize,
    pub sessions: usize,
    pub messages: usize,
    pub journal_entries: usize,
    pub indexed: usize,
    /// Whether vectors were computed (the encoder or an embeddings model
    /// was there); without one the index ranks what it put lexically.
    pub vectors: bool,
    /// The people whose backfill failed (each logged); running again
    /// picks up where they stopped.
    pub failed: Vec<UserId>,
}

impl BackfillReport {
    fn add(&mut self, other: &BackfillReport) {
        self.users += other.users;
        self.sessions += other.sessions;
        self.messages += other.messages;
        self.journal_entries += other.journal_entries;
        self.indexed += other.indexed;
        self.failed.extend(other.failed.iter().cloned());
    }
}

/// The ports the backfill reads through, and the retriever it indexes with.
pub struct Migration {
    pub conversations: Arc<dyn ConversationStore>,
    pub journal: Arc<dyn JournalStore>,
    pub retriever: Arc<Retriever>,
}

impl Migration {
    /// Index the stored history of one person.
    pub async fn backfill(&self, user: &UserId) -> Result<BackfillReport, MigrateError> {
        let mut report = BackfillReport {
            users: 1,
            vectors: self.retriever.semantic(),
            ..BackfillReport::default()
        };
        // The person's flagged message ids, read once, and only when some
        // message is missing from the index.
        let flags: OnceCell<HashSet<String>> = OnceCell::new();
        let mut sessions = PageRequest::first(MAX_PAGE_SIZE);
        loop {
            let page = self.conversations.list_sessions(user, &sessions).await?;
            for session in &page.items {
                report.sessions += 1;
                let mut messages = PageRequest::first(MAX_PAGE_SIZE);
                loop {
                    let chunk = self
                        .conversations
                        .list_messages(user, &session.id, &messages)
                        .await?;
                    report.messages += chunk.items.len();
                    // Nothing of a session that does not remember, nor a
                    // turn kept out of memory, is indexed.
                    let remembered: Vec<Message> = chunk
                        .items
                        .into_iter()
                        .filter(|m| session.remember && m.remember)
                        .collect();
                    report.indexed += self.complete(user, &remembered, &flags, &[]).await?;
                    match chunk.next_cursor {
                        Some(c) => messages.cursor = Some(c),
                        None => break,
                    }
                }
            }
            match page.next_cursor {
                Some(c) => sessions.cursor = Some(c),
                None => break,
            }
        }
        let mut entries = PageRequest::first(MAX_PAGE_SIZE);
        loop {
            let page = self
                .journal
                .list_journal(user, Some(JournalKind::Entry), &entries)
                .await?;
            // As the journal indexes an entry: the one message of its own
            // session, marked when the entry holds its flag.
            let mut messages = Vec::with_capacity(page.items.len());
            let mut flagged = Vec::new();
            for item in &page.items {
                match journal_message(item) {
                    Ok(m) => {
                        if item.flag.is_some() {
                            flagged.push(m.id.to_string());
                        }
                        messages.push(m);
                    }
                    Err(e) => {
                        tracing::warn!(entry = %item.id, error = %e, "journal entry not indexable; skipped")
                    }
                }
            }
            report.journal_entries += messages.len();
            report.indexed += self.complete(user, &messages, &flags, &flagged).await?;
            match page.next_cursor {
                Some(c) => entries.cursor = Some(c),
                None => break,
            }
        }
        Ok(report)
    }

    /// Index the stored history of everyone who has one, one person at a
    /// time; a person who fails is logged and listed, and the rest go on.
    /// `progress` hears of each person done.
    pub async fn backfill_everyone(
        &self,
        mut progress: impl FnMut(&UserId, &BackfillReport),
    ) -> Result<BackfillReport, MigrateError> {
        let mut total = BackfillReport {
            vectors: self.retriever.semantic(),
            ..BackfillReport::default()
        };
        let mut people = PageRequest::first(MAX_PAGE_SIZE);
        loop {
            let page = self.conversations.all_users(&people).await?;
            for user in &page.items {
                let one = match self.backfill(user).await {
                    Ok(one) => one,
                    Err(e) => {
                        tracing::error!(user = %user, error = %e, "backfill failed; run it again");
                        BackfillReport {
                            users: 1,
                            failed: vec![user.clone()],
                            ..BackfillReport::default()
                        }
                    }
                };
                // One person at a time: their index need not stay warm.
                self.retriever.forget(user);
                progress(user, &one);
                total.add(&one);
            }
            match page.next_cursor {
                Some(c) => people.cursor = Some(c),
                None => return Ok(total),
            }
        }
    }

    /// Put what the index lacks of `messages`; `also_flagged` are ids
    /// marked in crisis besides the person's flag list.
    async fn complete(
        &self,
        user: &UserId,
        messages: &[Message],
        flags: &OnceCell<HashSet<String>>,
        also_flagged: &[String],
    ) -> Result<usize, MigrateError> {
        if messages.is_empty() {
            return Ok(0);
        }
        self.retriever
            .complete_messages(user, messages, || async {
                let mut ids = flags
                    .get_or_try_init(|| crisis_message_ids(&*self.conversations, user))
                    .await?
                    .clone();
                ids.extend(also_flagged.iter().cloned());
                Ok(ids)
            })
            .await
            .map_err(MigrateError::Index)
    }
}
