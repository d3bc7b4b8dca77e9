//! Every suite on the PostgreSQL store, in a fresh database made for this run and dropped after it; plus what only
//! a durable store can show: a restart keeps every acknowledged trade, and an outage is a 503.

use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::Trial;
use quantarya_adapter_postgres::{PgStore, PoolSettings};
use quantarya_test_db::TestDatabase;
use quantarya_tests::runner::{self, MakeStore};
use quantarya_tests::support::StoreUnderTest;

fn main() -> ExitCode {
    let Some(runtime) = runner::runtime() else {
        return ExitCode::FAILURE;
    };
    let database = match runtime.block_on(TestDatabase::create()) {
        Ok(database) => database,
        Err(error) => {
            eprintln!("the PostgreSQL suites cannot run: {error}");
            return ExitCode::FAILURE;
        }
    };
    let url = database.url().to_owned();
    // Connections are driven on this runtime, which outlives every test.
    let _entered = runtime.enter();
    let store = match PgStore::connect(&url, PoolSettings::default()) {
        Ok(store) => Arc::new(store),
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let make: MakeStore = Arc::new(move || StoreUnderTest::of(store.clone()));
    let mut trials = runner::trials(&make, runtime.handle());
    let handle = runtime.handle().clone();
    let restart_url = url.clone();
    trials.push(Trial::test("postgres::a_restart_keeps_every_acknowledged_trade", move || {
        handle.block_on(quantarya_tests::durability::a_restart_keeps_every_acknowledged_trade(&restart_url));
        Ok(())
    }));
    let (handle, instances_url) = (runtime.handle().clone(), url.clone());
    trials.push(Trial::test("postgres::two_instances_decide_racing_repeats_once", move || {
        handle.block_on(quantarya_tests::instances::two_instances_decide_racing_repeats_once(&instances_url));
        Ok(())
    }));
    let (handle, instances_url) = (runtime.handle().clone(), url.clone());
    trials.push(Trial::test("postgres::a_key_revoked_on_one_instance_is_refused_by_the_other", move || {
        handle.block_on(quantarya_tests::instances::a_key_revoked_on_one_instance_is_refused_by_the_other(
            &instances_url,
        ));
        Ok(())
    }));
    let (handle, instances_url) = (runtime.handle().clone(), url.clone());
    trials.push(Trial::test("postgres::a_key_use_is_recorded_off_the_request_path", move || {
        handle.block_on(quantarya_tests::instances::a_key_use_is_recorded_off_the_request_path(&instances_url));
        Ok(())
    }));
    let handle = runtime.handle().clone();
    trials.push(Trial::test("postgres::an_unreachable_database_is_a_503_never_a_500", move || {
        handle.block_on(quantarya_tests::durability::an_unreachable_database_is_a_503_never_a_500());
        Ok(())
    }));
    let conclusion = runner::run(trials);
    if let Err(error) = runtime.block_on(database.drop_database()) {
        eprintln!("{error}");
        return ExitCode::FAILURE;
    }
    conclusion.exit_code()
}
