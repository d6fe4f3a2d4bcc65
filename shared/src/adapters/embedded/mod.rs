//! The embedded store: a durable, file-backed engine in-process (redb), used
//! by `hearth serve` and the tests. Every commit is fsynced before it returns,
//! so a message acknowledged here survives a crash or restart.
//!
//! redb holds an exclusive lock on its file, so a second process cannot open
//! the same data dir and corrupt it; `open` turns that into a clear error.

mod conversations;
mod memories;
mod outbox;
mod paging;
mod personal_data;
mod queue;
mod reports;
mod settings_checkins_journal;

pub use outbox::EVENT_SOURCE;
pub use queue::{DeadJob, EmbeddedQueue, QueuePolicy, QueuedJob};
pub use tables::TABLE_KINDS;
mod tables;

use crate::ports::StoreError;
use redb::Database;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file inside a data dir that holds the embedded store.
pub const DB_FILE: &str = "hearth.redb";

/// Why the embedded store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("the data dir {0} is in use by another process (is `hearth serve` running on it?)")]
    Locked(PathBuf),
    #[error("could not open the store at {path}: {message}")]
    Io { path: PathBuf, message: String },
}

/// The embedded store. Cheap to clone; all clones share one database.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
}

impl EmbeddedStore {
    /// Open (or create) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, OpenError> {
        let io = |e: &dyn std::fmt::Display| OpenError::Io {
            path: data_dir.to_path_buf(),
            message: e.to_string(),
        };
        crate::config::create_private_dir(data_dir).map_err(|e| io(&e))?;
        let db = match Database::create(data_dir.join(DB_FILE)) {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(OpenError::Locked(data_dir.to_path_buf()));
            }
            Err(e) => return Err(io(&e)),
        };
        crate::config::make_private(&data_dir.join(DB_FILE)).map_err(|e| io(&e))?;
        tables::create_all(&db).map_err(|e| io(&e))?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Run blocking database work off the async runtime.
    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| StoreError::Unavailable(format!("store task failed: {e}")))?
    }
}

pub(crate) fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl EmbeddedStore {
    /// Every port on this one store, with its durable job queue.
    pub fn ports(&self, queue: EmbeddedQueue) -> crate::ports::Ports {
        let store = Arc::new(self.clone());
        crate::ports::Ports {
            conversations: store.clone(),
            memories: store.clone(),
            events: store.clone(),
            settings: store.clone(),
            checkins: store.clone(),
            journal: store.clone(),
            reports: store.clone(),
            personal_data: store,
            queue: Arc::new(queue),
            risk: None,
        }
    }
}

/// Any redb failure is an I/O-level problem: worth retrying later.
pub(crate) fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}
