//! The one normalisation the crisis screen matches on, run before every
//! check: Unicode folded (`text::fold`: NFKC, format characters dropped,
//! look-alike letters to Latin, accents off), normalised (`text::normalize`:
//! lower case, contractions), then written words spelled out: chat
//! spellings and evasions from `evasions.tsv`, leetspeak inside words
//! ("k1ll", "su1c1de", "d13"), censored words ("s*icide") and stretched
//! ones ("diiie"). The result is plain text the rules are written against.

use super::evasions::{self, Evasions};
use crate::domain::text::{fold, normalize};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

/// The screen's form of a message. Idempotent: preparing prepared text
/// changes nothing, so a caller that normalised first loses nothing.
pub fn prepare(message: &str) -> String {
    let table = evasions::table();
    let folded = normalize(&fold(message));
    let joined = SPACED_LETTERS.replace_all(&folded, |c: &regex::Captures| {
        c[0].chars()
            .filter(char::is_ascii_alphabetic)
            .collect::<String>()
    });
    let words = spell_out(&joined, table, evasions::vocabulary());
    table.phrases(&normalize(&words))
}

/// Letters written one by one ("s u i c i d e", "k.i.l.l"): four or more
/// single letters with one separator between each.
static SPACED_LETTERS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[a-z](?:[ .\-_*][a-z]){3,}\b").expect("valid"));

/// A number with a unit or an ordinal ("4am", "30mins", "1st"): not
/// leetspeak. One-letter units are left out: "5h" is "sh", "541d" "said".
static UNIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\d+(am|pm|km|kms|kg|mg|ml|lb|lbs|hr|hrs|min|mins|sec|secs|yo|mo|yr|yrs|ft|cm|mm|gb|mb|k)$|^\d*1st$|^\d*3rd$|^\d+th$",
    )
    .expect("valid")
});

/// Replace each written word by its plain form, keeping the punctuation
/// around it.
fn spell_out(text: &str, table: &Evasions, vocabulary: &HashSet<String>) -> String {
    let tokens: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        let (prefix, core, suffix) = split_token(token);
        // The word before as already spelled out, the one after as written.
        let before = out.last().map(String::as_str);
        let after = tokens.get(i + 1).copied();
        // A spelling right after a number is a unit ("5 kms"), not a word.
        let after_number = before.is_some_and(|b| b.chars().all(|c| c.is_ascii_digit()));
        let plain = spell_word(core, before, after, after_number, table, vocabulary);
        match plain {
            Some(p) => out.push(format!("{prefix}{p}{suffix}")),
            None => out.push((*token).to_string()),
        }
    }
    out.join(" ")
}

/// A token's leading and trailing punctuation, and the word between. A
/// leading "$" or "@" stays in the word ("$uicide").
fn split_token(token: &str) -> (&str, &str, &str) {
    let start = token
        .find(|c: char| c.is_alphanumeric() || c == '$' || c == '@')
        .unwrap_or(token.len());
    let end = token
        .rfind(|c: char| c.is_alphanumeric())
        .map_or(start, |i| {
            i + token[i..].chars().next().map_or(1, char::len_utf8)
        })
        .max(start);
    (&token[..start], &token[start..end], &token[end..])
}

/// The plain form of one word, or `None` to keep it as written.
fn spell_word(
    word: &str,
    before: Option<&str>,
    after: Option<&str>,
    after_number: bool,
    table: &Evasions,
    vocabulary: &HashSet<String>,
) -> Option<String> {
    if word.is_empty() {
        return None;
    }
    let look_up = |w: &str| table.word(w).filter(|_| !after_number);
    if let Some(plain) = look_up(word) {
        return Some(plain.to_string());
    }
    let mut spelled = standalone_number(word, before, after)
        .or_else(|| unleet(word, vocabulary))
        .unwrap_or_else(|| word.to_string());
    if let Some(uncensored) = uncensor(&spelled, vocabulary) {
        spelled = uncensored;
    }
    if let Some(unstretched) = unstretch(&spelled, vocabulary) {
        spelled = unstretched;
    }
    if spelled == word {
        return None;
    }
    Some(look_up(&spelled).map_or(spelled.clone(), str::to_string))
}

fn is_word(token: Option<&str>) -> bool {
    token.is_some_and(|t| t.chars().any(|c| c.is_ascii_alphabetic()))
}

