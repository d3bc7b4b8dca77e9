//! Every suite on the in-memory store, a fresh store per case.

use std::process::ExitCode;
use std::sync::Arc;

use quantarya_adapter_memory::MemoryStore;
use quantarya_tests::runner::{self, MakeStore};
use quantarya_tests::support::StoreUnderTest;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start a runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let make: MakeStore = Arc::new(|| StoreUnderTest::of(Arc::new(MemoryStore::new())));
    runner::run(runner::trials(&make, runtime.handle())).exit_code()
}
