//! Every suite on the PostgreSQL store, in a fresh database made for this run and dropped after it; plus what only
//! a durable store can show: a restart keeps every acknowledged trade, and an outage is a 503.

use std::process::ExitCode;
use std::sync::Arc;

use diesel_async::{AsyncConnection, RunQueryDsl};
use libtest_mimic::Trial;
use quantarya_adapter_postgres::{PgStore, PoolSettings};
use quantarya_adapter_sqlite::SqliteStore;
use quantarya_domain::uuid::Uuid;
use quantarya_domain::{LoggedBody, LoggedOutcome, SignalId, SignalLogEntry, StrategyId, Timestamp};
use quantarya_test_db::TestDatabase;
use quantarya_tests::copy_suite::{self, CopyEnd};
use quantarya_tests::runner::{self, MakeIsolated, MakeStore};
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
    let isolated: MakeIsolated = Arc::new(|| {
        Box::pin(async {
            let database = TestDatabase::create().await.unwrap_or_else(|e| panic!("a database of its own: {e}"));
            let store = PgStore::connect(database.url(), PoolSettings::default()).expect("a pool");
            (StoreUnderTest::of(Arc::new(store)), Box::new(database) as Box<dyn std::any::Any>)
        })
    });
    trials.extend(runner::isolated_trials(&isolated, runtime.handle()));
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
    let (handle, instances_url) = (runtime.handle().clone(), url.clone());
    trials.push(Trial::test("postgres::a_subscription_made_on_one_instance_hears_the_others_writes", move || {
        handle.block_on(quantarya_tests::instances::a_subscription_made_on_one_instance_hears_the_others_writes(
            &instances_url,
        ));
        Ok(())
    }));
    let handle = runtime.handle().clone();
    trials.push(Trial::test("postgres::an_unreadable_delivery_fails_alone", move || {
        handle.block_on(quantarya_tests::durability::an_unreadable_delivery_fails_alone());
        Ok(())
    }));
    let handle = runtime.handle().clone();
    trials.push(Trial::test("postgres::an_unreachable_database_is_a_503_never_a_500", move || {
        handle.block_on(quantarya_tests::durability::an_unreachable_database_is_a_503_never_a_500());
        Ok(())
    }));
    let (handle, instances_url) = (runtime.handle().clone(), url.clone());
    trials.push(Trial::test("postgres::a_signal_logged_on_one_instance_is_read_on_the_other", move || {
        handle
            .block_on(quantarya_tests::instances::a_signal_logged_on_one_instance_is_read_on_the_other(&instances_url));
        Ok(())
    }));
    let handle = runtime.handle().clone();
    trials.push(Trial::test("postgres::the_live_migration_reads_histories_as_the_domain_does", move || {
        handle.block_on(quantarya_tests::live_migration::the_live_migration_reads_histories_as_the_domain_does());
        Ok(())
    }));
    let handle = runtime.handle().clone();
    trials.push(Trial::test("postgres::the_pnl_migration_reads_positions_as_the_domain_does", move || {
        handle.block_on(quantarya_tests::pnl_migration::the_pnl_migration_reads_positions_as_the_domain_does());
        Ok(())
    }));
    let (handle, purge_url) = (runtime.handle().clone(), url.clone());
    trials.push(Trial::test("postgres::the_signal_log_writer_purges_the_excess_and_the_old", move || {
        handle.block_on(the_signal_log_writer_purges_the_excess_and_the_old(&purge_url));
        Ok(())
    }));
    let handle = runtime.handle().clone();
    trials.push(Trial::test("postgres::three_instances_decide_every_race_as_one_does", move || {
        handle.block_on(quantarya_tests::scale_out::three_instances_decide_every_race_as_one_does());
        Ok(())
    }));
    let handle = runtime.handle().clone();
    trials.push(Trial::test("postgres::a_sqlite_journal_is_copied_to_postgres_and_back_row_for_row", move || {
        handle.block_on(a_sqlite_journal_is_copied_to_postgres_and_back_row_for_row());
        Ok(())
    }));
    let conclusion = runner::run(trials);
    if let Err(error) = runtime.block_on(database.drop_database()) {
        eprintln!("{error}");
        return ExitCode::FAILURE;
    }
    conclusion.exit_code()
}