/// Words a number stands before as a count ("50 pills"), and after as an
/// age ("i am 15"): there it is a number, not leetspeak.
const COUNTED: &[&str] = &[
    "pills", "tablets", "meds", "capsules", "mg", "minutes", "min", "mins", "hours", "days",
    "weeks", "months", "years", "times", "people", "kids", "pounds", "kg", "dollars", "bucks",
    "percent", "more", "of", "or", "and", "am", "pm", "year", "yo",
];
const AGED: &[&str] = &["am", "was", "is", "age", "aged", "at", "turned", "turning"];

/// Short words leetspeak writes in digits alone, in the five languages:
/// "15" is "is", "513" "sie", "53" "se", "05" "os".
const SHORT_WORDS: &[&str] = &[
    "is", "so", "see", "as", "too", "to", "es", "sie", "se", "si", "sa", "os", "ia", "sei", "sais",
];

/// A number standing alone between words: "1" for "i" and "4" for "a"
/// ("1 w4nt", "h4v3 4 gun"), and the short words leetspeak writes in
/// digits ("15" for "is", "50" for "so"). A number among numbers, before a
/// count or after an age stays a number.
fn standalone_number(word: &str, before: Option<&str>, after: Option<&str>) -> Option<String> {
    if word.is_empty() || !word.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match word {
        "1" if is_word(after) => return Some("i".into()),
        "4" if is_word(before) && is_word(after) => return Some("a".into()),
        _ => {}
    }
    let spelled: String = word
        .chars()
        .map(|c| leet(c).map_or(c, |(a, _)| a))
        .collect();
    let short_word = SHORT_WORDS.contains(&spelled.as_str());
    // The next word may itself be leetspeak ("50 p1ll5").
    let next: Option<String> = after.map(|a| {
        let (_, core, _) = split_token(a);
        core.chars()
            .map(|c| leet(c).map_or(c, |(l, _)| l))
            .collect()
    });
    let counted = next.is_some_and(|a| COUNTED.contains(&a.as_str()));
    let aged = before.is_some_and(|b| AGED.contains(&b));
    // Between words, or a message's first or last word beside one.
    let placed = match (before, after) {
        (None, None) => false,
        (None, a) => is_word(a),
        (b, None) => is_word(b),
        (b, a) => is_word(b) && is_word(a),
    };
    (short_word && placed && !counted && !aged).then_some(spelled)
}

/// A leetspeak character's letter, and the other letter it may stand for.
fn leet(c: char) -> Option<(char, char)> {
    Some(match c {
        '0' => ('o', 'o'),
        '1' => ('i', 'l'),
        '3' => ('e', 'e'),
        '4' => ('a', 'a'),
        '5' => ('s', 's'),
        '7' => ('t', 't'),
        '@' => ('a', 'a'),
        '$' => ('s', 's'),
        '!' => ('i', 'l'),
        '|' => ('l', 'i'),
        '€' => ('e', 'e'),
        _ => return None,
    })
}

/// Leetspeak inside a word that has letters: "k1ll" is "kill", "d13" is
/// "die", "ki11" is "kill" (the spelling the screen knows wins).
fn unleet(word: &str, vocabulary: &HashSet<String>) -> Option<String> {
    if !word.chars().any(|c| c.is_ascii_alphabetic())
        || !word.chars().any(|c| leet(c).is_some())
        || word.chars().any(|c| matches!(c, '2' | '6' | '8' | '9'))
        || UNIT.is_match(word)
    {
        return None;
    }
    let spell = |pick: fn((char, char)) -> char| -> String {
        word.chars().map(|c| leet(c).map_or(c, pick)).collect()
    };
    let first = spell(|(a, _)| a);
    if vocabulary.contains(&first) {
        return Some(first);
    }
    let second = spell(|(_, b)| b);
    Some(if vocabulary.contains(&second) {
        second
    } else {
        first
    })
}

/// A censored word ("s*icide", "k*ll"): each "*" one letter, filled from
/// the words the screen knows when exactly one fits.
fn uncensor(word: &str, vocabulary: &HashSet<String>) -> Option<String> {
    if !word.contains('*') || !word.chars().any(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let fits = |candidate: &String| {
        candidate.len() == word.len()
            && candidate
                .chars()
                .zip(word.chars())
                .all(|(c, w)| w == '*' || c == w)
    };
    let mut found = vocabulary.iter().filter(|v| fits(v));
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one.clone()),
        _ => None,
    }
}

