//! The signal log over HTTP: every answer the signal route gives its owner's requests, accepted or refused (a
//! broken template, an unknown field, a key without the scope, a repeat), is in `GET /strategies/{id}/signals`,
//! with the body as sent and never the key; requests that failed authentication, or were someone else's, are not.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::http::TestApp;

fn trades_path(strategy: &str) -> String {
    format!("/strategies/{strategy}/trades")
}

fn signals_path(strategy: &str, query: &str) -> String {
    format!("/strategies/{strategy}/signals{query}")
}

/// What a TradingView alert sends: `text/plain` holding JSON, the key inside.
async fn alert(app: &TestApp, strategy: &str, key: &str, mut body: Value) -> crate::http::Reply {
    body["api_key"] = json!(key);
    app.call_raw(Method::POST, &trades_path(strategy), None, "text/plain; charset=utf-8", body.to_string()).await
}

/// The entries of the log of `strategy`, read with `token` and `query`, and the next cursor.
async fn log(app: &TestApp, strategy: &str, token: &str, query: &str) -> (Vec<Value>, Option<String>) {
    let read = app.call(Method::GET, &signals_path(strategy, query), Some(token), None).await;
    assert_eq!(read.status, StatusCode::OK, "{read:?}");
    assert_eq!(read.header("cache-control"), Some("no-store"));
    let entries = read.data().as_array().cloned().expect("a list");
    (entries, read.body["next_cursor"].as_str().map(str::to_owned))
}

