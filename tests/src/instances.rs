//! Two service instances over one PostgreSQL database, as a deployment runs them: racing repeats of one signal are
//! decided once, whichever instance each request reaches, a key revoked on one is refused by the other, and a key's
//! use reaches the other through the database, written off the request's path.

use std::sync::Arc;

use quantarya_adapter_postgres::{PgStore, PoolSettings};
use quantarya_domain::{BodyHash, IdempotencyKey, KeyName, NewApiKey, Price, Side};
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

/// Waits until `store` trusts its cache of verified keys (its listening connection is up), for at most 5 s.
async fn listening(store: &PgStore) {
    let started = std::time::Instant::now();
    while !store.verifies_keys_from_cache() {
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "the key listener never came up");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// API keys are verified from each instance's cache, and revocation stays immediate everywhere: a key revoked on
/// one instance is refused by the other within a second; a key deleted where no notification is sent is still
/// served from the other's cache (so the cache is what answers), until that instance's listening connection is
/// lost and comes back, which empties its cache.
pub async fn a_key_revoked_on_one_instance_is_refused_by_the_other(url: &str) {
    let a = Arc::new(PgStore::connect(url, PoolSettings::default()).expect("a pool"));
    let b = Arc::new(PgStore::connect(url, PoolSettings::default()).expect("a pool"));
    let trader = trader_in(&StoreUnderTest::of(a.clone())).await;
    let other = StoreUnderTest::of(b.clone()).journal();
    listening(&b).await;
    let issue = |name: &'static str| {
        let (journal, jwt) = (trader.journal.clone(), trader.jwt.clone());
        async move {
            let issued = journal
                .create_api_key(&jwt, NewApiKey::new(KeyName::parse(name).expect("valid")))
                .await
                .expect("a key");
            (issued.key.id, issued.raw.expose().to_owned())
        }
    };

    // Revoked on A: B, which verified it a moment ago, refuses it within a second.
    let (id, raw) = issue("revoked").await;
    other.authenticate(&raw).await.expect("B verifies the live key");
    other.authenticate(&raw).await.expect("and again, from its cache");
    trader.journal.revoke_api_key(&trader.jwt, id).await.expect("revoked on A");
    let revoked = std::time::Instant::now();
    while other.authenticate(&raw).await.is_ok() {
        assert!(revoked.elapsed() < std::time::Duration::from_secs(1), "B still accepts a key revoked a second ago");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(matches!(other.authenticate(&raw).await, Err(JournalError::Unauthorized)));

    // Deleted where the trigger cannot see it: B's cache still answers for it, which only the cache can.
    let (id, raw) = issue("unseen").await;
    other.authenticate(&raw).await.expect("B verifies the live key");
    let unseen = format!(
        "BEGIN; ALTER TABLE api_keys DISABLE TRIGGER api_keys_notify_change; \
         DELETE FROM api_keys WHERE id = '{}'; ALTER TABLE api_keys ENABLE TRIGGER api_keys_notify_change; COMMIT;",
        id.as_uuid()
    );
    quantarya_test_db::run_sql(url, &unseen).await.expect("deleted under the store");
    other.authenticate(&raw).await.expect("served from B's cache, as nothing told B");
    // B loses its listening connection: back, its cache starts empty, and the deleted key is refused.
    let kill = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                WHERE query = 'LISTEN quantarya_api_keys' AND pid <> pg_backend_pid()";
    quantarya_test_db::run_sql(url, kill).await.expect("listeners terminated");
    let lost = std::time::Instant::now();
    while b.verifies_keys_from_cache() && lost.elapsed() < std::time::Duration::from_secs(2) {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    listening(&b).await;
    assert!(matches!(other.authenticate(&raw).await, Err(JournalError::Unauthorized)), "B's cache started empty");
}

/// When the key `id` was last used, as `journal` lists it.
async fn last_used(
    journal: &quantarya_ports::JournalService,
    jwt: &quantarya_ports::Principal,
    id: quantarya_domain::ApiKeyId,
) -> Option<quantarya_domain::Timestamp> {
    let keys = journal.list_api_keys(jwt).await.expect("listed");
    keys.into_iter().find(|k| k.id == id).expect("the key is listed").last_used_at
}

/// A key's use is recorded off the request's path: with its row locked by another transaction, a signal through the
/// key is still answered (a use written in the request would wait for the lock). The instance that served it says
/// at once when the key was last used; the other sees it in the database once the lock is gone.
pub async fn a_key_use_is_recorded_off_the_request_path(url: &str) {
    let a = Arc::new(PgStore::connect(url, PoolSettings::default()).expect("a pool"));
    let b = Arc::new(PgStore::connect(url, PoolSettings::default()).expect("a pool"));
    let trader = trader_in(&StoreUnderTest::of(a.clone())).await;
    let other = StoreUnderTest::of(b.clone()).journal();
    let issued = trader
        .journal
        .create_api_key(&trader.jwt, NewApiKey::new(KeyName::parse("used").expect("valid")))
        .await
        .expect("a key");
    assert_eq!(last_used(&trader.journal, &trader.jwt, issued.key.id).await, None, "a new key was never used");

    let mut holder = quantarya_test_db::Session::open(url).await.expect("a connection");
    let lock = format!("BEGIN; SELECT 1 FROM api_keys WHERE id = '{}' FOR UPDATE", issued.key.id.as_uuid());
    holder.run(&lock).await.expect("the key's row is locked");
    let principal = trader.journal.authenticate(issued.raw.expose()).await.expect("the key is live");
    let signal = Signal::Entry(entry("EURUSD", Side::Buy, Some("while-locked")));
    let outcome = trader.journal.submit_signal(&principal, trader.strategy, signal, None).await;
    assert_eq!(outcome.expect("answered while the key's row is locked").effect, SignalEffect::Created);
    let served = last_used(&trader.journal, &trader.jwt, issued.key.id).await;
    assert!(served.is_some(), "the instance that served the key says it was used");
    assert_eq!(last_used(&other, &trader.jwt, issued.key.id).await, None, "the row waits for its lock");

    holder.run("COMMIT").await.expect("the lock is released");
    let released = std::time::Instant::now();
    while last_used(&other, &trader.jwt, issued.key.id).await != served {
        assert!(released.elapsed() < std::time::Duration::from_secs(5), "the use never reached the database");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// What one instance logs of a signal, the other reads: within moments on its own, at once after the first one
/// flushed (as it does when it stops).
pub async fn a_signal_logged_on_one_instance_is_read_on_the_other(url: &str) {
    let (first, second) = (instance(url), instance(url));
    let trader =
        trader_in(&StoreUnderTest::of(Arc::new(PgStore::connect(url, PoolSettings::default()).expect("a pool")))).await;
    let report = quantarya_ports::SignalReport {
        event: Some("entry".into()),
        outcome: quantarya_domain::LoggedOutcome::accepted(201, "Trade created"),
        ..Default::default()
    };
    first.record_signal(&trader.key, trader.strategy, report.clone()).expect("queued");
    let read = |journal: Arc<dyn Journal>| {
        let (jwt, strategy) = (trader.jwt.clone(), trader.strategy);
        async move {
            let page = journal.signal_log(&jwt, strategy, quantarya_ports::SignalLogQuery::default()).await;
            page.expect("the log").entries
        }
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
    while read(second.clone()).await.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the other instance's entry never showed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    first.record_signal(&trader.key, trader.strategy, report).expect("queued");
    first.flush().await.expect("written");
    let entries = read(second).await;
    assert_eq!(entries.len(), 2, "after the first instance's flush: {entries:?}");
    assert!(entries.iter().all(|e| e.outcome.status == 201 && e.event.as_deref() == Some("entry")));
}

/// A subscription made through one instance hears the changes written through another that has never seen its
/// owner subscribe (its lean statement meets the subscriber, writes nothing, and the announcing one runs); and from
/// then on that instance announces at once. Nothing is written twice.
pub async fn a_subscription_made_on_one_instance_hears_the_others_writes(url: &str) {
    let a = StoreUnderTest::of(Arc::new(PgStore::connect(url, PoolSettings::default()).expect("a pool")));
    let b = StoreUnderTest::of(Arc::new(PgStore::connect(url, PoolSettings::default()).expect("a pool")));
    let (owner, book) = crate::support::owner_with_strategy(&a).await;
    let hook = crate::webhooks_conformance::subscription(&owner.id, None, &[]);
    a.webhooks.insert_webhook(&hook).await.expect("subscribed on a");
    let (first, _) = crate::webhooks_conformance::stored_open(&b, &book, "I1").await;
    let (second, _) = crate::webhooks_conformance::stored_open(&b, &book, "I2").await;
    let listed = a.webhooks.webhook_deliveries(&owner.id, hook.id, None, 10).await.expect("read").expect("owned");
    let trades: Vec<_> = listed.iter().map(|d| d.trade_id).collect();
    assert_eq!(trades, [second.id, first.id], "both writes through b were announced, once each");
    let stored = b.trades.list_trades(&owner.id, book.id, &Default::default(), None, 10).await.expect("listed");
    assert_eq!(stored.map(|t| t.len()), Some(2), "each trade written once");
}
