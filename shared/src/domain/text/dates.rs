//! Relative and absolute dates in a message, resolved to calendar days
//! against the message's own time, so that retrieval can match a question
//! about "May 2023" to a message that said "yesterday". Deterministic and
//! pure: the reference time is an argument, nothing reads the clock.
//!
//! The text is split into words (runs of letters and digits; an ISO date
//! such as 2023-05-08 is one word). A phrase's words must be separated by
//! spaces or hyphens only (a comma is allowed before a year and after a
//! weekday: "May 8, 2023", "Saturday, 6 May"), so a full stop ends a phrase.
//! At each word the readers below are tried in order; the first that reads
//! a date takes its words and reading goes on after them.
//!
//! Choices, where English is ambiguous:
//! - Weeks run Monday to Sunday; a weekend is that week's Saturday and Sunday.
//! - A bare weekday ("Saturday", "on Saturday") is the nearest one on or
//!   before the message's day (today, if today is Saturday); "last Saturday"
//!   is the nearest strictly before today, "next Saturday" the first strictly
//!   after, "this Saturday" the Saturday of the current week.
//! - "last/this/next week|weekend|month|year" are the calendar units before,
//!   containing and after the message's day. After a determiner ("the last
//!   week", "my last fall") "last" and "next" mean a stretch of time or an
//!   ordinal, not a calendar unit, and nothing is read.
//! - Seasons are the northern hemisphere's meteorological ones (spring
//!   Mar–May, summer Jun–Aug, autumn Sep–Nov, winter Dec–Feb). "last summer"
//!   is the latest summer that ended before today, "next summer" the first
//!   that starts after it.
//! - "N days/weeks ago" and "in N days/weeks" are a day (a week is 7 days);
//!   "N months/years ago" and "in N months/years" are that month or year.
//!   N is digits, one..twelve, "a"/"an" (1), "a couple (of)" (2), "a few" (3).
//! - A day and month with no year is the nearest such date on or before the
//!   message's day, unless that is more than 300 days back and the next one
//!   is at most 60 days ahead; then the next one. A month alone is read the
//!   same way by its first day ("in May" said on 20 April is the coming May).
//! - "last May" is the latest May before the current month, "next May" the
//!   first after it, "this May" the May of the current year.
//! - Month names alone are read only after a preposition ("in", "since",
//!   "by", "early"...) or "last/this/next", except January, February, July
//!   and September to December, which are rarely anything else. So "may"
//!   (the verb), "march", "june" (a name) need a day, a year or a
//!   preposition; "this may" and "this march" are never read as months.
//! - A four-digit number from 1900 to 2100 is a year, unless a unit follows
//!   ("2000 steps") or a currency sign precedes it.
//! - Vague words ("recently", "lately", "the other day") and numeric dates
//!   with slashes (ambiguous between day-first and month-first) are not read.

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeDelta, Utc, Weekday};

/// A resolved span of calendar days, inclusive. A day: start == end. A
/// month: its first..last day. A year: Jan 1..Dec 31. A week: Monday..Sunday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// One date a text refers to: the words that said it and the days they mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateRef {
    /// The matched words, lower-cased, as in the text ("may 8, 2023").
    pub phrase: String,
    pub span: Span,
}

/// Month names, in order, lower-case.
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Short month names ("may" is already a full name).
const ABBREVIATIONS: [(&str, u32); 12] = [
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

/// Months whose full name, standing alone, is read as the month.
const BARE_MONTHS: [u32; 7] = [1, 2, 7, 9, 10, 11, 12];

/// Words before a month name that make it a month ("in May", "mid-May").
const MONTH_PREPOSITIONS: &[&str] = &[
    "in", "during", "since", "until", "till", "from", "by", "of", "early", "mid", "late",
];

/// Words before "last"/"next" that make them a stretch or an ordinal.
const DETERMINERS: &[&str] = &[
    "the", "my", "your", "his", "her", "its", "our", "their", "a", "that",
];

/// Words after a four-digit number that make it a quantity, not a year.
const UNITS: &[&str] = &[
    "steps",
    "calories",
    "kcal",
    "cal",
    "words",
    "miles",
    "meters",
    "metres",
    "m",
    "km",
    "kilometers",
    "kilometres",
    "kg",
    "g",
    "grams",
    "lb",
    "lbs",
    "pounds",
    "dollars",
    "euros",
    "usd",
    "people",
    "times",
    "ml",
    "mg",
    "liters",
    "litres",
    "feet",
    "ft",
    "yards",
    "hours",
    "minutes",
    "mins",
    "seconds",
    "points",
    "pts",
    "followers",
    "likes",
    "views",
    "reps",
    "pages",
    "items",
];

/// Counts written as words, by value.
const NUMBERS: [&str; 13] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve",
];

/// Every date `text` refers to, resolved against `at` (the message's own
/// time; its UTC date is "today"), in order of appearance, a span already
/// found not repeated.
pub fn resolve_dates(text: &str, at: DateTime<Utc>) -> Vec<DateRef> {
    let today = at.date_naive();
    let words = Words {
        text,
        toks: tokenize(text),
    };
    let readers: [Reader; 5] = [relative_day, counted, modified, weekday, explicit];
    let mut found: Vec<DateRef> = Vec::new();
    let mut i = 0;
    while i < words.toks.len() {
        match readers.iter().find_map(|read| read(&words, i, today)) {
            Some((n, span)) => {
                let phrase = text[words.toks[i].start..words.toks[i + n - 1].end].to_lowercase();
                if !found.iter().any(|d| d.span == span) {
                    found.push(DateRef { phrase, span });
                }
                i += n;
            }
            None => i += 1,
        }
    }
    found
}

