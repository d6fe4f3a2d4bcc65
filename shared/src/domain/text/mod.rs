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
