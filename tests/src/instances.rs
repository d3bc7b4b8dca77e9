//! Two service instances over one PostgreSQL database, as a deployment runs them: racing repeats of one signal are
//! decided once, whichever instance each request reaches.

use std::sync::Arc;

use quantarya_adapter_postgres::{PgStore, PoolSettings};
use quantarya_domain::{BodyHash, IdempotencyKey, Price, Side};
use quantarya_ports::{Journal, JournalError, RefusedKind, Signal, SignalEffect, SignalIdentity, TradeQuery};
use tokio::task::JoinSet;

use crate::journal_suite::trader_in;
use crate::support::{JournalOver, StoreUnderTest, entry};

fn instance(url: &str) -> Arc<dyn Journal> {
    let store = StoreUnderTest::of(Arc::new(PgStore::connect(url, PoolSettings::default()).expect("a pool")));
    Arc::new(store.journal())
}

/// Sixteen identical requests (no key: recognised by their body) sent at once to two instances make one trade,
/// every other request answered with it; eight requests under one `Idempotency-Key` with different bodies make one
/// trade, every other one refused as a reuse of the key.
pub async fn two_instances_decide_racing_repeats_once(url: &str) {
    let instances = [instance(url), instance(url)];
    let trader =
        trader_in(&StoreUnderTest::of(Arc::new(PgStore::connect(url, PoolSettings::default()).expect("a pool")))).await;
    let principal = trader.key.clone();
    let book = trader.strategy;

    let body = BodyHash::from_bytes([3; 32]);
    let mut tasks = JoinSet::new();
    for i in 0..16 {
        let (journal, principal) = (instances[i % 2].clone(), principal.clone());
        let signal = Signal::Entry(entry("EURUSD", Side::Buy, Some("racer")));
        let identity = SignalIdentity { key: None, body };
        tasks.spawn(async move { journal.submit_signal(&principal, book, signal, Some(identity)).await });
    }
    let outcomes: Vec<_> = tasks.join_all().await.into_iter().map(|r| r.expect("every racer is answered")).collect();
    assert_eq!(outcomes.iter().filter(|o| o.effect == SignalEffect::Created).count(), 1, "{outcomes:?}");
    let winner = outcomes.iter().find(|o| o.effect == SignalEffect::Created).map(|o| o.trade.id);
    assert!(outcomes.iter().all(|o| Some(o.trade.id) == winner), "every racer answers with the one trade");

    let key = IdempotencyKey::parse("order-42").expect("valid");
    let mut tasks = JoinSet::new();
    for i in 0..8 {
        let (journal, principal) = (instances[i % 2].clone(), principal.clone());
        // Different bodies that would each make a trade: only the key stands between them.
        let mut new = entry(&format!("PAIR{i}"), Side::Sell, None);
        new.entry = Some(Price::new(150.0 + i as f64).expect("valid"));
        let identity = SignalIdentity { key: Some(key.clone()), body: BodyHash::from_bytes([10 + i as u8; 32]) };
        tasks.spawn(async move { journal.submit_signal(&principal, book, Signal::Entry(new), Some(identity)).await });
    }
    let results = tasks.join_all().await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    let refused = |r: &&Result<_, JournalError>| {
        matches!(r, Err(JournalError::Refused { kind: RefusedKind::IdempotencyKeyReused, .. }))
    };
    assert_eq!(results.iter().filter(refused).count(), 7, "{results:?}");

    let page = trader.journal.list_trades(&trader.jwt, book, TradeQuery::default()).await.expect("list");
    assert_eq!(page.trades.len(), 2, "one trade from each race");
}
