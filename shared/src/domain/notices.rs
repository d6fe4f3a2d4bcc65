//! The notices a person is shown beside a reply or a check-in, decided by
//! the server: that the companion is an AI (at the start of every
//! interaction and at least every 3 hours of continuing interaction), and
//! for a minor a reminder to take a break (at least every 3 hours) and a
//! one-time notice that companion chatbots may not suit some minors. The
//! record of what was shown when (`NoticeState`) is kept by the store, so
//! the rule holds across processes; the decision here is pure, with the
//! clock passed in.

use super::crisis_resources::Language;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How old a person is known to be. `Unknown` gets the adult rules unless
/// configuration says to treat it as a minor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    Minor,
    Adult,
    #[default]
    Unknown,
}

impl AgeBand {
    /// A claim's or a setting's value, case-insensitively.
    pub fn parse(s: &str) -> Option<AgeBand> {
        match s.trim().to_ascii_lowercase().as_str() {
            "minor" => Some(AgeBand::Minor),
            "adult" => Some(AgeBand::Adult),
            "unknown" => Some(AgeBand::Unknown),
            _ => None,
        }
    }

    /// The band that applies: a token's claim wins over the setting.
    pub fn effective(claim: Option<AgeBand>, setting: AgeBand) -> AgeBand {
        claim.unwrap_or(setting)
    }

    /// Whether the minors' rules apply.
    pub fn is_minor(self, unknown_as_minor: bool) -> bool {
        match self {
            AgeBand::Minor => true,
            AgeBand::Adult => false,
            AgeBand::Unknown => unknown_as_minor,
        }
    }
}

/// What a notice says, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    AiDisclosure,
    TakeABreak,
    NotSuitableForSomeMinors,
}

/// One notice, in the person's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

/// When the person was last shown each notice, and when they last talked:
/// one small record per person, written with one conditional write per
/// turn (`rev` is the compare-and-set revision).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeState {
    #[serde(default)]
    pub rev: u64,
    /// The person's last chat message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// When the current interaction started (for the break reminder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_disclosure_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub take_a_break_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_suitable_at: Option<DateTime<Utc>>,
    /// The last pushed check-in: it starts an interaction of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkin_at: Option<DateTime<Utc>>,
}

/// How often the notices come back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticePolicy {
    /// A message after this long without one starts a new interaction.
    pub idle_gap: Duration,
    /// The longest stretch of continuing interaction without a disclosure
    /// (and, for a minor, without a break reminder).
    pub repeat_every: Duration,
    /// Replaces the default disclosure text in every language.
    pub disclosure_text: Option<String>,
    /// Whether `AgeBand::Unknown` gets the minors' rules.
    pub unknown_as_minor: bool,
}

/// The default idle gap that ends an interaction.
pub const DEFAULT_IDLE_GAP: Duration = Duration::minutes(30);
/// New York GBL art. 47 and California SB 243: at least every 3 hours.
pub const REPEAT_EVERY: Duration = Duration::hours(3);

impl Default for NoticePolicy {
    fn default() -> Self {
        Self {
            idle_gap: DEFAULT_IDLE_GAP,
            repeat_every: REPEAT_EVERY,
            disclosure_text: None,
            unknown_as_minor: false,
        }
    }
}

/// A chat turn's notices and the record to store after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub notices: Vec<Notice>,
    /// `state` with this turn written in and `rev` advanced.
    pub next: NoticeState,
}

fn older_than(at: Option<DateTime<Utc>>, now: DateTime<Utc>, span: Duration) -> bool {
    at.is_none_or(|t| now - t >= span)
}

