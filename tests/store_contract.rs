//! The store contract suite on the embedded store. The DynamoDB adapter runs
//! the same cases with its own factory.

use hearth::adapters::embedded::EmbeddedStore;
use hearth::ports::ConversationStore;
use std::sync::Arc;

async fn embedded() -> (Arc<dyn ConversationStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(dir.path()).expect("open");
    (Arc::new(store), dir)
}

mod embedded_store {
    use super::embedded;
    hearth::conversation_store_contract!(embedded);
}

async fn embedded_memories() -> (Arc<dyn hearth::ports::MemoryStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(dir.path()).expect("open");
    (Arc::new(store), dir)
}

mod embedded_memory_store {
    use super::embedded_memories;
    hearth::memory_store_contract!(embedded_memories);
}
