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

mod properties {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn random_sessions_keep_the_book_consistent(ops in quantarya_tests::journal_props::sessions(40)) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
            runtime.block_on(async {
                let store = super::memory_store().await;
                quantarya_tests::journal_props::run_session(&store, ops).await;
            });
        }
    }
}

mod http {
    async fn memory_journal() -> std::sync::Arc<dyn quantarya_ports::Journal> {
        quantarya_tests::http::memory_journal()
    }
    quantarya_tests::http_conformance!(memory_journal);
}