impl Span {
    /// One day.
    pub fn day(date: NaiveDate) -> Span {
        Span {
            start: date,
            end: date,
        }
    }

    /// Human label for prompts and search: "7 May 2023", "May 2023", "2023",
    /// "the week of 1 May 2023", "the weekend of 6–7 May 2023", "summer
    /// 2023", "winter 2022–2023", else a range ("1–3 May 2023", "30 April – 2
    /// May 2023", "30 December 2022 – 2 January 2023").
    pub fn label(&self) -> String {
        let (s, e) = (self.start, self.end);
        if s == e {
            return day_label(s);
        }
        if Some(*self) == year_span(s.year()) {
            return s.year().to_string();
        }
        if Some(*self) == month_span(s.year(), s.month()) {
            return format!("{} {}", title(s.month()), s.year());
        }
        if Some(*self) == season_span(s.month(), s.year()) {
            return match s.month() {
                3 => format!("spring {}", s.year()),
                6 => format!("summer {}", s.year()),
                9 => format!("autumn {}", s.year()),
                _ => format!("winter {}–{}", s.year(), e.year()),
            };
        }
        if s.weekday() == Weekday::Mon && shift(s, 6) == Some(e) {
            return format!("the week of {}", day_label(s));
        }
        let range = if (s.year(), s.month()) == (e.year(), e.month()) {
            format!("{}–{} {} {}", s.day(), e.day(), title(s.month()), s.year())
        } else if s.year() == e.year() {
            let (sm, em) = (title(s.month()), title(e.month()));
            format!("{} {sm} – {} {em} {}", s.day(), e.day(), s.year())
        } else {
            format!("{} – {}", day_label(s), day_label(e))
        };
        if s.weekday() == Weekday::Sat && shift(s, 1) == Some(e) {
            return format!("the weekend of {range}");
        }
        range
    }

    /// Index words for the span: the lower-case names of the months it
    /// touches (for spans of up to 92 days: a day, a week, a month, a
    /// season), the years it touches, and for a single day its day of the
    /// month ("7"). A day: ["may", "2023", "7"]; a year: ["2023"].
    pub fn words(&self) -> Vec<String> {
        let mut words = Vec::new();
        let days = self.end.signed_duration_since(self.start).num_days();
        if (0..92).contains(&days) {
            let mut month = self.start.with_day(1);
            while let Some(first) = month
                && first <= self.end
            {
                words.push(MONTHS[first.month0() as usize].to_string());
                month = first.checked_add_months(Months::new(1));
            }
        }
        words.extend((self.start.year()..=self.end.year()).map(|y| y.to_string()));
        if days == 0 {
            words.push(self.start.day().to_string());
        }
        words
    }
}

/// A reader of dates at a word: the number of words it took and the span.
type Reader = fn(&Words, usize, NaiveDate) -> Option<(usize, Span)>;

/// How a word is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gap {
    /// Spaces or hyphens: the same phrase.
    Space,
    /// A comma: the same phrase only before a year or after a weekday.
    Comma,
    /// Anything else, or the first word: a new phrase.
    Break,
}

struct Token {
    /// Lower-cased.
    word: String,
    /// Byte offsets in the text.
    start: usize,
    end: usize,
    /// Byte offset where the gap before the word starts.
    gap_start: usize,
    gap: Gap,
}

struct Words<'t> {
    text: &'t str,
    toks: Vec<Token>,
}

impl Words<'_> {
    /// The word `k` after word `i`, if every gap up to it is a space.
    fn get(&self, i: usize, k: usize) -> Option<&str> {
        let tok = self.toks.get(i + k)?;
        let joined = self.toks[i + 1..=i + k].iter().all(|t| t.gap == Gap::Space);
        joined.then_some(tok.word.as_str())
    }

    /// As `get`, but the last gap may be a comma.
    fn get_loose(&self, i: usize, k: usize) -> Option<&str> {
        let tok = self.toks.get(i + k)?;
        if k == 0 {
            return Some(&tok.word);
        }
        let joined = self.toks[i + 1..i + k].iter().all(|t| t.gap == Gap::Space);
        (joined && tok.gap != Gap::Break).then_some(tok.word.as_str())
    }

    /// The word just before word `i`, if a space joins them.
    fn before(&self, i: usize) -> Option<&str> {
        let tok = self.toks.get(i)?;
        (i > 0 && tok.gap == Gap::Space).then(|| self.toks[i - 1].word.as_str())
    }

    /// Whether "last"/"next" at `i` follows a determiner ("the last week").
    fn after_determiner(&self, i: usize) -> bool {
        self.before(i).is_some_and(|w| DETERMINERS.contains(&w))
    }
}

