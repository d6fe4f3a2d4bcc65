//! Crisis resources by locale: a data table, easy to extend. Code, never a
//! model, appends these to a crisis reply. Add a locale by adding a row; the
//! test below checks every row is complete.

use super::safety::CrisisCategory;

pub struct Resources {
    pub locale: &'static str,
    pub country: &'static str,
    /// The crisis line, as a person should read it.
    pub crisis_line: &'static str,
    /// What to do in immediate danger.
    pub emergency: &'static str,
    /// A line for abuse or danger at home, where one is known.
    pub abuse_line: Option<&'static str>,
}

pub const TABLE: &[Resources] = &[
    Resources {
        locale: "en-US",
        country: "United States",
        crisis_line: "988 Suicide & Crisis Lifeline: call or text 988 (24/7), or chat at 988lifeline.org",
        emergency: "If you are in immediate danger, call 911.",
        abuse_line: Some(
            "National Domestic Violence Hotline: call 1-800-799-7233 or text START to 88788",
        ),
    },
    Resources {
        locale: "en-GB",
        country: "United Kingdom",
        crisis_line: "Samaritans: call 116 123 (free, 24/7), or text SHOUT to 85258",
        emergency: "If you are in immediate danger, call 999.",
        abuse_line: Some("National Domestic Abuse Helpline: call 0808 2000 247 (free, 24/7)"),
    },
    Resources {
        locale: "en-IE",
        country: "Ireland",
        crisis_line: "Samaritans: call 116 123 (free, 24/7)",
        emergency: "If you are in immediate danger, call 112 or 999.",
        abuse_line: None,
    },
    Resources {
        locale: "en-CA",
        country: "Canada",
        crisis_line: "9-8-8 Suicide Crisis Helpline: call or text 988 (24/7)",
        emergency: "If you are in immediate danger, call 911.",
        abuse_line: None,
    },
    Resources {
        locale: "en-AU",
        country: "Australia",
        crisis_line: "Lifeline: call 13 11 14 (24/7)",
        emergency: "If you are in immediate danger, call 000.",
        abuse_line: Some("1800RESPECT: call 1800 737 732"),
    },
    Resources {
        locale: "en-NZ",
        country: "New Zealand",
        crisis_line: "Need to talk? Call or text 1737 (free, 24/7)",
        emergency: "If you are in immediate danger, call 111.",
        abuse_line: None,
    },
];

/// The resources for `locale`, matched case-insensitively, else those for
/// `fallback`, else the first row.
pub fn for_locale(locale: &str, fallback: &str) -> &'static Resources {
    let find = |l: &str| TABLE.iter().find(|r| r.locale.eq_ignore_ascii_case(l));
    find(locale).or_else(|| find(fallback)).unwrap_or(&TABLE[0])
}

/// Whether `locale` has its own row.
pub fn is_known(locale: &str) -> bool {
    TABLE.iter().any(|r| r.locale.eq_ignore_ascii_case(locale))
}

/// The block of text appended to a crisis reply.
pub fn render(resources: &Resources, category: Option<CrisisCategory>) -> String {
    let mut out = format!(
        "If you need support right now ({}):\n- {}\n",
        resources.country, resources.crisis_line
    );
    if let (Some(CrisisCategory::DangerNow), Some(line)) = (category, resources.abuse_line) {
        out.push_str(&format!("- {line}\n"));
    }
    out.push_str(&format!("- {}", resources.emergency));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_complete_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in TABLE {
            assert!(
                seen.insert(r.locale.to_ascii_lowercase()),
                "duplicate {}",
                r.locale
            );
            assert!(!r.crisis_line.is_empty() && r.emergency.contains("call"));
        }
    }

    #[test]
    fn us_and_uk_name_their_numbers() {
        let us = render(for_locale("en-US", "en-US"), None);
        assert!(us.contains("988") && us.contains("911"));
        let uk = render(
            for_locale("en-gb", "en-US"),
            Some(CrisisCategory::DangerNow),
        );
        assert!(uk.contains("116 123") && uk.contains("999") && uk.contains("0808 2000 247"));
        assert_eq!(for_locale("fr-FR", "en-GB").locale, "en-GB");
    }
}
