//! Normalisation: lower case, straight apostrophes, contractions expanded,
//! clauses split, so that the crisis screen's, the router's and the
//! boundaries' patterns can be written once in a plain form ("i am", "do
//! not"). The tokenizer reads normalised text too. `fold` goes further, for
//! the crisis screen: it undoes the ways the same letters can be written
//! (fullwidth, zero-width characters, look-alike letters of other scripts,
//! accents), so a pattern written in plain Latin letters still matches.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Contractions expanded before matching. Order matters: specific forms first.
const CONTRACTIONS: &[(&str, &str)] = &[
    ("won't", "will not"),
    ("can't", "cannot"),
    ("cannot", "can not"),
    ("shan't", "shall not"),
    ("ain't", "am not"),
    ("n't", " not"),
    ("i'm", "i am"),
    ("'re", " are"),
    ("'ve", " have"),
    ("'ll", " will"),
    ("'d", " would"),
    ("let's", "let us"),
    ("it's", "it is"),
    ("that's", "that is"),
    ("there's", "there is"),
    ("what's", "what is"),
    ("he's", "he is"),
    ("she's", "she is"),
    ("gonna", "going to"),
    ("wanna", "want to"),
];

/// Lower-case, straighten quotes, expand contractions, squeeze spaces.
pub fn normalize(text: &str) -> String {
    let mut s: String = text
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect::<String>()
        .to_lowercase();
    for (from, to) in CONTRACTIONS {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Fold text to plain lower-case letters, for matching:
/// - Unicode NFKC: fullwidth, mathematical and other compatibility forms
///   become their plain letters ("ｋｉｌｌ" is "kill");
/// - format characters (general category Cf: zero-width spaces and joiners,
///   bidi controls, soft hyphens) and other default-ignorable code points
///   are dropped;
/// - a non-ASCII letter whose UTS #39 confusable skeleton is ASCII letters
///   becomes those letters (Cyrillic "а", Greek "ο"), through the
///   unicode-security crate's table; ASCII itself is never remapped (the
///   skeleton of "m" is "rn");
/// - accents and other combining marks on Latin letters are dropped ("é"
///   is "e", "ü" is "u"), and "ß" is "ss";
/// - lower case.
///
/// Everything else (digits, punctuation, emoji, other scripts) is kept.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkc() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if c.general_category() == GeneralCategory::Format {
            // Zero-width and other invisible formatting: dropped.
        } else {
            match latin_lookalike(c) {
                Some(Lookalike::Ignorable) => {}
                Some(Lookalike::Latin(latin)) => out.push_str(&latin),
                None => out.extend(c.to_lowercase()),
            }
        }
    }
    // Marks are dropped from Latin letters only: in other scripts (a
    // Japanese voicing mark, a Devanagari vowel sign) they are letters.
    let mut latin_base = false;
    let unmarked: String = out
        .nfd()
        .filter(|&c| {
            if is_combining_mark(c) {
                !latin_base
            } else {
                latin_base = c.is_ascii_alphabetic();
                true
            }
        })
        .collect();
    unmarked.nfc().collect::<String>().replace('ß', "ss")
}

enum Lookalike {
    /// A default-ignorable code point: its skeleton is empty.
    Ignorable,
    /// The ASCII letters it is confusable with, lower-cased.
    Latin(String),
}

/// The Latin letters a non-ASCII character is confusable with, if its
/// skeleton (of its lower case first, so that Cyrillic "І" reads "i" and
/// not "l") is ASCII letters only.
fn latin_lookalike(c: char) -> Option<Lookalike> {
    let skeleton = |c: char| -> String {
        let mut buf = [0u8; 4];
        unicode_security::skeleton(c.encode_utf8(&mut buf)).collect()
    };
    let ascii_letters = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic());
    let own = skeleton(c);
    if own.is_empty() {
        return Some(Lookalike::Ignorable);
    }
    let mut lower = c.to_lowercase();
    if let (Some(l), None) = (lower.next(), lower.next()) {
        let of_lower = skeleton(l);
        if ascii_letters(&of_lower) {
            return Some(Lookalike::Latin(of_lower.to_ascii_lowercase()));
        }
    }
    ascii_letters(&own).then(|| Lookalike::Latin(own.to_ascii_lowercase()))
}

/// Split normalised text into clauses: a negation ("I'm not suicidal, just
/// worn out") only reaches as far as its clause.
pub fn clauses(normalized: &str) -> impl Iterator<Item = &str> {
    normalized
        .split(['.', '!', '?', ';', ',', ':', '\n'])
        .flat_map(|c| c.split(" but "))
        .map(str::trim)
        .filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contractions_and_quotes_are_normalised() {
        assert_eq!(
            normalize("I’m NOT   gonna do it, I won't"),
            "i am not going to do it, i will not"
        );
        assert_eq!(
            normalize("I'd rather, he'll see"),
            "i would rather, he will see"
        );
        assert_eq!(normalize("I can't"), "i can not");
    }

    #[test]
    fn fold_undoes_fullwidth_zero_width_and_lookalike_letters() {
        assert_eq!(fold("ｋｉｌｌ ＭＹＳＥＬＦ"), "kill myself");
        assert_eq!(fold("k\u{200B}i\u{200D}l\u{FEFF}l\u{00AD}"), "kill");
        // Cyrillic а, е, о, р, с, у, і and an upper-case І; Greek ο.
        assert_eq!(
            fold("\u{0456} w\u{0430}nt t\u{043E} d\u{0456}\u{0435}"),
            "i want to die"
        );
        assert_eq!(
            fold("\u{0406}'m \u{0441}\u{043E}\u{0440}\u{0443} n\u{03BF}"),
            "i'm copy no"
        );
        assert_eq!(fold("𝐤𝐢𝐥𝐥"), "kill");
    }

    #[test]
    fn fold_drops_accents_and_keeps_ascii_and_other_scripts() {
        assert_eq!(
            fold("Me QUIERO morir, ¿sí? Ça, über, straße, não"),
            "me quiero morir, ¿si? ca, uber, strasse, nao"
        );
        // ASCII is never remapped, though "m" and "rn" are confusable.
        assert_eq!(fold("rn m 1 0 l I"), "rn m 1 0 l i");
        assert_eq!(fold("今日が 😔 नमस्ते й"), "今日が 😔 नमस्ते й");
    }

    #[test]
    fn clauses_split_on_punctuation_and_but() {
        let n = normalize("I'm not suicidal, just worn out. Fine but sad");
        let c: Vec<_> = clauses(&n).collect();
        assert_eq!(c, vec!["i am not suicidal", "just worn out", "fine", "sad"]);
    }
}