/// Words: maximal runs of letters and digits; a hyphen between two digits
/// stays inside a word (ISO dates).
fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut toks: Vec<Token> = Vec::new();
    let (mut idx, mut prev_end) = (0, 0);
    while idx < chars.len() {
        let (start, c) = chars[idx];
        if !c.is_alphanumeric() {
            idx += 1;
            continue;
        }
        let mut j = idx + 1;
        while let Some(&(_, c)) = chars.get(j) {
            let digit_hyphen = c == '-'
                && chars[j - 1].1.is_ascii_digit()
                && chars.get(j + 1).is_some_and(|(_, n)| n.is_ascii_digit());
            if !(c.is_alphanumeric() || digit_hyphen) {
                break;
            }
            j += 1;
        }
        let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
        let gap = match toks.last() {
            None => Gap::Break,
            Some(prev) => gap_kind(&text[prev_end..start], &prev.word),
        };
        toks.push(Token {
            word: text[start..end].to_lowercase(),
            start,
            end,
            gap_start: prev_end,
            gap,
        });
        (idx, prev_end) = (j, end);
    }
    toks
}

/// The kind of gap `gap` after the word `prev`. A full stop after a short
/// month name ("Sept. 3") is part of the name.
fn gap_kind(gap: &str, prev: &str) -> Gap {
    let gap = match gap.strip_prefix('.') {
        Some(rest) if ABBREVIATIONS.iter().any(|(a, _)| *a == prev) => rest,
        _ => gap,
    };
    if gap.chars().all(|c| c.is_whitespace() || c == '-') {
        Gap::Space
    } else if gap.trim() == "," {
        Gap::Comma
    } else {
        Gap::Break
    }
}

/// today, tonight, this morning/afternoon/evening, yesterday, last night,
/// tomorrow, (the) day before yesterday, (the) day after tomorrow.
fn relative_day(w: &Words, i: usize, today: NaiveDate) -> Option<(usize, Span)> {
    let first = w.get(i, 0)?;
    let the = usize::from(first == "the");
    let (n, offset) = match (w.get(i, the), w.get(i, the + 1), w.get(i, the + 2)) {
        (Some("day"), Some("before"), Some("yesterday")) => (the + 3, -2),
        (Some("day"), Some("after"), Some("tomorrow")) => (the + 3, 2),
        _ => match (first, w.get(i, 1)) {
            ("today" | "tonight", _) => (1, 0),
            ("yesterday", _) => (1, -1),
            ("tomorrow", _) => (1, 1),
            ("this", Some("morning" | "afternoon" | "evening")) => (2, 0),
            ("last", Some("night")) if !w.after_determiner(i) => (2, -1),
            _ => return None,
        },
    };
    Some((n, Span::day(shift(today, offset)?)))
}

#[derive(Clone, Copy)]
enum Unit {
    Day,
    Week,
    Month,
    Year,
}

fn unit(word: &str) -> Option<Unit> {
    match word {
        "day" | "days" => Some(Unit::Day),
        "week" | "weeks" => Some(Unit::Week),
        "month" | "months" => Some(Unit::Month),
        "year" | "years" => Some(Unit::Year),
        _ => None,
    }
}

/// A count starting `from` words after word `i`: its value and its words.
fn quantity(w: &Words, i: usize, from: usize) -> Option<(i64, usize)> {
    let word = w.get(i, from)?;
    if let Some(n) = NUMBERS.iter().position(|x| *x == word) {
        return Some((n as i64, 1));
    }
    if word.len() <= 4 && word.bytes().all(|b| b.is_ascii_digit()) {
        return Some((word.parse().ok()?, 1));
    }
    let a = usize::from(word == "a" || word == "an");
    match w.get(i, from + a) {
        Some("couple") => Some((2, a + 1 + usize::from(w.get(i, from + a + 1) == Some("of")))),
        Some("few") => Some((3, a + 1)),
        _ if a == 1 => Some((1, 1)),
        _ => None,
    }
}

/// "N days/weeks/months/years ago" and "in N days/weeks/months/years".
fn counted(w: &Words, i: usize, today: NaiveDate) -> Option<(usize, Span)> {
    let future = w.get(i, 0)? == "in";
    let from = usize::from(future);
    let (n, k) = quantity(w, i, from)?;
    let unit = unit(w.get(i, from + k)?)?;
    let ago = w.get(i, from + k + 1) == Some("ago");
    if ago == future {
        return None;
    }
    let n = if future { n } else { -n };
    let span = match unit {
        Unit::Day => Span::day(shift(today, n)?),
        Unit::Week => Span::day(shift(today, 7 * n)?),
        Unit::Month => {
            let (year, month) = add_months(today, n)?;
            month_span(year, month)?
        }
        Unit::Year => year_span(today.year().checked_add(i32::try_from(n).ok()?)?)?,
    };
    Some((from + k + 1 + usize::from(ago), span))
}

/// last/this/next + weekday, week, weekend, month, year, month name, or
/// (last/next) season.
fn modified(w: &Words, i: usize, today: NaiveDate) -> Option<(usize, Span)> {
    let modifier = w.get(i, 0)?;
    if !matches!(modifier, "last" | "this" | "next") || w.after_determiner(i) {
        return None;
    }
    let word = w.get(i, 1)?;
    let step: i64 = match modifier {
        "last" => -1,
        "this" => 0,
        _ => 1,
    };
    let span = if let Some(day) = weekday_named(word) {
        let (now, then) = (
            i64::from(today.weekday().num_days_from_monday()),
            i64::from(day.num_days_from_monday()),
        );
        let offset = match step {
            -1 => -((now - then - 1).rem_euclid(7) + 1),
            0 => then - now,
            _ => (then - now - 1).rem_euclid(7) + 1,
        };
        Span::day(shift(today, offset)?)
    } else if let Some((month, _)) = month_named(word) {
        if step == 0 && (word == "may" || word == "march") {
            return None;
        }
        let year = match step {
            -1 if month < today.month() => today.year(),
            -1 => today.year() - 1,
            1 if month > today.month() => today.year(),
            1 => today.year() + 1,
            _ => today.year(),
        };
        month_span(year, month)?
    } else {
        match word {
            "week" => week_of(shift(today, 7 * step)?)?,
            "weekend" => {
                let week = week_of(shift(today, 7 * step)?)?;
                Span {
                    start: shift(week.start, 5)?,
                    end: week.end,
                }
            }
            "month" => {
                let (year, month) = add_months(today, step)?;
                month_span(year, month)?
            }
            "year" => year_span(today.year() + step as i32)?,
            _ => season(word, step, today)?,
        }
    };
    Some((2, span))
}

