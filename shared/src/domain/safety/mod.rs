//! The crisis screen's explicit cues: a deterministic check that runs on
//! every message before any model sees it. It looks for first-person signs of
//! - suicidal thoughts or intent, direct or indirect ("I wrote goodbye letters"),
//! - self-harm,
//! - intent to harm others,
//! - abuse or danger happening now,
//!
//! in English, Spanish, French, German and Portuguese.
//!
//! Every check runs on one normalisation (`prepare`): Unicode folded, chat
//! spellings, evasions and leetspeak spelled out, so zero-width characters,
//! fullwidth or look-alike letters and "k1ll" do not get past it. The rules
//! (`rules/`, one table per language) are patterns over that plain text,
//! matched one clause at a time unless a rule's evidence spans clauses.
//! `guards` sets a match aside when it is negated ("I'm not suicidal", "no
//! quiero morir"), long past ("I used to self-harm"), about someone else
//! ("my friend says she wants to die"), laughed off ("I want to die lol"),
//! or a word being talked about ("what does kms mean?"). Idioms ("this
//! commute is killing me", "I'd kill for a coffee") do not match because
//! every pattern needs first-person intent. The result names the rule that
//! fired, so every flag can be explained.

pub mod conversation;
mod evasions;
pub mod flag;
mod guards;
pub mod learned;
mod prepare;
pub mod rules;

pub use prepare::prepare;
pub use rules::Rule;

use super::text::clauses;
use regex::{Regex, RegexSet};
use rules::{Scope, Subject};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The version of the crisis protocol (docs/crisis-protocol.md) these
/// layers implement: raise it with any change to what the screen detects,
/// what a flagged person gets, or what is stored and reported, and the
/// document with it (a test holds the two together).
pub const PROTOCOL_VERSION: &str = "1.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrisisCategory {
    Suicidal,
    SelfHarm,
    HarmToOthers,
    DangerNow,
}

impl CrisisCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            CrisisCategory::Suicidal => "suicidal",
            CrisisCategory::SelfHarm => "self_harm",
            CrisisCategory::HarmToOthers => "harm_to_others",
            CrisisCategory::DangerNow => "danger_now",
        }
    }
}

/// Why a message was flagged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrisisSignal {
    pub category: CrisisCategory,
    /// The name of the rule that fired.
    pub rule: &'static str,
}

/// The data files the screen reads, by name, for tests that check them.
pub const DATA_FILES: &[(&str, &str)] = &[("evasions.tsv", evasions::SOURCE)];

struct Compiled {
    rule: &'static Rule,
    re: Regex,
    unless: Option<Regex>,
    requires: Option<Regex>,
}

struct Screen {
    /// Every rule in one automaton: one pass over a scope finds which may fire.
    set: RegexSet,
    rules: Vec<Compiled>,
}

fn compile(pattern: &str, rule: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("crisis rule {rule} does not compile: {e}"))
}

static SCREEN: LazyLock<Screen> = LazyLock::new(|| {
    let rules: Vec<Compiled> = rules::all()
        .map(|rule| Compiled {
            rule,
            re: compile(rule.pattern, rule.name),
            unless: rule.unless.map(|p| compile(p, rule.name)),
            requires: rule.requires.map(|p| compile(p, rule.name)),
        })
        .collect();
    let set = RegexSet::new(rules::all().map(|r| r.pattern)).expect("crisis patterns are valid");
    Screen { set, rules }
});

/// Every rule the screen has, in the order it tries them.
pub fn all_rules() -> impl Iterator<Item = &'static Rule> {
    rules::all()
}

/// Every text the rules are written with (patterns and examples), for the
/// vocabulary that spells out written words.
fn known_texts() -> impl Iterator<Item = &'static str> {
    rules::all().flat_map(|r| std::iter::once(r.pattern).chain(r.examples.iter().copied()))
}

