//! The chat hot path reads a bounded number of items, whatever the length of
//! a person's history: a counting wrapper around the store measures one
//! turn for a person with 10 messages and for one with 10,000 messages and
//! 1,000 memories.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use hearth::adapters::embedded::{EmbeddedQueue, EmbeddedStore};
use hearth::domain::assessment::StoredAssessment;
use hearth::domain::extraction::{MemoryWrite, Plan};
use hearth::domain::ids::{MemoryId, MessageId, SessionId, UserId};
use hearth::domain::memory::{
    Category, ExtractionState, Memory, MemoryFilter, MemoryPatch, Tombstone,
};
use hearth::domain::message::{
    CrisisFlag, Message, NewReply, NewUserMessage, RecordedTurn, Session,
};
use hearth::domain::page::{Page, PageRequest};
use hearth::domain::personal_data::parse_line;
use hearth::domain::retrieval::{Embedding, IndexLogPage, IndexOp, IndexSnapshot, job_ops};
use hearth::ports::{ApplyOutcome, ConversationStore, MemoryStore, PersonalData, StoreError};
use hearth_tests::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts store calls, and the items that list-like calls return.
struct Counting {
    inner: EmbeddedStore,
    calls: AtomicU64,
    items: AtomicU64,
}

impl Counting {
    fn read<T>(&self, n: usize, v: T) -> T {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.items.fetch_add(n as u64, Ordering::SeqCst);
        v
    }
    fn reset(&self) {
        self.calls.store(0, Ordering::SeqCst);
        self.items.store(0, Ordering::SeqCst);
    }
    fn counts(&self) -> (u64, u64) {
        (
            self.calls.load(Ordering::SeqCst),
            self.items.load(Ordering::SeqCst),
        )
    }
}

fn len<T, E>(r: &Result<Vec<T>, E>) -> usize {
    r.as_ref().map_or(0, Vec::len)
}

fn page_len<T, E>(r: &Result<Page<T>, E>) -> usize {
    r.as_ref().map_or(0, |p| p.items.len())
}

#[async_trait]
impl ConversationStore for Counting {
    async fn record_user_message(
        &self,
        u: &UserId,
        i: NewUserMessage,
    ) -> Result<RecordedTurn, StoreError> {
        let r = self.inner.record_user_message(u, i).await;
        self.read(1, r)
    }
    async fn record_reply(
        &self,
        u: &UserId,
        s: &SessionId,
        a: u64,
        r: NewReply,
    ) -> Result<Message, StoreError> {
        let r = self.inner.record_reply(u, s, a, r).await;
        self.read(1, r)
    }
    async fn get_session(&self, u: &UserId, s: &SessionId) -> Result<Option<Session>, StoreError> {
        let r = self.inner.get_session(u, s).await;
        self.read(1, r)
    }
    async fn set_session_remember(
        &self,
        u: &UserId,
        s: &SessionId,
        remember: bool,
    ) -> Result<Session, StoreError> {
        let r = self.inner.set_session_remember(u, s, remember).await;
        self.read(1, r)
    }
    async fn list_sessions(
        &self,
        u: &UserId,
        p: &PageRequest,
    ) -> Result<Page<Session>, StoreError> {
        let r = self.inner.list_sessions(u, p).await;
        self.read(page_len(&r), r)
    }
    async fn list_messages(
        &self,
        u: &UserId,
        s: &SessionId,
        p: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        let r = self.inner.list_messages(u, s, p).await;
        self.read(page_len(&r), r)
    }
    async fn record_crisis_flag(&self, u: &UserId, f: &CrisisFlag) -> Result<(), StoreError> {
        self.inner.record_crisis_flag(u, f).await
    }
    async fn record_assessment(
        &self,
        u: &UserId,
        s: &SessionId,
        seq: u64,
        a: &StoredAssessment,
    ) -> Result<(), StoreError> {
        self.inner.record_assessment(u, s, seq, a).await
    }
    async fn list_crisis_flags(
        &self,
        u: &UserId,
        p: &PageRequest,
    ) -> Result<Page<CrisisFlag>, StoreError> {
        let r = self.inner.list_crisis_flags(u, p).await;
        self.read(page_len(&r), r)
    }
    async fn active_users(
        &self,
        d: NaiveDate,
        p: &PageRequest,
    ) -> Result<Page<UserId>, StoreError> {
        let r = self.inner.active_users(d, p).await;
        self.read(page_len(&r), r)
    }
    async fn all_users(&self, p: &PageRequest) -> Result<Page<UserId>, StoreError> {
        let r = self.inner.all_users(p).await;
        self.read(page_len(&r), r)
    }
    async fn recent_messages(
        &self,
        u: &UserId,
        s: &SessionId,
        up_to: u64,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        let r = self.inner.recent_messages(u, s, up_to, limit).await;
        self.read(len(&r), r)
    }
}

