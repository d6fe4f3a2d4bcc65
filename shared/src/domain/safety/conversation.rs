//! The conversation layer, pure: the session's last few turns of the
//! person, read together, so that risk which builds over several messages
//! is seen when no one message shows it ("I gave my guitar away" … "I won't
//! need it where I'm going").
//!
//! The window is the person's last [`WINDOW_TURNS`] turns of the session
//! within [`WINDOW_HOURS`] of the current one, back to (not including) the
//! last turn that was a crisis turn on its own: that turn already had its
//! answer, and evidence builds again after it. It needs two turns at least.
//! No text is encoded here: the learned evidence is each turn's stored
//! scores (`StoredAssessment`), kept when the turn was read.
//!
//! Two checks, in order:
//! 1. **Explicit cues spanning turns**: the rules on the window's texts
//!    joined (". " between turns). A cue that needs evidence from two
//!    messages fires here; the flag names the rule (layer `rules`).
//! 2. **Combined learned evidence**: the noisy-or of the turns' crisis
//!    probabilities, `1 - Π(1 - p_i)`: the chance that at least one of the
//!    turns shows crisis, if each were read alone. It grows with every
//!    turn that carries some risk and barely moves for turns that carry
//!    none (three turns at 0.1 give 0.27; 0.4, 0.45 and 0.45 give 0.82), so
//!    it is compared with its own threshold, `Thresholds::conversation`,
//!    which the classifier's training calibrates on this same function
//!    ([`combined_crisis`]) over windows of its examples. The flag is layer
//!    `conversation`, with the score and threshold; its category is the
//!    window's most likely one (class probabilities summed).

use super::flag::{CrisisReason, Flagged};
use super::learned::{RiskScores, Thresholds, judge_turn};
use super::{CrisisSignal, screen};
use chrono::{DateTime, TimeDelta, Utc};

/// How many of the person's turns are read together, the current one
/// included.
pub const WINDOW_TURNS: usize = 3;
/// How far back, from the current turn, the window reaches.
pub const WINDOW_HOURS: i64 = 24;

/// One of the person's turns, as the layer reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Turn<'a> {
    pub text: &'a str,
    pub at: DateTime<Utc>,
    /// The learned layer's scores of the turn, when the model judging now
    /// read it (scores of another model are not compared).
    pub risk: Option<RiskScores>,
    /// The turn was a crisis turn (by any layer, the chat model's mark too).
    pub flagged: bool,
}

/// The chance that at least one of `scores` shows crisis (noisy-or of
/// their crisis probabilities); 0 for none.
pub fn combined_crisis(scores: &[RiskScores]) -> f32 {
    let none: f32 = scores.iter().map(|s| 1.0 - s.crisis()).product();
    (1.0 - none).clamp(0.0, 1.0)
}

/// The turn would have been flagged on its own, by the rules or by the
/// learned layer, or was.
fn alone(turn: &Turn<'_>, thresholds: Option<&Thresholds>) -> bool {
    turn.flagged
        || screen(turn.text).is_some()
        || matches!((thresholds, &turn.risk), (Some(t), Some(r)) if judge_turn(r, t).is_some())
}

/// The turns read together: the last `WINDOW_TURNS` of `turns` (oldest
/// first) within the window's hours of the last one, after the last turn
/// flagged on its own; oldest first.
pub fn window<'t, 'a>(turns: &'t [Turn<'a>], thresholds: Option<&Thresholds>) -> Vec<&'t Turn<'a>> {
    let Some(current) = turns.last() else {
        return Vec::new();
    };
    let since = current.at - TimeDelta::hours(WINDOW_HOURS);
    let mut window: Vec<&Turn<'a>> = turns
        .iter()
        .rev()
        .take_while(|t| t.at >= since && !alone(t, thresholds))
        .take(WINDOW_TURNS)
        .collect();
    window.reverse();
    window
}

