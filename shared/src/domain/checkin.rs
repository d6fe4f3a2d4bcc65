//! Settings and the daily check-in: when one is due in the person's own
//! time zone, and how the model's answer is held to the length a
//! notification can show. What the model is asked is in
//! `prompts::checkin`. Pure code.

use super::crisis_resources::Language;
use super::notices::{AgeBand, Notice};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A person's settings. Absent settings are the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// An IANA time zone name, e.g. `Asia/Tokyo`.
    pub timezone: String,
    /// The local hour (0–23) of the daily check-in.
    pub checkin_hour: u8,
    pub checkins_enabled: bool,
    /// Whose crisis resources apply, e.g. `en-GB`.
    pub locale: String,
    /// An FCM registration token, when the app has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_token: Option<String>,
    /// `minor`, `adult` or `unknown`; a token's age claim wins over it,
    /// and a `minor` is never lifted (see `SettingsPatch::apply`).
    #[serde(default)]
    pub age_band: AgeBand,
}

pub const DEFAULT_CHECKIN_HOUR: u8 = 19;
/// Longest push token accepted (FCM tokens are about 160 characters).
pub const MAX_PUSH_TOKEN_CHARS: usize = 4_096;

impl Settings {
    pub fn defaults(locale: &str) -> Settings {
        Settings {
            timezone: "UTC".into(),
            checkin_hour: DEFAULT_CHECKIN_HOUR,
            checkins_enabled: true,
            locale: locale.into(),
            push_token: None,
            age_band: AgeBand::Unknown,
        }
    }

    pub fn tz(&self) -> Tz {
        self.timezone.parse().unwrap_or(Tz::UTC)
    }
}

/// A person's change to their settings: only the fields given change.
/// `push_token: null` removes the token.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub timezone: Option<String>,
    pub checkin_hour: Option<i64>,
    pub checkins_enabled: Option<bool>,
    pub locale: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub push_token: Option<Option<String>>,
    pub age_band: Option<AgeBand>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// An invalid setting, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct SettingsError {
    pub field: &'static str,
    pub why: String,
}

impl SettingsPatch {
    /// `current` with the patch applied, or the first invalid field.
    pub fn apply(&self, current: &Settings, locales: &[&str]) -> Result<Settings, SettingsError> {
        let mut s = current.clone();
        if let Some(tz) = &self.timezone {
            if tz.parse::<Tz>().is_err() {
                return Err(SettingsError {
                    field: "timezone",
                    why: format!("'{tz}' is not an IANA time zone such as Europe/London"),
                });
            }
            s.timezone = tz.clone();
        }
        if let Some(h) = self.checkin_hour {
            if !(0..=23).contains(&h) {
                return Err(SettingsError {
                    field: "checkin_hour",
                    why: "must be a whole hour from 0 to 23".into(),
                });
            }
            s.checkin_hour = h as u8;
        }
        if let Some(e) = self.checkins_enabled {
            s.checkins_enabled = e;
        }
        if let Some(l) = &self.locale {
            if !locales.contains(&l.as_str()) {
                return Err(SettingsError {
                    field: "locale",
                    why: format!("must be one of {}", locales.join(", ")),
                });
            }
            s.locale = l.clone();
        }
        if let Some(band) = self.age_band {
            if current.age_band == AgeBand::Minor && band != AgeBand::Minor {
                return Err(SettingsError {
                    field: "age_band",
                    why: "a minor cannot be changed to adult or unknown".into(),
                });
            }
            s.age_band = band;
        }
        if let Some(t) = &self.push_token {
            match t.as_deref().map(str::trim) {
                Some("") => {
                    return Err(SettingsError {
                        field: "push_token",
                        why: "must not be empty; send null to remove it".into(),
                    });
                }
                Some(t)
                    if t.chars().count() > MAX_PUSH_TOKEN_CHARS
                        || !t.chars().all(|c| c.is_ascii_graphic()) =>
                {
                    return Err(SettingsError {
                        field: "push_token",
                        why: format!(
                            "must be an FCM registration token of at most {MAX_PUSH_TOKEN_CHARS} characters"
                        ),
                    });
                }
                other => s.push_token = other.map(str::to_string),
            }
        }
        Ok(s)
    }
}

