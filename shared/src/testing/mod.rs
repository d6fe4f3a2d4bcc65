//! In-memory fakes of every port, for tests of the use cases with no HTTP,
//! no redb and no network. Each fake keeps its state behind a mutex, honours
//! its port's documented contract (the store fake runs the same contract
//! suite as the real stores: see `shared/tests/fake_contract.rs`), and can
//! be told to fail. All of them write to one shared [`CallLog`], so a test
//! can assert the order of calls across ports ("the message is stored before
//! the model is called").
//!
//! Built for this crate's unit tests, and for other crates' tests with the
//! `test-support` feature.

mod clock;
mod embedder;
mod encoder;
mod events;
mod log;
mod model;
mod push;
mod queue;
mod risk;
mod store;

pub use clock::FixedClock;
pub use embedder::FakeEmbedder;
pub use encoder::FakeEncoder;
pub use events::FakeBus;
pub use log::CallLog;
pub use model::{FakeModel, ModelCall};
pub use push::{FakePush, PushSent};
pub use queue::FakeQueue;
pub use risk::{FAKE_RISK_MODEL, FAKE_THRESHOLDS, FakeRiskModel, no_risk, scores};
pub use store::FakeStore;

use crate::ports::Ports;
use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;

/// One set of fakes sharing a call log: a store for every store port, a job
/// queue, an event bus and a clock. Models, the embedder, the encoder and
/// push are made per test on the same log ([`Fakes::model`] and the like).
#[derive(Clone)]
pub struct Fakes {
    pub log: CallLog,
    pub store: Arc<FakeStore>,
    pub queue: Arc<FakeQueue>,
    pub events: Arc<FakeBus>,
    pub clock: Arc<FixedClock>,
}

impl Fakes {
    /// Fresh, empty fakes; the clock reads [`Fakes::START`].
    pub fn new() -> Self {
        let log = CallLog::new();
        Self {
            store: Arc::new(FakeStore::new(&log)),
            queue: Arc::new(FakeQueue::new(&log)),
            events: Arc::new(FakeBus::new(&log)),
            clock: Arc::new(FixedClock::new(Self::start())),
            log,
        }
    }

    /// Where the clock starts: a fixed, ordinary weekday morning (UTC).
    pub fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
    }

    /// The port bundle a use case takes, every store port on the one store.
    pub fn ports(&self) -> Ports {
        Ports {
            conversations: self.store.clone(),
            memories: self.store.clone(),
            events: self.events.clone(),
            queue: self.queue.clone(),
            personal_data: self.store.clone(),
            settings: self.store.clone(),
            checkins: self.store.clone(),
            journal: self.store.clone(),
            reports: self.store.clone(),
            risk: None,
        }
    }

    /// `ports`, with `risk` as the crisis screen's learned layer.
    pub fn ports_with(&self, risk: &Arc<FakeRiskModel>) -> Ports {
        Ports {
            risk: Some(risk.clone()),
            ..self.ports()
        }
    }

    /// A risk-model fake on this set's log.
    pub fn risk(&self) -> Arc<FakeRiskModel> {
        Arc::new(FakeRiskModel::new(&self.log))
    }

    /// A model fake on this set's log, labelled `label` in it.
    pub fn model(&self, label: &str) -> Arc<FakeModel> {
        Arc::new(FakeModel::new(label, &self.log))
    }

    /// A push fake on this set's log.
    pub fn push(&self) -> Arc<FakePush> {
        Arc::new(FakePush::new(&self.log))
    }

    /// An embedder fake on this set's log.
    pub fn embedder(&self) -> Arc<FakeEmbedder> {
        Arc::new(FakeEmbedder::new(&self.log))
    }

    /// A sentence-encoder fake on this set's log.
    pub fn encoder(&self) -> Arc<FakeEncoder> {
        Arc::new(FakeEncoder::new(&self.log))
    }
}

impl Default for Fakes {
    fn default() -> Self {
        Self::new()
    }
}
