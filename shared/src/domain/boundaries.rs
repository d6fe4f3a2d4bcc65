//! Boundaries: a memory in `triggers_and_boundaries` that says the person
//! does not want a topic raised keeps that topic out of what Hearth puts
//! before the model, unless the person raises it themselves. Enforced here,
//! by filtering the matching memories and summaries out, not only by a line
//! in the prompt.

use super::extraction::terms;
use super::memory::{Category, Memory};
use super::text::normalize;
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

/// One topic the person does not want raised, as content words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    pub topic: HashSet<String>,
}

/// The boundaries among `memories` (active `triggers_and_boundaries` only).
pub fn boundaries(memories: &[Memory]) -> Vec<Boundary> {
    from_texts(
        memories
            .iter()
            .filter(|m| m.is_active() && m.category == Category::TriggersAndBoundaries)
            .map(|m| m.content.as_str()),
    )
}

/// The boundaries that the texts of `triggers_and_boundaries` memories state.
pub fn from_texts<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<Boundary> {
    texts
        .filter_map(|content| {
            let text = normalize(content);
            NO_GO.iter().find_map(|re| re.captures(&text).and_then(|c| c.name("t").map(|t| t.as_str().to_string())))
        })
        .map(|topic| Boundary { topic: terms(&topic) })
        .filter(|b| !b.topic.is_empty())
        .collect()
}

/// The boundaries the person's own message does not raise.
pub fn in_force<'a>(boundaries: &'a [Boundary], message: &str) -> Vec<&'a Boundary> {
    let said = terms(message);
    boundaries.iter().filter(|b| b.topic.is_disjoint(&said)).collect()
}

/// Does `text` touch a boundary in force?
pub fn touches(text: &str, in_force: &[&Boundary]) -> bool {
    let t = terms(text);
    in_force.iter().any(|b| !b.topic.is_disjoint(&t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{MemoryId, MessageId, SessionId};
    use chrono::Utc;

    fn memory(category: Category, content: &str) -> Memory {
        Memory {
            id: MemoryId::generate(),
            category,
            content: content.into(),
            importance: 5,
            source_message_ids: vec![MessageId::parse("m").unwrap()],
            session_id: SessionId::parse("s").unwrap(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            ended_at: None,
            superseded_by: None,
            edited: false,
        }
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
            let b = boundaries(&[memory(Category::TriggersAndBoundaries, content)]);
            assert_eq!(b.len(), 1, "{content}");
            assert!(b[0].topic.contains(word), "{content}: {:?}", b[0].topic);
        }
        // Only boundary memories count.
        assert!(boundaries(&[memory(Category::Relationships, "Does not want to talk about work.")]).is_empty());
        assert!(boundaries(&[memory(Category::TriggersAndBoundaries, "Loud noises make her anxious.")]).is_empty());
    }

    #[test]
    fn a_boundary_holds_until_the_person_raises_the_topic() {
        let b = boundaries(&[memory(Category::TriggersAndBoundaries, "Does not want to talk about her divorce.")]);
        let force = in_force(&b, "What should I cook in March?");
        assert!(touches("Her divorce was finalized in March.", &force));
        assert!(!touches("Loves cooking pasta.", &force));
        assert!(in_force(&b, "The divorce papers came today.").is_empty(), "she raised it herself");
    }
}
