//! The PostgreSQL migration that keeps a trade's realized P&L in its position document (so statistics read it
//! without the fills) worked it out for the trades written before it by the domain's rule. This writes sized trades
//! of every shape (long and short, scale-ins, partial exits, fees, a close without a price, an open trade) through
//! the service, takes the value out of their documents, runs the migration's script again, and checks that the
//! statistics read the same figures as before.

use std::sync::Arc;

use quantarya_adapter_postgres::{PgStore, PoolSettings};
use quantarya_domain::{CloseTrade, Fees, NewTrade, PointValue, Price, Quantity, Side, SignalExit};
use quantarya_ports::{Journal, Signal, SignalLocator};
use quantarya_test_db::TestDatabase;

use crate::journal_suite::trader_in;
use crate::support::{StoreUnderTest, entry};

/// The migration's script, as it ran on deployed databases.
const MIGRATION: &str =
    include_str!("../../crates/adapter-postgres/migrations/2026-12-06-000002_position_realized_pnl/up.sql");

/// Sized trades of every shape; the migration run again over them gives the statistics they had.
pub async fn the_pnl_migration_reads_positions_as_the_domain_does() {
    let database = TestDatabase::create().await.expect("a fresh database");
    let url = database.url().to_owned();
    let store = StoreUnderTest::of(Arc::new(PgStore::connect(&url, PoolSettings::default()).expect("a pool")));
    let t = trader_in(&store).await;
    let (j, key, jwt, book) = (&t.journal, &t.key, &t.jwt, t.strategy);
    let price = |p: f64| Some(Price::new(p).expect("valid"));
    let quantity = |q: f64| Some(Quantity::new(q).expect("valid"));
    let fees = |f: f64| Some(Fees::new(f).expect("valid"));
    let sized = |reference: &str, side, at: f64, size: f64| NewTrade {
        entry: price(at),
        quantity: quantity(size),
        point_value: Some(PointValue::new(50.0).expect("valid")),
        fees: fees(1.25),
        ..entry("ES1!", side, Some(reference))
    };
    let locator = |reference: &str| SignalLocator {
        external_reference: entry("ES1!", Side::Buy, Some(reference)).external_reference,
        symbol: None,
    };
    let exit = |reference: &str, at: f64, size: Option<f64>| Signal::Exit {
        locator: locator(reference),
        exit: SignalExit {
            close_price: price(at),
            quantity: size.and_then(quantity),
            fees: fees(0.75),
            ..Default::default()
        },
    };
    // A long scaled into and taken off in two parts.
    j.submit_signal(key, book, Signal::Entry(sized("a", Side::Buy, 5000.1, 2.0)), None).await.expect("entry");
    j.submit_signal(key, book, Signal::Entry(sized("a", Side::Buy, 5010.35, 1.5)), None).await.expect("add");
    j.submit_signal(key, book, exit("a", 5020.2, Some(1.0)), None).await.expect("partial");
    j.submit_signal(key, book, exit("a", 4990.05, None), None).await.expect("exit");
    // A short closed at once.
    j.submit_signal(key, book, Signal::Entry(sized("b", Side::Sell, 4321.5, 0.3)), None).await.expect("entry");
    j.submit_signal(key, book, exit("b", 4300.25, None), None).await.expect("exit");
    // A long closed by hand without a price: closed, no P&L.
    let opened = j.submit_signal(key, book, Signal::Entry(sized("c", Side::Buy, 10.0, 7.0)), None).await;
    let opened = opened.expect("entry").trade;
    j.close_trade(jwt, book, opened.id, CloseTrade::default()).await.expect("closed without a price");
    // One left open, partly taken off.
    j.submit_signal(key, book, Signal::Entry(sized("d", Side::Buy, 99.5, 4.0)), None).await.expect("entry");
    j.submit_signal(key, book, exit("d", 101.0, Some(1.0)), None).await.expect("partial");

    let before = j.strategy_stats(jwt, book, Default::default()).await.expect("stats");
    assert_eq!((before.all.overall.sized_count, before.all.overall.count), (2, 2), "{before:?}");
    let strip = format!("UPDATE trades SET position = position - 'realized_pnl'; {MIGRATION}");
    quantarya_test_db::run_sql(&url, &strip).await.expect("the migration runs again");
    let after = j.strategy_stats(jwt, book, Default::default()).await.expect("stats");
    assert_eq!(after.all.overall, before.all.overall, "the migration's P&L is the domain's");
    assert_eq!(after.all.pnl_curve, before.all.pnl_curve);
    drop(store);
    database.drop_database().await.expect("dropped");
}
