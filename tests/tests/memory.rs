//! Every suite on the in-memory store, a fresh store per case.

use std::process::ExitCode;
use std::sync::Arc;

use quantarya_adapter_memory::MemoryStore;
use quantarya_tests::runner::{self, MakeIsolated, MakeStore};
use quantarya_tests::support::StoreUnderTest;

fn main() -> ExitCode {
    let Some(runtime) = runner::runtime() else {
        return ExitCode::FAILURE;
    };
    let make: MakeStore = Arc::new(|| StoreUnderTest::of(Arc::new(MemoryStore::new())));
    let isolated: MakeIsolated = Arc::new(|| {
        Box::pin(async { (StoreUnderTest::of(Arc::new(MemoryStore::new())), Box::new(()) as Box<dyn std::any::Any>) })
    });
    let mut trials = runner::trials(&make, runtime.handle());
    trials.extend(runner::isolated_trials(&isolated, runtime.handle()));
    runner::run(trials).exit_code()
}
