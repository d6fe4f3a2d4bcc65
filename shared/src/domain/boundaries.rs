//! Boundaries: a memory in `triggers_and_boundaries` that says the person
//! does not want a topic raised keeps that topic out of what Hearth puts
//! before the model, unless the person raises it themselves. This module
//! reads each topic (as stemmed words) and says which are in force;
//! retrieval's selection leaves out the items that touch one.

use super::text::{normalize, terms};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

/// "does not want to talk about X", "prefers not to discuss X", "asked not
/// to bring up X", "X is off limits", "avoid mentioning X".
static NO_GO: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?:does not|do not|never|no longer) (?:want|wish|like) (?:to )?(?:talk|talking|discuss|discussing|hear|hearing|be asked|being asked|think|thinking) (?:about|of) (?P<t>.+)",
        r"(?:prefers|asked|wants|would rather) (?:you )?not (?:to )?(?:talk about|discuss|bring up|mention|raise|be asked about|ask about) (?P<t>.+)",
        r"(?:do not|never|not to) (?:bring up|mention|raise|ask about) (?P<t>.+)",
        r"avoid (?:talking about|mentioning|bringing up|discussing) (?P<t>.+)",
        r"(?P<t>.+?) (?:is|are) (?:off limits|off-limits|a no-go|not to be discussed)",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("boundary patterns are valid"))
    .collect()
});

/// One topic the person does not want raised, as the retrieval engine's
/// stemmed content words, so that it is checked against each indexed
/// item's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    pub topic: HashSet<String>,
}

impl Boundary {
    /// Does an item with these (stemmed) words touch the topic?
    pub fn touches(&self, words: &HashSet<String>) -> bool {
        !self.topic.is_disjoint(words)
    }
}

/// The boundaries that the texts of `triggers_and_boundaries` memories state.
pub fn from_texts<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<Boundary> {
    texts
        .filter_map(|content| {
            let text = normalize(content);
            NO_GO.iter().find_map(|re| {
                re.captures(&text)
                    .and_then(|c| c.name("t").map(|t| t.as_str().to_string()))
            })
        })
        .map(|topic| Boundary {
            topic: terms(&topic),
        })
        .filter(|b| !b.topic.is_empty())
        .collect()
}

/// The boundaries the person's own message (its stemmed words) does not raise.
pub fn in_force<'a>(boundaries: &'a [Boundary], said: &HashSet<String>) -> Vec<&'a Boundary> {
    boundaries.iter().filter(|b| !b.touches(said)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> HashSet<String> {
        terms(text)
    }

    #[test]
    fn boundary_phrasings_yield_their_topic() {
        for (content, word) in [
            ("Does not want to talk about her divorce.", "divorce"),
            ("Prefers not to discuss his weight.", "weight"),
            ("Asked Hearth not to bring up the accident.", "accident"),
            ("Her father's illness is off limits.", "illness"),
            ("Avoid mentioning the miscarriage.", "miscarriage"),
        ] {
            let b = from_texts([content].into_iter());
            assert_eq!(b.len(), 1, "{content}");
            assert!(b[0].touches(&words(word)), "{content}: {:?}", b[0].topic);
        }
        assert!(from_texts(["Loud noises make her anxious."].into_iter()).is_empty());
    }

    #[test]
    fn a_boundary_holds_until_the_person_raises_the_topic() {
        let b = from_texts(["Does not want to talk about her divorce."].into_iter());
        let force = in_force(&b, &words("What should I cook in March?"));
        assert!(
            force
                .iter()
                .any(|b| b.touches(&words("Her divorce was finalized in March.")))
        );
        assert!(
            !force
                .iter()
                .any(|b| b.touches(&words("Loves cooking pasta.")))
        );
        assert!(
            in_force(&b, &words("The divorce papers came today.")).is_empty(),
            "she raised it herself"
        );
    }
}
