//! Cursor paging, shared by every list: the page asked for, and the page
//! given. A cursor is opaque to clients; what it holds is `cursor`'s.

use super::cursor::{self, BadCursor, MAX_CURSOR_LEN, Position};
use super::limits::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("limit must be between 1 and {MAX_PAGE_SIZE}")]
    BadLimit,
    #[error("cursor is not one this server issued")]
    BadCursor,
}

impl PageRequest {
    pub fn new(limit: Option<u32>, cursor: Option<String>) -> Result<Self, PageError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if limit == 0 || limit > MAX_PAGE_SIZE {
            return Err(PageError::BadLimit);
        }
        let cursor = cursor.filter(|c| !c.is_empty());
        if cursor.as_ref().is_some_and(|c| c.len() > MAX_CURSOR_LEN) {
            return Err(PageError::BadCursor);
        }
        Ok(Self { limit, cursor })
    }

    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            cursor: None,
        }
    }

    /// Where this page starts in a list of `P` positions: `None` for the
    /// first page, `BadCursor` for a cursor of another list or none at all.
    pub fn position<P: Position>(&self) -> Result<Option<P>, BadCursor> {
        self.cursor.as_deref().map(cursor::decode).transpose()
    }
}

/// One page of a list, and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page of `items`. When `more` follow, the next page starts after
    /// the last item, at its `position`.
    pub fn resuming<P: Position>(items: Vec<T>, more: bool, position: impl Fn(&T) -> P) -> Self {
        let next_cursor = if more {
            items.last().map(|last| cursor::encode(&position(last)))
        } else {
            None
        };
        Self { items, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_limits_are_enforced() {
        assert_eq!(PageRequest::new(Some(0), None), Err(PageError::BadLimit));
        assert_eq!(
            PageRequest::new(Some(MAX_PAGE_SIZE + 1), None),
            Err(PageError::BadLimit)
        );
        assert_eq!(
            PageRequest::new(None, None).unwrap().limit,
            DEFAULT_PAGE_SIZE
        );
        assert_eq!(
            PageRequest::new(Some(5), Some(String::new()))
                .unwrap()
                .cursor,
            None
        );
    }
}
