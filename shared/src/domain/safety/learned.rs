//! The learned layer's verdict, pure: a fine-tuned classifier on the
//! sentence encoder gives each text a probability per class (no crisis, or
//! one of the four categories), and a flag is raised when the probability
//! of crisis passes the threshold chosen when the classifier was trained.
//! The adapter computes the scores; this module only decides, so the same
//! decision holds in the screen, the evaluations and the tests.

use super::CrisisCategory;
use super::flag::{CrisisReason, Flagged};
use serde::{Deserialize, Serialize};

/// The classifier's classes, in the order of its outputs.
pub const CLASSES: [Option<CrisisCategory>; 5] = [
    None,
    Some(CrisisCategory::Suicidal),
    Some(CrisisCategory::SelfHarm),
    Some(CrisisCategory::HarmToOthers),
    Some(CrisisCategory::DangerNow),
];

/// One text's class probabilities (they sum to 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RiskScores {
    pub none: f32,
    pub suicidal: f32,
    pub self_harm: f32,
    pub harm_to_others: f32,
    pub danger_now: f32,
}

impl RiskScores {
    /// From probabilities in the order of `CLASSES`.
    pub fn from_probabilities(p: [f32; 5]) -> Self {
        Self {
            none: p[0],
            suicidal: p[1],
            self_harm: p[2],
            harm_to_others: p[3],
            danger_now: p[4],
        }
    }

    /// The probability that the text shows any crisis.
    pub fn crisis(&self) -> f32 {
        (1.0 - self.none).clamp(0.0, 1.0)
    }

    /// The most likely crisis category (whether or not it passes a threshold).
    pub fn category(&self) -> CrisisCategory {
        [
            (CrisisCategory::Suicidal, self.suicidal),
            (CrisisCategory::SelfHarm, self.self_harm),
            (CrisisCategory::HarmToOthers, self.harm_to_others),
            (CrisisCategory::DangerNow, self.danger_now),
        ]
        .into_iter()
        .fold((CrisisCategory::Suicidal, f32::MIN), |best, c| {
            if c.1 > best.1 { c } else { best }
        })
        .0
    }
}

/// The thresholds the classifier was trained with: one for a single turn,
/// one for the session's last few turns read together.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub turn: f32,
    pub conversation: f32,
}

/// The learned layer's flag on one turn, if its crisis probability passes
/// the turn threshold.
pub fn judge_turn(scores: &RiskScores, thresholds: &Thresholds) -> Option<Flagged> {
    let score = scores.crisis();
    (score >= thresholds.turn).then(|| Flagged {
        category: scores.category(),
        reason: CrisisReason::Classifier {
            score,
            threshold: thresholds.turn,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_names_its_score_threshold_and_top_category() {
        let t = Thresholds {
            turn: 0.6,
            conversation: 0.5,
        };
        let low = RiskScores::from_probabilities([0.7, 0.1, 0.1, 0.05, 0.05]);
        assert_eq!(judge_turn(&low, &t), None);
        let high = RiskScores::from_probabilities([0.2, 0.1, 0.6, 0.05, 0.05]);
        let flag = judge_turn(&high, &t).expect("passes");
        assert_eq!(flag.category, CrisisCategory::SelfHarm);
        assert_eq!(
            flag.reason,
            CrisisReason::Classifier {
                score: 0.8,
                threshold: 0.6
            }
        );
    }
}
