//! De-identified counts of crisis-referral notifications: how many times a
//! person was shown crisis resources, by UTC day, category, the locale of
//! the resources shown and the screen layer that caught it. No user id, no
//! message id and no text is ever part of a count, so the counts are not
//! personal data (they are outside export and erase) and can go into the
//! annual report to California's Office of Suicide Prevention.
//!
//! A report never shows a small count on its own: a cell below the
//! threshold ([`DEFAULT_MIN_COUNT`]) reads `"<N"`, and when the total is
//! shown and exactly one cell is hidden, the next smallest is hidden too,
//! so the hidden one cannot be worked out by subtraction.

use super::safety::CrisisCategory;
use super::safety::flag::Flagged;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// The smallest count a report shows on its own, unless configured.
pub const DEFAULT_MIN_COUNT: u64 = 5;

/// One referral, as counted: what the counter's key is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Referral {
    /// The UTC day of the flag.
    pub day: NaiveDate,
    pub category: CrisisCategory,
    /// The locale of the resources row the person was shown (a row of
    /// `crisis_resources::TABLE`), never the person's own setting.
    pub locale: &'static str,
    /// The layer that caught it, as `CrisisReason::layer` names it.
    pub layer: &'static str,
}

impl Referral {
    /// The referral for `flagged` at `at`, with the resources of `locale`.
    pub fn new(at: DateTime<Utc>, flagged: &Flagged, locale: &'static str) -> Self {
        Self {
            day: at.date_naive(),
            category: flagged.category,
            locale,
            layer: flagged.reason.layer(),
        }
    }
}

/// A stored counter: one (day, category, locale, layer) and its count.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReferralCount {
    pub day: NaiveDate,
    pub category: String,
    pub locale: String,
    pub layer: String,
    pub count: u64,
}

/// A count as a report shows it: the number, or `"<N"` when hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    Count(u64),
    Below(u64),
}

impl Serialize for Shown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Count(n) => s.serialize_u64(*n),
            Shown::Below(min) => s.serialize_str(&format!("<{min}")),
        }
    }
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shown::Count(n) => write!(f, "{n}"),
            Shown::Below(min) => write!(f, "<{min}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    pub day: NaiveDate,
    pub category: String,
    pub locale: String,
    pub layer: String,
    pub count: Shown,
}

/// The safety report over `from..=to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SafetyReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Counts below this are not shown on their own.
    pub min_count: u64,
    /// Every referral in the range.
    pub total: Shown,
    pub rows: Vec<ReportRow>,
}

impl SafetyReport {
    /// The report of `counts` (any order), hiding what is below `min_count`.
    pub fn new(from: NaiveDate, to: NaiveDate, min_count: u64, counts: &[ReferralCount]) -> Self {
        let mut counts: Vec<&ReferralCount> = counts.iter().filter(|c| c.count > 0).collect();
        counts.sort();
        let shown = |n: u64| {
            if n < min_count {
                Shown::Below(min_count)
            } else {
                Shown::Count(n)
            }
        };
        let total = counts.iter().map(|c| c.count).sum();
        let mut rows: Vec<ReportRow> = counts
            .iter()
            .map(|c| ReportRow {
                day: c.day,
                category: c.category.clone(),
                locale: c.locale.clone(),
                layer: c.layer.clone(),
                count: shown(c.count),
            })
            .collect();
        let total = shown(total);
        let hidden = rows
            .iter()
            .filter(|r| matches!(r.count, Shown::Below(_)))
            .count();
        if hidden == 1 && matches!(total, Shown::Count(_)) {
            // The total less the shown rows would give the hidden one.
            let smallest = rows
                .iter_mut()
                .filter(|r| matches!(r.count, Shown::Count(_)))
                .min_by_key(|r| match r.count {
                    Shown::Count(n) => n,
                    Shown::Below(_) => u64::MAX,
                });
            if let Some(row) = smallest {
                row.count = Shown::Below(min_count);
            }
        }
        Self {
            from,
            to,
            min_count,
            total,
            rows,
        }
    }

    /// The report as CSV: a header, one line per row, then the total as
    /// `total,,,,N`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("day,category,locale,layer,count\n");
        for r in &self.rows {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                r.day, r.category, r.locale, r.layer, r.count
            ));
        }
        out.push_str(&format!("total,,,,{}\n", self.total));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(day: u32, category: &str, locale: &str, n: u64) -> ReferralCount {
        ReferralCount {
            day: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            category: category.into(),
            locale: locale.into(),
            layer: "rules".into(),
            count: n,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn a_count_below_the_threshold_is_not_shown() {
        let counts = [
            count(2, "suicidal", "en-US", 9),
            count(2, "self_harm", "en-GB", 2),
            count(3, "suicidal", "en-US", 3),
        ];
        let report = SafetyReport::new(day(1), day(30), 5, &counts);
        let shown: Vec<String> = report.rows.iter().map(|r| r.count.to_string()).collect();
        assert_eq!(shown, ["<5", "9", "<5"]);
        assert_eq!(report.total, Shown::Count(14));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["rows"][0]["count"], "<5");
        assert_eq!(json["rows"][1]["count"], 9);
        assert_eq!(json["total"], 14);
    }

    /// With the total shown, one hidden cell would be the total less the
    /// others: the next smallest is hidden with it.
    #[test]
    fn a_lone_hidden_cell_cannot_be_worked_out_from_the_total() {
        let counts = [
            count(2, "suicidal", "en-US", 9),
            count(2, "danger_now", "en-US", 6),
            count(3, "self_harm", "en-US", 1),
        ];
        let report = SafetyReport::new(day(1), day(30), 5, &counts);
        let hidden = report
            .rows
            .iter()
            .filter(|r| matches!(r.count, Shown::Below(_)))
            .count();
        assert_eq!(hidden, 2, "{report:?}");
        assert!(
            report.rows.iter().any(|r| r.count == Shown::Count(9)),
            "{report:?}"
        );
        assert_eq!(report.total, Shown::Count(16));
    }

    #[test]
    fn the_csv_has_a_header_the_rows_and_the_total() {
        let counts = [count(2, "suicidal", "en-US", 7)];
        let csv = SafetyReport::new(day(1), day(2), 5, &counts).to_csv();
        assert_eq!(
            csv,
            "day,category,locale,layer,count\n2026-11-02,suicidal,en-US,rules,7\ntotal,,,,7\n"
        );
        let few = SafetyReport::new(day(1), day(2), 5, &[count(2, "suicidal", "en-US", 1)]);
        assert_eq!(few.total, Shown::Below(5));
        assert!(!few.to_csv().contains(",1\n"), "{}", few.to_csv());
    }
}
