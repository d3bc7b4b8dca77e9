//! One test per case of every suite, for one store, with libtest's output and filters (`cargo test -- name`).

use std::sync::Arc;

use libtest_mimic::{Arguments, Conclusion, Failed, Trial};
use proptest::test_runner::{Config, TestRunner};
use tokio::runtime::Handle;

use futures_util::future::LocalBoxFuture;

use crate::http::TestApp;
use crate::support::{JournalOver, StoreUnderTest};
use crate::{
    Case, bad_inputs, conformance, http_suite, imports_http_suite, imports_suite, journal_suite, key_scopes_suite,
    positions_suite, public_stats_suite, rate_limits_suite, receipts_conformance, signal_log_http_suite,
    signal_log_suite, strategy_rules_suite, webhooks_conformance, webhooks_delivery, webhooks_http_suite,
};

/// Makes the store a case runs on (a fresh one, or a handle on a shared database).
pub type MakeStore = Arc<dyn Fn() -> StoreUnderTest + Send + Sync>;

/// Makes a store no other case shares (a fresh one, or a fresh database), with what keeps it alive until the case
/// ends: the outbox's cases claim every due delivery of their store.
pub type MakeIsolated =
    Arc<dyn Fn() -> LocalBoxFuture<'static, (StoreUnderTest, Box<dyn std::any::Any>)> + Send + Sync>;

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

/// Makes a suite's argument from a fresh store: the store itself, or an app serving it.
type Setup<A> = fn(StoreUnderTest) -> LocalBoxFuture<'static, A>;

/// One trial per case of `cases`, named `prefix::case`, each on its own argument made by `setup`.
fn suite<A: 'static>(
    prefix: &str,
    cases: Vec<Case<A>>,
    setup: Setup<A>,
    make: &MakeStore,
    runtime: &Handle,
) -> Vec<Trial> {
    cases
        .into_iter()
        .map(|case| {
            let (make, runtime) = (make.clone(), runtime.clone());
            Trial::test(format!("{prefix}::{}", case.name), move || {
                runtime.block_on(async {
                    let arg = setup(make()).await;
                    (case.run)(&arg).await;
                });
                Ok(())
            })
        })
        .collect()
}

fn the_store(store: StoreUnderTest) -> LocalBoxFuture<'static, StoreUnderTest> {
    Box::pin(async move { store })
}

fn an_app(store: StoreUnderTest) -> LocalBoxFuture<'static, TestApp> {
    Box::pin(async move { TestApp::spawn(store.http_journal()).await })
}

/// Every case of every suite as a trial on stores made by `make`, run on `runtime`.
pub fn trials(make: &MakeStore, runtime: &Handle) -> Vec<Trial> {
    let mut trials = suite("store", conformance::cases(), the_store, make, runtime);
    trials.extend(suite("store", receipts_conformance::cases(), the_store, make, runtime));
    trials.extend(suite("journal", journal_suite::cases(), the_store, make, runtime));
    trials.extend(suite("journal", positions_suite::cases(), the_store, make, runtime));
    trials.extend(suite("journal", key_scopes_suite::cases(), the_store, make, runtime));
    trials.extend(suite("journal", strategy_rules_suite::cases(), the_store, make, runtime));
    trials.extend(suite("journal", public_stats_suite::cases(), the_store, make, runtime));
    trials.extend(suite("http", rate_limits_suite::cases(), the_store, make, runtime));
    trials.extend(suite("journal", signal_log_suite::cases(), the_store, make, runtime));
    trials.extend(suite("journal", imports_suite::cases(), the_store, make, runtime));
    trials.extend(suite("http", http_suite::cases(), an_app, make, runtime));
    trials.extend(suite("http", signal_log_http_suite::cases(), an_app, make, runtime));
    trials.extend(suite("http", imports_http_suite::cases(), an_app, make, runtime));
    trials.extend(suite("http", webhooks_http_suite::cases(), an_app, make, runtime));
    for row in bad_inputs::bad_inputs() {
        let (make, runtime) = (make.clone(), runtime.clone());
        trials.push(Trial::test(format!("http::bad_input::{}", row.name), move || {
            runtime.block_on(async {
                let app = TestApp::spawn(make().http_journal()).await;
                bad_inputs::refused(&app, &row).await;
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

/// Every case that needs a store of its own, on stores made by `make`, run on `runtime`.
pub fn isolated_trials(make: &MakeIsolated, runtime: &Handle) -> Vec<Trial> {
    let cases = [("store", webhooks_conformance::cases()), ("journal", webhooks_delivery::cases())];
    cases
        .into_iter()
        .flat_map(|(prefix, cases)| cases.into_iter().map(move |case| (prefix, case)))
        .map(|(prefix, case)| {
            let (make, runtime) = (make.clone(), runtime.clone());
            Trial::test(format!("{prefix}::{}", case.name), move || {
                runtime.block_on(async {
                    let (store, _alive) = make().await;
                    (case.run)(&store).await;
                });
                Ok(())
            })
        })
        .collect()
}

/// Runs `trials` with the command line's arguments.
pub fn run(trials: Vec<Trial>) -> Conclusion {
    libtest_mimic::run(&Arguments::from_args(), trials)
}
