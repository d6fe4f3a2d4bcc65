//! The order of calls across fakes: every fake writes one line per port
//! call (`"store: record_user_message"`, `"model chat: complete"`), so a test
//! can assert that one thing happened before another.

use std::sync::{Arc, Mutex, MutexGuard};

/// A shared, append-only list of the calls the fakes received. Cheap to
/// clone; clones share the list.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<String>>>);

impl CallLog {
    pub fn new() -> Self {
        Self::default()
    }

    fn lines(&self) -> MutexGuard<'_, Vec<String>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Append one line; returns its position.
    pub fn record(&self, line: impl Into<String>) -> usize {
        let mut lines = self.lines();
        lines.push(line.into());
        lines.len() - 1
    }

    /// Every line so far, oldest first.
    pub fn entries(&self) -> Vec<String> {
        self.lines().clone()
    }

    /// Where `line` first appears. Panics, showing the log, if it never
    /// does, so that an ordering assertion cannot pass by a missing call.
    pub fn first(&self, line: &str) -> usize {
        let lines = self.lines();
        lines
            .iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("{line:?} is not in the call log: {lines:#?}"))
    }

    /// How many times `line` appears.
    pub fn count(&self, line: &str) -> usize {
        self.lines().iter().filter(|l| *l == line).count()
    }

    /// Forget everything so far (after a test's setup).
    pub fn clear(&self) {
        self.lines().clear();
    }
}