#[async_trait]
impl MemoryStore for Counting {
    async fn extraction_state(
        &self,
        u: &UserId,
        s: &SessionId,
    ) -> Result<ExtractionState, StoreError> {
        let r = self.inner.extraction_state(u, s).await;
        self.read(1, r)
    }
    async fn claim_extraction(
        &self,
        u: &UserId,
        s: &SessionId,
        c: u64,
        m: u64,
    ) -> Result<Option<(u64, u64)>, StoreError> {
        let r = self.inner.claim_extraction(u, s, c, m).await;
        self.read(1, r)
    }
    async fn release_extraction(
        &self,
        u: &UserId,
        s: &SessionId,
        range: (u64, u64),
    ) -> Result<(), StoreError> {
        let r = self.inner.release_extraction(u, s, range).await;
        self.read(1, r)
    }
    async fn apply_extraction(
        &self,
        u: &UserId,
        s: &SessionId,
        e: u64,
        n: u64,
        p: &Plan,
        d: DateTime<Utc>,
    ) -> Result<ApplyOutcome, StoreError> {
        let r = self.inner.apply_extraction(u, s, e, n, p, d).await;
        self.read(1, r)
    }
    async fn list_memories(
        &self,
        u: &UserId,
        f: &MemoryFilter,
        p: &PageRequest,
    ) -> Result<Page<Memory>, StoreError> {
        let r = self.inner.list_memories(u, f, p).await;
        self.read(page_len(&r), r)
    }
    async fn active_memories(&self, u: &UserId, limit: usize) -> Result<Vec<Memory>, StoreError> {
        let r = self.inner.active_memories(u, limit).await;
        self.read(len(&r), r)
    }
    async fn edit_memory(
        &self,
        u: &UserId,
        id: &MemoryId,
        p: &MemoryPatch,
        e: Option<Embedding>,
        now: DateTime<Utc>,
    ) -> Result<Memory, StoreError> {
        let r = self.inner.edit_memory(u, id, p, e, now).await;
        self.read(1, r)
    }
    async fn forget_memory(
        &self,
        u: &UserId,
        id: &MemoryId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let r = self.inner.forget_memory(u, id, now).await;
        self.read(1, r)
    }
    async fn tombstones(&self, u: &UserId, limit: usize) -> Result<Vec<Tombstone>, StoreError> {
        let r = self.inner.tombstones(u, limit).await;
        self.read(len(&r), r)
    }
    async fn append_index(
        &self,
        u: &UserId,
        ops: &[IndexOp],
        d: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let r = self.inner.append_index(u, ops, d).await;
        self.read(1, r)
    }
    async fn index_entries(
        &self,
        u: &UserId,
        after: u64,
        limit: usize,
    ) -> Result<IndexLogPage, StoreError> {
        let r = self.inner.index_entries(u, after, limit).await;
        self.read(r.as_ref().map_or(0, |p| p.entries.len()), r)
    }
    async fn write_index_snapshot(
        &self,
        u: &UserId,
        snapshot: &IndexSnapshot,
    ) -> Result<bool, StoreError> {
        let r = self.inner.write_index_snapshot(u, snapshot).await;
        self.read(1, r)
    }
    async fn index_snapshot(&self, u: &UserId) -> Result<Option<IndexSnapshot>, StoreError> {
        let r = self.inner.index_snapshot(u).await;
        self.read(
            r.as_ref()
                .map_or(0, |s| s.as_ref().map_or(0, |s| s.ops.len())),
            r,
        )
    }
}

