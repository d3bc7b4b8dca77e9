//! `GET /strategies/{id}/stats` over a strategy with 100 000 closed trades, on PostgreSQL (streamed from the
//! database) and, for comparison, on the in-memory store: the real server, a real client.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use quantarya_adapter_memory::MemoryStore;
use quantarya_adapter_postgres::{PgStore, PoolSettings};
use quantarya_domain::{CloseTrade, CredentialKind, Outcome, Price, Side, TradeCommand};
use quantarya_test_db::TestDatabase;
use quantarya_tests::http::TestApp;
use quantarya_tests::support::{
    JournalOver, StoreUnderTest, entry, minutes_ago, now, opened, owner_with_strategy, stamp,
};
use reqwest::Method;

const TRADES: i64 = 100_000;

/// Fills the memory store with the same number of closed trades, through the store port.
async fn seed_memory(store: &StoreUnderTest, book: &quantarya_domain::Strategy) {
    for i in 0..TRADES {
        let mut new = entry("EURUSD", if i % 3 == 0 { Side::Sell } else { Side::Buy }, None);
        new.symbol =
            quantarya_domain::Symbol::parse(["EURUSD", "GBPUSD", "BTCUSD", "ES1!"][(i % 4) as usize]).expect("valid");
        let (trade, event) = opened(book, new, Some(minutes_ago(TRADES + 10 - i)));
        store.trades.insert_trade(&trade, &event, None).await.expect("insert");
        let close = CloseTrade {
            close_price: Some(Price::new(100.0 * (1.0 + ((i * 7919) % 400 - 190) as f64 / 10_000.0)).expect("valid")),
            closed_at: Some(now()),
            ..Default::default()
        };
        match trade.apply(TradeCommand::Close(close), stamp(CredentialKind::User)).expect("closes") {
            Outcome::Changed(t) => store.trades.update_trade(&t.trade, &t.event, None).await.expect("close"),
            Outcome::Unchanged => panic!("closing an open trade changes it"),
        }
    }
}

fn stats_endpoint(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let database = runtime.block_on(TestDatabase::create()).unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("stats_endpoint_100k_trades");
    group.sample_size(10);

    let _entered = runtime.enter();
    let postgres =
        StoreUnderTest::of(Arc::new(PgStore::connect(database.url(), PoolSettings::default()).expect("pool")));
    let memory = StoreUnderTest::of(Arc::new(MemoryStore::new()));
    for (name, store) in [("postgres", postgres), ("memory", memory)] {
        let (app, token, path) = runtime.block_on(async {
            let (owner, book) = owner_with_strategy(&store).await;
            if name == "postgres" {
                quantarya_tests::support::seed_closed_trades(database.url(), &book, TRADES).await;
            } else {
                seed_memory(&store, &book).await;
            }
            let app = TestApp::spawn(store.http_journal()).await;
            let token = app.token(owner.id.as_str());
            (app, token, format!("/strategies/{}/stats", book.id))
        });
        let first = runtime.block_on(app.call(Method::GET, &path, Some(&token), None));
        assert_eq!(first.status, reqwest::StatusCode::OK, "{first:?}");
        assert_eq!(first.data()["overall"]["count"], serde_json::json!(TRADES));
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(app.call(Method::GET, &path, Some(&token), None)));
        });
    }
    group.finish();
    drop(_entered);
    runtime.block_on(database.drop_database()).unwrap_or_else(|e| panic!("{e}"));
}

criterion_group!(benches, stats_endpoint);
criterion_main!(benches);
