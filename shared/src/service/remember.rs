//! "Don't remember this" for a whole session (`PATCH /v1/sessions/{id}`
//! with `{"remember": false}`): the session is marked, so no later turn of
//! it is extracted, summarised or indexed, and the extraction job skips its
//! turns not yet read (it reads the session's mark). What the index already
//! holds of it (its messages, indexed on write, and its summary) is removed
//! in one log append, so search and a reply's context no longer see it.
//! The turns stay stored as conversation: listed, exported, erased.
//! Memories extracted from the session before it was marked stay, each one
//! the person's to forget (`DELETE /v1/memories/{id}`).
//!
//! Marking it `true` again lets the turns written after it be remembered;
//! it does not bring back what was removed.

use crate::domain::ids::{SessionId, UserId};
use crate::domain::message::Session;
use crate::domain::page::PageRequest;
use crate::domain::retrieval::{DocKind, IndexOp, doc_key};
use crate::ports::{ConversationStore, MemoryStore, StoreError};

/// Messages read per page while the session's entries are removed.
const PAGE: u32 = 100;

/// Mark `session` (the person's) and, when it is no longer remembered,
/// take what the index holds of it out. `NotFound` if it is not theirs.
pub async fn mark_session(
    conversations: &dyn ConversationStore,
    memories: &dyn MemoryStore,
    user: &UserId,
    session: &SessionId,
    remember: bool,
) -> Result<Session, StoreError> {
    let marked = conversations
        .set_session_remember(user, session, remember)
        .await?;
    if remember {
        return Ok(marked);
    }
    let mut ops = vec![IndexOp::Remove {
        key: doc_key(DocKind::Summary, session.as_str()),
    }];
    let mut page = PageRequest::first(PAGE);
    loop {
        let messages = conversations.list_messages(user, session, &page).await?;
        ops.extend(messages.items.iter().map(|m| IndexOp::Remove {
            key: doc_key(DocKind::Message, m.id.as_str()),
        }));
        match messages.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    for chunk in ops.chunks(500) {
        memories
            .append_index(user, chunk, marked.last_message_at)
            .await?;
    }
    Ok(marked)
}
