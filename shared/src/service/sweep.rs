//! The idle sweep: a session idle for `HEARTH_EXTRACT_IDLE_MINUTES` that
//! still has unread messages is extracted, so short conversations are
//! remembered too. Candidates come from the activity index (today and
//! yesterday, UTC), never from a scan.

use crate::domain::jobs::Job;
use crate::domain::page::PageRequest;
use crate::ports::{Clock, ConversationStore, JobQueue, MemoryStore, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// Recent sessions checked per active person.
const SESSIONS_PER_USER: u32 = 20;

pub struct IdleSweep {
    pub conversations: Arc<dyn ConversationStore>,
    pub memories: Arc<dyn MemoryStore>,
    pub queue: Arc<dyn JobQueue>,
    pub clock: Arc<dyn Clock>,
    pub idle: Duration,
}

impl IdleSweep {
    /// One pass; returns how many jobs it enqueued.
    pub async fn run(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let idle = chrono::Duration::from_std(self.idle).unwrap_or(chrono::Duration::minutes(30));
        let mut enqueued = 0;
        for day in [
            now.date_naive(),
            (now - chrono::Duration::days(1)).date_naive(),
        ] {
            let mut page = PageRequest::first(100);
            loop {
                let users = self.conversations.active_users(day, &page).await?;
                for user in &users.items {
                    let sessions = self
                        .conversations
                        .list_sessions(user, &PageRequest::first(SESSIONS_PER_USER))
                        .await?;
                    for s in sessions
                        .items
                        .iter()
                        .filter(|s| s.last_message_at <= now - idle)
                    {
                        if let Some((from_seq, to_seq)) = self
                            .memories
                            .claim_extraction(user, &s.id, s.message_count, 1)
                            .await?
                        {
                            let job = Job::ExtractSession {
                                user: user.clone(),
                                session_id: s.id.clone(),
                                from_seq,
                                to_seq,
                            };
                            self.queue.enqueue(&job).await?;
                            enqueued += 1;
                        }
                    }
                }
                match users.next_cursor {
                    Some(c) => {
                        page = PageRequest {
                            limit: 100,
                            cursor: Some(c),
                        }
                    }
                    None => break,
                }
            }
        }
        if enqueued > 0 {
            tracing::info!(enqueued, "idle sweep enqueued extraction jobs");
        }
        Ok(enqueued)
    }
}
