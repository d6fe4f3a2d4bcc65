//! A snapshot of a person's index: one put per item it holds, as of one
//! log entry. The stores keep the newest one and drop the log entries it
//! covers, so a cold process loads the snapshot and replays only what came
//! after it, however long the person's history (docs/data-model.md).
//! Stored in chunks cut as log entries are ([`log_chunks`]), so each fits a
//! DynamoDB item; vectors stay int8 as the log has them.

use super::index::Index;
use super::log::{IndexOp, log_chunks};

/// The person's index as of log entry `through`, of the log `generation`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSnapshot {
    pub generation: u64,
    pub through: u64,
    pub ops: Vec<IndexOp>,
}

impl IndexSnapshot {
    /// The snapshot of a warm index; `None` before it has applied an entry
    /// of a known log.
    pub fn of(index: &Index) -> Option<IndexSnapshot> {
        let generation = index.generation().filter(|g| *g != 0)?;
        (index.through() > 0).then(|| IndexSnapshot {
            generation,
            through: index.through(),
            ops: index.snapshot_ops(),
        })
    }

    /// The index it holds, as if built from the log up to `through`.
    pub fn into_index(self) -> Index {
        let mut index = Index::new();
        index.apply(self.through, &self.ops);
        index.set_generation(self.generation);
        index
    }

    /// The ops as stored chunks (JSON arrays of at most
    /// [`MAX_ENTRY_BYTES`](super::MAX_ENTRY_BYTES) each).
    pub fn chunks(&self) -> Result<Vec<String>, serde_json::Error> {
        log_chunks(&self.ops)
    }

    /// A snapshot read back from its stored chunks, in order.
    pub fn from_chunks<'a>(
        generation: u64,
        through: u64,
        chunks: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<IndexSnapshot, serde_json::Error> {
        let mut ops = Vec::new();
        for chunk in chunks {
            ops.extend(serde_json::from_slice::<Vec<IndexOp>>(chunk)?);
        }
        Ok(IndexSnapshot {
            generation,
            through,
            ops,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::memory::Category;
    use crate::domain::retrieval::Query;
    use crate::domain::retrieval::fixtures::*;
    use crate::domain::route::Route;

    fn keys_and_texts(index: &Index) -> Vec<(String, String)> {
        index.docs().map(|d| (d.key(), d.text.clone())).collect()
    }

    #[test]
    fn a_snapshot_rebuilds_the_index_it_was_taken_from() {
        let mut index = Index::new();
        index.set_generation(7);
        assert_eq!(IndexSnapshot::of(&index), None, "nothing applied yet");
        for i in 0..30u64 {
            let text = format!("Ran {i}k in the park by the river");
            index.apply(
                i + 1,
                &[IndexOp::Put(memory(
                    &format!("m{}", i % 10),
                    Category::Progress,
                    5,
                    &text,
                    i as i64,
                ))],
            );
        }
        index.apply(
            31,
            &[IndexOp::Remove {
                key: "memory:m3".into(),
            }],
        );
        let snapshot = IndexSnapshot::of(&index).unwrap();
        assert_eq!((snapshot.generation, snapshot.through), (7, 31));
        assert_eq!(snapshot.ops.len(), 9, "one put per item held, no removes");
        let chunks = snapshot.chunks().unwrap();
        let back = IndexSnapshot::from_chunks(7, 31, chunks.iter().map(|c| c.as_bytes())).unwrap();
        assert_eq!(back, snapshot);
        let rebuilt = back.into_index();
        assert_eq!((rebuilt.through(), rebuilt.generation()), (31, Some(7)));
        assert_eq!(keys_and_texts(&rebuilt), keys_and_texts(&index));
        let q = Query {
            text: "park river",
            vector: None,
            route: Route::Support,
            now: now(),
        };
        let hits =
            |i: &Index| -> Vec<String> { i.search(&q, 20).iter().map(|h| h.doc.key()).collect() };
        assert_eq!(hits(&rebuilt), hits(&index));
    }
}
