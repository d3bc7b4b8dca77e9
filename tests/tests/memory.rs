//! Every suite on the in-memory store, a fresh store per case.

use std::process::ExitCode;
use std::sync::Arc;

use quantarya_adapter_memory::MemoryStore;
use quantarya_tests::runner::{self, MakeStore};
use quantarya_tests::support::StoreUnderTest;

fn main() -> ExitCode {
    let Some(runtime) = runner::runtime() else {
        return ExitCode::FAILURE;
    };
    let make: MakeStore = Arc::new(|| StoreUnderTest::of(Arc::new(MemoryStore::new())));
    runner::run(runner::trials(&make, runtime.handle())).exit_code()
}
