//! What only a durable store can show.

use std::collections::{BTreeMap, HashMap};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use quantarya_adapter_postgres::{PgStore, PoolSettings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::http::TestApp;
use crate::support::{JournalOver, StoreUnderTest};

fn app_store(url: &str) -> StoreUnderTest {
    StoreUnderTest::of(Arc::new(PgStore::connect(url, PoolSettings::default()).expect("a pool")))
}

/// Every trade of the strategy with its history, as the owner reads them.
async fn book(app: &TestApp, token: &str, strategy: &str) -> Vec<(Value, Value)> {
    let listed = app.call(Method::GET, &format!("/strategies/{strategy}/trades?limit=500"), Some(token), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    let mut book = Vec::new();
    for trade in listed.data().as_array().cloned().unwrap_or_default() {
        let id = trade["trade_id"].as_str().unwrap_or_default().to_owned();
        let history =
            app.call(Method::GET, &format!("/strategies/{strategy}/trades/{id}/events"), Some(token), None).await;
        assert_eq!(history.status, StatusCode::OK, "{history:?}");
        book.push((trade, history.data().clone()));
    }
    book
}

/// Trades written through the HTTP service survive stopping it and starting a new one on the same database: every
/// acknowledged write, with its history, and the key and profile that made them.
pub async fn a_restart_keeps_every_acknowledged_trade(url: &str) {
    let first = TestApp::spawn(app_store(url).http_journal()).await;
    let user = first.user().await;
    let strategy = first.strategy(&user).await;
    let key = first.api_key(&user).await;
    let path = format!("/strategies/{strategy}/trades");
    // What the replies acknowledged: each trade as its last reply showed it, with the number of replies that
    // changed it (each one an event of its history); and the open trade of each reference, as they told it.
    let mut acknowledged: BTreeMap<String, (Value, usize)> = BTreeMap::new();
    let mut open: HashMap<String, String> = HashMap::new();
    let mut answered = 0;
    for i in 0..12 {
        let reference = format!("r{}", i % 4);
        let signals = [
            json!({ "symbol": "EURUSD", "side": "BUY", "entry": 1.08 + f64::from(i) / 1000.0, "external_reference": reference }),
            json!({ "event": "update", "external_reference": reference, "stop_loss": 1.07 }),
            json!({ "event": "exit", "external_reference": reference, "close_price": 1.09 }),
        ];
        for signal in signals.into_iter().take(1 + (i as usize % 3)) {
            let event = signal["event"].as_str().unwrap_or("entry").to_owned();
            let reply = first.call(Method::POST, &path, Some(&key), Some(signal)).await;
            // An entry creates a trade, and is refused (changing nothing) when its reference has an open one; every
            // other signal acts on that one.
            let held = open.get(&reference).cloned();
            if event == "entry" && held.is_some() {
                assert_eq!((reply.status, reply.code()), (StatusCode::CONFLICT, "trade_already_open"), "{reply:?}");
                continue;
            }
            assert!(reply.status.is_success(), "{reply:?}");
            let expected = if event == "entry" { StatusCode::CREATED } else { StatusCode::OK };
            assert_eq!(reply.status, expected, "{event} of {reference}: {reply:?}");
            let id = reply.field("trade_id");
            assert!(held.is_none_or(|held| held == id), "{event} of {reference} answered another trade: {reply:?}");
            if event == "exit" {
                open.remove(&reference);
            } else {
                open.insert(reference.clone(), id.clone());
            }
            let changed = !reply.body["message"].as_str().unwrap_or_default().ends_with("nothing changed");
            let (trade, changes) = acknowledged.entry(id).or_insert((Value::Null, 0));
            *trade = reply.data().clone();
            *changes += usize::from(changed);
            answered += 1;
        }
    }
    assert!(answered > 12);
    let before = book(&first, &user.token, &strategy).await;
    assert!(!before.is_empty());
    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let second = TestApp::spawn(app_store(url).http_journal()).await;
    let after = book(&second, &user.token, &strategy).await;
    assert_eq!(after, before, "every trade and every history event is back");
    let back: BTreeMap<String, (Value, usize)> = after
        .iter()
        .map(|(trade, history)| {
            let id = trade["trade_id"].as_str().unwrap_or_default().to_owned();
            (id, (trade.clone(), history.as_array().map_or(0, Vec::len)))
        })
        .collect();
    assert_eq!(back, acknowledged, "each trade is back as its last reply showed it, with one event per change");
    let reply = second.call(Method::GET, &path, Some(&key), None).await;
    assert_eq!(reply.status, StatusCode::OK, "the key survived the restart");
    let me = second.call(Method::GET, "/me", Some(&user.token), None).await;
    assert_eq!(me.field("user_name"), user.name);
}

/// A store whose database does not answer: readiness fails and every request that needs storage is a 503 in the
/// error envelope, telling nothing of the cause.
pub async fn an_unreachable_database_is_a_503_never_a_500() {
    let closed_port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
    let url = format!("postgres://postgres:hunter2@127.0.0.1:{closed_port}/nowhere");
    let settings = PoolSettings { max_size: 2, timeout: Duration::from_secs(1) };
    let store = StoreUnderTest::of(Arc::new(PgStore::connect(&url, settings).expect("a pool builds lazily")));
    let app = TestApp::spawn(store.http_journal()).await;
    let token = app.token("someone");
    let key = format!("qk_{}", "A".repeat(32));
    let raw_key = quantarya_domain::RawApiKey::from_random_body(&key[3..]).expect("valid body");
    let cases = [
        app.call(Method::GET, "/readyz", None, None).await,
        app.call(Method::GET, "/strategies", Some(&token), None).await,
        app.call(Method::POST, "/me", Some(&token), Some(json!({ "user_name": "someone" }))).await,
        app.call(Method::GET, "/profiles/someone", None, None).await,
        app.call(
            Method::POST,
            "/strategies/strat_0192f0c17a4b7cde8f0123456789abcd/trades",
            Some(raw_key.expose()),
            Some(json!({ "symbol": "EURUSD", "side": "BUY" })),
        )
        .await,
    ];
    for reply in cases {
        assert_eq!((reply.status, reply.code()), (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"), "{reply:?}");
        let text = reply.body.to_string();
        assert!(!text.contains("hunter2") && !text.contains(&closed_port.to_string()), "{text}");
    }
    assert_eq!(app.call(Method::GET, "/healthz", None, None).await.status, StatusCode::OK, "alive all the same");
}

/// A delivery whose stored rows no longer read back (a subscription's URL edited by hand into nonsense, or a
/// snapshot a later migration broke) is failed alone and says so; the deliveries claimed beside it go out, and it
/// is not claimed again and again.
pub async fn an_unreadable_delivery_fails_alone() {
    use quantarya_domain::DeliveryState;
    let database = quantarya_test_db::TestDatabase::create().await.unwrap_or_else(|e| panic!("a database: {e}"));
    let s = app_store(database.url());
    let (owner, book) = crate::support::owner_with_strategy(&s).await;
    let broken = crate::webhooks_conformance::subscription(&owner.id, None, &[]);
    let sound = crate::webhooks_conformance::subscription(&owner.id, None, &[]);
    for hook in [&broken, &sound] {
        s.webhooks.insert_webhook(hook).await.expect("subscribed");
    }
    crate::webhooks_conformance::stored_open(&s, &book, "U1").await;
    let edit = format!("UPDATE webhooks SET url = 'not a url' WHERE id = '{}'", broken.id.as_uuid());
    quantarya_test_db::run_sql(database.url(), &edit).await.expect("edited");
    use crate::webhooks_conformance::{claim_all, later};
    let at = later(crate::support::now(), 1);
    let claimed = claim_all(&s, at).await;
    assert_eq!(claimed.iter().map(|c| c.webhook_id).collect::<Vec<_>>(), [sound.id], "the sound one is claimed");
    let listed = s.webhooks.webhook_deliveries(&owner.id, broken.id, None, 10).await.expect("read").expect("owned");
    assert_eq!(listed[0].state, DeliveryState::Failed);
    assert!(listed[0].last_error.as_deref().is_some_and(|e| e.contains("could not be read")), "{listed:?}");
    // Once the sound one's claim has ended, only it is claimed again.
    let again = claim_all(&s, later(at, 21)).await;
    assert!(again.iter().all(|c| c.webhook_id == sound.id), "the unreadable one is not claimed again");
    drop(s);
    database.drop_database().await.expect("dropped");
}