/// `n` messages of history in one imported session, and `memories` memories.
async fn history(store: &EmbeddedStore, user: &UserId, n: usize, memories: usize) {
    let lines: Vec<_> = (0..n)
        .map(|i| {
            let role = if i % 2 == 0 { "user" } else { "assistant" };
            parse_line(&json!({"session_id": "long-history", "role": role, "content": format!("message {i} about work and sleep"),
                "created_at": "2025-01-01T00:00:00Z", "external_id": format!("h{i}")}).to_string()).unwrap()
        })
        .collect();
    for chunk in lines.chunks(1000) {
        store.import(user, chunk).await.unwrap();
    }
    let writes = (0..memories)
        .map(|i| MemoryWrite {
            memory: Memory {
                id: MemoryId::generate(),
                category: Category::WorkAndLife,
                content: format!("Fact {i} about work and sleep."),
                importance: (i % 10 + 1) as u8,
                source_message_ids: vec![MessageId::parse("h0").unwrap()],
                session_id: SessionId::parse("long-history").unwrap(),
                created_at: Utc::now(),
                updated_at: Utc::now(),
                ended_at: None,
                superseded_by: None,
                edited: false,
            },
            seen_updated_at: None,
        })
        .collect::<Vec<MemoryWrite>>();
    let s = SessionId::parse("long-history").unwrap();
    // What the worker's jobs would have indexed: every message, memory and the summary.
    let messages = store.recent_messages(user, &s, n as u64, n).await.unwrap();
    let written: Vec<Memory> = writes.iter().map(|w| w.memory.clone()).collect();
    let index = job_ops(
        &messages,
        &written,
        &s,
        "A long history.",
        Utc::now(),
        &Default::default(),
    );
    let plan = Plan {
        writes,
        summary: "A long history.".into(),
        added: memories as u32,
        index,
    };
    store
        .apply_extraction(user, &s, 0, n as u64, &plan, Utc::now())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_turns_store_reads_do_not_grow_with_history() {
    let dir = tempfile::tempdir().unwrap();
    let inner = EmbeddedStore::open(dir.path()).unwrap();
    let (short, long) = (
        UserId::parse("short").unwrap(),
        UserId::parse("long").unwrap(),
    );
    history(&inner, &short, 10, 2).await;
    history(&inner, &long, 10_000, 1_000).await;

    let counting = Arc::new(Counting {
        inner: inner.clone(),
        calls: AtomicU64::new(0),
        items: AtomicU64::new(0),
    });
    let queue = Arc::new(EmbeddedQueue::new(inner.clone(), Default::default()));
    let ports = hearth::ports::Ports {
        conversations: counting.clone(),
        memories: counting.clone(),
        events: Arc::new(inner.clone()),
        personal_data: Arc::new(inner.clone()),
        settings: Arc::new(inner.clone()),
        checkins: Arc::new(inner.clone()),
        journal: Arc::new(inner.clone()),
        reports: Arc::new(inner.clone()),
        queue,
        risk: None,
    };
    let anthropic = wiremock::MockServer::start().await;
    anthropic_answers(&anthropic, "ok").await;
    let env = [
        ("HEARTH_JWT_SECRET", SECRET.to_string()),
        ("ANTHROPIC_API_KEY", "k".to_string()),
        ("ANTHROPIC_BASE_URL", anthropic.uri()),
    ];
    let config = hearth::config::Config::from_env(
        |k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()),
        hearth::config::Mode::Lambda,
    )
    .unwrap();
    let app = hearth::app::App::new(&config, ports, reqwest::Client::new());

    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for user in [&short, &long] {
        for seen in [&mut cold, &mut warm] {
            counting.reset();
            let req = hearth::service::chat::ChatRequest {
                remember: true,
                message: "I slept badly because of work again.".into(),
                session_id: Some(SessionId::parse("long-history").unwrap()),
                client_message_id: None,
            };
            let outcome = app.chat.turn(user, req).await.unwrap();
            assert!(
                !outcome.reply.reply.unwrap().memories_used.is_empty(),
                "retrieval found what it knows"
            );
            seen.push(counting.counts());
        }
    }
    let ((short_calls, short_items), (long_calls, long_items)) = (warm[0], warm[1]);
    println!(
        "store reads per turn (warm index): 10 messages -> {short_calls} calls, {short_items} items; \
         10,000 messages and 1,000 memories -> {long_calls} calls, {long_items} items; \
         the first turn in a cold process: {:?} and {:?}",
        cold[0], cold[1]
    );
    assert_eq!(
        short_calls, long_calls,
        "the same calls whatever the history"
    );
    // The bound: the 10 recent messages, the message and reply writes, the
    // extraction claim, the index log entries written since the last turn
    // (the last turn's message and reply, each indexed on write), and the
    // conversation layer's window of the person's last turns and their
    // replies, read beside the message's write so that it adds no time
    // (2 * WINDOW_TURNS + 1 messages).
    let window = 2 * hearth::domain::safety::conversation::WINDOW_TURNS as u64 + 1;
    let last_turn_entries = 2;
    assert!(
        long_items <= 10 + 5 + last_turn_entries + window,
        "{long_items} items read"
    );
    // Cold, the index log is read in pages of 500 entries.
    assert!(
        cold[1].0 <= warm[1].0 + 1,
        "a cold load of this log is one page: {:?}",
        cold[1]
    );
}