/// A named season before (`step` -1) or after (1) today.
fn season(word: &str, step: i64, today: NaiveDate) -> Option<Span> {
    let start_month = match word {
        "spring" => 3,
        "summer" => 6,
        "autumn" | "fall" => 9,
        "winter" => 12,
        _ => return None,
    };
    let y = today.year();
    match step {
        -1 => (0..=2)
            .filter_map(|k| season_span(start_month, y - k))
            .find(|s| s.end < today),
        1 => (-1..=1)
            .filter_map(|k| season_span(start_month, y + k))
            .find(|s| s.start > today),
        _ => None,
    }
}

/// A weekday alone ("Saturday", "on Saturday"): the nearest on or before
/// today. Followed by a date ("Saturday, 6 May") it is that date's.
/// After "every"/"each" it is a habit, not a date.
fn weekday(w: &Words, i: usize, today: NaiveDate) -> Option<(usize, Span)> {
    let day = weekday_named(w.get(i, 0)?)?;
    if w.get_loose(i, 1).is_some()
        && let Some((n, span)) = explicit(w, i + 1, today)
        && span.start == span.end
    {
        return Some((n + 1, span));
    }
    if matches!(w.before(i), Some("every" | "each")) {
        return None;
    }
    let back = (i64::from(today.weekday().num_days_from_monday())
        - i64::from(day.num_days_from_monday()))
    .rem_euclid(7);
    Some((1, Span::day(shift(today, -back)?)))
}

/// Dates written out: ISO ("2023-05-08", "2023-05"), day and month with an
/// optional year ("8 May 2023", "8th of May", "May 8, 2023", "May 8th"),
/// month and year ("May 2023", "May of 2023"), a month alone where it is
/// surely one ("in May", "October"), a year ("in 2022", "2019 was hard").
fn explicit(w: &Words, i: usize, today: NaiveDate) -> Option<(usize, Span)> {
    let first = w.get(i, 0)?;
    if let Some(span) = iso(first) {
        return Some((1, span));
    }
    if let Some(day) = day_number(first) {
        let of = usize::from(w.get(i, 1) == Some("of"));
        let (month, _) = month_named(w.get(i, 1 + of)?)?;
        return dated(w, i, 2 + of, month, day, today);
    }
    if let Some((month, short)) = month_named(first) {
        if let Some(day) = w.get(i, 1).and_then(day_number) {
            return dated(w, i, 2, month, day, today);
        }
        let of = usize::from(w.get(i, 1) == Some("of"));
        if let Some(year) = w.get(i, 1 + of).and_then(year_number) {
            return Some((2 + of, month_span(year, month)?));
        }
        let after_preposition = w.before(i).is_some_and(|p| MONTH_PREPOSITIONS.contains(&p));
        if after_preposition || (!short && BARE_MONTHS.contains(&month)) {
            let first_day = nearest(today, |y| NaiveDate::from_ymd_opt(y, month, 1))?;
            return Some((1, month_span(first_day.year(), month)?));
        }
        return None;
    }
    let year = year_number(first)?;
    let tok = &w.toks[i];
    let currency = w.text[tok.gap_start..tok.start].contains(['$', '£', '€', '¥', '#']);
    if currency || w.get(i, 1).is_some_and(|u| UNITS.contains(&u)) {
        return None;
    }
    Some((1, year_span(year)?))
}

/// The day `day` of `month`, with the year `k` words after `i` if there is
/// one (a comma may precede it), else the nearest such date.
fn dated(
    w: &Words,
    i: usize,
    k: usize,
    month: u32,
    day: u32,
    today: NaiveDate,
) -> Option<(usize, Span)> {
    if let Some(year) = w.get_loose(i, k).and_then(year_number) {
        return Some((k + 1, Span::day(NaiveDate::from_ymd_opt(year, month, day)?)));
    }
    let date = nearest(today, |y| NaiveDate::from_ymd_opt(y, month, day))?;
    Some((k, Span::day(date)))
}

/// Of the dates `date_in(year)`, the latest on or before today, unless it is
/// more than 300 days back and the next one is at most 60 days ahead.
fn nearest(today: NaiveDate, date_in: impl Fn(i32) -> Option<NaiveDate>) -> Option<NaiveDate> {
    let y = today.year();
    // Eight years either way always include a 29 February.
    let past = (0..=8).filter_map(|k| date_in(y - k)).find(|d| *d <= today);
    let next = (0..=8).filter_map(|k| date_in(y + k)).find(|d| *d > today);
    match (past, next) {
        (Some(p), Some(n))
            if today.signed_duration_since(p).num_days() > 300
                && n.signed_duration_since(today).num_days() <= 60 =>
        {
            Some(n)
        }
        (Some(p), _) => Some(p),
        (None, n) => n,
    }
}

