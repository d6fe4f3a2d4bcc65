//! The store contract suite on the in-memory fake (`hearth::testing`), so
//! that the use-case tests run on a store that behaves as the real ones do.
//! Every case of every suite runs; none is skipped (the fake holds no
//! durable state, and no case needs any).

use hearth::testing::{CallLog, FakeStore};
use std::sync::Arc;

/// No guard to keep: the store's state lives as long as the store.
async fn fake() -> (Arc<FakeStore>, ()) {
    (Arc::new(FakeStore::new(&CallLog::new())), ())
}

async fn conversations() -> (Arc<dyn hearth::ports::ConversationStore>, ()) {
    let (store, guard) = fake().await;
    (store, guard)
}

async fn memories() -> (Arc<dyn hearth::ports::MemoryStore>, ()) {
    let (store, guard) = fake().await;
    (store, guard)
}

mod fake_conversation_store {
    use super::conversations;
    hearth::conversation_store_contract!(conversations);
}

mod fake_memory_store {
    use super::memories;
    hearth::memory_store_contract!(memories);
}

mod fake_personal_data {
    use super::fake;
    hearth::personal_data_contract!(fake);
}

mod fake_safety_reports {
    use super::fake;
    hearth::safety_reports_contract!(fake);
}
