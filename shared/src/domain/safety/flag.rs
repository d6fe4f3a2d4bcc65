//! Why an input was flagged as a crisis: which layer of the screen fired,
//! and on what evidence (a rule's name, a score and the threshold it
//! passed, or the chat model's own mark). The explanation is kept with the
//! stored flag and in the `CrisisFlagged` event, so every flag can be
//! explained; it never holds the text that was flagged, and no log line
//! names it (a log line carries a user id, and the two together would say
//! who is in crisis to anyone who reads logs).

use super::{CrisisCategory, CrisisSignal};
use serde::{Deserialize, Serialize};

/// Which layer fired, and its evidence. Serialised with the layer's name
/// as `layer`: `{"layer": "rules", "rule": "kill_myself"}`,
/// `{"layer": "classifier", "score": 0.91, "threshold": 0.8}`,
/// `{"layer": "model_mark"}`.
///
/// `S` is the type of a rule's name: `&'static str` as the screen gives it,
/// so that a flag on its way to a store is `Copy` (a store may retry its
/// write), and `String` as stored and published.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "layer", rename_all = "snake_case")]
pub enum CrisisReason<S = String> {
    /// An explicit cue: the rule that fired.
    Rules { rule: S },
    /// The learned classifier on the message: its score passed its threshold.
    Classifier { score: f32, threshold: f32 },
    /// The session's last few user turns, read together.
    Conversation { score: f32, threshold: f32 },
    /// The chat model marked a risk the other layers missed.
    ModelMark,
}

impl CrisisReason<&'static str> {
    /// The stored form.
    pub fn stored(self) -> CrisisReason {
        match self {
            CrisisReason::Rules { rule } => CrisisReason::Rules { rule: rule.into() },
            CrisisReason::Classifier { score, threshold } => {
                CrisisReason::Classifier { score, threshold }
            }
            CrisisReason::Conversation { score, threshold } => {
                CrisisReason::Conversation { score, threshold }
            }
            CrisisReason::ModelMark => CrisisReason::ModelMark,
        }
    }
}

impl<S> CrisisReason<S> {
    /// The layer's name, as it is serialised.
    pub fn layer(&self) -> &'static str {
        match self {
            CrisisReason::Rules { .. } => "rules",
            CrisisReason::Classifier { .. } => "classifier",
            CrisisReason::Conversation { .. } => "conversation",
            CrisisReason::ModelMark => "model_mark",
        }
    }
}

/// A crisis the screen (or the model's mark) found in one input: what a
/// store writes as the flag, with the input, in the same write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flagged {
    pub category: CrisisCategory,
    pub reason: CrisisReason<&'static str>,
}

impl Flagged {
    /// What an explicit cue found.
    pub fn by_rule(category: CrisisCategory, rule: &'static str) -> Self {
        Self {
            category,
            reason: CrisisReason::Rules { rule },
        }
    }

    /// The chat model marked `category` on its reply.
    pub fn by_model_mark(category: CrisisCategory) -> Self {
        Self {
            category,
            reason: CrisisReason::ModelMark,
        }
    }
}

impl From<&CrisisSignal> for Flagged {
    fn from(signal: &CrisisSignal) -> Self {
        Flagged::by_rule(signal.category, signal.rule)
    }
}

/// A flag as kept on the flagged item itself (a journal entry): the
/// category and why, never the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub category: CrisisCategory,
    pub reason: CrisisReason,
}

impl From<Flagged> for Flag {
    fn from(flagged: Flagged) -> Self {
        Self {
            category: flagged.category,
            reason: flagged.reason.stored(),
        }
    }
}

/// Where a flagged input came from, as the event says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagSource {
    Chat,
    Journal,
    Import,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_serialised_with_its_layer_and_evidence_only() {
        let cases = [
            (
                CrisisReason::Rules {
                    rule: "kill_myself",
                },
                serde_json::json!({"layer": "rules", "rule": "kill_myself"}),
            ),
            (
                CrisisReason::Classifier {
                    score: 0.75,
                    threshold: 0.5,
                },
                serde_json::json!({"layer": "classifier", "score": 0.75, "threshold": 0.5}),
            ),
            (
                CrisisReason::ModelMark,
                serde_json::json!({"layer": "model_mark"}),
            ),
        ];
        for (reason, json) in cases {
            let stored = reason.stored();
            assert_eq!(serde_json::to_value(&stored).unwrap(), json);
            assert_eq!(json["layer"], reason.layer());
            let back: CrisisReason = serde_json::from_value(json).unwrap();
            assert_eq!(back, stored);
        }
    }
}
