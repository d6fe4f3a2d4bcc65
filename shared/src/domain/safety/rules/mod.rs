//! The explicit cues, as data: one table per language, each rule a named
//! pattern over prepared text (see `prepare`), its category, the guards
//! that set a match aside, and the messages it is written for. A rule's
//! examples document it; a unit test checks each one fires that rule, and
//! the leakage test checks that no held-out message shaped a rule.

mod de;
mod en;
mod es;
mod fr;
mod pt;

use super::CrisisCategory;

/// Where a rule's pattern is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One clause at a time, so that a negation reaches only its clause.
    Clause,
    /// The whole message, for evidence that spans clauses ("I have a knife,
    /// I'm going to make him pay").
    Message,
}

/// Who a rule's match is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The pattern does not name its subject ("want to die", "suicidal
    /// thoughts"): set aside when the nearest person named before it is
    /// someone else ("my friend says she wants to die", "my partner has
    /// suicidal thoughts").
    Implied,
    /// The pattern names the writer ("without me", "hits me"), or is about
    /// someone else's acts by design.
    Named,
}

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Unique; the explanation a flag carries.
    pub name: &'static str,
    pub category: CrisisCategory,
    pub pattern: &'static str,
    /// Messages this rule is written for, each of which must fire it.
    pub examples: &'static [&'static str],
    pub scope: Scope,
    pub subject: Subject,
    /// A phrase people also say in jest ("I want to die lol"): set aside
    /// when the message laughs.
    pub figurative: bool,
    /// Set aside when this also matches the rule's clause (or message).
    pub unless: Option<&'static str>,
    /// Fires only when this also matches somewhere in the message.
    pub requires: Option<&'static str>,
}

/// A clause-scope rule; suicidal and self-harm rules start with an implied
/// subject, the others with a named one.
pub const fn rule(
    name: &'static str,
    category: CrisisCategory,
    pattern: &'static str,
    examples: &'static [&'static str],
) -> Rule {
    let subject = match category {
        CrisisCategory::Suicidal | CrisisCategory::SelfHarm => Subject::Implied,
        CrisisCategory::HarmToOthers | CrisisCategory::DangerNow => Subject::Named,
    };
    Rule {
        name,
        category,
        pattern,
        examples,
        scope: Scope::Clause,
        subject,
        figurative: false,
        unless: None,
        requires: None,
    }
}

impl Rule {
    pub const fn message(self) -> Rule {
        Rule {
            scope: Scope::Message,
            ..self
        }
    }
    pub const fn named(self) -> Rule {
        Rule {
            subject: Subject::Named,
            ..self
        }
    }
    pub const fn figurative(self) -> Rule {
        Rule {
            figurative: true,
            ..self
        }
    }
    pub const fn unless(self, pattern: &'static str) -> Rule {
        Rule {
            unless: Some(pattern),
            ..self
        }
    }
    pub const fn requires(self, pattern: &'static str) -> Rule {
        Rule {
            requires: Some(pattern),
            ..self
        }
    }
}

/// Every rule, English first, then Spanish, French, German, Portuguese.
/// Order decides which rule explains a message several rules fire on.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    [en::RULES, es::RULES, fr::RULES, de::RULES, pt::RULES]
        .into_iter()
        .flatten()
}
