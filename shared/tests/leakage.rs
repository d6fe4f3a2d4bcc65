//! The leakage test: no held-out text shaped a rule, a training line or a
//! test fixture. A held-out message that appears (normalised) anywhere the
//! screen, the router or a classifier learns from, or in a test, would make
//! its evaluation measure memory instead of judgement.
//!
//! Held-out sets:
//! - `data/safety/heldout.jsonl`, our own crisis split;
//! - the `heldout` rows of `data/routing/labelled.jsonl`, and
//!   `data/routing/fresh.jsonl` (the router's fresh held-out set) when present;
//! - `../shared/safety/dev.jsonl`, the public evaluation set (skipped, with a
//!   message, where `../shared` is absent).
//!
//! Where they must not appear:
//! - in a crisis rule: its examples, or its pattern read as words;
//! - in a training line: `data/safety/train.jsonl`,
//!   `data/safety/train_extra.jsonl` (training-only rows), the train rows of
//!   `data/routing/labelled.jsonl`, and every other file under `data/`;
//! - in a test fixture or source file: everything under `shared/`, `tests/`,
//!   `functions/`, `events/`, `docs/` and `scripts/`.
//!
//! Only the files that are a held-out set, or the sources it is built from
//! (`data/safety/labelled.jsonl` and `data/safety/sources/`, which the split
//! was drawn from; `data/routing/messages.py`, which writes the routing
//! set), may hold its rows. The test names where a text leaked, never the
//! text itself, so running it does not show a held-out row.

use hearth::domain::safety::all_rules;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Lowercase words of letters and digits, one space apart: quotes,
/// punctuation, case and spacing do not hide a copy.
fn norm(text: &str) -> String {
    let lowered: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    lowered.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A held-out text long enough that finding it inside a file is a copy, not
/// a common phrase ("i want to die" is a phrase; a whole message is not).
fn distinctive(text: &str) -> bool {
    text.split(' ').count() >= 5 && text.len() >= 24
}

struct HeldOut {
    name: &'static str,
    texts: Vec<String>,
    /// Files (relative to the repo) that may hold these rows.
    allowed: Vec<&'static str>,
    /// Whether the crisis classifier's training lines count: not for the
    /// fresh routing set, which evaluates the router alone (its training
    /// is the routing set's train rows and whatever else is under
    /// `data/routing/`), and was written after `data/safety/train.jsonl`
    /// was frozen, so a coincidence there is not a leak into the router.
    safety_training: bool,
}

fn jsonl(path: &Path) -> Option<Vec<serde_json::Value>> {
    let raw = std::fs::read_to_string(path).ok()?;
    Some(
        raw.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .collect(),
    )
}

fn texts(rows: &[serde_json::Value], keep: impl Fn(&serde_json::Value) -> bool) -> Vec<String> {
    rows.iter()
        .filter(|r| keep(r))
        .filter_map(|r| r["text"].as_str())
        .map(norm)
        .filter(|t| !t.is_empty())
        .collect()
}

fn held_out_sets() -> Vec<HeldOut> {
    let root = repo();
    let mut sets = vec![HeldOut {
        name: "data/safety/heldout.jsonl",
        texts: texts(
            &jsonl(&root.join("data/safety/heldout.jsonl")).expect("data/safety/heldout.jsonl"),
            |_| true,
        ),
        allowed: vec![
            "data/safety/heldout.jsonl",
            "data/safety/labelled.jsonl",
            "data/safety/sources/",
        ],
        safety_training: true,
    }];
    let routing = jsonl(&root.join("data/routing/labelled.jsonl")).expect("routing set");
    sets.push(HeldOut {
        name: "the held-out rows of data/routing/labelled.jsonl",
        texts: texts(&routing, |r| r["split"] == "heldout"),
        allowed: vec!["data/routing/labelled.jsonl", "data/routing/messages.py"],
        safety_training: true,
    });
    if let Some(fresh) = jsonl(&root.join("data/routing/fresh.jsonl")) {
        sets.push(HeldOut {
            name: "data/routing/fresh.jsonl",
            texts: texts(&fresh, |_| true),
            allowed: vec![
                "data/routing/fresh.jsonl",
                "data/routing/fresh.py",
                "data/safety/",
            ],
            safety_training: false,
        });
    }
    match jsonl(&root.join("../shared/safety/dev.jsonl")) {
        Some(dev) => sets.push(HeldOut {
            name: "../shared/safety/dev.jsonl",
            texts: texts(&dev, |_| true),
            allowed: vec![],
            safety_training: true,
        }),
        None => eprintln!(
            "leakage: ../shared/safety/dev.jsonl is absent (a clone without ../shared): its check is skipped"
        ),
    }
    sets
}

/// Every text file the repository holds under `dirs`, relative path and
/// normalised content.
fn files(dirs: &[&str]) -> Vec<(String, String)> {
    let root = repo();
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("readable dir") {
                stack.push(entry.expect("dir entry").path());
            }
        } else if let Ok(raw) = std::fs::read_to_string(&path) {
            let rel = path
                .strip_prefix(&root)
                .expect("under the repo")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, norm(&raw)));
        }
    }
    out
}

