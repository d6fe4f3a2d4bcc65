//! The order items are read in: best score first, ties by slot, sorted
//! lazily so that taking the top few of thousands of scored items costs
//! about one linear pass. Search and selection both read through it.

/// Scored items best first, sorted only as far as they are read: each
/// chunk (growing fourfold) is picked out with `select_nth_unstable_by`
/// and then sorted, so taking the top few of 20,000 costs a linear pass.
pub(super) struct BestFirst {
    items: Vec<(u32, f32, f32)>,
    pos: usize,
    ready: usize,
    chunk: usize,
}

impl BestFirst {
    pub(super) fn new(items: Vec<(u32, f32, f32)>, first_chunk: usize) -> Self {
        Self {
            items,
            pos: 0,
            ready: 0,
            chunk: first_chunk.max(8),
        }
    }
}

fn best_first(a: &(u32, f32, f32), b: &(u32, f32, f32)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

impl Iterator for BestFirst {
    type Item = (u32, f32, f32);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos == self.ready {
            let rest = &mut self.items[self.pos..];
            if rest.is_empty() {
                return None;
            }
            let take = self.chunk.min(rest.len());
            if take < rest.len() {
                rest.select_nth_unstable_by(take - 1, best_first);
            }
            rest[..take].sort_by(best_first);
            self.ready = self.pos + take;
            self.chunk = self.chunk.saturating_mul(4);
        }
        let item = self.items[self.pos];
        self.pos += 1;
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_first_yields_the_full_sort_order() {
        let items: Vec<(u32, f32, f32)> = (0..1_000u32)
            .map(|i| (i, ((i * 7919) % 1_009) as f32 / 7.0, 0.0))
            .collect();
        let mut sorted = items.clone();
        sorted.sort_by(best_first);
        let lazy: Vec<_> = BestFirst::new(items, 3).collect();
        assert_eq!(lazy, sorted);
        assert!(BestFirst::new(Vec::new(), 5).next().is_none());
    }
}