impl NoticePolicy {
    /// The notices for a chat message at `now`. A new session, a message
    /// after the idle gap, or the first message after a pushed check-in
    /// starts an interaction, which opens with the disclosure; a
    /// continuing one repeats it once `repeat_every` has passed. A minor
    /// also gets the break reminder once the interaction (or the last
    /// reminder) is `repeat_every` old, and the one-time notice.
    pub fn for_message(
        &self,
        state: &NoticeState,
        now: DateTime<Utc>,
        new_session: bool,
        minor: bool,
        language: Language,
    ) -> Decision {
        let after_checkin = match (state.checkin_at, state.last_interaction_at) {
            (Some(c), Some(l)) => c > l,
            (Some(_), None) => true,
            _ => false,
        };
        let starts = new_session
            || after_checkin
            || older_than(state.last_interaction_at, now, self.idle_gap);
        let mut next = state.clone();
        next.rev = state.rev + 1;
        next.last_interaction_at = Some(now);
        if starts {
            next.interaction_started_at = Some(now);
        }
        let mut kinds = Vec::new();
        if starts || older_than(state.ai_disclosure_at, now, self.repeat_every) {
            kinds.push(NoticeKind::AiDisclosure);
            next.ai_disclosure_at = Some(now);
        }
        if minor {
            // The break is due a whole stretch into the interaction, or
            // after the last reminder within it.
            let since = match (next.interaction_started_at, state.take_a_break_at) {
                (Some(s), Some(b)) => Some(s.max(b)),
                (s, b) => s.or(b),
            };
            if !starts && older_than(since, now, self.repeat_every) {
                kinds.push(NoticeKind::TakeABreak);
                next.take_a_break_at = Some(now);
            }
            if state.not_suitable_at.is_none() {
                kinds.push(NoticeKind::NotSuitableForSomeMinors);
                next.not_suitable_at = Some(now);
            }
        }
        Decision {
            notices: kinds
                .into_iter()
                .map(|k| self.notice(k, language))
                .collect(),
            next,
        }
    }

    /// A pushed check-in's notices at `now`: it starts an interaction, so
    /// it carries the disclosure, and the next chat message opens a new
    /// interaction too.
    pub fn for_checkin(
        &self,
        state: &NoticeState,
        now: DateTime<Utc>,
        language: Language,
    ) -> Decision {
        let mut next = state.clone();
        next.rev = state.rev + 1;
        next.checkin_at = Some(now);
        next.ai_disclosure_at = Some(now);
        Decision {
            notices: vec![self.notice(NoticeKind::AiDisclosure, language)],
            next,
        }
    }

    /// What a replayed turn showed the first time: the notices the record
    /// says were shown at the message's time.
    pub fn shown_at(
        &self,
        state: &NoticeState,
        at: DateTime<Utc>,
        language: Language,
    ) -> Vec<Notice> {
        [
            (state.ai_disclosure_at, NoticeKind::AiDisclosure),
            (state.take_a_break_at, NoticeKind::TakeABreak),
            (state.not_suitable_at, NoticeKind::NotSuitableForSomeMinors),
        ]
        .into_iter()
        .filter(|(t, _)| *t == Some(at))
        .map(|(_, k)| self.notice(k, language))
        .collect()
    }

    pub fn notice(&self, kind: NoticeKind, language: Language) -> Notice {
        let text = match (kind, &self.disclosure_text) {
            (NoticeKind::AiDisclosure, Some(t)) if !t.trim().is_empty() => t.trim().to_string(),
            _ => text(kind, language).to_string(),
        };
        Notice { kind, text }
    }
}

/// The default texts. The disclosure says, clearly and in the first
/// words, that the companion is an AI and not a human (New York GBL
/// art. 47; California SB 243).
pub fn text(kind: NoticeKind, language: Language) -> &'static str {
    use Language::*;
    use NoticeKind::*;
    match (kind, language) {
        (AiDisclosure, En) => {
            "Reminder: Hearth is an AI companion, not a human. You are talking with a computer program, not a person."
        }
        (AiDisclosure, Es) => {
            "Recordatorio: Hearth es un compañero de inteligencia artificial (IA), no un ser humano. Estás hablando con un programa informático, no con una persona."
        }
        (AiDisclosure, Fr) => {
            "Rappel : Hearth est un compagnon doté d'intelligence artificielle (IA), pas un être humain. Tu parles avec un programme informatique, pas avec une personne."
        }
        (AiDisclosure, De) => {
            "Hinweis: Hearth ist ein KI-Begleiter, kein Mensch. Du sprichst mit einem Computerprogramm, nicht mit einer Person."
        }
        (AiDisclosure, Pt) => {
            "Lembrete: Hearth é um companheiro de inteligência artificial (IA), não um ser humano. Você está conversando com um programa de computador, não com uma pessoa."
        }
        (TakeABreak, En) => {
            "You've been chatting for a while. This is a good moment to take a break. Remember, Hearth is an AI, not a human."
        }
        (TakeABreak, Es) => {
            "Llevas un buen rato conversando. Es un buen momento para tomarte un descanso. Recuerda: Hearth es una IA, no un ser humano."
        }
        (TakeABreak, Fr) => {
            "Tu discutes depuis un moment. C'est un bon moment pour faire une pause. N'oublie pas : Hearth est une IA, pas un être humain."
        }
        (TakeABreak, De) => {
            "Du schreibst schon eine Weile. Jetzt ist ein guter Moment für eine Pause. Denk daran: Hearth ist eine KI, kein Mensch."
        }
        (TakeABreak, Pt) => {
            "Você está conversando há um tempo. Este é um bom momento para fazer uma pausa. Lembre-se: Hearth é uma IA, não um ser humano."
        }
        (NotSuitableForSomeMinors, En) => {
            "Companion chatbots like Hearth may not be suitable for some minors."
        }
        (NotSuitableForSomeMinors, Es) => {
            "Los chatbots de compañía como Hearth pueden no ser adecuados para algunos menores."
        }
        (NotSuitableForSomeMinors, Fr) => {
            "Les chatbots compagnons comme Hearth peuvent ne pas convenir à certains mineurs."
        }
        (NotSuitableForSomeMinors, De) => {
            "Begleit-Chatbots wie Hearth sind für manche Minderjährige möglicherweise nicht geeignet."
        }
        (NotSuitableForSomeMinors, Pt) => {
            "Chatbots de companhia como o Hearth podem não ser adequados para alguns menores."
        }
    }
}