/// Screen a message. `Some` means it shows crisis and must be routed `crisis`.
pub fn screen(message: &str) -> Option<CrisisSignal> {
    screen_normalized(message)
}

/// `screen`, for text a caller has already passed through
/// `text::normalize` (the router normalises once for its own checks). The
/// screen still prepares it (`prepare` is idempotent over normalising), so
/// no caller can skip the screen's own normalisation.
pub fn screen_normalized(text: &str) -> Option<CrisisSignal> {
    fire(&prepare(text), true).into_iter().next()
}

/// Every rule that fires on a message, in order, each once: the full
/// explanation (the screen itself stops at the first).
pub fn explain(message: &str) -> Vec<CrisisSignal> {
    fire(&prepare(message), false)
}

/// What the guards need to know about the whole message, worked out once.
struct Context<'a> {
    text: &'a str,
    laughing: bool,
    resolved: bool,
}

fn fire(text: &str, first_only: bool) -> Vec<CrisisSignal> {
    let screen = &*SCREEN;
    let ctx = Context {
        text,
        laughing: guards::laughing(text),
        resolved: guards::resolved(text),
    };
    let mut fired: Vec<CrisisSignal> = Vec::new();
    let whole = std::iter::once((text, Scope::Message));
    for (scope, kind) in clauses(text).map(|c| (c, Scope::Clause)).chain(whole) {
        for index in screen.set.matches(scope).iter() {
            let compiled = &screen.rules[index];
            let rule = compiled.rule;
            if rule.scope != kind || fired.iter().any(|f| f.rule == rule.name) {
                continue;
            }
            if compiled
                .re
                .find_iter(scope)
                .any(|m| holds(compiled, scope, m, &ctx))
            {
                fired.push(CrisisSignal {
                    category: rule.category,
                    rule: rule.name,
                });
                if first_only {
                    return fired;
                }
            }
        }
    }
    fired
}