fn iso(word: &str) -> Option<Span> {
    let parts: Vec<&str> = word.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2) => Some(Span::day(
            NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)?,
        )),
        [y, m] if digits(y, 4) && digits(m, 2) => month_span(y.parse().ok()?, m.parse().ok()?),
        _ => None,
    }
}

/// A day of the month: "8", "08", "8th", "1st", "22nd", "3rd".
fn day_number(word: &str) -> Option<u32> {
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| word.strip_suffix(s))
        .unwrap_or(word);
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let day: u32 = digits.parse().ok()?;
    (1..=31).contains(&day).then_some(day)
}

/// A year: four digits, 1900 to 2100.
fn year_number(word: &str) -> Option<i32> {
    if word.len() != 4 || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = word.parse().ok()?;
    (1900..=2100).contains(&year).then_some(year)
}

/// A month's number, and whether the name was the short form.
fn month_named(word: &str) -> Option<(u32, bool)> {
    if let Some(m) = MONTHS.iter().position(|m| *m == word) {
        return Some((m as u32 + 1, false));
    }
    ABBREVIATIONS
        .iter()
        .find(|(a, _)| *a == word)
        .map(|&(_, m)| (m, true))
}

fn weekday_named(word: &str) -> Option<Weekday> {
    Some(match word {
        "monday" => Weekday::Mon,
        "tuesday" => Weekday::Tue,
        "wednesday" => Weekday::Wed,
        "thursday" => Weekday::Thu,
        "friday" => Weekday::Fri,
        "saturday" => Weekday::Sat,
        "sunday" => Weekday::Sun,
        _ => return None,
    })
}

fn shift(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    date.checked_add_signed(TimeDelta::try_days(days)?)
}

/// The month `delta` months from `date`'s, as (year, month).
fn add_months(date: NaiveDate, delta: i64) -> Option<(i32, u32)> {
    let total = i64::from(date.year()) * 12 + i64::from(date.month0()) + delta;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    Some((year, u32::try_from(total.rem_euclid(12)).ok()? + 1))
}

fn month_span(year: i32, month: u32) -> Option<Span> {
    let start = NaiveDate::from_ymd_opt(year, month, 1)?;
    let end = start.checked_add_months(Months::new(1))?.pred_opt()?;
    Some(Span { start, end })
}

fn year_span(year: i32) -> Option<Span> {
    Some(Span {
        start: NaiveDate::from_ymd_opt(year, 1, 1)?,
        end: NaiveDate::from_ymd_opt(year, 12, 31)?,
    })
}

/// The season starting on the first of `start_month` (3, 6, 9 or 12) of `year`.
fn season_span(start_month: u32, year: i32) -> Option<Span> {
    if ![3, 6, 9, 12].contains(&start_month) {
        return None;
    }
    let start = NaiveDate::from_ymd_opt(year, start_month, 1)?;
    let end = start.checked_add_months(Months::new(3))?.pred_opt()?;
    Some(Span { start, end })
}

/// The Monday-to-Sunday week containing `date`.
fn week_of(date: NaiveDate) -> Option<Span> {
    let start = shift(date, -i64::from(date.weekday().num_days_from_monday()))?;
    Some(Span {
        start,
        end: shift(start, 6)?,
    })
}

fn day_label(date: NaiveDate) -> String {
    format!("{} {} {}", date.day(), title(date.month()), date.year())
}