/// A minor's check-ins come only in daytime: from 08:00 to 20:00 local
/// time, so the check-in hour is held to 8–19.
pub const MINOR_CHECKIN_HOURS: std::ops::RangeInclusive<u8> = 8..=19;

/// The local hour a check-in is sent at: the person's hour, held to the
/// daytime hours for a minor.
pub fn checkin_hour(hour: u8, minor: bool) -> u8 {
    if minor {
        hour.clamp(*MINOR_CHECKIN_HOURS.start(), *MINOR_CHECKIN_HOURS.end())
    } else {
        hour
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use NoticeKind::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn kinds(d: &Decision) -> Vec<NoticeKind> {
        d.notices.iter().map(|n| n.kind).collect()
    }

    /// Messages at the given minutes after 10:00, each from the state the
    /// one before left; the kinds each got.
    fn run(policy: &NoticePolicy, minor: bool, minutes: &[i64]) -> Vec<Vec<NoticeKind>> {
        let start = at("2026-12-01T10:00:00Z");
        let mut state = NoticeState::default();
        minutes
            .iter()
            .map(|m| {
                let d = policy.for_message(
                    &state,
                    start + Duration::minutes(*m),
                    false,
                    minor,
                    Language::En,
                );
                state = d.next.clone();
                kinds(&d)
            })
            .collect()
    }

    #[test]
    fn the_first_message_is_disclosed_and_a_continuing_one_is_not() {
        let got = run(&NoticePolicy::default(), false, &[0, 5, 20]);
        assert_eq!(got, vec![vec![AiDisclosure], vec![], vec![]]);
    }

    #[test]
    fn continuing_interaction_is_disclosed_again_every_three_hours() {
        // Every 20 minutes for 7 hours: never idle, so only the clock repeats it.
        let minutes: Vec<i64> = (0..=21).map(|i| i * 20).collect();
        let got = run(&NoticePolicy::default(), false, &minutes);
        let disclosed: Vec<i64> = minutes
            .iter()
            .zip(&got)
            .filter(|(_, k)| k.contains(&AiDisclosure))
            .map(|(m, _)| *m)
            .collect();
        assert_eq!(disclosed, vec![0, 180, 360]);
        assert!(
            got.iter().all(|k| !k.contains(&TakeABreak)),
            "an adult gets no break reminder"
        );
    }

    #[test]
    fn an_idle_gap_or_a_new_session_starts_a_new_interaction() {
        let policy = NoticePolicy::default();
        assert_eq!(
            run(&policy, false, &[0, 29, 59]),
            vec![vec![AiDisclosure], vec![], vec![AiDisclosure]],
            "30 minutes idle"
        );
        let short = NoticePolicy {
            idle_gap: Duration::minutes(5),
            ..NoticePolicy::default()
        };
        assert_eq!(
            run(&short, false, &[0, 4, 10]),
            vec![vec![AiDisclosure], vec![], vec![AiDisclosure]]
        );
        let first = policy.for_message(
            &NoticeState::default(),
            at("2026-12-01T10:00:00Z"),
            false,
            false,
            Language::En,
        );
        let again = policy.for_message(
            &first.next,
            at("2026-12-01T10:01:00Z"),
            true,
            false,
            Language::En,
        );
        assert_eq!(kinds(&again), vec![AiDisclosure]);
    }

    #[test]
    fn a_minor_gets_the_one_time_notice_and_a_break_every_three_hours() {
        let minutes: Vec<i64> = (0..=21).map(|i| i * 20).collect();
        let got = run(&NoticePolicy::default(), true, &minutes);
        assert_eq!(got[0], vec![AiDisclosure, NotSuitableForSomeMinors]);
        let breaks: Vec<i64> = minutes
            .iter()
            .zip(&got)
            .filter(|(_, k)| k.contains(&TakeABreak))
            .map(|(m, _)| *m)
            .collect();
        assert_eq!(breaks, vec![180, 360]);
        assert_eq!(
            got.iter()
                .filter(|k| k.contains(&NotSuitableForSomeMinors))
                .count(),
            1
        );
        assert_eq!(got[9], vec![AiDisclosure, TakeABreak]);
    }

    #[test]
    fn unknown_age_follows_the_configuration_and_a_claim_wins() {
        assert!(!AgeBand::Unknown.is_minor(false));
        assert!(AgeBand::Unknown.is_minor(true));
        assert!(AgeBand::Minor.is_minor(false));
        assert!(!AgeBand::Adult.is_minor(true));
        assert_eq!(
            AgeBand::effective(Some(AgeBand::Adult), AgeBand::Minor),
            AgeBand::Adult
        );
        assert_eq!(AgeBand::effective(None, AgeBand::Minor), AgeBand::Minor);
        assert_eq!(AgeBand::parse(" Minor "), Some(AgeBand::Minor));
        assert_eq!(AgeBand::parse("child"), None);
    }

    #[test]
    fn a_checkin_starts_an_interaction_and_the_next_message_is_disclosed() {
        let policy = NoticePolicy::default();
        let first = policy.for_message(
            &NoticeState::default(),
            at("2026-12-01T10:00:00Z"),
            false,
            false,
            Language::En,
        );
        let checkin = policy.for_checkin(&first.next, at("2026-12-01T10:10:00Z"), Language::En);
        assert_eq!(kinds(&checkin), vec![AiDisclosure]);
        let reply = policy.for_message(
            &checkin.next,
            at("2026-12-01T10:12:00Z"),
            false,
            false,
            Language::En,
        );
        assert_eq!(kinds(&reply), vec![AiDisclosure]);
        let after = policy.for_message(
            &reply.next,
            at("2026-12-01T10:14:00Z"),
            false,
            false,
            Language::En,
        );
        assert!(after.notices.is_empty());
        assert_eq!(reply.next.rev, 3);
    }

    #[test]
    fn a_replay_shows_what_its_turn_showed() {
        let policy = NoticePolicy::default();
        let t = at("2026-12-01T10:00:00Z");
        let d = policy.for_message(&NoticeState::default(), t, false, true, Language::En);
        let shown: Vec<_> = policy
            .shown_at(&d.next, t, Language::En)
            .into_iter()
            .map(|n| n.kind)
            .collect();
        assert_eq!(shown, kinds(&d));
        assert!(
            policy
                .shown_at(&d.next, t + Duration::minutes(1), Language::En)
                .is_empty()
        );
    }

    #[test]
    fn the_disclosure_is_in_the_persons_language_or_the_configured_text() {
        let policy = NoticePolicy::default();
        let all = [
            Language::En,
            Language::Es,
            Language::Fr,
            Language::De,
            Language::Pt,
        ];
        for kind in [AiDisclosure, TakeABreak, NotSuitableForSomeMinors] {
            let texts: std::collections::HashSet<&str> =
                all.iter().map(|l| text(kind, *l)).collect();
            assert_eq!(texts.len(), all.len(), "{kind:?} differs by language");
        }
        let en = policy.notice(AiDisclosure, Language::En).text;
        assert!(en.contains("AI") && en.contains("not a human"), "{en}");
        assert!(
            policy
                .notice(AiDisclosure, Language::Es)
                .text
                .contains("no un ser humano")
        );
        assert!(
            policy
                .notice(AiDisclosure, Language::De)
                .text
                .contains("kein Mensch")
        );
        let custom = NoticePolicy {
            disclosure_text: Some("Hearth is an AI.".into()),
            ..NoticePolicy::default()
        };
        assert_eq!(
            custom.notice(AiDisclosure, Language::Fr).text,
            "Hearth is an AI."
        );
        assert_eq!(
            custom.notice(TakeABreak, Language::En).text,
            text(TakeABreak, Language::En)
        );
    }

    #[test]
    fn a_minors_checkin_hour_is_held_to_daytime() {
        assert_eq!(checkin_hour(22, true), 19);
        assert_eq!(checkin_hour(6, true), 8);
        assert_eq!(checkin_hour(12, true), 12);
        assert_eq!(checkin_hour(22, false), 22);
    }
}
