//! Content words: normalised text split into words, stopwords dropped, each
//! word reduced to its Snowball (English) stem, so that "running" and "runs"
//! are one word. The single tokenizer of retrieval, boundaries and
//! extraction.

use super::normalize::normalize;
use std::collections::HashSet;
use std::sync::LazyLock;

static STEMMER: LazyLock<rust_stemmers::Stemmer> =
    LazyLock::new(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English));

/// Words too common to say what a text is about.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "to", "of", "in", "on", "at", "for", "with", "is", "am",
    "are", "was", "were", "be", "been", "being", "i", "me", "my", "mine", "myself", "you", "your",
    "it", "its", "this", "that", "these", "those", "they", "them", "he", "him", "she", "his",
    "her", "we", "us", "our", "so", "just", "not", "do", "does", "did", "have", "has", "had",
    "will", "would", "can", "could", "should", "about", "as", "from", "by", "their", "there",
    "what", "when", "how", "very", "really", "if", "then", "than", "too", "also", "any", "some",
    "all", "get", "got", "like", "more", "again", "still", "into", "out", "up", "down", "who",
    "which", "where", "why", "because", "person", "hearth",
];

/// Stemmed content words, in order (repeats kept: BM25 counts them).
pub fn tokens(text: &str) -> Vec<String> {
    normalize(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1 && !STOPWORDS.contains(w))
        .map(|w| STEMMER.stem(w).into_owned())
        .collect()
}

/// The set of a text's stemmed content words: what overlap and topic
/// checks compare.
pub fn terms(text: &str) -> HashSet<String> {
    tokens(text).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_match_word_forms() {
        assert_eq!(tokens("Running and runs"), tokens("run running"));
        assert!(tokens("It is what it is").is_empty());
    }

    #[test]
    fn terms_are_the_distinct_tokens() {
        assert_eq!(
            terms("Dogs, dogs and more dogs"),
            HashSet::from(["dog".to_string()])
        );
    }
}
