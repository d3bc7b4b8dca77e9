//! Rate limits over HTTP (contract section 9), on a server of its own with small budgets: the key's and the user's
//! budgets for authenticated requests, the address's for public routes and failed authentications, the 429 with
//! `Retry-After`, and the `RateLimit-Policy` / `RateLimit` headers on every answer a budget was checked for.

use quantarya_adapter_http::rate_limit::RateLimitSettings;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::http::{Reply, TestApp};
use crate::http_suite::{assert_error, trades_path};
use crate::support::{JournalOver, StoreUnderTest};

/// A public read from `from`, as `X-Forwarded-For` says.
async fn ask(app: &TestApp, from: &str) -> Reply {
    app.call_with(Method::GET, "/profiles/nobody-here", None, None, &[("x-forwarded-for", from)]).await
}

#[track_caller]
fn limited(reply: &Reply) {
    assert_error(reply, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let wait: u64 = reply.header("retry-after").and_then(|s| s.parse().ok()).expect("Retry-After in seconds");
    assert!((1..=60).contains(&wait), "{wait}");
}

/// A key's signals spend its budget and its user's; over either, 429 and nothing stored. Public routes and failed
/// authentications spend the address's budget, which never refuses a request with valid credentials.
async fn budgets_refuse_with_429_and_say_when_to_retry(s: &StoreUnderTest) {
    let settings = RateLimitSettings { per_key: 3, per_user: 8, per_address: 2, trusted_proxies: Vec::new() };
    let app = TestApp::spawn_limited(s.http_journal(), &settings).await;
    // Three requests of the user's budget: the profile, the strategy, the key.
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let key = app.api_key(&user).await;

    let path = trades_path(&sid);
    let signal = |n: u32| {
        let body = json!({ "api_key": key, "symbol": "EURUSD", "side": "buy", "external_reference": format!("r{n}") });
        let (app, path) = (&app, path.clone());
        async move { app.call_raw(Method::POST, &path, None, "text/plain", body.to_string()).await }
    };
    let first = signal(1).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.header("ratelimit-policy"), Some(r#""key";q=3;w=60, "user";q=8;w=60"#));
    assert!(first.header("ratelimit").is_some_and(|v| v.starts_with(r#""key";r=2;t="#)), "{first:?}");
    assert_eq!(signal(2).await.status, StatusCode::CREATED);
    assert_eq!(signal(3).await.status, StatusCode::CREATED);
    let over = signal(4).await;
    limited(&over);
    assert!(over.header("ratelimit").is_some_and(|v| v.starts_with(r#""key";r=0;t="#)), "{over:?}");

    // The refused signal spent nothing of the user's budget: six requests so far, two left.
    let listed = app.call(Method::GET, &trades_path(&sid), Some(&user.token), None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.data().as_array().map(Vec::len), Some(3), "the refused signal stored nothing");
    assert_eq!(app.call(Method::GET, "/strategies", Some(&user.token), None).await.status, StatusCode::OK);
    limited(&app.call(Method::GET, "/strategies", Some(&user.token), None).await);

    // The address: two requests a minute without valid credentials.
    let anonymous = app.call(Method::GET, "/profiles/nobody-here", None, None).await;
    assert_eq!(anonymous.status, StatusCode::NOT_FOUND);
    assert_eq!(anonymous.header("ratelimit-policy"), Some(r#""address";q=2;w=60"#));
    let forged = app.call(Method::GET, "/strategies", Some("forged"), None).await;
    assert_error(&forged, StatusCode::UNAUTHORIZED, "unauthorized");
    limited(&app.call(Method::GET, "/strategies", Some("forged"), None).await);
    limited(&app.call(Method::GET, "/profiles/nobody-here", None, None).await);
    // A signal refused before its credentials are read (not JSON) is the address's to pay for too.
    limited(&app.call_raw(Method::POST, &path, None, "text/plain", "not json").await);
    limited(&app.call(Method::GET, "/no/such/path", None, None).await);
    // Valid credentials from the same address are another user's budget; health checks are free.
    let other = app.user().await;
    assert_eq!(app.call(Method::GET, "/strategies", Some(&other.token), None).await.status, StatusCode::OK);
    let health = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!((health.status, health.header("ratelimit")), (StatusCode::OK, None));
}

/// `X-Forwarded-For` names the client only behind a trusted proxy: from anyone else it is ignored, so a client
/// cannot buy a fresh budget by forging it.
async fn a_forged_forwarded_address_buys_no_budget(s: &StoreUnderTest) {
    let settings = RateLimitSettings { per_address: 1, ..RateLimitSettings::off() };
    let app = TestApp::spawn_limited(s.http_journal(), &settings).await;
    assert_eq!(ask(&app, "198.51.100.1").await.status, StatusCode::NOT_FOUND);
    limited(&ask(&app, "198.51.100.2").await);

    let trusting = RateLimitSettings {
        per_address: 1,
        trusted_proxies: vec!["127.0.0.0/8".parse().expect("a network")],
        ..RateLimitSettings::off()
    };
    let app = TestApp::spawn_limited(s.http_journal(), &trusting).await;
    assert_eq!(ask(&app, "198.51.100.1").await.status, StatusCode::NOT_FOUND);
    assert_eq!(ask(&app, "198.51.100.2").await.status, StatusCode::NOT_FOUND, "behind the proxy, another client");
    limited(&ask(&app, "198.51.100.1").await);
}

/// A key over its budget is refused every time, but its refusals reach the signal log once a minute: a flood
/// cannot push the accepted signals out. A body that is not JSON, sent with a key over budget, is a 429 too.
async fn a_flood_of_refusals_leaves_one_entry_a_minute_in_the_signal_log(s: &StoreUnderTest) {
    let settings = RateLimitSettings { per_key: 2, per_user: 0, per_address: 0, trusted_proxies: Vec::new() };
    let app = TestApp::spawn_limited(s.http_journal(), &settings).await;
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let key = app.api_key(&user).await;
    let path = trades_path(&sid);
    for n in 0..6 {
        let body = json!({ "api_key": key, "symbol": "EURUSD", "side": "buy", "external_reference": format!("r{n}") });
        let reply = app.call_raw(Method::POST, &path, None, "text/plain", body.to_string()).await;
        if n < 2 {
            assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
        } else {
            limited(&reply);
        }
    }
    let broken = format!(r#"{{"api_key": "{key}", "symbol": "EURUSD" "side": "buy"}}"#);
    limited(&app.call_raw(Method::POST, &path, None, "text/plain", broken).await);
    let log = app.call(Method::GET, &format!("/strategies/{sid}/signals"), Some(&user.token), None).await;
    let statuses: Vec<u64> =
        log.data().as_array().into_iter().flatten().filter_map(|e| e["outcome"]["status"].as_u64()).collect();
    assert_eq!(statuses, [429, 201, 201], "one refusal of the flood, then what was accepted: {log:?}");
}

crate::cases!(
    crate::support::StoreUnderTest:
    budgets_refuse_with_429_and_say_when_to_retry,
    a_forged_forwarded_address_buys_no_budget,
    a_flood_of_refusals_leaves_one_entry_a_minute_in_the_signal_log,
);
