//! Cursor paging, shared by every list. A cursor is opaque to clients: only
//! the store that issued it can read it.

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
        if cursor.as_ref().is_some_and(|c| c.len() > 512) {
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
}

/// One page of a list, and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
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
