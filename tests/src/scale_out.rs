//! Scale-out as far as one machine allows: three service instances on one PostgreSQL database, nothing in front of
//! them but the client choosing an instance per request, against one instance alone, on the races a deployment
//! meets (identical entries, closes of one trade, keyed receipts, a revoked key, webhook claims): the same outcomes.
//! Each instance is a store of its own (its pool, its key cache, its knowledge of subscribers) and a service over it,
//! as separate processes would be; they share nothing but the database.

use std::collections::HashSet;
use std::sync::Arc;

use quantarya_adapter_postgres::{PgStore, PoolSettings};
use quantarya_domain::{
    BodyHash, ExternalReference, IdempotencyKey, KeyName, NewApiKey, Price, Side, SignalExit, StrategyId,
};
use quantarya_ports::outbound::ClaimLimits;
use quantarya_ports::{
    ConflictKind, Journal, JournalError, Principal, RefusedKind, Signal, SignalEffect, SignalIdentity, SignalLocator,
    TradeQuery,
};
use quantarya_test_db::TestDatabase;
use tokio::task::JoinSet;

use crate::journal_suite::trader_in;
use crate::support::{JournalOver, StoreUnderTest, entry, now};
use crate::webhooks_conformance::{later, subscription};

/// One instance: a store of its own over `url`, and the service over it.
struct Instance {
    store: StoreUnderTest,
    journal: Arc<dyn Journal>,
}

fn instance(url: &str) -> Instance {
    let store = StoreUnderTest::of(Arc::new(PgStore::connect(url, PoolSettings::default()).expect("a pool")));
    Instance { journal: Arc::new(store.journal()), store }
}

/// What a race came to, in a form two deployments can be compared by: how many answers of each kind.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Answer {
    Effect(String),
    Refused(String),
}

fn answer<T>(result: &Result<T, JournalError>, effect: impl Fn(&T) -> SignalEffect) -> Answer {
    match result {
        Ok(outcome) => Answer::Effect(format!("{:?}", effect(outcome))),
        Err(JournalError::Refused { kind, .. }) => Answer::Refused(format!("{kind:?}")),
        Err(JournalError::Conflict { kind, .. }) => Answer::Refused(format!("{kind:?}")),
        Err(other) => panic!("a racer failed: {other:?}"),
    }
}

/// Runs `racers` signals at once, the `i`th on instance `i % instances.len()`; the answers, sorted.
async fn race(
    instances: &[Instance],
    principal: &Principal,
    strategy: StrategyId,
    racers: Vec<(Signal, Option<SignalIdentity>)>,
) -> Vec<Answer> {
    let mut tasks = JoinSet::new();
    for (i, (signal, identity)) in racers.into_iter().enumerate() {
        let (journal, principal) = (instances[i % instances.len()].journal.clone(), principal.clone());
        tasks.spawn(async move { journal.submit_signal(&principal, strategy, signal, identity).await });
    }
    let mut answers: Vec<Answer> = tasks.join_all().await.iter().map(|r| answer(r, |o| o.effect)).collect();
    answers.sort();
    answers
}

/// The races, played on `instances` over `url` for a new trader: what each came to, and the trades it left.
async fn races(instances: &[Instance]) -> Vec<(&'static str, Vec<Answer>)> {
    let trader = trader_in(&instances[0].store).await;
    let (key, book) = (trader.key.clone(), trader.strategy);
    let mut seen = Vec::new();

    // Twelve identical entries (no key: one body): one trade.
    let body = BodyHash::from_bytes([7; 32]);
    let identical = (0..12)
        .map(|_| {
            let signal = Signal::Entry(entry("EURUSD", Side::Buy, Some("racer")));
            (signal, Some(SignalIdentity { key: None, body }))
        })
        .collect();
    seen.push(("identical entries", race(instances, &key, book, identical).await));

    // Twelve different exits of that trade: one closes it, the others find it closed (or, out of retries, a
    // conflict), whichever instance each reached.
    let exits = (0..12)
        .map(|i| {
            let exit = SignalExit {
                close_price: Some(Price::new(101.0 + f64::from(i)).expect("valid")),
                ..SignalExit::default()
            };
            let locator = SignalLocator {
                external_reference: Some(ExternalReference::parse("racer").expect("valid")),
                symbol: None,
            };
            (Signal::Exit { locator, exit }, None)
        })
        .collect();
    let closes = race(instances, &key, book, exits).await;
    let closed = closes.iter().filter(|a| **a == Answer::Effect("Closed".to_owned())).count();
    let rest_ok = closes.iter().all(|a| {
        matches!(a, Answer::Effect(e) if e == "Closed" || e == "AlreadyClosed")
            || *a == Answer::Refused(format!("{:?}", ConflictKind::ConcurrentUpdate))
    });
    assert!(closed == 1 && rest_ok, "one close, the rest after it: {closes:?}");
    seen.push(("closes of one trade", vec![Answer::Effect(format!("{closed} Closed"))]));

    // Eight requests under one Idempotency-Key, different bodies: one trade, seven refused as a reuse.
    let key_name = IdempotencyKey::parse("order-7").expect("valid");
    let keyed = (0..8u8)
        .map(|i| {
            let identity = SignalIdentity { key: Some(key_name.clone()), body: BodyHash::from_bytes([20 + i; 32]) };
            (Signal::Entry(entry(&format!("PAIR{i}"), Side::Sell, None)), Some(identity))
        })
        .collect();
    seen.push(("one idempotency key", race(instances, &key, book, keyed).await));

    let page = trader.journal.list_trades(&trader.jwt, book, TradeQuery::default()).await.expect("listed");
    let history = trader.journal.trade_history(&trader.jwt, book, page.trades[1].id).await.expect("history");
    assert_eq!(page.trades.len(), 2, "one trade from each race that makes one");
    assert_eq!(history.len(), 2, "the raced trade: its entry and one exit");
    seen
}

