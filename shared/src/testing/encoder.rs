//! `Encoder`: the in-process sentence encoder's fake. Unit-length
//! bag-of-words vectors of a chosen length (texts that share words point
//! the same way), scripted failures, and a record of every batch.

use super::CallLog;
use super::embedder::bag_of_words;
use crate::ports::{EncodeError, Encoder};
use async_trait::async_trait;
use std::collections::VecDeque;
use std::sync::Mutex;

/// MiniLM's length, the real encoder's.
pub const DIM: usize = 384;

#[derive(Debug, Default)]
struct State {
    failures: VecDeque<EncodeError>,
    calls: Vec<Vec<String>>,
}

pub struct FakeEncoder {
    dim: usize,
    state: Mutex<State>,
    log: CallLog,
}

impl FakeEncoder {
    /// An encoder of [`DIM`]-long vectors.
    pub fn new(log: &CallLog) -> Self {
        Self::with_dim(log, DIM)
    }

    pub fn with_dim(log: &CallLog, dim: usize) -> Self {
        Self {
            dim: dim.max(1),
            state: Mutex::default(),
            log: log.clone(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next call fails with `error` (calls after it succeed again).
    pub fn fail(&self, error: EncodeError) -> &Self {
        self.state().failures.push_back(error);
        self
    }

    /// Every batch of texts asked for, oldest first (failed calls too).
    pub fn calls(&self) -> Vec<Vec<String>> {
        self.state().calls.clone()
    }

    /// The unit vector this fake gives `text`.
    pub fn vector(&self, text: &str) -> Vec<f32> {
        let mut v = bag_of_words(text, self.dim);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        v
    }
}

#[async_trait]
impl Encoder for FakeEncoder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn model(&self) -> &str {
        "fake-bag-of-words"
    }

    async fn encode(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EncodeError> {
        self.log.record("encoder: encode");
        let mut state = self.state();
        state.calls.push(texts.to_vec());
        if let Some(e) = state.failures.pop_front() {
            return Err(e);
        }
        Ok(texts.iter().map(|t| self.vector(t)).collect())
    }
}
