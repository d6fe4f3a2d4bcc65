//! Text as Hearth's rules read it, in one place: normalised text (the crisis
//! screen, the router and the boundaries match patterns on it), content
//! words (one stopword list, Snowball stems) and the overlap of two texts'
//! words. Retrieval ranks by these words, boundaries are checked with them,
//! and extraction's near-duplicate and forgotten-fact checks use the same.

mod dates;
mod normalize;
mod similarity;
mod words;

pub use dates::{DateRef, Span, resolve_dates};
pub use normalize::{clauses, fold, normalize};
pub use similarity::jaccard;
pub use words::{terms, tokens};

/// A control character other than newline (`\n`, or `\r\n`'s `\r`) and
/// tab: NUL and its kind are refused in stored text, never sent to a model.
pub fn has_control_character(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
}
