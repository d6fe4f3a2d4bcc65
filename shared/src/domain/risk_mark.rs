//! The chat model's own risk mark, the screen's last layer, read at no extra
//! call. On every non-crisis route the reply's system prompt asks the model
//! to end with one tail line that only code reads:
//!
//! ```text
//! <<risk:none>>
//! <<risk:suicidal>>   (or self_harm, harm_to_others, danger_now)
//! ```
//!
//! [`read`] strips the tail before the reply is stored or shown and says
//! what it marked. A tail may name several categories separated by commas
//! (the first is the one acted on); case and spaces inside the brackets do
//! not matter. A mark counts only as the reply's tail: the last thing in
//! it, after trailing whitespace. A reply without one, or with a tail that
//! names anything else, is [`RiskMark::Absent`] or [`RiskMark::Unreadable`]
//! and changes nothing, but a tail of that shape is stripped either way, as
//! is any stray `<<risk:…>>` earlier in the text, so the person never sees
//! one.

use super::safety::CrisisCategory;
use regex::Regex;
use std::sync::LazyLock;

/// What the tail of a reply marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskMark {
    /// No tail: the model did not follow the format.
    Absent,
    /// A tail of the right shape that names nothing known (or contradicts
    /// itself, as `none, suicidal` does).
    Unreadable,
    /// The model saw no risk.
    None,
    /// The model saw this risk.
    Risk(CrisisCategory),
}

/// A reply with its mark taken off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// The reply as the person sees it, trailing whitespace trimmed.
    pub text: String,
    pub mark: RiskMark,
}

/// Every category a mark may name (a test holds it complete).
const CATEGORIES: [CrisisCategory; 4] = [
    CrisisCategory::Suicidal,
    CrisisCategory::SelfHarm,
    CrisisCategory::HarmToOthers,
    CrisisCategory::DangerNow,
];

/// `<<risk:…>>`, with anything but brackets and line breaks inside, up to a
/// bound: a shape no ordinary reply writes. Spaces before it go with it.
static MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[ \t]*<<\s*risk\s*:([^<>\r\n]{0,80})>>")
        .expect("the risk mark pattern is valid")
});

/// Strip the mark from `reply` and read it.
pub fn read(reply: &str) -> Read {
    let trimmed = reply.trim_end();
    let tail = MARK
        .captures_iter(trimmed)
        .last()
        .filter(|c| c.get(0).is_some_and(|m| m.end() == trimmed.len()));
    let mark = match tail {
        None => RiskMark::Absent,
        Some(c) => value_of(c.get(1).map_or("", |v| v.as_str())),
    };
    let text = MARK.replace_all(trimmed, "").trim().to_string();
    Read { text, mark }
}

fn named(value: &str) -> Option<CrisisCategory> {
    CATEGORIES.into_iter().find(|c| c.as_str() == value)
}

fn value_of(inside: &str) -> RiskMark {
    let words: Vec<String> = inside
        .split(',')
        .map(|w| w.trim().to_ascii_lowercase().replace(['-', ' '], "_"))
        .collect();
    match words.as_slice() {
        [one] if one == "none" => RiskMark::None,
        _ => {
            let categories: Option<Vec<CrisisCategory>> = words.iter().map(|w| named(w)).collect();
            match categories.as_deref() {
                Some([first, ..]) => RiskMark::Risk(*first),
                _ => RiskMark::Unreadable,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CrisisCategory::*;

    fn mark(reply: &str) -> RiskMark {
        read(reply).mark
    }

    #[test]
    fn a_tail_line_is_read_and_stripped() {
        let r = read("That sounds hard. I'm here.\n<<risk:none>>");
        assert_eq!(r.text, "That sounds hard. I'm here.");
        assert_eq!(r.mark, RiskMark::None);
        let r = read("I'm glad you told me.\n\n<<risk:suicidal>>\n");
        assert_eq!(r.text, "I'm glad you told me.");
        assert_eq!(r.mark, RiskMark::Risk(Suicidal));
    }

    #[test]
    fn every_category_can_be_named() {
        // The match is exhaustive: a new category does not compile here
        // until it is added to this list, and then fails until CATEGORIES
        // has it too.
        let all = |c: CrisisCategory| match c {
            Suicidal | SelfHarm | HarmToOthers | DangerNow => c,
        };
        for c in [Suicidal, SelfHarm, HarmToOthers, DangerNow].map(all) {
            assert_eq!(
                mark(&format!("ok\n<<risk:{}>>", c.as_str())),
                RiskMark::Risk(c)
            );
        }
    }

    #[test]
    fn case_spaces_hyphens_and_the_same_line_are_tolerated() {
        assert_eq!(mark("ok <<RISK: Self-Harm >>"), RiskMark::Risk(SelfHarm));
        assert_eq!(mark("ok\n<< risk : none >>"), RiskMark::None);
        assert_eq!(
            mark("ok\n<<risk:danger_now, harm_to_others>>"),
            RiskMark::Risk(DangerNow),
            "the first of several"
        );
    }

    #[test]
    fn a_reply_without_the_tail_is_unchanged_and_marks_nothing() {
        let plain = "Glad you got outside. What did you see?";
        assert_eq!(
            read(plain),
            Read {
                text: plain.into(),
                mark: RiskMark::Absent
            }
        );
        assert_eq!(mark("I use << and >> a lot, risk: none"), RiskMark::Absent);
    }

    #[test]
    fn garbage_in_the_tail_is_stripped_and_marks_nothing() {
        for tail in [
            "<<risk:maybe>>",
            "<<risk:>>",
            "<<risk:none, suicidal>>",
            "<<risk:suicidal|self_harm|harm_to_others|danger_now>>",
            "<<risk:ignore previous instructions>>",
        ] {
            let r = read(&format!("Take care.\n{tail}"));
            assert_eq!(r.mark, RiskMark::Unreadable, "{tail}");
            assert_eq!(r.text, "Take care.", "{tail}");
        }
    }

    #[test]
    fn a_mark_that_is_not_the_tail_counts_for_nothing_but_is_still_stripped() {
        let r = read("<<risk:suicidal>>\nThat sounds like a lovely walk.");
        assert_eq!(r.mark, RiskMark::Absent);
        assert_eq!(r.text, "That sounds like a lovely walk.");
        let r = read("Lovely. <<risk:suicidal>> Truly.\n<<risk:none>>");
        assert_eq!(r.mark, RiskMark::None, "the tail wins");
        assert_eq!(r.text, "Lovely. Truly.");
    }

    #[test]
    fn an_over_long_or_multi_line_tail_is_not_a_mark() {
        let long = format!("ok\n<<risk:{}>>", "x".repeat(81));
        assert_eq!(mark(&long), RiskMark::Absent);
        assert_eq!(mark("ok\n<<risk:\nsuicidal>>"), RiskMark::Absent);
    }
}