/// A stretched word ("diiiie", "sooo"): each run of three or more of one
/// letter becomes one or two, whichever the screen knows; else two.
fn unstretch(word: &str, vocabulary: &HashSet<String>) -> Option<String> {
    let mut runs: Vec<(char, usize)> = Vec::new();
    for c in word.chars() {
        match runs.last_mut() {
            Some((last, n)) if *last == c => *n += 1,
            _ => runs.push((c, 1)),
        }
    }
    let long: Vec<usize> = (0..runs.len()).filter(|&i| runs[i].1 >= 3).collect();
    if long.is_empty() || long.len() > 4 {
        return None;
    }
    let spell = |choice: usize| -> String {
        let mut out = String::new();
        for (i, &(c, n)) in runs.iter().enumerate() {
            let keep = match long.iter().position(|&l| l == i) {
                Some(bit) => 1 + ((choice >> bit) & 1),
                None => n,
            };
            out.extend(std::iter::repeat_n(c, keep));
        }
        out
    };
    let all_two = (1 << long.len()) - 1;
    (0..=all_two)
        .map(spell)
        .find(|s| vocabulary.contains(s))
        .or_else(|| Some(spell(all_two)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_spellings_and_evasions_become_plain_words() {
        assert_eq!(prepare("kms"), "kill myself");
        assert_eq!(
            prepare("im gonna kms tn"),
            "i am going to kill myself tonight"
        );
        assert_eq!(prepare("thinking abt sewerslide"), "thinking about suicide");
        assert_eq!(prepare("wanna unalive fr"), "want to kill myself for real");
        assert_eq!(
            prepare("my character got unalived lol"),
            "my character got killed lol"
        );
        assert_eq!(prepare("having ctb thoughts"), "having suicide thoughts");
        assert_eq!(
            prepare("ready to catch the bus."),
            "ready to commit suicide."
        );
        assert_eq!(
            prepare("i need to catch the bus to work"),
            "i need to catch the bus to work"
        );
        assert_eq!(prepare("i ran 5 kms today"), "i ran 5 kms today");
        assert_eq!(prepare("1 t00k 50 p1ll5"), "i took 50 pills");
        assert_eq!(
            prepare("h3 541d 1 4m 5c4r3d 4nd 1 w0n't 533 h1m, 15 th4t 50 b4d"),
            "he said i am scared and i will not see him, is that so bad"
        );
        assert_eq!(prepare("i am 15 and he is 30"), "i am 15 and he is 30");
        assert_eq!(prepare("just relapsed. 5h"), "just relapsed. sh");
        assert_eq!(prepare("5*1c1d3"), "suicide");
    }

    #[test]
    fn leetspeak_is_folded_inside_words_and_numbers_stay_numbers() {
        assert_eq!(prepare("k1ll mys3lf"), "kill myself");
        assert_eq!(prepare("su1c1d3"), "suicide");
        assert_eq!(prepare("1 w4nt t0 d13"), "i want to die");
        assert_eq!(prepare("k!ll myself"), "kill myself");
        assert_eq!(prepare("$uicidal"), "suicidal");
        assert_eq!(
            prepare("i took 50 pills at 4am, 2nd time"),
            "i took 50 pills at 4am, 2nd time"
        );
    }

    #[test]
    fn censored_stretched_and_spaced_words_are_spelled_out() {
        assert_eq!(prepare("thinking about s*icide"), "thinking about suicide");
        assert_eq!(prepare("i want to diiiie"), "i want to die");
        assert_eq!(prepare("s u i c i d e"), "suicide");
        assert_eq!(prepare("k.i.l.l myself"), "kill myself");
        // An unknown censored word is kept as written.
        assert_eq!(prepare("what the f*ck"), "what the f*ck");
    }

    #[test]
    fn preparing_is_idempotent_and_undoes_unicode_tricks() {
        let tricks = [
            "i\u{200B} w\u{200B}ant to d\u{200B}ie",
            "ｉ ｗａｎｔ ｔｏ ｄｉｅ",
            "\u{0456} w\u{0430}nt t\u{043E} d\u{0456}\u{0435}",
        ];
        for t in tricks {
            assert_eq!(prepare(t), "i want to die", "{t:?}");
        }
        for t in ["I'm gonna k1ll mys3lf!!", "ｋｍｓ", "s*icide, ctb"] {
            let once = prepare(t);
            assert_eq!(prepare(&once), once);
        }
    }

    #[test]
    fn punctuation_around_a_word_is_kept() {
        assert_eq!(prepare("(kms), ok"), "(kill myself), ok");
        assert_eq!(split_token("\"k1ll!\""), ("\"", "k1ll", "!\""));
        assert_eq!(split_token("..."), ("...", "", ""));
    }
}