/// Whether one match of a rule stands once its guards have looked at it.
fn holds(compiled: &Compiled, scope: &str, m: regex::Match<'_>, ctx: &Context<'_>) -> bool {
    let rule = compiled.rule;
    let before = &scope[..m.start()];
    let offset = scope.as_ptr() as usize - ctx.text.as_ptr() as usize + m.start();
    !(guards::negated_before(before)
        || guards::negated_after(&scope[m.end()..])
        || guards::past(scope)
        || ctx.resolved
        || guards::mentioned(scope)
        || guards::quoted(ctx.text, offset)
        || (rule.subject == Subject::Implied && guards::someone_else(before))
        || (rule.figurative && ctx.laughing)
        || (rule.category == CrisisCategory::HarmToOthers && guards::fictional(ctx.text))
        || compiled.unless.as_ref().is_some_and(|u| u.is_match(scope))
        || compiled
            .requires
            .as_ref()
            .is_some_and(|r| !r.is_match(ctx.text)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use CrisisCategory::Suicidal;

    #[test]
    fn the_examples_in_the_issue_behave() {
        assert!(screen("I wrote goodbye letters").is_some());
        assert!(screen("everyone would be better off without me").is_some());
        assert_eq!(screen("this commute is killing me"), None);
        assert_eq!(screen("I'd kill for a coffee"), None);
        assert_eq!(screen("I'm not suicidal, just worn out"), None);
        for missed in [
            "I took a whole bottle of pills",
            "I'm going to end it tonight",
            "I have nothing to live for",
            "kms",
            "my dad beats me when he's drunk",
            "If I had a gun I'd be dead already",
        ] {
            assert!(screen(missed).is_some(), "{missed}");
        }
    }

    #[test]
    fn a_negation_reaches_only_its_own_clause() {
        assert_eq!(
            screen("I'm not okay. I want to die"),
            Some(CrisisSignal {
                category: Suicidal,
                rule: "want_to_die"
            })
        );
        assert_eq!(screen("I don't want to die"), None);
    }

    #[test]
    fn written_ways_round_the_screen_are_caught() {
        for m in [
            "i w\u{200B}ant to d\u{200B}ie",
            "ｉ ｗａｎｔ ｔｏ ｄｉｅ",
            "\u{0456} w\u{0430}nt t\u{043E} d\u{0456}\u{0435}",
            "1 w4nt t0 d13",
            "kms",
            "thinking about s*icide",
        ] {
            assert!(screen(m).is_some(), "{m:?}");
        }
    }

    /// Each rule's own examples fire it: they are its documentation.
    #[test]
    fn every_rule_fires_on_each_of_its_examples() {
        let mut bad = Vec::new();
        for rule in all_rules() {
            assert!(
                !rule.examples.is_empty(),
                "rule {} has no example",
                rule.name
            );
            for example in rule.examples {
                if !explain(example).iter().any(|s| s.rule == rule.name) {
                    bad.push(format!(
                        "{}: {example:?} -> {:?}",
                        rule.name,
                        prepare(example)
                    ));
                }
            }
        }
        assert!(
            bad.is_empty(),
            "examples that do not fire their rule:\n{}",
            bad.join("\n")
        );
    }

    /// Look-alikes the guards must set aside: idioms, negations, someone
    /// else, the past, talk about the topic.
    #[test]
    fn look_alikes_are_not_flagged() {
        let mut bad = Vec::new();
        for m in LOOK_ALIKES {
            let fired = explain(m);
            if !fired.is_empty() {
                bad.push(format!("{m:?} -> {fired:?}"));
            }
        }
        assert!(bad.is_empty(), "false alarms:\n{}", bad.join("\n"));
    }

    const LOOK_ALIKES: &[&str] = &[
        "this commute is killing me",
        "I'd kill for a coffee right now",
        "i wanna die lol my hair dye came out green",
        "i want to die of cringe, i sent that text to the wrong person",
        "omg i'm going to die, he liked my post",
        "i'm going to kill my roommate, she ate my birthday cake",
        "I could just kill my brother for eating my leftovers, haha",
        "she'll kill me if i forget our anniversary again",
        "my boss is going to kill me when he sees this typo",
        "my sister will literally kill me if i spoil the ending",
        "I don't want to die on this hill, so I let the argument go",
        "I'm not going to hurt myself, I promise, I just need to vent",
        "i'm not going to kill myself lol i'm just annoyed at my landlord",
        "i'm not going to unalive myself, chill, i just hate mondays",
        "i'm not going to relapse, i threw out all my blades last year",
        "I used to self-harm as a teenager, but I've been fine for years and I'm proud of that",
        "i had suicidal thoughts years ago but therapy really helped",
        "my friend said she wants to die, how do i help her",
        "my roommate said she wants to kms but laughed it off, should i worry?",
        "my partner struggles with suicidal thoughts, how can i be there for him",
        "my grandpa says he's ready to die, he's 94 and at peace with it",
        "is it okay to ask someone directly if they are thinking about suicide?",
        "what does kms mean in texting?",
        "what does unalive mean on tiktok",
        "my character got unalived in the first five minutes lol",
        "i'm writing an essay on suicide prevention, can you help me structure it",
        "my group project is on self harm awareness week",
        "my ex used to hit me but i'm safe now and he's out of my life",
        "my dad beat me at chess again",
        "it hit me that i forgot her birthday",
        "i'm going to end it with him tonight, we've been fighting for months",
        "I shot my shot and asked her out!",
        "i hurt myself at the gym yesterday",
        "i ran 5 kms this morning",
        "i need to catch the bus to work",
        "i'm cutting myself some slack this week",
        "i don't want to live with my parents anymore",
        "i got locked out of my account again",
        "i'm dying to see the new season",
        "in the game my character has to kill the dragon to save the village",
        "i'm not in any danger, nobody is hurting me",
        "i feel like dying of embarrassment",
        "Everything feels heavy lately and I'm not sure what the point is.",
    ];
}
