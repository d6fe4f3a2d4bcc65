//! The embedded store's one paging loop. Every list and bounded read walks
//! a key range in its list's order (`.rev()` for newest first), keeps the
//! entries that belong to it, and stops after `limit`, saying whether
//! another one followed (what makes a `next_cursor`).

use super::unavailable;
use crate::ports::StoreError;
use redb::{AccessGuard, Key, StorageError, Value};

/// Up to `limit` items read from `entries` by `read` (`None`: the entry is
/// not in this list, such as a memory the filter leaves out), and whether
/// another item followed them.
pub(super) fn page_of<'a, K, V, T>(
    entries: impl Iterator<Item = Result<(AccessGuard<'a, K>, AccessGuard<'a, V>), StorageError>>,
    limit: usize,
    mut read: impl FnMut(K::SelfType<'_>, V::SelfType<'_>) -> Result<Option<T>, StoreError>,
) -> Result<(Vec<T>, bool), StoreError>
where
    K: Key + 'static,
    V: Value + 'static,
{
    let mut items = Vec::new();
    for entry in entries {
        let (k, v) = entry.map_err(unavailable)?;
        let Some(item) = read(k.value(), v.value())? else {
            continue;
        };
        if items.len() == limit {
            return Ok((items, true));
        }
        items.push(item);
    }
    Ok((items, false))
}
