//! The documented limits of the API. The README's "Limits" table is written
//! from these numbers; change both together.

/// Largest request body accepted by any JSON endpoint.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest chat message, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4_000;
/// Page size when `?limit=` is not given.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Longest search query, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Search hits when `?limit=` is not given, and the most a client may ask for.
pub const DEFAULT_SEARCH_HITS: usize = 10;
pub const MAX_SEARCH_HITS: usize = 50;
