//! One test per case of every suite, for one store, with libtest's output and filters (`cargo test -- name`).

use std::sync::Arc;

use libtest_mimic::{Arguments, Conclusion, Failed, Trial};
use proptest::test_runner::{Config, TestRunner};
use tokio::runtime::Handle;

use crate::http::TestApp;
use crate::support::{JournalOver, StoreUnderTest};
use crate::{HTTP_CASES, JOURNAL_CASES, STORE_CASES, run_http_case, run_journal_case, run_store_case};

/// Makes the store a case runs on (a fresh one, or a handle on a shared database).
pub type MakeStore = Arc<dyn Fn() -> StoreUnderTest + Send + Sync>;

/// How many random sessions the property test plays per store.
pub const SESSIONS: u32 = 96;

/// The multi-threaded runtime the cases run on (four workers), or `None` after saying why not.
pub fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build() {
        Ok(runtime) => Some(runtime),
        Err(error) => {
            eprintln!("cannot start a runtime: {error}");
            None
        }
    }
}

/// Every case of every suite as a trial on stores made by `make`, run on `runtime`.
pub fn trials(make: &MakeStore, runtime: &Handle) -> Vec<Trial> {
    let mut trials = Vec::new();
    for &name in STORE_CASES {
        let (make, runtime) = (make.clone(), runtime.clone());
        trials.push(Trial::test(format!("store::{name}"), move || {
            runtime.block_on(run_store_case(name, &make()));
            Ok(())
        }));
    }
    for &name in JOURNAL_CASES {
        let (make, runtime) = (make.clone(), runtime.clone());
        trials.push(Trial::test(format!("journal::{name}"), move || {
            runtime.block_on(run_journal_case(name, &make()));
            Ok(())
        }));
    }
    for &name in HTTP_CASES {
        let (make, runtime) = (make.clone(), runtime.clone());
        trials.push(Trial::test(format!("http::{name}"), move || {
            runtime.block_on(async {
                let app = TestApp::spawn(make().http_journal()).await;
                run_http_case(name, &app).await;
            });
            Ok(())
        }));
    }
    let (make, runtime) = (make.clone(), runtime.clone());
    trials.push(Trial::test("properties::random_sessions_keep_the_book_consistent", move || {
        let mut runner = TestRunner::new(Config { cases: SESSIONS, failure_persistence: None, ..Config::default() });
        runner
            .run(&crate::journal_props::sessions(40), |ops| {
                runtime.block_on(crate::journal_props::run_session(&make(), ops));
                Ok(())
            })
            .map_err(|error| Failed::from(error.to_string()))
    }));
    trials
}

/// Runs `trials` with the command line's arguments.
pub fn run(trials: Vec<Trial>) -> Conclusion {
    libtest_mimic::run(&Arguments::from_args(), trials)
}
