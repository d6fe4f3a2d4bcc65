//! `ModelClient`: answers each call from a script of replies and errors, and
//! keeps every request it got, with when and by which deadline.

use super::CallLog;
use crate::domain::completion::{Completion, CompletionRequest, FinishReason};
use crate::domain::message::Usage;
use crate::ports::{ModelClient, ModelError};
use async_trait::async_trait;
use futures::future::BoxFuture;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

/// One call as the fake received it.
#[derive(Debug, Clone)]
pub struct ModelCall {
    /// The model id asked for (the role's binding).
    pub model: String,
    pub request: CompletionRequest,
    /// When the call arrived, and the deadline it was given.
    pub at: Instant,
    pub deadline: Instant,
    /// Its line in the shared call log.
    pub log_position: usize,
}

/// What the fake answers: a reply's text (the model id asked for, fixed
/// usage, a clean stop), a whole completion, or an error.
#[derive(Debug, Clone)]
enum Answer {
    Text(String),
    Completion(Completion),
    Error(ModelError),
}

/// Work run while a call is in flight, before it answers.
type Hook = Arc<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

#[derive(Default)]
struct State {
    script: VecDeque<Answer>,
    otherwise: Option<Answer>,
    calls: Vec<ModelCall>,
    while_answering: Option<Hook>,
}

/// A scripted model. Each call takes the next scripted answer; once the
/// script is spent it gives the `always_*` answer, or fails as `Rejected`
/// if none was set, so that an unexpected call shows.
pub struct FakeModel {
    label: String,
    state: Mutex<State>,
    log: CallLog,
}

/// The usage every scripted text reply reports.
pub const FAKE_USAGE: Usage = Usage {
    input_tokens: 40,
    output_tokens: 8,
};

impl FakeModel {
    /// A model that logs its calls as `model <label>: complete`.
    pub fn new(label: &str, log: &CallLog) -> Self {
        Self {
            label: label.to_string(),
            state: Mutex::default(),
            log: log.clone(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The line this model writes to the call log for each call.
    pub fn log_line(&self) -> String {
        format!("model {}: complete", self.label)
    }

    /// The next unscripted call answers `text`.
    pub fn reply(&self, text: &str) -> &Self {
        self.state().script.push_back(Answer::Text(text.into()));
        self
    }

    /// The next unscripted call answers `completion` as it is.
    pub fn reply_with(&self, completion: Completion) -> &Self {
        self.state()
            .script
            .push_back(Answer::Completion(completion));
        self
    }

    /// The next unscripted call fails with `error`.
    pub fn fail(&self, error: ModelError) -> &Self {
        self.state().script.push_back(Answer::Error(error));
        self
    }

    /// Once the script is spent, every call answers `text`.
    pub fn always_reply(&self, text: &str) -> &Self {
        self.state().otherwise = Some(Answer::Text(text.into()));
        self
    }

    /// Once the script is spent, every call fails with `error`.
    pub fn always_fail(&self, error: ModelError) -> &Self {
        self.state().otherwise = Some(Answer::Error(error));
        self
    }

    /// Run `hook` during every call, after the request arrives and before
    /// the answer: what happens elsewhere while a model is thinking (an
    /// erase, an edit).
    pub fn while_answering(
        &self,
        hook: impl Fn() -> BoxFuture<'static, ()> + Send + Sync + 'static,
    ) -> &Self {
        self.state().while_answering = Some(Arc::new(hook));
        self
    }

    /// Every call so far, oldest first.
    pub fn calls(&self) -> Vec<ModelCall> {
        self.state().calls.clone()
    }

    pub fn call_count(&self) -> usize {
        self.state().calls.len()
    }
}

#[async_trait]
impl ModelClient for FakeModel {
    fn provider(&self) -> &'static str {
        "fake"
    }

    async fn complete(
        &self,
        model: &str,
        request: &CompletionRequest,
        deadline: Instant,
    ) -> Result<Completion, ModelError> {
        let log_position = self.log.record(self.log_line());
        let hook = {
            let mut state = self.state();
            state.calls.push(ModelCall {
                model: model.to_string(),
                request: request.clone(),
                at: Instant::now(),
                deadline,
                log_position,
            });
            state.while_answering.clone()
        };
        if let Some(hook) = hook {
            hook().await;
        }
        let mut state = self.state();
        let answer = state.script.pop_front().or_else(|| state.otherwise.clone());
        match answer {
            Some(Answer::Text(content)) => Ok(Completion {
                content,
                model: model.to_string(),
                usage: FAKE_USAGE,
                finish: FinishReason::Stop,
            }),
            Some(Answer::Completion(c)) => Ok(c),
            Some(Answer::Error(e)) => Err(e),
            None => Err(ModelError::Rejected {
                status: 400,
                message: format!("FakeModel {}: no answer scripted", self.label),
            }),
        }
    }
}