/// The local date whose check-in is due at `at`, if one is: the local
/// hour is the check-in hour, or the check-in hour did not exist today (a
/// spring-forward gap) and this is the first hour after it. A repeated hour
/// (fall back) is handled by storing one check-in per local date.
pub fn due(settings: &Settings, at: DateTime<Utc>) -> Option<NaiveDate> {
    due_for(settings, at, false)
}

/// As `due`, for a minor when `minor`: only in the daytime hours
/// (`notices::MINOR_CHECKIN_HOURS`), the check-in hour held to them.
pub fn due_for(settings: &Settings, at: DateTime<Utc>, minor: bool) -> Option<NaiveDate> {
    if !settings.checkins_enabled {
        return None;
    }
    let tz = settings.tz();
    let local = at.with_timezone(&tz);
    let date = local.date_naive();
    let hour = super::notices::checkin_hour(settings.checkin_hour, minor) as u32;
    if local.hour() == hour {
        return Some(date);
    }
    let skipped = date
        .and_hms_opt(hour, 30, 0)
        .is_some_and(|t| tz.from_local_datetime(&t).earliest().is_none());
    (skipped && local.hour() == (hour + 1) % 24 && hour < 23).then_some(date)
}

/// A stored check-in: one per person per local date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckIn {
    /// `<local date>`: the idempotency key.
    pub id: String,
    pub local_date: NaiveDate,
    pub text: String,
    pub created_at: DateTime<Utc>,
    /// `gentle` after a crisis flag in the last 24 hours, a hard-day
    /// marker for today or yesterday, or a model line with method detail;
    /// `fallback` when the model's text could not be used; else `model`.
    pub variant: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Whether a push went out.
    pub pushed: bool,
    /// A check-in starts an interaction, so it carries the AI disclosure
    /// (`domain::notices`). Absent in older check-ins.
    #[serde(default)]
    pub notices: Vec<Notice>,
}

/// Hard limit on a check-in's length (a notification's visible line).
pub const MAX_CHECKIN_CHARS: usize = 100;
/// What looks back over.
pub const LOOKBACK: Duration = Duration::hours(24);

/// The model's line, if it can be sent as it is: non-empty, under the
/// limit, and ending as a sentence ends (never cut off mid-way).
pub fn usable(text: &str, truncated: bool) -> Option<String> {
    let t = text.trim().trim_matches('"').trim();
    let ends_well = t.ends_with(['.', '?', '!']);
    (!truncated && !t.is_empty() && t.chars().count() < MAX_CHECKIN_CHARS && ends_well)
        .then(|| t.to_string())
}

/// Sent when the model's line cannot be used.
pub const FALLBACK: &str = "Thinking of you today. How are you doing?";
/// Sent after a crisis flag in the last 24 hours, with the resources.
pub const GENTLE: &str = "Just checking in gently. I'm here whenever you want to talk.";

