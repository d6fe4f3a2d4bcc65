//! The chat spellings and evasions table (`evasions.tsv`, data, compiled
//! into the binary) and the words the screen knows, which choose how a
//! leetspeak, censored or stretched word is spelled out.

use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// The table's text, for tests that read the screen's data.
pub const SOURCE: &str = include_str!("evasions.tsv");

#[derive(Debug)]
pub struct Evasions {
    words: HashMap<&'static str, &'static str>,
    phrases: Vec<(Regex, &'static str)>,
}

impl Evasions {
    fn parse(source: &'static str) -> Result<Evasions, String> {
        let mut words = HashMap::new();
        let mut phrases = Vec::new();
        for (n, line) in source.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (from, to) = line
                .split_once('\t')
                .ok_or_else(|| format!("evasions.tsv line {}: no tab", n + 1))?;
            if is_word(from) {
                if words.insert(from, to).is_some() {
                    return Err(format!("evasions.tsv line {}: {from} twice", n + 1));
                }
            } else {
                let re = Regex::new(&format!(r"\b(?:{from})"))
                    .map_err(|e| format!("evasions.tsv line {}: {e}", n + 1))?;
                phrases.push((re, to));
            }
        }
        Ok(Evasions { words, phrases })
    }

    /// The plain form of a whole word, if the table has one.
    pub fn word(&self, word: &str) -> Option<&'static str> {
        self.words.get(word).copied()
    }

    /// The phrase entries applied in file order.
    pub fn phrases(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (re, to) in &self.phrases {
            if re.is_match(&out) {
                out = re.replace_all(&out, *to).into_owned();
            }
        }
        out
    }

    /// Every word on either side of the table.
    fn all_words(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.words.iter().flat_map(|(from, to)| [*from, *to]).chain(
            self.phrases
                .iter()
                .map(|(_, to)| *to)
                .filter(|to| !to.contains('$')),
        )
    }
}

/// A table entry is a whole word when it has no space and no regex syntax.
fn is_word(from: &str) -> bool {
    !from.chars().any(|c| " \\()[]{}|?*+^$.".contains(c))
}

static TABLE: LazyLock<Evasions> =
    LazyLock::new(|| Evasions::parse(SOURCE).expect("evasions.tsv is valid"));

pub fn table() -> &'static Evasions {
    &TABLE
}

/// The words the screen knows: every word its rules and their examples
/// use, and every word of the table. A spelling that is one of these wins.
static VOCABULARY: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut words = HashSet::new();
    let mut add = |text: &str| {
        for w in text.split(|c: char| !(c.is_ascii_alphabetic() || c == '\'')) {
            if !w.is_empty() {
                words.insert(w.to_string());
            }
        }
    };
    for text in super::known_texts() {
        add(&escapes_removed(text));
    }
    for text in TABLE.all_words() {
        add(text);
    }
    words
});

pub fn vocabulary() -> &'static HashSet<String> {
    &VOCABULARY
}

/// A pattern's text without its escapes (`\b`, `\w`), which are not words.
fn escapes_removed(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_has_the_evasions_the_issue_names() {
        let t = Evasions::parse(SOURCE).unwrap();
        for (from, to) in [
            ("kms", "kill myself"),
            ("kys", "kill yourself"),
            ("sewerslide", "suicide"),
            ("ctb", "suicide"),
        ] {
            assert_eq!(t.word(from), Some(to));
        }
        assert_eq!(t.phrases("i want to unalive"), "i want to kill myself");
        assert_eq!(t.phrases("the sewer slide"), "the suicide");
    }

    #[test]
    fn a_bad_line_is_named() {
        assert!(
            Evasions::parse("kms kill myself\n")
                .unwrap_err()
                .contains("line 1")
        );
        assert!(
            Evasions::parse("a\tb\na\tc\n")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(Evasions::parse("(x\ty\n").unwrap_err().contains("line 1"));
    }

    #[test]
    fn the_vocabulary_has_the_rules_words_and_not_their_escapes() {
        let v = vocabulary();
        for w in ["kill", "myself", "suicide", "die", "so"] {
            assert!(v.contains(w), "{w}");
        }
        assert_eq!(escapes_removed(r"\bkill\w*\b"), " kill * ");
    }
}
