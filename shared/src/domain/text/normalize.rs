//! Normalisation: lower case, straight apostrophes, contractions expanded,
//! clauses split, so that the crisis screen's, the router's and the
//! boundaries' patterns can be written once in a plain form ("i am", "do
//! not"). The tokenizer reads normalised text too.

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

/// Split normalised text into clauses: a negation ("I'm not suicidal, just
/// tired") only reaches as far as its clause.
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
    fn clauses_split_on_punctuation_and_but() {
        let n = normalize("I'm not suicidal, just tired. Fine but sad");
        let c: Vec<_> = clauses(&n).collect();
        assert_eq!(c, vec!["i am not suicidal", "just tired", "fine", "sad"]);
    }
}