/// A month's name, capitalised.
fn title(month: u32) -> String {
    let name = MONTHS[month as usize - 1];
    name[..1].to_uppercase() + &name[1..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Noon UTC on the day.
    fn at(y: i32, m: u32, day: u32) -> DateTime<Utc> {
        d(y, m, day).and_hms_opt(12, 0, 0).unwrap().and_utc()
    }

    fn span(start: NaiveDate, end: NaiveDate) -> Span {
        Span { start, end }
    }

    /// The single span `text` resolves to; fails on none or several.
    fn one(text: &str, when: DateTime<Utc>) -> Span {
        let found = resolve_dates(text, when);
        assert_eq!(found.len(), 1, "{text:?} at {when}: {found:?}");
        found[0].span
    }

    fn none(text: &str, when: DateTime<Utc>) {
        let found = resolve_dates(text, when);
        assert!(found.is_empty(), "{text:?} at {when}: {found:?}");
    }

    // 2023-05-08 is a Monday, 2023-05-14 a Sunday.
    const MON: (i32, u32, u32) = (2023, 5, 8);
    const SUN: (i32, u32, u32) = (2023, 5, 14);

    fn mon() -> DateTime<Utc> {
        at(MON.0, MON.1, MON.2)
    }

    fn sun() -> DateTime<Utc> {
        at(SUN.0, SUN.1, SUN.2)
    }

    #[test]
    fn today_and_its_parts_are_the_message_day() {
        for text in [
            "today",
            "Tonight",
            "this morning",
            "This Afternoon",
            "this evening",
        ] {
            assert_eq!(one(text, mon()), Span::day(d(2023, 5, 8)), "{text}");
        }
        // The time of day does not matter, only the UTC date.
        let late = d(2023, 5, 8).and_hms_opt(23, 59, 0).unwrap().and_utc();
        assert_eq!(one("today", late), Span::day(d(2023, 5, 8)));
    }

    #[test]
    fn days_around_today() {
        assert_eq!(one("yesterday", mon()), Span::day(d(2023, 5, 7)));
        assert_eq!(one("last night", mon()), Span::day(d(2023, 5, 7)));
        assert_eq!(one("tomorrow", mon()), Span::day(d(2023, 5, 9)));
        assert_eq!(
            one("the day before yesterday", mon()),
            Span::day(d(2023, 5, 6))
        );
        assert_eq!(one("day after tomorrow", mon()), Span::day(d(2023, 5, 10)));
        let found = resolve_dates("The Day Before Yesterday was rough", mon());
        assert_eq!(found[0].phrase, "the day before yesterday");
    }

    #[test]
    fn weekdays_on_a_monday() {
        assert_eq!(one("on Saturday", mon()), Span::day(d(2023, 5, 6)));
        assert_eq!(one("Monday", mon()), Span::day(d(2023, 5, 8)));
        assert_eq!(one("last Monday", mon()), Span::day(d(2023, 5, 1)));
        assert_eq!(one("last Sunday", mon()), Span::day(d(2023, 5, 7)));
        assert_eq!(one("next Monday", mon()), Span::day(d(2023, 5, 15)));
        assert_eq!(one("next Tuesday", mon()), Span::day(d(2023, 5, 9)));
        assert_eq!(one("this Monday", mon()), Span::day(d(2023, 5, 8)));
        assert_eq!(one("this Sunday", mon()), Span::day(d(2023, 5, 14)));
    }

    #[test]
    fn weekdays_on_a_sunday() {
        assert_eq!(one("Sunday", sun()), Span::day(d(2023, 5, 14)));
        assert_eq!(one("this Monday", sun()), Span::day(d(2023, 5, 8)));
        assert_eq!(one("this Sunday", sun()), Span::day(d(2023, 5, 14)));
        assert_eq!(one("last Saturday", sun()), Span::day(d(2023, 5, 13)));
        assert_eq!(one("last Sunday", sun()), Span::day(d(2023, 5, 7)));
        assert_eq!(one("next Saturday", sun()), Span::day(d(2023, 5, 20)));
        assert_eq!(one("next Sunday", sun()), Span::day(d(2023, 5, 21)));
    }

    #[test]
    fn weeks_and_weekends_at_both_ends_of_a_week() {
        let this = span(d(2023, 5, 8), d(2023, 5, 14));
        let last = span(d(2023, 5, 1), d(2023, 5, 7));
        let next = span(d(2023, 5, 15), d(2023, 5, 21));
        for when in [mon(), sun()] {
            assert_eq!(one("this week", when), this);
            assert_eq!(one("last week", when), last);
            assert_eq!(one("next week", when), next);
            assert_eq!(
                one("last weekend", when),
                span(d(2023, 5, 6), d(2023, 5, 7))
            );
            assert_eq!(
                one("this weekend", when),
                span(d(2023, 5, 13), d(2023, 5, 14))
            );
            assert_eq!(
                one("next weekend", when),
                span(d(2023, 5, 20), d(2023, 5, 21))
            );
        }
    }

    #[test]
    fn months_and_years_relative_to_today() {
        assert_eq!(
            one("last month", mon()),
            span(d(2023, 4, 1), d(2023, 4, 30))
        );
        assert_eq!(
            one("this month", mon()),
            span(d(2023, 5, 1), d(2023, 5, 31))
        );
        assert_eq!(
            one("next month", mon()),
            span(d(2023, 6, 1), d(2023, 6, 30))
        );
        assert_eq!(
            one("last month", at(2024, 1, 10)),
            span(d(2023, 12, 1), d(2023, 12, 31))
        );
        assert_eq!(
            one("next month", at(2023, 12, 31)),
            span(d(2024, 1, 1), d(2024, 1, 31))
        );
        assert_eq!(
            one("last year", mon()),
            span(d(2022, 1, 1), d(2022, 12, 31))
        );
        assert_eq!(
            one("this year", mon()),
            span(d(2023, 1, 1), d(2023, 12, 31))
        );
        assert_eq!(
            one("next year", mon()),
            span(d(2024, 1, 1), d(2024, 12, 31))
        );
    }

    #[test]
    fn months_ago_count_calendar_months_not_days() {
        // 31 March minus one month is February, whatever its length.
        assert_eq!(
            one("a month ago", at(2023, 3, 31)),
            span(d(2023, 2, 1), d(2023, 2, 28))
        );
        assert_eq!(
            one("3 months ago", at(2023, 1, 15)),
            span(d(2022, 10, 1), d(2022, 10, 31))
        );
        assert_eq!(
            one("twelve months ago", mon()),
            span(d(2022, 5, 1), d(2022, 5, 31))
        );
        assert_eq!(
            one("a year ago", mon()),
            span(d(2022, 1, 1), d(2022, 12, 31))
        );
        assert_eq!(
            one("two years ago", mon()),
            span(d(2021, 1, 1), d(2021, 12, 31))
        );
    }

    #[test]
    fn days_and_weeks_ago_are_days() {
        assert_eq!(one("two weeks ago", mon()), Span::day(d(2023, 4, 24)));
        assert_eq!(one("a week ago", mon()), Span::day(d(2023, 5, 1)));
        assert_eq!(one("a couple of days ago", mon()), Span::day(d(2023, 5, 6)));
        assert_eq!(one("a couple days ago", mon()), Span::day(d(2023, 5, 6)));
        assert_eq!(one("a few days ago", mon()), Span::day(d(2023, 5, 5)));
        assert_eq!(one("10 days ago", mon()), Span::day(d(2023, 4, 28)));
        assert_eq!(one("one day ago", mon()), Span::day(d(2023, 5, 7)));
        none("an hour ago", mon());
    }

    #[test]
    fn in_n_units_is_the_future() {
        assert_eq!(one("in 3 days", mon()), Span::day(d(2023, 5, 11)));
        assert_eq!(one("in a week", mon()), Span::day(d(2023, 5, 15)));
        assert_eq!(one("in two weeks", mon()), Span::day(d(2023, 5, 22)));
        assert_eq!(
            one("in two months", mon()),
            span(d(2023, 7, 1), d(2023, 7, 31))
        );
        assert_eq!(resolve_dates("in 3 days", mon())[0].phrase, "in 3 days");
    }

    #[test]
    fn last_season_is_the_latest_that_ended() {
        let summer_2023 = span(d(2023, 6, 1), d(2023, 8, 31));
        assert_eq!(one("last summer", at(2024, 1, 15)), summer_2023);
        assert_eq!(one("last summer", at(2023, 10, 2)), summer_2023);
        assert_eq!(
            one("last summer", at(2023, 7, 1)),
            span(d(2022, 6, 1), d(2022, 8, 31))
        );
        let winter = span(d(2022, 12, 1), d(2023, 2, 28));
        assert_eq!(one("last winter", at(2023, 3, 1)), winter);
        assert_eq!(
            one("last winter", at(2023, 2, 1)),
            span(d(2021, 12, 1), d(2022, 2, 28))
        );
        assert_eq!(
            one("last fall", at(2023, 1, 5)),
            span(d(2022, 9, 1), d(2022, 11, 30))
        );
        assert_eq!(
            one("last autumn", at(2023, 1, 5)),
            span(d(2022, 9, 1), d(2022, 11, 30))
        );
        assert_eq!(
            one("next spring", at(2023, 3, 2)),
            span(d(2024, 3, 1), d(2024, 5, 31))
        );
        assert_eq!(
            one("next winter", mon()),
            span(d(2023, 12, 1), d(2024, 2, 29))
        );
    }

    #[test]
    fn written_dates_with_a_year() {
        let may_8 = Span::day(d(2023, 5, 8));
        for text in [
            "8 May 2023",
            "May 8, 2023",
            "May 8th 2023",
            "8th of May, 2023",
            "2023-05-08",
        ] {
            assert_eq!(one(text, at(2025, 1, 1)), may_8, "{text}");
        }
        let found = resolve_dates("It was on May 8, 2023.", at(2025, 1, 1));
        assert_eq!(found[0].phrase, "may 8, 2023");
        // No such day: only the month and year are read.
        assert_eq!(
            one("31 February 2023", mon()),
            span(d(2023, 2, 1), d(2023, 2, 28))
        );
        none("2023-02-30", mon());
    }

    #[test]
    fn written_dates_without_a_year_are_mostly_past() {
        let when = at(2024, 1, 20);
        assert_eq!(one("May 8th", when), Span::day(d(2023, 5, 8)));
        assert_eq!(one("the 8th of May", when), Span::day(d(2023, 5, 8)));
        assert_eq!(one("on 20 January", when), Span::day(d(2024, 1, 20)));
        // More than 300 days back, and the next one within 60 days: the next.
        assert_eq!(one("January 5", at(2023, 12, 20)), Span::day(d(2024, 1, 5)));
        assert_eq!(one("Dec 25", at(2023, 6, 1)), Span::day(d(2022, 12, 25)));
        assert_eq!(one("Sept. 3", mon()), Span::day(d(2022, 9, 3)));
        assert_eq!(one("29 February", mon()), Span::day(d(2020, 2, 29)));
    }

    #[test]
    fn month_names_with_and_without_a_year() {
        assert_eq!(
            one("May 2023", at(2025, 1, 1)),
            span(d(2023, 5, 1), d(2023, 5, 31))
        );
        assert_eq!(
            one("in May", at(2023, 8, 1)),
            span(d(2023, 5, 1), d(2023, 5, 31))
        );
        assert_eq!(
            one("in May", at(2023, 2, 1)),
            span(d(2022, 5, 1), d(2022, 5, 31))
        );
        assert_eq!(
            one("in May", at(2023, 4, 20)),
            span(d(2023, 5, 1), d(2023, 5, 31))
        );
        assert_eq!(
            one("mid-May", at(2023, 8, 1)),
            span(d(2023, 5, 1), d(2023, 5, 31))
        );
        assert_eq!(
            one("since March", mon()),
            span(d(2023, 3, 1), d(2023, 3, 31))
        );
        assert_eq!(
            one("October was hard", mon()),
            span(d(2022, 10, 1), d(2022, 10, 31))
        );
        assert_eq!(one("last May", mon()), span(d(2022, 5, 1), d(2022, 5, 31)));
        assert_eq!(
            one("last May", at(2023, 8, 1)),
            span(d(2023, 5, 1), d(2023, 5, 31))
        );
        assert_eq!(
            one("next March", mon()),
            span(d(2024, 3, 1), d(2024, 3, 31))
        );
        assert_eq!(one("this June", mon()), span(d(2023, 6, 1), d(2023, 6, 30)));
    }

    #[test]
    fn modal_may_and_verb_march_are_not_months() {
        for text in [
            "I may go out later",
            "You may be right",
            "This may hurt a bit",
            "May I ask you something?",
            "we march on",
            "June said hello",
            "Jan called me",
        ] {
            none(text, mon());
        }
    }

    #[test]
    fn years() {
        assert_eq!(one("in 2022", mon()), span(d(2022, 1, 1), d(2022, 12, 31)));
        assert_eq!(
            one("2019 was hard", mon()),
            span(d(2019, 1, 1), d(2019, 12, 31))
        );
        for text in [
            "I walked 2000 steps",
            "it cost $1999",
            "about 1850",
            "room 2101",
        ] {
            none(text, mon());
        }
    }

    #[test]
    fn vague_or_habitual_words_are_not_dates() {
        for text in [
            "recently I have been tired",
            "lately things are better",
            "one day I will travel",
            "wait a second",
            "the last week has been hard",
            "since my last fall I use a cane",
            "every Saturday we walk",
            "on Saturdays we walk",
            "the other day",
            "I came in last. Week after week it rained.",
        ] {
            none(text, mon());
        }
    }

    #[test]
    fn order_of_appearance_and_no_repeats() {
        let found = resolve_dates(
            "Tomorrow I finish what I started yesterday; yes, yesterday, on 7 May.",
            mon(),
        );
        let got: Vec<(&str, Span)> = found.iter().map(|r| (r.phrase.as_str(), r.span)).collect();
        assert_eq!(
            got,
            vec![
                ("tomorrow", Span::day(d(2023, 5, 9))),
                ("yesterday", Span::day(d(2023, 5, 7))),
            ]
        );
        let found = resolve_dates("Last Week and then LAST MONTH", mon());
        let phrases: Vec<&str> = found.iter().map(|r| r.phrase.as_str()).collect();
        assert_eq!(phrases, ["last week", "last month"]);
    }

    #[test]
    fn a_weekday_before_a_date_is_part_of_it() {
        let found = resolve_dates("Saturday, 6 May was lovely", mon());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].phrase, "saturday, 6 may");
        assert_eq!(found[0].span, Span::day(d(2023, 5, 6)));
    }

    #[test]
    fn other_scripts_and_punctuation_do_not_break_reading() {
        let found = resolve_dates("Ça va? Ñandú… «yesterday» — 日本 today!", mon());
        let spans: Vec<Span> = found.iter().map(|r| r.span).collect();
        assert_eq!(spans, [Span::day(d(2023, 5, 7)), Span::day(d(2023, 5, 8))]);
        none("", mon());
    }

    #[test]
    fn labels() {
        assert_eq!(Span::day(d(2023, 5, 7)).label(), "7 May 2023");
        assert_eq!(span(d(2023, 5, 1), d(2023, 5, 31)).label(), "May 2023");
        assert_eq!(span(d(2023, 1, 1), d(2023, 12, 31)).label(), "2023");
        assert_eq!(
            span(d(2023, 5, 1), d(2023, 5, 7)).label(),
            "the week of 1 May 2023"
        );
        assert_eq!(
            span(d(2023, 5, 6), d(2023, 5, 7)).label(),
            "the weekend of 6–7 May 2023"
        );
        assert_eq!(span(d(2023, 6, 1), d(2023, 8, 31)).label(), "summer 2023");
        assert_eq!(
            span(d(2022, 12, 1), d(2023, 2, 28)).label(),
            "winter 2022–2023"
        );
        assert_eq!(span(d(2023, 5, 2), d(2023, 5, 4)).label(), "2–4 May 2023");
        assert_eq!(
            span(d(2023, 4, 30), d(2023, 5, 2)).label(),
            "30 April – 2 May 2023"
        );
        assert_eq!(
            span(d(2022, 12, 30), d(2023, 1, 2)).label(),
            "30 December 2022 – 2 January 2023"
        );
    }

    #[test]
    fn index_words() {
        assert_eq!(Span::day(d(2023, 5, 7)).words(), ["may", "2023", "7"]);
        assert_eq!(span(d(2023, 5, 1), d(2023, 5, 31)).words(), ["may", "2023"]);
        assert_eq!(span(d(2023, 1, 1), d(2023, 12, 31)).words(), ["2023"]);
        assert_eq!(
            span(d(2023, 5, 29), d(2023, 6, 4)).words(),
            ["may", "june", "2023"]
        );
        assert_eq!(
            span(d(2024, 12, 30), d(2025, 1, 5)).words(),
            ["december", "january", "2024", "2025"]
        );
        assert_eq!(
            span(d(2022, 12, 1), d(2023, 2, 28)).words(),
            ["december", "january", "february", "2022", "2023"]
        );
    }

    #[test]
    fn yesterday_indexes_under_its_month() {
        // The use the words exist for: "yesterday" said on 8 May 2023 is found
        // by a question naming "May 2023".
        let found = resolve_dates("I felt low yesterday", mon());
        let words = found[0].span.words();
        assert!(words.contains(&"may".to_string()) && words.contains(&"2023".to_string()));
        assert!(words.contains(&"7".to_string()));
    }
}