/// A key revoked through one instance is refused by every other within a second.
async fn revocation_reaches_every_instance(instances: &[Instance]) {
    let trader = trader_in(&instances[0].store).await;
    let issued = trader
        .journal
        .create_api_key(&trader.jwt, NewApiKey::new(KeyName::parse("shared").expect("valid")))
        .await
        .expect("a key");
    let raw = issued.raw.expose().to_owned();
    for instance in instances {
        instance.journal.authenticate(&raw).await.expect("every instance verifies the live key");
    }
    trader.journal.revoke_api_key(&trader.jwt, issued.key.id).await.expect("revoked");
    let revoked = std::time::Instant::now();
    for instance in instances {
        while instance.journal.authenticate(&raw).await.is_ok() {
            assert!(revoked.elapsed() < std::time::Duration::from_secs(1), "a revoked key still works a second later");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

/// Thirty changes announced to a subscription, claimed by every instance at once, a few at a time, until none is
/// due: each delivery claimed by exactly one instance.
async fn every_delivery_is_claimed_once(instances: &[Instance]) -> usize {
    let trader = trader_in(&instances[0].store).await;
    let owner = trader.jwt.user_id.clone();
    instances[0].store.webhooks.insert_webhook(&subscription(&owner, None, &[])).await.expect("a subscription");
    for i in 0..30 {
        let signal = Signal::Entry(entry(&format!("SYM{i}"), Side::Buy, None));
        instances[i % instances.len()]
            .journal
            .submit_signal(&trader.key, trader.strategy, signal, None)
            .await
            .expect("an entry");
    }
    let at = later(now(), 60);
    let mut claimers = JoinSet::new();
    for instance in instances {
        let store = instance.store.clone();
        claimers.spawn(async move {
            let mut claimed = Vec::new();
            loop {
                let batch = store.webhooks.claim_deliveries(at, later(at, 600), &ClaimLimits::total(4)).await;
                let batch = batch.expect("claimed");
                if batch.is_empty() {
                    return claimed;
                }
                claimed.extend(batch.into_iter().map(|d| (d.webhook_id, d.event_id)));
            }
        });
    }
    let all: Vec<_> = claimers.join_all().await.into_iter().flatten().collect();
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(distinct.len(), all.len(), "no delivery claimed twice");
    all.len()
}

/// Three instances and one, each on a database of its own: the same outcomes of every race.
pub async fn three_instances_decide_every_race_as_one_does() {
    let mut outcomes = Vec::new();
    for count in [1, 3] {
        let database = TestDatabase::create().await.unwrap_or_else(|e| panic!("a database of its own: {e}"));
        let instances: Vec<Instance> = (0..count).map(|_| instance(database.url())).collect();
        let seen = races(&instances).await;
        revocation_reaches_every_instance(&instances).await;
        let claimed = every_delivery_is_claimed_once(&instances).await;
        assert_eq!(claimed, 30, "every announced change claimed");
        outcomes.push(seen);
        drop(instances);
        database.drop_database().await.expect("dropped");
    }
    assert_eq!(outcomes[0], outcomes[1], "three instances answer every race as one does");
    let refused = Answer::Refused(format!("{:?}", RefusedKind::IdempotencyKeyReused));
    assert_eq!(outcomes[1][2].1.iter().filter(|a| **a == refused).count(), 7, "{:?}", outcomes[1]);
}