/// `quantarya copy`'s way up and back: a SQLite journal into a PostgreSQL database of its own, then into a second
/// SQLite file, every row compared at each step.
async fn a_sqlite_journal_is_copied_to_postgres_and_back_row_for_row() {
    let directory = tempfile::tempdir().expect("a directory");
    let file = |name: &str| {
        let store = SqliteStore::open(directory.path().join(name)).expect("a fresh SQLite file opens");
        CopyEnd::of(Arc::new(store))
    };
    let database = TestDatabase::create().await.unwrap_or_else(|e| panic!("a database of its own: {e}"));
    let postgres = CopyEnd::of(Arc::new(PgStore::connect(database.url(), PoolSettings::default()).expect("a pool")));
    copy_suite::a_journal_is_copied_row_for_row(file("source.db"), postgres, file("back.db")).await;
    database.drop_database().await.expect("dropped");
}

/// How many rows the signal log holds for `strategy`, counted in the database.
async fn logged_rows(url: &str, strategy: StrategyId) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = diesel_async::AsyncPgConnection::establish(url).await.expect("a connection");
    let count: Count = diesel::sql_query("SELECT count(*) AS n FROM signal_log WHERE strategy_id = $1")
        .bind::<diesel::sql_types::Uuid, _>(strategy.as_uuid())
        .get_result(&mut conn)
        .await
        .expect("a count");
    count.n
}

fn logged(strategy: StrategyId, received_at: Timestamp) -> SignalLogEntry {
    SignalLogEntry {
        id: SignalId::from_uuid(Uuid::now_v7()),
        strategy_id: strategy,
        received_at,
        event: Some("entry".into()),
        outcome: LoggedOutcome { status: 201, message: "Trade created".into(), ..LoggedOutcome::default() },
        trade_id: None,
        repeat: false,
        api_key_id: None,
        body: LoggedBody::new("{}"),
    }
}

/// A store that starts sweeps what is past the week at its first batch; a strategy that gains many entries has its
/// rows beyond the thousand newest deleted, not only hidden.
async fn the_signal_log_writer_purges_the_excess_and_the_old(url: &str) {
    let store = StoreUnderTest::of(Arc::new(PgStore::connect(url, PoolSettings::default()).expect("a pool")));
    let (owner, strategy) = quantarya_tests::support::owner_with_strategy(&store).await;
    let now = quantarya_tests::support::now();
    let old = Timestamp::from_datetime(now.as_datetime() - SignalLogEntry::RETENTION - chrono::TimeDelta::hours(1));
    store.signals.record_signal(&owner.id, logged(strategy.id, old)).expect("queued");
    store.signals.record_signal(&owner.id, logged(strategy.id, now)).expect("queued");
    store.signals.flush_signals().await.expect("written");
    assert_eq!(logged_rows(url, strategy.id).await, 1, "the first batch's sweep took the entry past the week");

    let sent = 3 * SignalLogEntry::KEPT_PER_STRATEGY;
    for _ in 0..sent {
        store.signals.record_signal(&owner.id, logged(strategy.id, quantarya_tests::support::now())).expect("queued");
    }
    store.signals.flush_signals().await.expect("written");
    let rows = logged_rows(url, strategy.id).await;
    let bound =
        i64::try_from(SignalLogEntry::KEPT_PER_STRATEGY + SignalLogEntry::KEPT_PER_STRATEGY / 2).expect("small");
    assert!(rows >= 1000 && rows < bound, "{rows} rows after {sent} entries");
}
