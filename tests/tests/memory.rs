//! The store conformance suite and the journal suite, run on the in-memory store.

use std::sync::Arc;

use quantarya_adapter_memory::MemoryStore;
use quantarya_tests::support::StoreUnderTest;

async fn memory_store() -> StoreUnderTest {
    StoreUnderTest::of(Arc::new(MemoryStore::new()))
}

mod store {
    use super::memory_store;
    quantarya_tests::store_conformance!(memory_store);
}

mod journal {
    use super::memory_store;
    quantarya_tests::journal_conformance!(memory_store);
}
