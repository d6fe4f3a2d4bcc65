//! Ports: one small async trait per capability the use cases need. Adapters
//! in `adapters/` implement them; tests swap in fakes. Nothing here knows
//! about DynamoDB, redb, HTTP or a particular model provider.

use crate::domain::assessment::StoredAssessment;
use crate::domain::checkin::{CheckIn, Settings};
use crate::domain::completion::{Completion, CompletionRequest};
use crate::domain::cursor::BadCursor;
use crate::domain::events::DomainEvent;
use crate::domain::extraction::Plan;
use crate::domain::ids::{MemoryId, SessionId, UserId};
use crate::domain::jobs::Job;
use crate::domain::journal::{JournalItem, JournalKind};
use crate::domain::memory::{ExtractionState, Memory, MemoryFilter, MemoryPatch, Tombstone};
use crate::domain::message::{
    CrisisFlag, Message, NewReply, NewUserMessage, RecordedTurn, Session,
};
use crate::domain::notices::NoticeState;
use crate::domain::page::{Page, PageRequest};
use crate::domain::personal_data::{EraseReceipt, ExportItem, ImportLine, ImportOutcome, ItemKind};
use crate::domain::retrieval::{Embedding, IndexLogPage, IndexOp, IndexSnapshot};
use crate::domain::safety::learned::{RiskScores, Thresholds};
use crate::domain::safety_report::{Referral, ReferralCount};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Every store, queue and bus port a use case may need, as one bundle the
/// composition root (`app`) fills: the embedded set locally, the AWS set in
/// Lambda and with `--backend aws`, in-memory fakes in unit tests.
#[derive(Clone)]
pub struct Ports {
    pub conversations: Arc<dyn ConversationStore>,
    pub memories: Arc<dyn MemoryStore>,
    pub events: Arc<dyn EventBus>,
    pub queue: Arc<dyn JobQueue>,
    pub personal_data: Arc<dyn PersonalData>,
    pub settings: Arc<dyn SettingsStore>,
    pub checkins: Arc<dyn CheckinStore>,
    pub journal: Arc<dyn JournalStore>,
    /// The de-identified crisis-referral counters.
    pub reports: Arc<dyn SafetyReports>,
    /// The crisis screen's learned layer, when its model files are there:
    /// without it the screen runs on its explicit cues (and the chat
    /// model's mark) alone. The adapters' bundles leave it `None`; the
    /// composition root loads it.
    pub risk: Option<Arc<dyn RiskModel>>,
}

/// Errors any store can return. `Unavailable` is worth retrying later
/// (throttling, I/O); the rest are final.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("the cursor is not valid for this list")]
    BadCursor,
    #[error("conflicting write: {0}")]
    Conflict(String),
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
}

impl From<BadCursor> for StoreError {
    fn from(_: BadCursor) -> Self {
        StoreError::BadCursor
    }
}

