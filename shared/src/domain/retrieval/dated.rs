//! Time in retrieval. Every item is indexed with the days it speaks of:
//! the dates its text refers to, resolved against the item's own time
//! ("yesterday" in a message of 7 May 2023 is 6 May 2023), and, for a
//! message, the day it was said. Those days are index terms of their own
//! (`@d2023-05-06`, `@m2023-05`, `@y2023`), so a question that names a
//! date, or says "yesterday", matches what was said of that day. A
//! question about when something happened ranks items whose text dates
//! something ([`asks_when`]).

use crate::domain::text::{Span, resolve_dates};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Spans longer than this are indexed by their years only.
const MONTHS_UP_TO_DAYS: i64 = 92;
/// Spans up to this long are indexed by each of their days.
const DAYS_UP_TO_DAYS: i64 = 31;

/// The date terms of one span: each day of a span up to a month long,
/// each month of one up to a season long, and its years.
pub fn span_terms(span: &Span) -> Vec<String> {
    let days = span.end.signed_duration_since(span.start).num_days();
    let mut terms = Vec::new();
    if days <= DAYS_UP_TO_DAYS {
        terms.extend(
            span.start
                .iter_days()
                .take_while(|d| *d <= span.end)
                .map(day_term),
        );
    }
    if days <= MONTHS_UP_TO_DAYS {
        let mut month = (span.start.year(), span.start.month());
        while month <= (span.end.year(), span.end.month()) {
            terms.push(format!("@m{:04}-{:02}", month.0, month.1));
            month = if month.1 == 12 {
                (month.0 + 1, 1)
            } else {
                (month.0, month.1 + 1)
            };
        }
    }
    terms.extend((span.start.year()..=span.end.year()).map(|y| format!("@y{y:04}")));
    terms
}

fn day_term(day: NaiveDate) -> String {
    format!("@d{}", day.format("%Y-%m-%d"))
}

/// The days a text speaks of, resolved against `at`.
pub fn spans(text: &str, at: DateTime<Utc>) -> Vec<Span> {
    resolve_dates(text, at)
        .into_iter()
        .map(|d| d.span)
        .collect()
}

/// The date terms an item is indexed with: those of the dates its text
/// refers to (`referred`), and (`said`) those of the day it was said; and
/// whether its text dates anything.
pub fn doc_terms(referred: &[Span], at: DateTime<Utc>, said: bool) -> (Vec<String>, bool) {
    let dated = !referred.is_empty();
    let mut terms: Vec<String> = referred.iter().flat_map(span_terms).collect();
    if said {
        terms.extend(span_terms(&Span::day(at.date_naive())));
    }
    terms.sort();
    terms.dedup();
    (terms, dated)
}

/// The date terms a question looks up: those of the dates it names or
/// implies, resolved against the time it is asked.
/// Each at the span's own grain: a day (or a week's days) looks up those
/// days, a month its month, a longer stretch its years; so "9 March" is
/// not matched by everything said in March.
pub fn query_terms(text: &str, now: DateTime<Utc>) -> Vec<String> {
    let mut terms: Vec<String> = spans(text, now)
        .iter()
        .flat_map(|span| {
            let days = span.end.signed_duration_since(span.start).num_days();
            let grain = if days < 7 {
                "@d"
            } else if days <= MONTHS_UP_TO_DAYS {
                "@m"
            } else {
                "@y"
            };
            span_terms(span)
                .into_iter()
                .filter(move |t| t.starts_with(grain))
        })
        .collect();
    terms.sort();
    terms.dedup();
    terms
}

/// Whether a question asks when something happened (or how long ago):
/// then items that date what they say rank higher.
pub fn asks_when(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let pair = |a: &str, b: &[&str]| words.windows(2).any(|w| w[0] == a && b.contains(&w[1]));
    words.contains(&"when")
        || pair("what", &["date", "day", "year", "month", "week", "time"])
        || pair("which", &["date", "day", "year", "month", "week"])
        || pair("how", &["long"])
}

/// How a prompt line dates an item: its own day, and what its relative
/// dates resolve to ("7 May 2023; yesterday = 6 May 2023").
pub fn date_note(text: &str, at: DateTime<Utc>) -> String {
    let mut note = Span::day(at.date_naive()).label();
    for d in resolve_dates(text, at) {
        let label = d.span.label();
        if d.phrase != label.to_lowercase() {
            note.push_str(&format!("; {} = {label}", d.phrase));
        }
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn yesterday_is_indexed_as_its_day_and_the_message_by_its_own() {
        let said = at("2023-05-07T18:00:00Z");
        let (terms, dated) = doc_terms(
            &spans("I went to the support group yesterday.", said),
            said,
            true,
        );
        assert!(dated);
        for t in ["@d2023-05-06", "@d2023-05-07", "@m2023-05", "@y2023"] {
            assert!(terms.contains(&t.to_string()), "{t} in {terms:?}");
        }
        assert!(!terms.contains(&"@d2023-05-05".to_string()));
    }

    #[test]
    fn a_question_naming_the_day_looks_up_that_day() {
        let terms = query_terms("What did I do on 6 May 2023?", at("2023-06-01T00:00:00Z"));
        assert_eq!(
            terms,
            vec!["@d2023-05-06".to_string()],
            "not the whole month"
        );
        let month = query_terms("What did I do in May 2023?", at("2023-06-01T00:00:00Z"));
        assert_eq!(month, vec!["@m2023-05".to_string()]);
        assert!(query_terms("How are you?", at("2023-06-01T00:00:00Z")).is_empty());
    }

    #[test]
    fn months_and_years_are_coarser_terms() {
        let month = span_terms(&Span {
            start: NaiveDate::from_ymd_opt(2023, 5, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2023, 5, 31).unwrap(),
        });
        assert!(month.contains(&"@m2023-05".to_string()));
        let year = span_terms(&Span {
            start: NaiveDate::from_ymd_opt(2023, 1, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2023, 12, 31).unwrap(),
        });
        assert_eq!(year, vec!["@y2023".to_string()]);
    }

    #[test]
    fn when_questions_are_told_apart() {
        assert!(asks_when("When did Caroline go to the support group?"));
        assert!(asks_when("How long ago was her birthday?"));
        assert!(asks_when("What year did he move?"));
        assert!(!asks_when("What does she like to paint?"));
    }

    #[test]
    fn a_prompt_line_resolves_relative_dates() {
        assert_eq!(
            date_note("We met last Saturday.", at("2023-05-10T09:00:00Z")),
            "10 May 2023; last saturday = 6 May 2023"
        );
        assert_eq!(
            date_note("Nothing dated.", at("2023-05-10T09:00:00Z")),
            "10 May 2023"
        );
    }
}