async fn a_trader_reads_why_each_alert_did_or_did_not_work(app: &TestApp) {
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let key = app.api_key(&user).await;
    let reader = app
        .call(Method::POST, "/api-keys", Some(&user.token), Some(json!({ "key_name": "ro", "scopes": ["read"] })))
        .await;
    assert_eq!(reader.status, StatusCode::CREATED, "{reader:?}");
    let read_only = reader.field("raw_api_key");
    let entry = json!({ "symbol": "BINANCE:BTCUSDT", "side": "buy", "entry": 64000.5, "external_reference": "L1" });

    let created = alert(app, &sid, &key, entry.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let repeat = alert(app, &sid, &key, entry.clone()).await;
    assert!(repeat.replayed, "{repeat:?}");
    let mut typo = entry.clone();
    typo["colour"] = json!("red");
    assert_eq!(alert(app, &sid, &key, typo).await.code(), "unknown_field");
    // A broken template: not JSON, the key still in it.
    let broken = format!(r#"{{"event": "entry", "symbol": "BTCUSDT" "side": "buy", "api_key": "{key}"}}"#);
    let answered = app.call_raw(Method::POST, &trades_path(&sid), None, "text/plain", broken).await;
    assert_eq!((answered.status, answered.code()), (StatusCode::BAD_REQUEST, "invalid_json"));
    let unscoped_answer = alert(app, &sid, &read_only, json!({ "symbol": "ETHUSDT", "side": "buy" })).await;
    assert_eq!((unscoped_answer.status, unscoped_answer.code()), (StatusCode::FORBIDDEN, "api_key_scope"));
    // Not logged: a key that does not authenticate, and a request of another user (404 to them).
    // The key with its last character changed (to one it is not), so its checksum fails.
    let last = if key.ends_with('x') { 'y' } else { 'x' };
    let forged = format!("{}{last}", &key[..key.len() - 1]);
    assert_eq!(alert(app, &sid, &forged, entry.clone()).await.status, StatusCode::UNAUTHORIZED);
    let stranger = app.user().await;
    let theirs = app.call(Method::POST, &trades_path(&sid), Some(&stranger.token), Some(entry.clone())).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    // A key may not read the log; a stranger finds no strategy.
    let by_key = app.call(Method::GET, &signals_path(&sid, ""), Some(&key), None).await;
    assert_eq!((by_key.status, by_key.code()), (StatusCode::FORBIDDEN, "api_key_not_allowed"));
    let by_stranger = app.call(Method::GET, &signals_path(&sid, ""), Some(&stranger.token), None).await;
    assert_eq!(by_stranger.status, StatusCode::NOT_FOUND);

    let (entries, next) = log(app, &sid, &user.token, "").await;
    assert_eq!(next, None);
    let seen: Vec<(u64, Value)> =
        entries.iter().map(|e| (e["outcome"]["status"].as_u64().unwrap_or(0), e["outcome"]["code"].clone())).collect();
    assert_eq!(
        seen,
        [
            (403, json!("api_key_scope")),
            (400, json!("invalid_json")),
            (422, json!("unknown_field")),
            (200, Value::Null),
            (201, Value::Null)
        ],
        "newest first: {entries:#?}"
    );
    for entry in &entries {
        let body = entry["body"].as_str().expect("a body");
        assert!(!body.contains("qk_") && !body.contains("api_key"), "the key is never kept: {body}");
        assert_eq!(entry["body_truncated"], false);
        let refused = entry["outcome"]["status"].as_u64().is_some_and(|s| s >= 400);
        assert_eq!(entry["outcome"]["result"], if refused { "refused" } else { "accepted" });
        assert!(entry["received_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{entry}");
        assert!(entry["signal_id"].as_str().is_some_and(|id| id.starts_with("sig_")), "{entry}");
    }
    let (unscoped, broken, typo, repeated, first) = (&entries[0], &entries[1], &entries[2], &entries[3], &entries[4]);
    assert_eq!(first["trade_id"], created.data()["trade_id"]);
    // Each entry is named by its request: the answer's `x-request-id` finds it.
    for (logged, answer) in [(first, &created), (repeated, &repeat), (unscoped, &unscoped_answer)] {
        let request_id = answer.header("x-request-id").expect("every answer names its request");
        assert_eq!(logged["signal_id"], format!("sig_{request_id}"), "{answer:?}");
    }
    assert_eq!((repeated["repeat"].clone(), repeated["trade_id"].clone()), (json!(true), first["trade_id"].clone()));
    assert_eq!((first["repeat"].clone(), first["event"].clone()), (json!(false), Value::Null), "no event was sent");
    let first_body: Value = serde_json::from_str(first["body"].as_str().unwrap_or_default()).expect("JSON");
    assert_eq!(first_body, entry, "the body as sent, less the key");
    assert_eq!(typo["outcome"]["details"][0]["field"], "colour");
    assert_eq!((broken["event"].clone(), broken["trade_id"].clone()), (Value::Null, Value::Null));
    assert!(broken["body"].as_str().is_some_and(|b| b.contains(r#""symbol": "BTCUSDT" "side""#)), "{broken}");
    let keys = app.call(Method::GET, "/api-keys", Some(&user.token), None).await;
    let id_of = |name: &str| {
        keys.data()
            .as_array()
            .and_then(|all| all.iter().find(|k| k["key_name"] == name))
            .map(|k| k["api_key_id"].clone())
    };
    assert_eq!(Some(first["api_key_id"].clone()), id_of("tv"));
    assert_eq!(Some(unscoped["api_key_id"].clone()), id_of("ro"));

    // Filtered and paged.
    let (refused, _) = log(app, &sid, &user.token, "?outcome=refused").await;
    assert_eq!(refused.len(), 3);
    let (accepted, _) = log(app, &sid, &user.token, "?outcome=accepted").await;
    assert_eq!(accepted, entries[3..].to_vec());
    let (one, cursor) = log(app, &sid, &user.token, "?limit=2").await;
    assert_eq!(one, entries[..2].to_vec());
    let cursor = cursor.expect("another page");
    let (rest, end) = log(app, &sid, &user.token, &format!("?limit=3&cursor={cursor}")).await;
    assert_eq!((rest, end), (entries[2..].to_vec(), None));
    let bad = app.call(Method::GET, &signals_path(&sid, "?outcome=maybe&limit=0"), Some(&user.token), None).await;
    assert_eq!((bad.status, bad.code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
}

/// A user JWT's signals are logged too, without a key; a body over 4 KiB is kept to its first 4 KiB.
async fn a_long_body_is_kept_to_its_first_four_kibibytes(app: &TestApp) {
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let notes = "n".repeat(6000);
    let sent = json!({ "event": "entry", "symbol": "EURUSD", "side": "sell", "context": { "notes": notes } });
    let created = app.call(Method::POST, &trades_path(&sid), Some(&user.token), Some(sent)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let (entries, _) = log(app, &sid, &user.token, "").await;
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!((entry["api_key_id"].clone(), entry["event"].clone()), (Value::Null, json!("entry")));
    assert_eq!(entry["body_truncated"], true);
    assert_eq!(entry["body"].as_str().map(str::len), Some(4096));
}

/// A key confined to one strategy logs nothing in its owner's others; a key spelled with JSON escapes, and a NUL
/// in what was sent, are logged without the key and without the NUL (which PostgreSQL keeps nowhere).
async fn the_log_holds_no_key_and_no_entry_of_a_key_elsewhere(app: &TestApp) {
    let user = app.user().await;
    let (mine, other) = (app.strategy(&user).await, app.strategy(&user).await);
    let confined = app
        .call(
            Method::POST,
            "/api-keys",
            Some(&user.token),
            Some(json!({ "key_name": "one", "scopes": ["signals"], "strategy_ids": [mine] })),
        )
        .await;
    assert_eq!(confined.status, StatusCode::CREATED, "{confined:?}");
    let key = confined.field("raw_api_key");
    let entry = json!({ "symbol": "EURUSD", "side": "buy" });
    let elsewhere = alert(app, &other, &key, entry.clone()).await;
    assert_eq!((elsewhere.status, elsewhere.code()), (StatusCode::FORBIDDEN, "api_key_scope"));
    assert_eq!(log(app, &other, &user.token, "").await.0, Vec::<Value>::new(), "nothing in the other strategy");

    let escaped = key.replacen('q', "\\u0071", 1);
    let body = format!(r#"{{"api_key": "{escaped}", "symbol": "EURUSD", "side": "buy", "event": "entry\u0000"}}"#);
    let sent = app.call_raw(Method::POST, &trades_path(&mine), None, "text/plain", body).await;
    assert_eq!((sent.status, sent.code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{sent:?}");
    let (entries, _) = log(app, &mine, &user.token, "").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let text = entries[0].to_string();
    assert!(!text.contains(&key[3..]), "{text}");
    let body: Value = serde_json::from_str(entries[0]["body"].as_str().unwrap_or_default()).expect("JSON");
    assert_eq!(body, json!({ "symbol": "EURUSD", "side": "buy", "event": "entry\u{0}" }), "written out again");
    assert_eq!(entries[0]["event"], "entry\u{fffd}");
}

crate::cases!(
    TestApp:
    the_log_holds_no_key_and_no_entry_of_a_key_elsewhere,
    a_trader_reads_why_each_alert_did_or_did_not_work,
    a_long_body_is_kept_to_its_first_four_kibibytes,
);
