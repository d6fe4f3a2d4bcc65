//! The person's conversation over a recent window, across sessions, oldest
//! first: what the check-in (24 hours) and the journal prompt (72 hours)
//! look back over. A bounded read: the newest `sessions` sessions, at most
//! `per_session` messages of each.

use crate::domain::ids::UserId;
use crate::domain::message::Role;
use crate::domain::page::PageRequest;
use crate::ports::{ConversationStore, StoreError};
use chrono::{DateTime, Utc};

/// Messages written in `(since, until]`, oldest first. Empty when the
/// person did not talk in that window.
pub async fn conversation_between(
    conversations: &dyn ConversationStore,
    user: &UserId,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    sessions: u32,
    per_session: usize,
) -> Result<Vec<(Role, String)>, StoreError> {
    let page = conversations
        .list_sessions(user, &PageRequest::first(sessions))
        .await?;
    let mut recent = Vec::new();
    for s in page.items.iter().filter(|s| s.last_message_at > since) {
        for m in conversations
            .recent_messages(user, &s.id, s.message_count, per_session)
            .await?
        {
            if m.created_at > since && m.created_at <= until {
                recent.push((m.created_at, m.role, m.content));
            }
        }
    }
    recent.sort_by_key(|(t, _, _)| *t);
    Ok(recent.into_iter().map(|(_, r, t)| (r, t)).collect())
}
