//! `Embedder`: a deterministic bag-of-words vector per text (texts that
//! share words point the same way), scripted failures, and a record of
//! every batch it was asked for.

use super::CallLog;
use crate::ports::{Embedder, ModelError};
use async_trait::async_trait;
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use tokio::time::Instant;

/// The vectors' length.
pub const DIMENSIONS: usize = 16;

#[derive(Debug, Default)]
struct State {
    failures: VecDeque<ModelError>,
    calls: Vec<Vec<String>>,
}

pub struct FakeEmbedder {
    state: Mutex<State>,
    log: CallLog,
}

impl FakeEmbedder {
    pub fn new(log: &CallLog) -> Self {
        Self {
            state: Mutex::default(),
            log: log.clone(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next call fails with `error` (calls after it succeed again).
    pub fn fail(&self, error: ModelError) -> &Self {
        self.state().failures.push_back(error);
        self
    }

    /// Every batch of texts asked for, oldest first (failed calls too).
    pub fn calls(&self) -> Vec<Vec<String>> {
        self.state().calls.clone()
    }

    /// The vector this fake gives `text`.
    pub fn vector(text: &str) -> Vec<f32> {
        bag_of_words(text, DIMENSIONS)
    }
}

/// Each word of `text` counted into one of `dim` buckets by its hash (the
/// same on every run), so texts that share words point the same way. An
/// empty text gets the first axis, never a zero vector.
pub(super) fn bag_of_words(text: &str, dim: usize) -> Vec<f32> {
    let dim = dim.max(1);
    let mut v = vec![0.0; dim];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        word.to_lowercase().hash(&mut h);
        v[(h.finish() % dim as u64) as usize] += 1.0;
    }
    if v.iter().all(|x| *x == 0.0) {
        v[0] = 1.0;
    }
    v
}

#[async_trait]
impl Embedder for FakeEmbedder {
    async fn embed(
        &self,
        texts: &[String],
        _deadline: Instant,
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        self.log.record("embedder: embed");
        let mut state = self.state();
        state.calls.push(texts.to_vec());
        if let Some(e) = state.failures.pop_front() {
            return Err(e);
        }
        Ok(texts.iter().map(|t| Self::vector(t)).collect())
    }
}
