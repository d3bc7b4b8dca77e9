//! The PostgreSQL migration that added `trades.live` filled it for the trades written before it, from their history,
//! by the rules the domain applies on every write (`live_from_history`). This writes trades with every kind of history
//! that decides liveness through the service, drops the column, runs the migration's script again over those
//! histories, and checks that it says of every trade what the domain said.

use std::sync::Arc;

use quantarya_adapter_postgres::{PgStore, PoolSettings};
use quantarya_domain::{
    CloseTrade, Fees, LIVE_WINDOW_SECONDS, LevelsChange, NewTrade, Price, Side, SignalExit, Status, Tags, Timestamp,
    Trade, TradePatch, live_from_history,
};
use quantarya_ports::{Journal, Signal, SignalLocator};
use quantarya_test_db::TestDatabase;

use crate::journal_suite::trader_in;
use crate::support::{StoreUnderTest, entry, minutes_ago, now};

/// The migration's script, as it ran on deployed databases.
const MIGRATION: &str = include_str!("../../crates/adapter-postgres/migrations/2026-12-06-000001_live_trades/up.sql");

fn price(p: f64) -> Price {
    Price::new(p).expect("valid")
}

/// Histories of every kind that decides liveness, written in a fresh database; the migration run again over them
/// marks live exactly the trades the domain marked live.
pub async fn the_live_migration_reads_histories_as_the_domain_does() {
    let database = TestDatabase::create().await.expect("a fresh database");
    let url = database.url().to_owned();
    let store = StoreUnderTest::of(Arc::new(PgStore::connect(&url, PoolSettings::default()).expect("a pool")));
    let t = trader_in(&store).await;
    let (j, key, jwt, book) = (&t.journal, &t.key, &t.jwt, t.strategy);
    let by_reference = |r: &str| SignalLocator {
        external_reference: entry("ES1!", Side::Buy, Some(r)).external_reference,
        symbol: None,
    };
    let exit = |r: &str| Signal::Exit {
        locator: by_reference(r),
        exit: SignalExit { close_price: Some(price(110.0)), ..Default::default() },
    };
    let mut trades: Vec<(&str, Trade)> = Vec::new();

    // Live: sent as it happened, closed by its exit signal.
    j.submit_signal(key, book, Signal::Entry(entry("ES1!", Side::Buy, Some("live"))), None).await.expect("entry");
    trades.push(("live", j.submit_signal(key, book, exit("live"), None).await.expect("exit").trade));
    // Sent 30 minutes after its signal time.
    let mut late = entry("ES1!", Side::Buy, Some("late"));
    late.signal_time = Some(minutes_ago(30));
    trades.push(("late", j.submit_signal(key, book, Signal::Entry(late), None).await.expect("entry").trade));
    // Sent 4 minutes after: still live.
    let mut prompt = entry("ES1!", Side::Buy, Some("prompt"));
    prompt.signal_time = Some(minutes_ago(4));
    trades.push(("prompt", j.submit_signal(key, book, Signal::Entry(prompt), None).await.expect("entry").trade));
    // Entered by hand.
    let by_hand = entry("ES1!", Side::Buy, None);
    trades.push(("by hand", j.submit_signal(jwt, book, Signal::Entry(by_hand), None).await.expect("entry").trade));
    // Back-filled through a key.
    let backfill = NewTrade {
        status: Status::Closed,
        signal_time: Some(minutes_ago(90)),
        closed_at: Some(minutes_ago(60)),
        close_price: Some(price(105.0)),
        ..entry("ES1!", Side::Buy, None)
    };
    trades.push(("back-filled", j.submit_signal(key, book, Signal::Entry(backfill), None).await.expect("fill").trade));
    // Live, closed, then retagged in review: still live.
    j.submit_signal(key, book, Signal::Entry(entry("ES1!", Side::Buy, Some("retag"))), None).await.expect("entry");
    let closed = j.submit_signal(key, book, exit("retag"), None).await.expect("exit").trade;
    let retag = TradePatch { tags: Some(Tags::parse(&["fomo"]).expect("valid")), ..Default::default() };
    trades.push(("retagged", j.patch_trade(jwt, book, closed.id, retag).await.expect("retag")));
    // Live, closed, then its close price corrected.
    j.submit_signal(key, book, Signal::Entry(entry("ES1!", Side::Buy, Some("fixed"))), None).await.expect("entry");
    let closed = j.submit_signal(key, book, exit("fixed"), None).await.expect("exit").trade;
    let fix = TradePatch { close_price: Some(price(120.0)), ..Default::default() };
    trades.push(("corrected", j.patch_trade(jwt, book, closed.id, fix).await.expect("correction")));
    // Live, its entry price rewritten by an update.
    j.submit_signal(key, book, Signal::Entry(entry("ES1!", Side::Buy, Some("moved"))), None).await.expect("entry");
    let moved = LevelsChange { entry: Some(price(99.0)), ..Default::default() };
    let update = Signal::Update { locator: by_reference("moved"), levels: moved };
    trades.push(("entry rewritten", j.submit_signal(key, book, update, None).await.expect("update").trade));
    // Live, sent without a price, the price set by the next update: a first entry price, still live.
    let unpriced = NewTrade { entry: None, ..entry("ES1!", Side::Buy, Some("priced")) };
    j.submit_signal(key, book, Signal::Entry(unpriced), None).await.expect("entry");
    let priced = LevelsChange { entry: Some(price(101.0)), ..Default::default() };
    let update = Signal::Update { locator: by_reference("priced"), levels: priced };
    trades.push(("priced later", j.submit_signal(key, book, update, None).await.expect("update").trade));
    // Live, its fees total corrected while open.
    let open = j.submit_signal(key, book, Signal::Entry(entry("ES1!", Side::Buy, Some("fees"))), None).await;
    let fees = TradePatch { fees: Some(Fees::new(3.0).expect("valid")), ..Default::default() };
    let open = open.expect("entry").trade;
    trades.push(("fees corrected", j.patch_trade(jwt, book, open.id, fees).await.expect("fees")));
    // Live, closed by hand through the close route.
    let open = j.submit_signal(key, book, Signal::Entry(entry("ES1!", Side::Buy, Some("hand"))), None).await;
    let open = open.expect("entry").trade;
    let close = CloseTrade { close_price: Some(price(104.0)), ..Default::default() };
    trades.push(("closed by hand", j.close_trade(jwt, book, open.id, close).await.expect("closed")));
    // Live, an excursion reported by hand.
    let open = j.submit_signal(key, book, Signal::Entry(entry("ES1!", Side::Buy, Some("mfe"))), None).await;
    let open = open.expect("entry").trade;
    let reported = TradePatch { max_favorable_price: Some(Some(price(130.0))), ..Default::default() };
    trades.push(("excursion by hand", j.patch_trade(jwt, book, open.id, reported).await.expect("excursion")));
    // Live, an excursion reported by the integration.
    let levels = LevelsChange { max_favorable_price: Some(price(103.0)), ..Default::default() };
    let update = Signal::Update { locator: by_reference("x-key"), levels };
    j.submit_signal(key, book, Signal::Entry(entry("ES1!", Side::Buy, Some("x-key"))), None).await.expect("entry");
    trades.push(("excursion by key", j.submit_signal(key, book, update, None).await.expect("update").trade));
    // Opened at the edge of the window: its exit, dated at the opening, arrives more than 5 minutes after its date;
    // and a first stop sent more than 5 minutes after the opening.
    let edge = Timestamp::from_datetime(now().as_datetime() - chrono::TimeDelta::seconds(LIVE_WINDOW_SECONDS - 1));
    let late_exit = NewTrade { signal_time: Some(edge), ..entry("ES1!", Side::Buy, Some("late-exit")) };
    j.submit_signal(key, book, Signal::Entry(late_exit), None).await.expect("entry");
    let late_stop =
        NewTrade { signal_time: Some(edge), stop_loss: None, ..entry("ES1!", Side::Buy, Some("late-stop")) };
    j.submit_signal(key, book, Signal::Entry(late_stop), None).await.expect("entry");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let dated = SignalExit { close_price: Some(price(111.0)), signal_time: Some(edge), ..Default::default() };
    let exit_dated = Signal::Exit { locator: by_reference("late-exit"), exit: dated };
    trades.push(("exit dated back", j.submit_signal(key, book, exit_dated, None).await.expect("exit").trade));
    let stop = LevelsChange { stop_loss: Some(Some(price(90.0))), ..Default::default() };
    let update = Signal::Update { locator: by_reference("late-stop"), levels: stop };
    trades.push(("first stop late", j.submit_signal(key, book, update, None).await.expect("update").trade));

    let expected = [
        ("live", true),
        ("late", false),
        ("prompt", true),
        ("by hand", false),
        ("back-filled", false),
        ("retagged", true),
        ("corrected", false),
        ("entry rewritten", false),
        ("priced later", true),
        ("fees corrected", false),
        ("closed by hand", false),
        ("excursion by hand", false),
        ("excursion by key", true),
        ("exit dated back", false),
        ("first stop late", false),
    ];
    for ((name, trade), (wanted_name, wanted)) in trades.iter().zip(expected) {
        assert_eq!((*name, trade.live), (wanted_name, wanted), "the domain's verdict");
        let history = j.trade_history(jwt, book, trade.id).await.expect("history");
        assert_eq!(live_from_history(&history), trade.live, "{name}: the flag is what the history says");
    }

    let again = format!(
        "ALTER TABLE trades DROP CONSTRAINT trades_live_only_by_api_key; ALTER TABLE trades DROP COLUMN live; {MIGRATION}"
    );
    quantarya_test_db::run_sql(&url, &again).await.expect("the migration runs again");
    for (name, trade) in &trades {
        let read = j.get_trade(jwt, book, trade.id).await.expect("read back");
        assert_eq!(read.live, trade.live, "{name}: the migration decided otherwise than the domain");
    }
    drop(store);
    database.drop_database().await.expect("dropped");
}
