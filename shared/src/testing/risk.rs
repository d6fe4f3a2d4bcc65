//! `RiskModel`: the learned layer's fake. Scores are scripted per text (the
//! first script whose words the text contains, ignoring case; otherwise
//! every probability on `none`), vectors are the encoder fake's
//! bag-of-words unit vectors, and a call can be made to fail. Every batch
//! asked for is recorded.

use super::CallLog;
use super::encoder::FakeEncoder;
use crate::domain::safety::CrisisCategory;
use crate::domain::safety::learned::{RiskScores, Thresholds};
use crate::ports::{Assessment, EncodeError, RiskModel};
use async_trait::async_trait;
use std::collections::VecDeque;
use std::sync::Mutex;

/// What the fake names itself, as stored with assessments.
pub const FAKE_RISK_MODEL: &str = "fake-risk-model";

/// The fake's thresholds unless told otherwise.
pub const FAKE_THRESHOLDS: Thresholds = Thresholds {
    turn: 0.5,
    conversation: 0.7,
};

#[derive(Debug, Default)]
struct State {
    scripts: Vec<(String, RiskScores)>,
    failures: VecDeque<EncodeError>,
    always: Option<EncodeError>,
    calls: Vec<Vec<String>>,
}

pub struct FakeRiskModel {
    thresholds: Thresholds,
    encoder: FakeEncoder,
    state: Mutex<State>,
    log: CallLog,
}

/// Scores with `p` on `category` and the rest on `none`.
pub fn scores(category: CrisisCategory, p: f32) -> RiskScores {
    let mut s = RiskScores::from_probabilities([1.0 - p, 0.0, 0.0, 0.0, 0.0]);
    match category {
        CrisisCategory::Suicidal => s.suicidal = p,
        CrisisCategory::SelfHarm => s.self_harm = p,
        CrisisCategory::HarmToOthers => s.harm_to_others = p,
        CrisisCategory::DangerNow => s.danger_now = p,
    }
    s
}

/// Every probability on `none`.
pub fn no_risk() -> RiskScores {
    RiskScores::from_probabilities([1.0, 0.0, 0.0, 0.0, 0.0])
}

impl FakeRiskModel {
    pub fn new(log: &CallLog) -> Self {
        Self::with_thresholds(log, FAKE_THRESHOLDS)
    }

    pub fn with_thresholds(log: &CallLog, thresholds: Thresholds) -> Self {
        Self {
            thresholds,
            encoder: FakeEncoder::new(&CallLog::new()),
            state: Mutex::default(),
            log: log.clone(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A text containing `words` (ignoring case) gets `risk`, unless an
    /// earlier script matched it.
    pub fn score(&self, words: &str, risk: RiskScores) -> &Self {
        self.state().scripts.push((words.to_lowercase(), risk));
        self
    }

    /// The next call fails with `error` (calls after it succeed again).
    pub fn fail(&self, error: EncodeError) -> &Self {
        self.state().failures.push_back(error);
        self
    }

    /// Every call from now on fails with `error`.
    pub fn always_fail(&self, error: EncodeError) -> &Self {
        self.state().always = Some(error);
        self
    }

    /// Every batch of texts asked for, oldest first (failed calls too).
    pub fn calls(&self) -> Vec<Vec<String>> {
        self.state().calls.clone()
    }

    /// The scores this fake gives `text`.
    pub fn risk(&self, text: &str) -> RiskScores {
        let lower = text.to_lowercase();
        self.state()
            .scripts
            .iter()
            .find(|(words, _)| lower.contains(words.as_str()))
            .map_or_else(no_risk, |(_, risk)| *risk)
    }

    /// The vector this fake gives `text`.
    pub fn vector(&self, text: &str) -> Vec<f32> {
        self.encoder.vector(text)
    }
}

#[async_trait]
impl RiskModel for FakeRiskModel {
    fn model(&self) -> &str {
        FAKE_RISK_MODEL
    }

    fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    async fn assess(&self, texts: &[String]) -> Result<Vec<Assessment>, EncodeError> {
        self.log.record("risk: assess");
        {
            let mut state = self.state();
            state.calls.push(texts.to_vec());
            if let Some(e) = state.failures.pop_front().or_else(|| state.always.clone()) {
                return Err(e);
            }
        }
        Ok(texts
            .iter()
            .map(|t| Assessment {
                vector: self.vector(t),
                risk: self.risk(t),
            })
            .collect())
    }
}