/// Conversations: sessions and their messages, always scoped to one user.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Durably store a user's message, creating the session when
    /// `session_id` is `None`. Idempotent on `client_message_id`: a repeat
    /// returns the message stored the first time (and its reply, if any)
    /// with `replayed = true`, and stores nothing.
    /// An unknown `session_id`, or another user's, is `NotFound`.
    async fn record_user_message(
        &self,
        user: &UserId,
        input: NewUserMessage,
    ) -> Result<RecordedTurn, StoreError>;

    /// Store the reply to the user message `answers` (its seq). At most one
    /// reply is ever stored per user message: if one exists already, that one
    /// is returned and nothing is written.
    async fn record_reply(
        &self,
        user: &UserId,
        session_id: &SessionId,
        answers: u64,
        reply: NewReply,
    ) -> Result<Message, StoreError>;

    async fn get_session(
        &self,
        user: &UserId,
        session_id: &SessionId,
    ) -> Result<Option<Session>, StoreError>;

    /// Mark whether a session's turns may be remembered (`PATCH
    /// /v1/sessions/{id}`), returning it as it now stands. Its count and
    /// messages are untouched; the turns written after it take the mark.
    /// An unknown session, or another user's, is `NotFound`.
    async fn set_session_remember(
        &self,
        user: &UserId,
        session_id: &SessionId,
        remember: bool,
    ) -> Result<Session, StoreError>;

    /// Sessions, newest first.
    async fn list_sessions(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Session>, StoreError>;

    /// A session's messages, oldest first. `NotFound` if the session is not the user's.
    async fn list_messages(
        &self,
        user: &UserId,
        session_id: &SessionId,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError>;

    /// Store a crisis flag about something already stored: the person's
    /// message that the chat model's mark flagged after the message was
    /// written, or a journal entry. Storing the same flag (time and
    /// message) again changes nothing.
    async fn record_crisis_flag(&self, user: &UserId, flag: &CrisisFlag) -> Result<(), StoreError>;

    /// Keep what the learned layer read in a stored user message (its
    /// session and seq) with the message, so no later reader encodes it
    /// again. Storing it again replaces it (the same assessment changes
    /// nothing). `NotFound` if there is no such message.
    async fn record_assessment(
        &self,
        user: &UserId,
        session_id: &SessionId,
        seq: u64,
        assessment: &StoredAssessment,
    ) -> Result<(), StoreError>;

    /// The user's crisis flags, newest first.
    async fn list_crisis_flags(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<CrisisFlag>, StoreError>;

    /// The people who sent a message on `day` (UTC), in user-id order: the
    /// activity index the hourly passes use instead of a scan.
    async fn active_users(
        &self,
        day: NaiveDate,
        page: &PageRequest,
    ) -> Result<Page<UserId>, StoreError>;

    /// Everyone who has a history (a session or a journal item), each once:
    /// what a one-off pass over every person walks (`hearth migrate`).
    /// Never on a request path: on DynamoDB it is a Scan of the whole
    /// table, in the Scan's order; elsewhere it is in user-id order.
    async fn all_users(&self, page: &PageRequest) -> Result<Page<UserId>, StoreError>;

    /// Up to `limit` messages with `seq <= up_to_seq`, oldest first: the
    /// recent context of a turn. One bounded read.
    async fn recent_messages(
        &self,
        user: &UserId,
        session_id: &SessionId,
        up_to_seq: u64,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError>;
}

/// The result of writing one extraction job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    /// The session's watermark had moved on: another delivery already did it.
    AlreadyApplied,
    /// A memory changed since the job read it (the person edited it).
    Conflict,
    /// The person erased their data after the job's messages were written:
    /// nothing may be written back.
    Erased,
}

/// Memories, tombstones, and each session's extraction state.
#[async_trait]
pub trait MemoryStore: Send + Sync {
    /// Where extraction stands in a session (zeroes if it never ran).
    async fn extraction_state(
        &self,
        user: &UserId,
        session: &SessionId,
    ) -> Result<ExtractionState, StoreError>;

    /// Atomically claim the next range for a job, if at least `min_new` of
    /// the session's `message_count` messages are not yet covered. Of
    /// concurrent callers, one gets the range; the others get `None`.
    async fn claim_extraction(
        &self,
        user: &UserId,
        session: &SessionId,
        message_count: u64,
        min_new: u64,
    ) -> Result<Option<(u64, u64)>, StoreError>;

    /// Give back a claimed range whose job could not be enqueued, so the
    /// next turn or the idle sweep claims it again. A no-op if anything
    /// else moved the claim since.
    async fn release_extraction(
        &self,
        user: &UserId,
        session: &SessionId,
        range: (u64, u64),
    ) -> Result<(), StoreError>;

    /// Write one job's memories, summary and watermark together, only if
    /// the watermark is still `expected_through` and no memory it changes
    /// was changed meanwhile.
    /// `data_as_of` is when the newest message the job read was written: if
    /// an erase began after it, nothing is written (`Erased`).
    async fn apply_extraction(
        &self,
        user: &UserId,
        session: &SessionId,
        expected_through: u64,
        new_through: u64,
        plan: &Plan,
        data_as_of: DateTime<Utc>,
    ) -> Result<ApplyOutcome, StoreError>;

    /// Memories, newest first.
    async fn list_memories(
        &self,
        user: &UserId,
        filter: &MemoryFilter,
        page: &PageRequest,
    ) -> Result<Page<Memory>, StoreError>;

    /// Up to `limit` active memories, newest first (the extraction job's view).
    async fn active_memories(&self, user: &UserId, limit: usize)
    -> Result<Vec<Memory>, StoreError>;

    /// The person's edit; `NotFound` if the memory is not theirs.
    /// `embedding` (semantic retrieval) is indexed with the memory if it
    /// was computed from the edited content; otherwise the memory is
    /// indexed without a vector.
    async fn edit_memory(
        &self,
        user: &UserId,
        id: &MemoryId,
        patch: &MemoryPatch,
        embedding: Option<Embedding>,
        now: DateTime<Utc>,
    ) -> Result<Memory, StoreError>;

    /// Forget a memory, keeping a tombstone; `NotFound` if it is not theirs.
    async fn forget_memory(
        &self,
        user: &UserId,
        id: &MemoryId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Up to `limit` tombstones, newest first.
    async fn tombstones(&self, user: &UserId, limit: usize) -> Result<Vec<Tombstone>, StoreError>;

    /// Append `ops` to the person's index log as one write: what indexes a
    /// message as soon as it is stored (chat, import, the journal), and
    /// what the worker's encodings and the backfill add. Puts replace by
    /// key, so a repeat is harmless. `data_as_of` is when the data the ops
    /// carry was written: if an erase began after it, nothing is written
    /// and the answer is `false`.
    async fn append_index(
        &self,
        user: &UserId,
        ops: &[IndexOp],
        data_as_of: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The person's retrieval index log after entry `after`, oldest first,
    /// at most `limit` entries, with the log's head, in one read.
    /// The log is written in the same transaction as the change it records:
    /// `apply_extraction` appends the plan's `index` ops, `edit_memory` and
    /// `forget_memory` the memory's. Seqs are consecutive, except that the
    /// entries a snapshot covers are dropped (`write_index_snapshot`): a
    /// reader behind the snapshot meets a gap and loads the snapshot.
    async fn index_entries(
        &self,
        user: &UserId,
        after: u64,
        limit: usize,
    ) -> Result<IndexLogPage, StoreError>;

    /// Keep `snapshot` as the person's index as of entry
    /// `snapshot.through`, and drop the log entries it covers, so that a
    /// cold reader loads it and replays only what came after. An entry
    /// after `through` is never dropped. Nothing is written, and the answer
    /// is `false`, unless the log is still of `snapshot.generation` (no
    /// erase came between), its head is at or past `through`, and no
    /// snapshot as new is kept already.
    async fn write_index_snapshot(
        &self,
        user: &UserId,
        snapshot: &IndexSnapshot,
    ) -> Result<bool, StoreError>;

    /// The person's newest index snapshot, if one is kept.
    async fn index_snapshot(&self, user: &UserId) -> Result<Option<IndexSnapshot>, StoreError>;
}

/// A person's settings (time zone, check-in hour, locale, push token).
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The person's settings, if they ever saved any.
    async fn settings(&self, user: &UserId) -> Result<Option<Settings>, StoreError>;
    async fn put_settings(&self, user: &UserId, settings: &Settings) -> Result<(), StoreError>;

    /// The record of the notices the person was shown and of their last
    /// interaction (`NoticeState::default()` if none): one bounded read.
    async fn notices(&self, user: &UserId) -> Result<NoticeState, StoreError>;

    /// Store `next` if the stored record is still at revision
    /// `next.rev - 1` (no record counts as 0): one conditional write.
    /// `Ok(false)` when another write came first and nothing was stored.
    async fn record_notices(&self, user: &UserId, next: &NoticeState) -> Result<bool, StoreError>;
}

/// The daily check-ins written for a person.
#[async_trait]
pub trait CheckinStore: Send + Sync {
    /// Store a check-in once per local date: if that date has one already,
    /// it is returned with `false` and nothing is written.
    async fn record_checkin(
        &self,
        user: &UserId,
        checkin: &CheckIn,
    ) -> Result<(CheckIn, bool), StoreError>;
    /// Mark a stored check-in as pushed.
    async fn mark_pushed(&self, user: &UserId, id: &str) -> Result<(), StoreError>;
    /// Check-ins, newest first.
    async fn list_checkins(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<CheckIn>, StoreError>;
}

/// The person's journal: entries they write and prompts Hearth writes.
#[async_trait]
pub trait JournalStore: Send + Sync {
    async fn add_journal(&self, user: &UserId, item: &JournalItem) -> Result<(), StoreError>;
    /// Journal items, newest first.
    async fn list_journal(
        &self,
        user: &UserId,
        kind: Option<JournalKind>,
        page: &PageRequest,
    ) -> Result<Page<JournalItem>, StoreError>;
    async fn get_journal(&self, user: &UserId, id: &str)
    -> Result<Option<JournalItem>, StoreError>;
}

/// Export, erase and import: everything held about one person.
#[async_trait]
pub trait PersonalData: Send + Sync {
    /// The item kinds this store holds; export and erase cover every one.
    fn item_kinds(&self) -> &'static [ItemKind];

    /// One page of everything held about `user`, at most about `max_bytes`.
    async fn export_page(
        &self,
        user: &UserId,
        cursor: Option<&str>,
        max_bytes: usize,
    ) -> Result<Page<ExportItem>, StoreError>;

    /// Erase everything held about `user`, counting per kind. It first marks
    /// the erasure (so no job in flight can write back), then deletes in
    /// batches; interrupted, it can simply be run again.
    async fn erase(&self, user: &UserId, now: DateTime<Utc>) -> Result<EraseReceipt, StoreError>;

    /// Store imported history, skipping `external_id`s already imported.
    async fn import(
        &self,
        user: &UserId,
        lines: &[ImportLine],
    ) -> Result<ImportOutcome, StoreError>;
}

/// Why a model call failed, in terms the retry policy and the fallback
/// rules act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ModelError {
    #[error("rate limited by the provider")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the provider is overloaded")]
    Overloaded { retry_after: Option<Duration> },
    #[error("the provider failed with HTTP {status}")]
    Server {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("the model call timed out")]
    Timeout,
    #[error("the turn's deadline passed")]
    DeadlineExceeded,
    #[error("could not reach the provider: {0}")]
    Transport(String),
    #[error("the provider refused the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    #[error("the provider's answer could not be read: {0}")]
    InvalidResponse(String),
}

impl ModelError {
    /// Worth another attempt under the shared retry policy.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ModelError::RateLimited { .. }
                | ModelError::Overloaded { .. }
                | ModelError::Server { .. }
                | ModelError::Timeout
                | ModelError::Transport(_)
        )
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ModelError::RateLimited { retry_after }
            | ModelError::Overloaded { retry_after }
            | ModelError::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// One provider's wire protocol. `model` is chosen per role by configuration.
#[async_trait]
pub trait ModelClient: Send + Sync {
    /// `anthropic` or `openai`, for logs and accounting.
    fn provider(&self) -> &'static str;

    /// One completion, with the shared retry policy applied inside, never
    /// running past `deadline`.
    async fn complete(
        &self,
        model: &str,
        request: &CompletionRequest,
        deadline: Instant,
    ) -> Result<Completion, ModelError>;
}

/// Text embeddings (an OpenAI-compatible `/embeddings` endpoint), for
/// semantic retrieval. The worker embeds memories and summaries; a reply
/// embeds only its query.
#[async_trait]
pub trait Embedder: Send + Sync {
    /// One vector per text, in order, never running past `deadline`.
    async fn embed(&self, texts: &[String], deadline: Instant)
    -> Result<Vec<Vec<f32>>, ModelError>;
}

/// Why an in-process encoding failed. None is worth an immediate retry:
/// the caller carries on without vectors (the screen on its other layers,
/// retrieval on lexical ranking).
#[derive(Debug, Clone, thiserror::Error)]
pub enum EncodeError {
    #[error("the text could not be tokenised: {0}")]
    Tokenize(String),
    #[error("the encoder's forward pass failed: {0}")]
    Inference(String),
    /// The blocking task panicked or the runtime is shutting down.
    #[error("the encoder's task did not finish: {0}")]
    Interrupted(String),
}

/// A sentence encoder in process (all-MiniLM-L6-v2): texts to L2-normalised
/// vectors, so a dot product is a cosine. Two callers: the crisis screen
/// encodes one short message per turn on the request path, and retrieval
/// encodes batches in the worker; one vector per message serves both.
///
/// Inference is CPU-bound (milliseconds per message), so the port is async
/// and the adapter runs it on tokio's blocking pool: awaiting `encode` never
/// stalls a runtime worker, and no caller can forget to move it off one.
#[async_trait]
pub trait Encoder: Send + Sync {
    /// The length of every vector (384 for MiniLM).
    fn dim(&self) -> usize;

    /// Names the model, to keep with stored vectors: vectors from two
    /// models are never compared.
    fn model(&self) -> &str;

    /// One unit-length vector per text, in order. No texts give no vectors;
    /// an empty text still gets one; text past the model's window is
    /// truncated.
    async fn encode(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EncodeError>;

    /// One text's vector: the screen's case.
    async fn encode_one(&self, text: &str) -> Result<Vec<f32>, EncodeError> {
        let mut vectors = self.encode(&[text.to_owned()]).await?;
        vectors
            .pop()
            .ok_or_else(|| EncodeError::Inference("no vector for the text".into()))
    }
}

/// What the learned layer reads in one text: the encoder's vector (the base
/// model's, unit length, for retrieval and the conversation layer) and the
/// fine-tuned classifier's class probabilities, from one forward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub vector: Vec<f32>,
    pub risk: RiskScores,
}

/// The crisis screen's learned layer in process: all-MiniLM-L6-v2 with a
/// classifier fine-tuned on `data/safety/train.jsonl`. CPU-bound like
/// `Encoder`, so the adapter runs on the blocking pool.
#[async_trait]
pub trait RiskModel: Send + Sync {
    /// Names the encoder and the classifier's weights, kept beside flags
    /// and vectors.
    fn model(&self) -> &str;

    /// The thresholds the classifier was trained with.
    fn thresholds(&self) -> Thresholds;

    /// One assessment per text, in order.
    async fn assess(&self, texts: &[String]) -> Result<Vec<Assessment>, EncodeError>;
}

/// The job queue (SQS in production).
#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn enqueue(&self, job: &Job) -> Result<(), StoreError>;
}

/// One job as received from a queue: the raw body (parsed by the
/// dispatcher, so that a malformed one is reported, not lost) and a receipt.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub message_id: String,
    pub body: String,
    pub receipt: String,
    pub receive_count: u32,
}

/// Where the worker takes jobs from (SQS, or the embedded queue).
#[async_trait]
pub trait JobSource: Send + Sync {
    /// Wait up to `wait` for at most `max` jobs.
    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>, StoreError>;
    /// The job succeeded: never deliver it again.
    async fn ack(&self, delivery: &Delivery) -> Result<(), StoreError>;
    /// The job failed with `error`. It is delivered again later, or
    /// dead-lettered once it has been received the configured number of
    /// times. SQS does this itself (visibility timeout, redrive policy).
    async fn fail(&self, _delivery: &Delivery, _error: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

/// De-identified counters of crisis-referral notifications (no user id):
/// the safety report's data, outside any person's data.
#[async_trait]
pub trait SafetyReports: Send + Sync {
    /// Count one referral: one atomic increment of its counter, no read
    /// first, so concurrent flags never lose a count.
    async fn count_referral(&self, referral: &Referral) -> Result<(), StoreError>;
    /// Every counter of the days `from..=to` (none for a day with none):
    /// one read per day at most, never a Scan.
    async fn referral_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ReferralCount>, StoreError>;
}

/// Domain events (EventBridge in production, an outbox locally).
#[async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), StoreError>;
}

/// An event as the local outbox keeps it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutboxEntry {
    pub seq: u64,
    pub source: String,
    pub detail_type: String,
    pub event: DomainEvent,
}

/// A push notification to one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushNotification {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Delivered,
    /// The device token is no longer valid and should be forgotten.
    Unregistered,
}

/// Push delivery (FCM HTTP v1 in production).
#[async_trait]
pub trait Push: Send + Sync {
    async fn send(
        &self,
        device_token: &str,
        notification: &PushNotification,
    ) -> Result<PushOutcome, PushError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum PushError {
    #[error("push failed, worth retrying: {0}")]
    Retryable(String),
    #[error("push failed: {0}")]
    Failed(String),
}

/// The time, as the use cases see it; tests pin it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