/// `GENTLE` in the language of the person's resources, so the line and the
/// resources after it read as one.
pub fn gentle(language: Language) -> &'static str {
    match language {
        Language::En => GENTLE,
        Language::Es => "Solo paso a saludarte con cariño. Aquí estoy cuando quieras hablar.",
        Language::Fr => {
            "Je prends simplement de tes nouvelles, en douceur. Je suis là dès que tu as envie de parler."
        }
        Language::De => {
            "Ich wollte nur behutsam nach dir sehen. Ich bin da, wann immer du reden möchtest."
        }
        Language::Pt => {
            "Só passando para saber como você está, com carinho. Estou aqui sempre que quiser conversar."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gentle_line_speaks_each_language() {
        use Language::*;
        assert_eq!(gentle(En), GENTLE);
        let lines: std::collections::HashSet<&str> =
            [En, Es, Fr, De, Pt].into_iter().map(gentle).collect();
        assert_eq!(lines.len(), 5);
        assert!(gentle(Es).contains("hablar") && gentle(Fr).contains("parler"));
        assert!(gentle(De).contains("reden") && gentle(Pt).contains("conversar"));
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn settings(tz: &str, hour: u8) -> Settings {
        Settings {
            timezone: tz.into(),
            checkin_hour: hour,
            ..Settings::defaults("en-US")
        }
    }

    #[test]
    fn due_at_the_local_hour_only() {
        let tokyo = settings("Asia/Tokyo", 19);
        assert_eq!(
            due(&tokyo, at("2026-11-25T10:00:00Z")),
            Some(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())
        );
        assert_eq!(due(&tokyo, at("2026-11-25T11:00:00Z")), None);
        let ny = settings("America/New_York", 19);
        assert_eq!(
            due(&ny, at("2026-11-26T00:30:00Z")),
            Some(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())
        );
        assert_eq!(
            due(
                &Settings {
                    checkins_enabled: false,
                    ..ny
                },
                at("2026-11-26T00:30:00Z")
            ),
            None
        );
    }

    #[test]
    fn a_minors_check_in_comes_only_in_daytime() {
        let late = settings("America/New_York", 22);
        // 22:00 EST is 03:00Z; 19:00 EST is 00:00Z.
        assert!(due_for(&late, at("2026-11-26T03:00:00Z"), false).is_some());
        assert!(due_for(&late, at("2026-11-26T03:00:00Z"), true).is_none());
        assert!(due_for(&late, at("2026-11-26T00:00:00Z"), true).is_some());
        let early = settings("UTC", 5);
        assert!(due_for(&early, at("2026-11-26T08:00:00Z"), true).is_some());
        assert!(due_for(&early, at("2026-11-26T05:00:00Z"), true).is_none());
    }

    #[test]
    fn a_spring_forward_gap_moves_the_check_in_an_hour_later() {
        // New York skips 02:00–03:00 on 2026-03-08.
        let ny = settings("America/New_York", 2);
        let day = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        let hours: Vec<_> = (0..24)
            .map(|h| at("2026-03-08T00:00:00Z") + Duration::hours(h))
            .filter(|t| due(&ny, *t) == Some(day))
            .collect();
        assert_eq!(hours, vec![at("2026-03-08T07:00:00Z")], "03:00 EDT, once");
    }

    #[test]
    fn settings_patches_name_the_bad_field() {
        let s = Settings::defaults("en-US");
        let locales = ["en-US", "en-GB"];
        let bad = |p: SettingsPatch| p.apply(&s, &locales).unwrap_err().field;
        assert_eq!(
            bad(SettingsPatch {
                timezone: Some("Mars/Olympus".into()),
                ..Default::default()
            }),
            "timezone"
        );
        assert_eq!(
            bad(SettingsPatch {
                checkin_hour: Some(24),
                ..Default::default()
            }),
            "checkin_hour"
        );
        assert_eq!(
            bad(SettingsPatch {
                locale: Some("fr-FR".into()),
                ..Default::default()
            }),
            "locale"
        );
        assert_eq!(
            bad(SettingsPatch {
                push_token: Some(Some(" ".into())),
                ..Default::default()
            }),
            "push_token"
        );
        let ok = SettingsPatch {
            timezone: Some("Asia/Tokyo".into()),
            checkin_hour: Some(8),
            push_token: Some(Some("tok".into())),
            ..Default::default()
        }
        .apply(&s, &locales)
        .unwrap();
        assert_eq!(
            (
                ok.timezone.as_str(),
                ok.checkin_hour,
                ok.push_token.as_deref()
            ),
            ("Asia/Tokyo", 8, Some("tok"))
        );
        let removed: SettingsPatch = serde_json::from_str(r#"{"push_token": null}"#).unwrap();
        assert_eq!(removed.apply(&ok, &locales).unwrap().push_token, None);
        let minor: SettingsPatch = serde_json::from_str(r#"{"age_band": "minor"}"#).unwrap();
        let minor = minor.apply(&ok, &locales).unwrap();
        assert_eq!(minor.age_band, AgeBand::Minor);
        let lift: SettingsPatch = serde_json::from_str(r#"{"age_band": "adult"}"#).unwrap();
        assert_eq!(lift.apply(&minor, &locales).unwrap_err().field, "age_band");
        let untouched: SettingsPatch = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(untouched.apply(&ok, &locales).unwrap(), ok);
    }

    #[test]
    fn only_whole_short_lines_are_usable() {
        assert_eq!(
            usable(" \"How did the interview go?\" ", false).as_deref(),
            Some("How did the interview go?")
        );
        assert!(usable(&"a".repeat(120), false).is_none());
        assert!(
            usable("How did the", false).is_none(),
            "cut off mid-sentence"
        );
        assert!(
            usable("Fine.", true).is_none(),
            "the model hit its token limit"
        );
        assert!(usable("", false).is_none());
    }
}