/// The training lines, one normalised text each, with where they came from.
fn training_lines() -> Vec<(String, String)> {
    let root = repo();
    let mut lines = Vec::new();
    for row in jsonl(&root.join("data/safety/train.jsonl")).expect("train split") {
        if let Some(t) = row["text"].as_str() {
            lines.push(("data/safety/train.jsonl".to_owned(), norm(t)));
        }
    }
    for row in jsonl(&root.join("data/safety/train_extra.jsonl")).expect("training-only extra rows")
    {
        if let Some(t) = row["text"].as_str() {
            lines.push(("data/safety/train_extra.jsonl".to_owned(), norm(t)));
        }
    }
    for row in jsonl(&root.join("data/routing/labelled.jsonl")).expect("routing set") {
        if row["split"] == "train"
            && let Some(t) = row["text"].as_str()
        {
            lines.push(("data/routing/labelled.jsonl (train)".to_owned(), norm(t)));
        }
    }
    lines
}

#[test]
fn no_held_out_text_is_in_a_rule_a_training_line_or_a_fixture() {
    let sets = held_out_sets();
    let training = training_lines();
    let rules: Vec<(String, String)> = all_rules()
        .flat_map(|r| {
            let examples = r
                .examples
                .iter()
                .map(move |e| (format!("rule {} (example)", r.name), norm(e)));
            examples.chain(std::iter::once((
                format!("rule {} (pattern)", r.name),
                norm(r.pattern),
            )))
        })
        .collect();
    let sources = files(&[
        "shared",
        "tests",
        "functions",
        "events",
        "docs",
        "scripts",
        "data",
    ]);

    let mut leaks: Vec<String> = Vec::new();
    for set in &sets {
        let exact: HashSet<&str> = set.texts.iter().map(String::as_str).collect();
        let mut hit = |place: &str, index: usize| {
            leaks.push(format!("{}: row {index} appears in {place}", set.name));
        };
        // A training line or a rule example equal to a held-out row.
        for (place, line) in training.iter().chain(rules.iter()) {
            if !set.safety_training && place.starts_with("data/safety/") {
                continue;
            }
            if exact.contains(line.as_str()) {
                let index = set.texts.iter().position(|t| t == line).unwrap_or(0);
                hit(place, index);
            }
        }
        // A distinctive held-out row inside a file it does not belong to, or
        // inside a rule's pattern read as words.
        for (index, text) in set.texts.iter().enumerate() {
            if !distinctive(text) {
                continue;
            }
            for (path, content) in &sources {
                if set.allowed.iter().any(|a| path.starts_with(a)) {
                    continue;
                }
                if content.contains(text.as_str()) {
                    hit(path, index);
                }
            }
            for (place, pattern) in rules.iter().filter(|(p, _)| p.ends_with("(pattern)")) {
                if pattern.contains(text.as_str()) {
                    hit(place, index);
                }
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "held-out rows leaked ({}):\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

/// The check itself works: a planted copy of a held-out row, differently
/// cased and punctuated, is found; an unrelated line is not.
#[test]
fn the_check_finds_a_planted_copy() {
    let sets = held_out_sets();
    let set = &sets[0];
    let row = set
        .texts
        .iter()
        .find(|t| distinctive(t) && t.is_ascii())
        .expect("a distinctive held-out row");
    let planted = format!("// fixture: \"{}!!\"", row.to_uppercase());
    assert!(norm(&planted).contains(row.as_str()));
    assert!(!norm("an unrelated line about the weather today").contains(row.as_str()));
}

/// Each rule stands on lines that are not held out: it fires on at least
/// one of its own examples (which the test above keeps out of every
/// held-out set), so no rule exists only for a held-out row.
#[test]
fn every_rule_fires_on_a_line_that_is_not_held_out() {
    let held: HashSet<String> = held_out_sets().into_iter().flat_map(|s| s.texts).collect();
    let mut orphans = Vec::new();
    for rule in all_rules() {
        let fires_outside = rule.examples.iter().any(|e| {
            !held.contains(&norm(e))
                && hearth::domain::safety::explain(e)
                    .iter()
                    .any(|s| s.rule == rule.name)
        });
        if !fires_outside {
            orphans.push(rule.name);
        }
    }
    assert!(
        orphans.is_empty(),
        "rules that fire on no line outside the held-out sets: {orphans:?}"
    );
}