/// The conversation layer's flag on the last of `turns` (the person's turns
/// of the session, oldest first, the current one last), if the window read
/// together shows crisis that none of its turns showed alone. `thresholds`
/// is `None` when there is no learned layer: the rules still run.
pub fn judge_conversation(turns: &[Turn<'_>], thresholds: Option<&Thresholds>) -> Option<Flagged> {
    let window = window(turns, thresholds);
    if window.len() < 2 {
        return None;
    }
    let joined: Vec<&str> = window.iter().map(|t| t.text.trim()).collect();
    if let Some(signal) = screen(&joined.join(". ")) {
        return Some(Flagged::from(&signal as &CrisisSignal));
    }
    let thresholds = thresholds?;
    let scores: Vec<RiskScores> = window.iter().filter_map(|t| t.risk).collect();
    if scores.len() < 2 {
        return None;
    }
    let score = combined_crisis(&scores);
    (score >= thresholds.conversation).then(|| Flagged {
        category: summed(&scores).category(),
        reason: CrisisReason::Conversation {
            score,
            threshold: thresholds.conversation,
        },
    })
}

/// The class probabilities of `scores` added up (for the most likely
/// category across them).
fn summed(scores: &[RiskScores]) -> RiskScores {
    scores
        .iter()
        .fold(RiskScores::from_probabilities([0.0; 5]), |mut sum, s| {
            sum.none += s.none;
            sum.suicidal += s.suicidal;
            sum.self_harm += s.self_harm;
            sum.harm_to_others += s.harm_to_others;
            sum.danger_now += s.danger_now;
            sum
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::safety::CrisisCategory;
    use chrono::TimeZone;

    const T: Thresholds = Thresholds {
        turn: 0.5,
        conversation: 0.7,
    };

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 21, 0, 0).unwrap() + TimeDelta::minutes(minute)
    }

    /// Scores with `p` on suicidal and the rest on none.
    fn suicidal(p: f32) -> Option<RiskScores> {
        Some(RiskScores::from_probabilities([1.0 - p, p, 0.0, 0.0, 0.0]))
    }

    fn turn(text: &str, minute: i64, risk: Option<RiskScores>) -> Turn<'_> {
        Turn {
            text,
            at: at(minute),
            risk,
            flagged: false,
        }
    }

    /// Risk that builds over three turns, none of them past the turn
    /// threshold, and none an explicit cue.
    fn guitar() -> Vec<Turn<'static>> {
        vec![
            turn("I gave my guitar away to my cousin today", 0, suicidal(0.4)),
            turn(
                "Told my sister she can have my records too",
                5,
                suicidal(0.45),
            ),
            turn("I won't need any of it where I'm going", 9, suicidal(0.45)),
        ]
    }

    #[test]
    fn the_guitar_turns_are_flagged_together_and_none_alone() {
        let turns = guitar();
        for (i, t) in turns.iter().enumerate() {
            assert!(!alone(t, Some(&T)), "turn {i} is not a crisis alone");
            assert_eq!(
                judge_conversation(&turns[i..=i], Some(&T)),
                None,
                "one turn is no conversation"
            );
        }
        let flag = judge_conversation(&turns, Some(&T)).expect("flagged together");
        assert_eq!(flag.category, CrisisCategory::Suicidal);
        let CrisisReason::Conversation { score, threshold } = flag.reason else {
            panic!("the conversation layer's flag: {:?}", flag.reason);
        };
        assert!((score - (1.0 - 0.6 * 0.55 * 0.55)).abs() < 1e-6, "{score}");
        assert_eq!(threshold, T.conversation);
    }

    #[test]
    fn three_sad_but_safe_turns_are_not_flagged() {
        let turns = vec![
            turn("Work was awful and I cried in the car", 0, suicidal(0.12)),
            turn("I miss how things were before the move", 4, suicidal(0.15)),
            turn("I just feel really low tonight", 8, suicidal(0.2)),
        ];
        assert_eq!(judge_conversation(&turns, Some(&T)), None);
        assert!(combined_crisis(&[suicidal(0.12).unwrap(), suicidal(0.15).unwrap()]) < 0.3);
    }

    #[test]
    fn turns_before_a_crisis_turn_or_older_than_a_day_are_left_out() {
        let mut turns = guitar();
        // The first turn was a crisis turn: it had its answer, and the two
        // after it do not pass together (1 - 0.55 * 0.55 = 0.70 - a hair).
        turns[0].flagged = true;
        assert_eq!(window(&turns, Some(&T)).len(), 2);
        assert_eq!(judge_conversation(&turns, Some(&T)), None);
        // A day and more before the current turn.
        let mut turns = guitar();
        turns[0].at = at(9) - TimeDelta::hours(WINDOW_HOURS) - TimeDelta::minutes(1);
        assert_eq!(window(&turns, Some(&T)).len(), 2);
        assert_eq!(judge_conversation(&turns, Some(&T)), None);
        // Only the last three count.
        let mut four = vec![turn("hello", -5, suicidal(0.3))];
        four.extend(guitar());
        assert_eq!(window(&four, None).len(), WINDOW_TURNS);
    }

    #[test]
    fn without_the_learned_layer_or_its_scores_only_the_rules_read_the_turns() {
        let turns = guitar();
        assert_eq!(judge_conversation(&turns, None), None);
        let unscored: Vec<Turn> = guitar()
            .into_iter()
            .map(|t| Turn { risk: None, ..t })
            .collect();
        assert_eq!(judge_conversation(&unscored, Some(&T)), None);
    }

    #[test]
    fn a_turn_that_passes_alone_is_not_the_conversation_layers() {
        let mut turns = guitar();
        turns[2].risk = suicidal(0.6);
        assert!(alone(&turns[2], Some(&T)));
        assert_eq!(
            judge_conversation(&turns, Some(&T)),
            None,
            "the turn is the classifier's"
        );
    }

    #[test]
    fn explicit_cues_are_read_across_the_joined_turns() {
        // Hiding is danger only with someone to hide from: the cue needs
        // both turns.
        let turns = [
            turn("he is so angry tonight", 0, None),
            turn("I'm hiding in the bathroom", 1, None),
        ];
        for t in &turns {
            assert_eq!(screen(t.text), None, "{:?} alone is no cue", t.text);
        }
        let flag = judge_conversation(&turns, None).expect("the two turns together");
        assert_eq!(flag.category, CrisisCategory::DangerNow);
        assert_eq!(flag.reason.layer(), "rules");
        // A cue in one turn is that turn's own.
        let turns = [
            turn("hello", 0, None),
            turn("I want to kill myself", 1, None),
        ];
        assert_eq!(judge_conversation(&turns, None), None);
    }
}
