//! The HTTP end-to-end suite: the real server, a real client, every route.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::http::{Reply, TestApp, TestUser};

/// The message of an answer replayed from a receipt.
const REPLAYED: &str = "Signal already applied; nothing changed";

pub(crate) fn trades_path(strategy: &str) -> String {
    format!("/strategies/{strategy}/trades")
}

fn trade_path(strategy: &str, trade: &str) -> String {
    format!("/strategies/{strategy}/trades/{trade}")
}

fn assert_status(reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "{reply:?}");
}

pub(crate) fn assert_error(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!((reply.status, reply.code()), (status, code), "{reply:?}");
    assert!(reply.body["message"].is_string(), "{reply:?}");
    assert!(reply.body["error"]["details"].is_array(), "{reply:?}");
}

pub(crate) async fn list_trades(app: &TestApp, user: &TestUser, strategy: &str) -> Vec<Value> {
    let listed = app.call(Method::GET, &trades_path(strategy), Some(&user.token), None).await;
    assert_status(&listed, StatusCode::OK);
    listed.data().as_array().cloned().unwrap_or_default()
}

/// Every route once, on its happy path.
pub async fn every_route_answers_its_happy_path(app: &TestApp) {
    let name = crate::support::unique("happy");
    let token = app.token(&name);
    let t = Some(token.as_str());

    let missing = app.call(Method::GET, "/me", t, None).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "not_found");
    let created =
        app.call(Method::POST, "/me", t, Some(json!({ "user_name": name.to_uppercase(), "bio": "Hi" }))).await;
    assert_status(&created, StatusCode::CREATED);
    assert_eq!(created.content_type, "application/json; charset=utf-8");
    assert_eq!(created.field("user_name"), name, "stored lowercase");
    assert_eq!(created.field("email"), format!("{name}@example.test"));
    let updated =
        app.call(Method::POST, "/me", t, Some(json!({ "display_name": "Desk", "public_profile_enabled": true }))).await;
    assert_status(&updated, StatusCode::OK);
    assert_eq!((updated.field("user_name"), updated.field("bio")), (name.clone(), "Hi".to_owned()), "kept");
    assert_eq!(app.call(Method::GET, "/me", t, None).await.field("display_name"), "Desk");

    let new = json!({ "title": " Momentum ", "tags": ["FX", "fx", "Breakout"], "currency": " usdt " });
    let strategy = app.call(Method::POST, "/strategies", t, Some(new)).await;
    assert_status(&strategy, StatusCode::CREATED);
    assert_eq!(strategy.data()["tags"], json!(["fx", "breakout"]));
    assert_eq!(strategy.data()["is_public"], json!(false));
    assert_eq!(strategy.data()["currency"], json!("USDT"), "trimmed and uppercased");
    let sid = strategy.field("strategy_id");
    assert!(sid.starts_with("strat_"));
    let listed = app.call(Method::GET, "/strategies", t, None).await;
    assert_eq!(listed.data().as_array().map(Vec::len), Some(1));
    assert_eq!(app.call(Method::GET, &format!("/strategies/{sid}"), t, None).await.field("title"), "Momentum");
    let patched = app.call(Method::PATCH, &format!("/strategies/{sid}"), t, Some(json!({ "is_public": true }))).await;
    assert_eq!((patched.status, patched.data()["is_public"].clone()), (StatusCode::OK, json!(true)));
    assert_eq!(patched.data()["currency"], json!("USDT"), "a PATCH keeps what it omits");
    let cleared = app.call(Method::PATCH, &format!("/strategies/{sid}"), t, Some(json!({ "currency": null }))).await;
    assert_eq!((cleared.status, cleared.data()["currency"].clone()), (StatusCode::OK, Value::Null));

    let key = app.call(Method::POST, "/api-keys", t, Some(json!({ "key_name": "TradingView webhook" }))).await;
    assert_status(&key, StatusCode::CREATED);
    let raw = key.field("raw_api_key");
    assert!(raw.starts_with("qk_") && raw.len() == 41, "{raw}");
    assert_eq!(key.field("prefix"), raw[..7]);
    let keys = app.call(Method::GET, "/api-keys", t, None).await;
    assert_eq!(keys.data().as_array().map(Vec::len), Some(1));
    let listed_key = keys.data()[0].to_string();
    assert!(!listed_key.contains(&raw[7..]) && !listed_key.contains("hash"), "{listed_key}");

    let entry = json!({ "symbol": "eurusd", "side": "long", "entry": 1.0825, "stop_loss": 1.0785,
                        "external_reference": "manual-1", "meta": { "setup": "flag" }, "tags": ["Flag", "a-plus"] });
    let manual = app.call(Method::POST, &trades_path(&sid), t, Some(entry)).await;
    assert_status(&manual, StatusCode::CREATED);
    assert_eq!(manual.body["message"], "Trade created");
    let trade = manual.data().clone();
    for (field, value) in [
        ("symbol", json!("EURUSD")),
        ("side", json!("BUY")),
        ("status", json!("OPEN")),
        ("event", json!("entry")),
        ("origin", json!("manual")),
        ("close_price", Value::Null),
        ("meta", json!({ "setup": "flag" })),
        ("tags", json!(["flag", "a-plus"])),
        ("signal", Value::Null),
    ] {
        assert_eq!(trade[field], value, "{field}");
    }
    let tid = manual.field("trade_id");
    let page = app.call(Method::GET, &trades_path(&sid), t, None).await;
    assert_eq!((page.data().as_array().map(Vec::len), page.body["next_cursor"].clone()), (Some(1), Value::Null));
    assert_eq!(app.call(Method::GET, &trade_path(&sid, &tid), t, None).await.data(), &trade);
    let moved = app.call(Method::PATCH, &trade_path(&sid, &tid), t, Some(json!({ "stop_loss": 1.08 }))).await;
    assert_eq!((moved.status, moved.data()["stop_loss"].clone()), (StatusCode::OK, json!(1.08)));
    let retagged = app.call(Method::PATCH, &trade_path(&sid, &tid), t, Some(json!({ "tags": ["FOMO"] }))).await;
    assert_eq!((retagged.status, retagged.data()["tags"].clone()), (StatusCode::OK, json!(["fomo"])));
    let closed = app
        .call(Method::POST, &format!("{}/close", trade_path(&sid, &tid)), t, Some(json!({ "close_price": 1.0898 })))
        .await;
    assert_eq!((closed.status, closed.field("status")), (StatusCode::OK, "CLOSED".to_owned()));
    let stats = app.call(Method::GET, &format!("/strategies/{sid}/stats"), t, None).await;
    assert_eq!((stats.status, stats.data()["all"]["overall"]["count"].clone()), (StatusCode::OK, json!(1)));
    assert_eq!(stats.data()["live"]["overall"]["count"], json!(0), "a manual trade is never live");
    let signals = app.call(Method::GET, &format!("/strategies/{sid}/signals"), t, None).await;
    assert_eq!(signals.status, StatusCode::OK, "{signals:?}");
    assert!(signals.data().as_array().is_some_and(|all| !all.is_empty()), "the signals sent above: {signals:?}");
    let history = app.call(Method::GET, &format!("{}/events", trade_path(&sid, &tid)), t, None).await;
    let kinds: Vec<&str> = history.data().as_array().into_iter().flatten().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["entry", "update", "update", "close"]);
    assert_eq!(history.data()[1]["fields"], json!({ "stop_loss": 1.08 }));
    assert_eq!(history.data()[2]["fields"], json!({ "tags": ["fomo"] }));
    let deleted = app.call(Method::DELETE, &trade_path(&sid, &tid), t, None).await;
    assert_eq!((deleted.status, deleted.field("trade_id")), (StatusCode::OK, tid.clone()));

    let by_key = app
        .call(Method::POST, &trades_path(&sid), Some(&raw), Some(json!({ "symbol": "GBPUSD", "side": "SELL" })))
        .await;
    assert_eq!((by_key.status, by_key.field("origin")), (StatusCode::CREATED, "api_key".to_owned()));
    let erase = app.call(Method::DELETE, &trade_path(&sid, &by_key.field("trade_id")), t, None).await;
    assert_error(&erase, StatusCode::CONFLICT, "trade_not_manual");

    let public = app.call(Method::GET, &format!("/profiles/{name}"), None, None).await;
    assert_status(&public, StatusCode::OK);
    assert_eq!(public.data()["strategies"][0]["strategy_id"], json!(sid));
    assert!(!public.body.to_string().contains("example.test"), "never the e-mail");
    let performance = &public.data()["strategies"][0]["performance"];
    assert_eq!(
        (performance["all"]["overall"]["count"].clone(), performance["live"]["overall"]["count"].clone()),
        (json!(0), json!(0)),
        "the closed manual trade was deleted above; the API-key trade is open"
    );
    let (status, content_type, page) = get_text(app, &format!("/u/{name}")).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, "text/html; charset=utf-8"));
    assert!(page.contains(&format!("data-strategy=\"{sid}\"")) && page.contains("All (0 trades)"), "{page}");
    assert!(!page.contains("<script") && !page.contains("example.test"), "no script, never the e-mail");

    let key_id = key.field("api_key_id");
    let revoked = app.call(Method::DELETE, &format!("/api-keys/{key_id}"), t, None).await;
    assert_eq!((revoked.status, revoked.field("api_key_id")), (StatusCode::OK, key_id));
    let gone = app.call(Method::DELETE, &format!("/strategies/{sid}"), t, None).await;
    assert_eq!((gone.status, gone.data()["deleted_trade_count"].clone()), (StatusCode::OK, json!(1)));
    let account = app.call(Method::DELETE, "/me", t, None).await;
    assert_status(&account, StatusCode::OK);
    assert_eq!(account.data()["deleted_strategy_count"], json!(0));
    assert_eq!(app.call(Method::GET, &format!("/profiles/{name}"), None, None).await.status, StatusCode::NOT_FOUND);
    let (status, content_type, page) = get_text(app, &format!("/u/{name}")).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::NOT_FOUND, "text/html; charset=utf-8"));
    assert!(page.contains("Profile not found"), "{page}");
}

/// `GET path` without credentials: the status, the content type and the body as text (for bodies that are not
/// JSON, or must be compared byte for byte).
async fn get_text(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let response = app.client.get(format!("{}{path}", app.base)).send().await.expect("the server answers");
    let status = response.status();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, content_type, response.text().await.expect("a body"))
}

/// Entry, repeated entry, update, exit, repeated exit and reference reuse, the way TradingView sends them:
/// `text/plain` bodies holding JSON, with the key inside.
pub async fn a_webhook_drives_a_trade_by_reference(app: &TestApp) {
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let key = app.api_key(&user).await;
    let path = trades_path(&sid);
    let send = |body: Value| {
        let mut body = body;
        body["api_key"] = json!(key);
        app.call_raw(Method::POST, &path, None, "text/plain; charset=utf-8", body.to_string())
    };
    let entry = json!({ "symbol": "BINANCE:BTCUSDT.P", "side": "buy", "entry": 64000.5, "external_reference": "Long",
                        "source": "tradingview", "timeframe": "15" });
    let opened = send(entry.clone()).await;
    assert_status(&opened, StatusCode::CREATED);
    assert!(!opened.body.to_string().contains(&key), "the key is never echoed");
    let tid = opened.field("trade_id");
    // TradingView's retry, byte for byte: answered from its receipt.
    let retry = send(entry.clone()).await;
    assert_eq!((retry.status, retry.field("trade_id")), (StatusCode::OK, tid.clone()));
    assert_eq!((retry.body["message"].clone(), retry.replayed), (json!(REPLAYED), true), "{retry:?}");
    // Another entry on the open reference is no repeat: refused, and nothing changes.
    let again_open = send(json!({ "symbol": "BINANCE:BTCUSDT.P", "side": "buy", "external_reference": "Long" })).await;
    assert_error(&again_open, StatusCode::CONFLICT, "trade_already_open");

    let update = send(json!({ "event": "update", "external_reference": "Long", "stop_loss": 63000 })).await;
    assert_eq!((update.status, update.data()["stop_loss"].clone()), (StatusCode::OK, json!(63000.0)));
    let exit = json!({ "event": "exit", "external_reference": "Long", "side": "sell", "close_price": 65000,
                       "symbol": "BINANCE:BTCUSDT.P" });
    let closed = send(exit.clone()).await;
    assert_eq!(
        (closed.status, closed.field("status"), closed.field("event")),
        (StatusCode::OK, "CLOSED".into(), "exit".into())
    );
    let again = send(exit).await;
    assert_eq!((again.status, again.field("trade_id")), (StatusCode::OK, tid.clone()));
    assert_eq!((again.body["message"].clone(), again.replayed), (json!(REPLAYED), true), "{again:?}");
    // Another exit for the closed reference is no repeat of this one, and still changes nothing.
    let other_exit = send(json!({ "event": "exit", "external_reference": "Long", "close_price": 65001 })).await;
    assert_eq!((other_exit.status, other_exit.field("trade_id")), (StatusCode::OK, tid.clone()));
    assert_eq!(other_exit.body["message"], "Trade already closed; nothing changed");
    let late_update = send(json!({ "event": "update", "external_reference": "Long", "stop_loss": 1 })).await;
    assert_error(&late_update, StatusCode::NOT_FOUND, "not_found");

    let reused = send(entry).await;
    assert_status(&reused, StatusCode::CREATED);
    assert_ne!(reused.field("trade_id"), tid);
    let cancel = send(json!({ "event": "exit", "status": "CANCELLED", "external_reference": "Long" })).await;
    assert_eq!((cancel.status, cancel.field("status")), (StatusCode::OK, "CANCELLED".into()));
    assert_eq!(list_trades(app, &user, &sid).await.len(), 2);
}

/// Racing identical entries make one trade; of racing closes exactly one succeeds.
pub async fn races_over_http_keep_one_trade_and_one_close(app: &TestApp) {
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let key = app.api_key(&user).await;
    let entry = json!({ "symbol": "EURUSD", "side": "BUY", "external_reference": "race" });
    let path = trades_path(&sid);
    let replies =
        futures_util::future::join_all((0..12).map(|_| app.call(Method::POST, &path, Some(&key), Some(entry.clone()))))
            .await;
    assert_eq!(replies.iter().filter(|r| r.status == StatusCode::CREATED).count(), 1, "{replies:?}");
    assert!(replies.iter().all(|r| r.status.is_success()));
    let trades = list_trades(app, &user, &sid).await;
    assert_eq!(trades.len(), 1);
    let tid = trades[0]["trade_id"].as_str().unwrap_or_default().to_owned();
    // Every loser is a copy of the winner's request: answered, with a 200, from the winner's receipt.
    for reply in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_status(reply, StatusCode::OK);
        assert_eq!((reply.body["message"].as_str(), reply.replayed), (Some(REPLAYED), true), "{reply:?}");
        assert_eq!(reply.field("trade_id"), tid, "{reply:?}");
    }
    let close = format!("{}/close", trade_path(&sid, &tid));
    let closes =
        futures_util::future::join_all((0..12).map(|_| app.call(Method::POST, &close, Some(&user.token), None))).await;
    assert_eq!(closes.iter().filter(|r| r.status == StatusCode::OK).count(), 1, "{closes:?}");
    assert!(closes.iter().filter(|r| r.status != StatusCode::OK).all(|r| r.code() == "invalid_transition"));
    for reply in closes.iter().filter(|r| r.status != StatusCode::OK) {
        assert_error(reply, StatusCode::CONFLICT, "invalid_transition");
    }
    let winner = closes.iter().find(|r| r.status == StatusCode::OK).map(|r| r.data().clone());
    let stored = app.call(Method::GET, &trade_path(&sid, &tid), Some(&user.token), None).await;
    assert_eq!(Some(stored.data().clone()), winner, "the stored trade is the winner's");
}

/// A second user's JWT and API key on every route that takes the first user's ids: 404 (or 403 where keys are
/// not allowed at all), and the first user's data unchanged.
pub async fn another_user_sees_and_changes_nothing(app: &TestApp) {
    let owner = app.user().await;
    let sid = app.strategy(&owner).await;
    let owner_key = app.api_key(&owner).await;
    let opened = app
        .call(
            Method::POST,
            &trades_path(&sid),
            Some(&owner_key),
            Some(json!({ "symbol": "EURUSD", "side": "BUY", "external_reference": "owner-ref" })),
        )
        .await;
    assert_status(&opened, StatusCode::CREATED);
    let tid = opened.field("trade_id");
    let key_id = app.call(Method::GET, "/api-keys", Some(&owner.token), None).await.data()[0]["api_key_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Each read with its status: equal bodies of equal errors would say nothing.
    let snapshot = || async {
        let mut replies = Vec::new();
        for path in [
            format!("/strategies/{sid}"),
            trades_path(&sid),
            format!("{}/events", trade_path(&sid, &tid)),
            "/api-keys".to_owned(),
            "/me".to_owned(),
        ] {
            let reply = app.call(Method::GET, &path, Some(&owner.token), None).await;
            replies.push((path, reply.status, reply.body));
        }
        replies
    };
    let before = snapshot().await;
    assert!(before.iter().all(|(_, status, _)| *status == StatusCode::OK), "the owner reads it all: {before:?}");

    let intruder = app.user().await;
    let intruder_key = app.api_key(&intruder).await;
    let trade = trade_path(&sid, &tid);
    let routes: Vec<(Method, String, Option<Value>, bool)> = vec![
        (Method::GET, format!("/strategies/{sid}"), None, false),
        (Method::PATCH, format!("/strategies/{sid}"), Some(json!({ "title": "Mine now" })), false),
        (Method::DELETE, format!("/strategies/{sid}"), None, false),
        (Method::GET, trades_path(&sid), None, true),
        (Method::POST, trades_path(&sid), Some(json!({ "symbol": "EURUSD", "side": "BUY" })), true),
        (
            Method::POST,
            trades_path(&sid),
            Some(json!({ "symbol": "EURUSD", "side": "BUY", "external_reference": "owner-ref" })),
            true,
        ),
        (Method::POST, trades_path(&sid), Some(json!({ "event": "exit", "symbol": "EURUSD" })), true),
        (Method::POST, trades_path(&sid), Some(json!({ "event": "exit", "external_reference": "owner-ref" })), true),
        (
            Method::POST,
            trades_path(&sid),
            Some(json!({ "event": "update", "external_reference": "owner-ref", "stop_loss": 1 })),
            true,
        ),
        (Method::GET, trade.clone(), None, true),
        (Method::PATCH, trade.clone(), Some(json!({ "status": "CANCELLED" })), true),
        (Method::DELETE, trade.clone(), None, true),
        (Method::POST, format!("{trade}/close"), None, true),
        (Method::GET, format!("{trade}/events"), None, false),
        (Method::GET, format!("/strategies/{sid}/stats"), None, false),
        (Method::GET, format!("/strategies/{sid}/signals"), None, false),
        (Method::DELETE, format!("/api-keys/{key_id}"), None, false),
    ];
    for (method, path, body, keys_allowed) in routes {
        let by_jwt = app.call(method.clone(), &path, Some(&intruder.token), body.clone()).await;
        assert_error(&by_jwt, StatusCode::NOT_FOUND, "not_found");
        let by_key = app.call(method.clone(), &path, Some(&intruder_key), body).await;
        if keys_allowed {
            assert_error(&by_key, StatusCode::NOT_FOUND, "not_found");
        } else {
            assert_error(&by_key, StatusCode::FORBIDDEN, "api_key_not_allowed");
        }
    }
    // A trade id under another strategy is not found, even for its owner and even under the caller's own strategy.
    let intruder_strategy = app.strategy(&intruder).await;
    let elsewhere = app.call(Method::GET, &trade_path(&intruder_strategy, &tid), Some(&intruder.token), None).await;
    assert_error(&elsewhere, StatusCode::NOT_FOUND, "not_found");
    let owner_other = app.strategy(&owner).await;
    let misfiled = app.call(Method::GET, &trade_path(&owner_other, &tid), Some(&owner.token), None).await;
    assert_error(&misfiled, StatusCode::NOT_FOUND, "not_found");
    let misfiled_close =
        app.call(Method::POST, &format!("{}/close", trade_path(&owner_other, &tid)), Some(&owner.token), None).await;
    assert_error(&misfiled_close, StatusCode::NOT_FOUND, "not_found");

    assert_eq!(snapshot().await, before, "the owner's strategy, trades, history, keys and profile are unchanged");
    assert!(list_trades(app, &intruder, &intruder_strategy).await.is_empty(), "and nothing landed elsewhere");
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Missing, malformed, expired, foreign, unsigned and revoked credentials; keys where they are not allowed.
pub async fn bad_credentials_are_refused(app: &TestApp) {
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let now = u64::try_from(chrono::Utc::now().timestamp()).expect("after 1970");
    let expired =
        quantarya_adapter_http::mint_hs256(crate::http::TEST_SECRET.as_bytes(), &user.id, "a@b.c", now - 7200, 3600)
            .expect("minted");
    let foreign =
        quantarya_adapter_http::mint_hs256(b"another-secret-another-secret-0123", &user.id, "a@b.c", now, 3600)
            .expect("minted");
    let claims = json!({ "sub": user.id, "email": "a@b.c", "exp": now + 3600 }).to_string();
    let unsigned = format!("{}.{}.", b64url(br#"{"alg":"none","typ":"JWT"}"#), b64url(claims.as_bytes()));
    let made_up_key = format!("qk_{}", "A".repeat(38));
    for token in [expired.as_str(), foreign.as_str(), unsigned.as_str(), made_up_key.as_str(), "garbage"] {
        let reply = app.call(Method::GET, "/strategies", Some(token), None).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let missing = app.call(Method::GET, "/strategies", None, None).await;
    assert_error(&missing, StatusCode::UNAUTHORIZED, "unauthorized");
    for header in ["Token abc", "Bearer", "Bearer    ", "Basic dXNlcjpwYXNz"] {
        let reply = app
            .client
            .get(format!("{}/strategies", app.base))
            .header("authorization", header)
            .send()
            .await
            .expect("answers");
        assert_eq!(reply.status(), StatusCode::UNAUTHORIZED, "{header}");
    }

    let key = app.api_key(&user).await;
    for path in ["/strategies", "/me", "/api-keys"] {
        let reply = app.call(Method::GET, path, Some(&key), None).await;
        assert_error(&reply, StatusCode::FORBIDDEN, "api_key_not_allowed");
    }
    assert_status(&app.call(Method::GET, &trades_path(&sid), Some(&key), None).await, StatusCode::OK);
    let both = app
        .call(
            Method::POST,
            &trades_path(&sid),
            Some(&user.token),
            Some(json!({ "symbol": "X", "side": "BUY", "api_key": key })),
        )
        .await;
    assert_error(&both, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let key_id = app.call(Method::GET, "/api-keys", Some(&user.token), None).await.data()[0]["api_key_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_status(
        &app.call(Method::DELETE, &format!("/api-keys/{key_id}"), Some(&user.token), None).await,
        StatusCode::OK,
    );
    let revoked = app.call(Method::GET, &trades_path(&sid), Some(&key), None).await;
    assert_error(&revoked, StatusCode::UNAUTHORIZED, "unauthorized");
    let in_body = app
        .call_raw(
            Method::POST,
            &trades_path(&sid),
            None,
            "text/plain",
            json!({ "symbol": "X", "side": "BUY", "api_key": key }).to_string(),
        )
        .await;
    assert_error(&in_body, StatusCode::UNAUTHORIZED, "unauthorized");

    let newcomer = app.token(&crate::support::unique("new"));
    let reply = app.call(Method::GET, "/strategies", Some(&newcomer), None).await;
    assert_error(&reply, StatusCode::FORBIDDEN, "profile_required");
    assert!(list_trades(app, &user, &sid).await.is_empty(), "nothing was stored by refused requests");
}

/// The served document is the printed one; health routes answer; unknown routes and methods get the envelope.
pub async fn the_service_describes_itself(app: &TestApp) {
    let document = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_status(&document, StatusCode::OK);
    let printed: Value = serde_json::from_str(&quantarya_adapter_http::openapi_json()).expect("valid JSON");
    assert_eq!(document.body, printed);
    // The printed document comes from the same function as the served one; the committed file does not.
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json"))
        .expect("docs/openapi.json");
    let (status, content_type, served) = get_text(app, "/openapi.json").await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, "application/json; charset=utf-8"));
    assert!(
        served.trim_end() == committed.trim_end(),
        "GET /openapi.json is not docs/openapi.json; regenerate it with\n    \
         cargo run -q -p quantarya-app -- openapi > docs/openapi.json"
    );
    let (status, content_type, page) = get_text(app, "/docs").await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, "text/html; charset=utf-8"), "{page}");
    let committed: Value = serde_json::from_str(&committed).expect("valid JSON");
    let rendered = quantarya_adapter_http::docs_page::render(&committed);
    assert!(page == rendered, "GET /docs is the page of the committed document");
    for (path, item) in committed["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "patch", "delete"].into_iter().filter(|m| item.get(*m).is_some()) {
            let marker = format!("data-endpoint=\"{} {path}\"", method.to_uppercase());
            assert!(page.contains(&marker), "GET /docs lacks {marker}");
        }
    }
    assert_status(&app.call(Method::GET, "/healthz", None, None).await, StatusCode::OK);
    assert_status(&app.call(Method::GET, "/readyz", None, None).await, StatusCode::OK);
    assert_error(&app.call(Method::GET, "/v1/strategies", None, None).await, StatusCode::NOT_FOUND, "not_found");
    let wrong = app.call(Method::PUT, "/strategies", None, None).await;
    assert_error(&wrong, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

/// The alert messages of `docs/tradingview.md`, rendered as TradingView would and posted as it would.
pub async fn the_documented_tradingview_alerts_work(app: &TestApp) {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/tradingview.md"))
        .expect("docs/tradingview.md");
    let template = |name: &str| -> String {
        let fence = format!("```json tradingview-{name}\n");
        let start = doc.find(&fence).map(|i| i + fence.len()).unwrap_or_else(|| panic!("no {name} template"));
        let end = doc[start..].find("```").map(|i| start + i).unwrap_or_else(|| panic!("unclosed {name} template"));
        doc[start..end].to_owned()
    };
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let key = app.api_key(&user).await;
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let render_sized = |name: &str, action: &str, close: &str, contracts: &str| {
        template(name)
            .replace("qk_YOUR_API_KEY", &key)
            .replace("{{ticker}}", "BINANCE:BTCUSDT")
            .replace("{{strategy.order.action}}", action)
            .replace("{{close}}", close)
            .replace("{{strategy.order.price}}", close)
            .replace("{{strategy.order.contracts}}", contracts)
            .replace("{{low}}", "63500.25")
            .replace("{{timenow}}", &now)
            .replace("{{strategy.order.id}}", "Long")
            .replace("{{interval}}", "15")
    };
    let render = |name: &str, action: &str, close: &str| render_sized(name, action, close, "1");
    let names = ["entry", "update", "exit", "cancel", "pyramid-entry", "take-profit", "close"];
    assert_eq!(doc.matches("```json tradingview-").count(), names.len(), "every template of the page is tried");
    for name in names {
        let rendered = render(name, "buy", "64000");
        assert!(!rendered.contains("{{"), "{name}: every placeholder is one the test renders");
        serde_json::from_str::<Value>(&rendered).unwrap_or_else(|e| panic!("{name} renders to JSON: {e}"));
    }
    let path = trades_path(&sid);
    let post = |body: String, content_type: &'static str| app.call_raw(Method::POST, &path, None, content_type, body);

    let entry = post(render("entry", "buy", "64000"), "text/plain").await;
    assert_status(&entry, StatusCode::CREATED);
    assert_eq!(
        (entry.field("symbol"), entry.field("side"), entry.field("external_reference")),
        ("BINANCE:BTCUSDT".into(), "BUY".into(), "Long".into())
    );
    let retry = post(render("entry", "buy", "64000"), "application/json").await;
    assert_status(&retry, StatusCode::OK);
    let update = post(render("update", "buy", "64000"), "application/json").await;
    assert_eq!((update.status, update.data()["stop_loss"].clone()), (StatusCode::OK, json!(63500.25)));
    let exit = post(render("exit", "sell", "65010.5"), "application/json").await;
    assert_eq!(
        (exit.status, exit.field("status"), exit.data()["close_price"].clone()),
        (StatusCode::OK, "CLOSED".into(), json!(65010.5))
    );
    let again = post(render("entry", "buy", "64100"), "text/plain").await;
    assert_status(&again, StatusCode::CREATED);
    let cancel = post(render("cancel", "sell", "64100"), "application/json").await;
    assert_eq!((cancel.status, cancel.field("status")), (StatusCode::OK, "CANCELLED".into()));
    let trades = list_trades(app, &user, &sid).await;
    assert_eq!(trades.len(), 2);
    assert!(!trades.iter().any(|t| t.to_string().contains(&key)), "the key is never stored");

    // A pyramiding strategy: two sized entries, a partial take-profit, a final close; one trade with its money.
    let pyramid = app.strategy(&user).await;
    let path = trades_path(&pyramid);
    let post = |body: String| app.call_raw(Method::POST, &path, None, "text/plain", body);
    let first = post(render_sized("pyramid-entry", "buy", "64000", "0.5")).await;
    assert_status(&first, StatusCode::CREATED);
    let added = post(render_sized("pyramid-entry", "buy", "64300", "0.25")).await;
    assert_eq!((added.status, added.data()["quantity"].clone()), (StatusCode::OK, json!(0.75)));
    assert_eq!(added.field("trade_id"), first.field("trade_id"), "a scale-in adds to the open trade");
    let too_much = post(render_sized("take-profit", "sell", "65000", "1")).await;
    assert_error(&too_much, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let partial = post(render_sized("take-profit", "sell", "65000", "0.25")).await;
    assert_eq!((partial.status, partial.field("status")), (StatusCode::OK, "OPEN".into()));
    assert_eq!(partial.data()["open_quantity"], json!(0.5));
    let closed = post(render_sized("close", "sell", "65600", "0.5")).await;
    assert_eq!((closed.status, closed.field("status")), (StatusCode::OK, "CLOSED".into()));
    let trade = closed.data();
    let kinds: Vec<&str> =
        trade["fills"].as_array().expect("fills").iter().filter_map(|f| f["kind"].as_str()).collect();
    assert_eq!(kinds, ["entry", "entry", "exit", "exit"]);
    assert_eq!((trade["quantity"].clone(), trade["open_quantity"].clone()), (json!(0.75), json!(0.0)));
    // Entered 0.5 at 64000 and 0.25 at 64300 (64100 on average); out 0.25 at 65000 and 0.5 at 65400 on average.
    let number = |field: &str| trade[field].as_f64().unwrap_or_else(|| panic!("{field} is a number: {trade}"));
    assert!((number("entry") - 64100.0).abs() < 1e-6, "{trade}");
    assert!((number("close_price") - (0.25 * 65000.0 + 0.5 * 65600.0) / 0.75).abs() < 1e-6, "{trade}");
    assert!((number("realized_pnl") - (900.0 * 0.25 + 1500.0 * 0.5)).abs() < 1e-6, "{trade}");
    assert_eq!(list_trades(app, &user, &pyramid).await.len(), 1, "one position, one trade");
}

/// Posts a JSON body of about `size` bytes with chunked transfer encoding (no `Content-Length`); the raw response.
pub(crate) async fn raw_chunked_post(app: &TestApp, path: &str, token: &str, size: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connects");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("headers");
    let body = format!("{{\"meta\":{{\"n\":\"{}\"}}}}", "x".repeat(size));
    for chunk in body.as_bytes().chunks(8 * 1024) {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if stream.write_all(&frame).await.is_err() {
            break; // the server may answer and close before the whole body is sent
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}

/// A back-filled trade opened in a leap second and closed just after midnight is taken (never a 500, whatever the
/// store) and reads back with the leap second as the last microsecond of its minute.
pub async fn a_leap_second_answers_alike_on_every_store(app: &TestApp) {
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let body = json!({
        "symbol": "EURUSD", "side": "BUY", "status": "CLOSED", "entry": 1.05, "close_price": 1.06,
        "signal_time": "2016-12-31T23:59:60.9Z", "closed_at": "2017-01-01T00:00:00.5Z",
    });
    let created = app.call(Method::POST, &trades_path(&sid), Some(&user.token), Some(body)).await;
    assert_status(&created, StatusCode::CREATED);
    assert_eq!(created.field("opened_at"), "2016-12-31T23:59:59.999999Z");
    assert_eq!(created.field("closed_at"), "2017-01-01T00:00:00.500Z");
    let read = app.call(Method::GET, &trade_path(&sid, &created.field("trade_id")), Some(&user.token), None).await;
    assert_status(&read, StatusCode::OK);
    assert_eq!(read.data(), created.data());
}

/// Repeats are recognised by receipts: under an `Idempotency-Key` for 24 hours (another body under the key is
/// refused), or by the body while it is the latest signal of its target. A strategy whose static exit template
/// closes trade after trade on one reused order id gets every exit applied.
pub async fn repeats_are_recognised_by_receipts(app: &TestApp) {
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let key = app.api_key(&user).await;
    let path = trades_path(&sid);
    let post = |body: Value, headers: &'static [(&'static str, &'static str)]| {
        app.call_with(Method::POST, &path, Some(&key), Some(body), headers)
    };
    // A keyed entry, its retry, and another body under the same key.
    let keyed: &[(&str, &str)] = &[("Idempotency-Key", "order-17")];
    let entry = json!({ "symbol": "ES1!", "side": "buy", "entry": 5000.25 });
    let first = post(entry.clone(), keyed).await;
    assert_status(&first, StatusCode::CREATED);
    let retry = post(entry.clone(), keyed).await;
    assert_eq!(
        (retry.status, retry.replayed, retry.field("trade_id")),
        (StatusCode::OK, true, first.field("trade_id"))
    );
    let reused = post(json!({ "symbol": "ES1!", "side": "buy", "entry": 5001 }), keyed).await;
    assert_error(&reused, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
    assert_eq!(list_trades(app, &user, &sid).await.len(), 1, "neither the retry nor the reuse made a trade");
    for (bad, why) in [(String::new(), "empty"), ("k".repeat(256), "too long")] {
        let headers = [("Idempotency-Key", bad.as_str())];
        let refused = app.call_with(Method::POST, &path, Some(&key), Some(entry.clone()), &headers).await;
        assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(refused.body["error"]["details"][0]["field"], "Idempotency-Key", "{why}");
    }

    // One static exit template on a reused order id: each trade's exit is applied, each retry replayed.
    let open = json!({ "symbol": "NQ1!", "side": "buy", "external_reference": "Long" });
    let exit = json!({ "event": "exit", "external_reference": "Long", "close_price": 18000 });
    let mut closed = Vec::new();
    for _ in 0..2 {
        let opened = post(open.clone(), &[]).await;
        assert_status(&opened, StatusCode::CREATED);
        let exited = post(exit.clone(), &[]).await;
        assert_eq!((exited.status, exited.field("status"), exited.replayed), (StatusCode::OK, "CLOSED".into(), false));
        assert_eq!(exited.field("trade_id"), opened.field("trade_id"), "the exit closed the trade just opened");
        let retried = post(exit.clone(), &[]).await;
        assert_eq!((retried.replayed, retried.field("trade_id")), (true, opened.field("trade_id")));
        closed.push(exited.field("trade_id"));
    }
    assert_ne!(closed[0], closed[1]);
    assert_eq!(list_trades(app, &user, &sid).await.len(), 3);

    // A refused request leaves no receipt: sent again once it is acceptable, it is applied.
    let update = json!({ "event": "update", "external_reference": "Short", "stop_loss": 1 });
    assert_error(&post(update.clone(), &[]).await, StatusCode::NOT_FOUND, "not_found");
    let short = post(json!({ "symbol": "NQ1!", "side": "sell", "external_reference": "Short" }), &[]).await;
    assert_status(&short, StatusCode::CREATED);
    let applied = post(update, &[]).await;
    assert_eq!(
        (applied.status, applied.replayed, applied.data()["stop_loss"].clone()),
        (StatusCode::OK, false, json!(1.0))
    );
}

/// A position's life over HTTP (contract 5a): sizes, a scale-in, partial exits by an exit signal and by the close
/// route, fees corrected by PATCH, and the refusals that name their field and store nothing.
pub async fn a_position_over_http(app: &TestApp) {
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let key = app.api_key(&user).await;
    let t = Some(user.token.as_str());
    let path = trades_path(&sid);
    let send = |body: Value| app.call(Method::POST, &path, Some(&key), Some(body));
    let opened = send(json!({ "symbol": "ES1!", "side": "buy", "entry": 5000, "quantity": 2, "point_value": 50,
                              "fees": 2.5, "external_reference": "Long" }))
    .await;
    assert_status(&opened, StatusCode::CREATED);
    let trade = trade_path(&sid, &opened.field("trade_id"));
    let d = opened.data();
    assert_eq!(
        (d["quantity"].clone(), d["open_quantity"].clone(), d["point_value"].clone(), d["fees"].clone()),
        (json!(2.0), json!(2.0), json!(50.0), json!(2.5))
    );
    assert_eq!(d["realized_pnl"], json!(-2.5));
    // A plain signal beside it: no size, no money, its fills its entry and (later) its exit.
    let plain = send(json!({ "symbol": "ES1!", "side": "buy", "entry": 5000, "external_reference": "Plain" })).await;
    let p = plain.data();
    assert_eq!(
        (p["quantity"].clone(), p["open_quantity"].clone(), p["realized_pnl"].clone()),
        (json!(null), json!(null), json!(null))
    );
    assert_eq!(
        p["fills"],
        json!([{ "kind": "entry", "price": 5000.0, "quantity": null, "fees": 0.0, "at": p["opened_at"] }])
    );

    let added =
        send(json!({ "symbol": "ES1!", "side": "buy", "entry": 5010, "quantity": 2, "external_reference": "Long" }))
            .await;
    assert_eq!((added.status, added.data()["entry"].clone()), (StatusCode::OK, json!(5005.0)));
    assert_eq!(added.body["message"], "Added to the position");
    let refusals = [
        (json!({ "event": "exit", "external_reference": "Long", "close_price": 5020, "quantity": 5 }), "quantity"),
        (json!({ "event": "exit", "external_reference": "Plain", "close_price": 5020, "quantity": 1 }), "quantity"),
        (
            json!({ "symbol": "ES1!", "side": "buy", "entry": 5010, "quantity": 1, "external_reference": "Plain" }),
            "quantity",
        ),
        (json!({ "event": "update", "external_reference": "Long", "entry": 5001 }), "entry"),
        (
            json!({ "symbol": "ES1!", "side": "buy", "entry": 5010, "quantity": 1, "point_value": 5, "external_reference": "Long" }),
            "point_value",
        ),
    ];
    let before = list_trades(app, &user, &sid).await;
    for (body, field) in refusals {
        let refused = send(body.clone()).await;
        assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(refused.body["error"]["details"][0]["field"], json!(field), "{body}");
    }
    let no_quantity =
        send(json!({ "symbol": "ES1!", "side": "buy", "entry": 5010, "external_reference": "Long" })).await;
    assert_error(&no_quantity, StatusCode::CONFLICT, "trade_already_open");
    let patch_quantity = app.call(Method::PATCH, &trade, t, Some(json!({ "quantity": 1 }))).await;
    assert_error(&patch_quantity, StatusCode::UNPROCESSABLE_ENTITY, "unknown_field");
    let too_much = app.call(Method::POST, &format!("{trade}/close"), t, Some(json!({ "quantity": 4.5 }))).await;
    assert_error(&too_much, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(list_trades(app, &user, &sid).await, before, "refused requests store nothing");

    let reduced =
        send(json!({ "event": "exit", "external_reference": "Long", "close_price": 5020, "quantity": 1, "fees": 2.5 }))
            .await;
    assert_eq!((reduced.status, reduced.field("status")), (StatusCode::OK, "OPEN".into()));
    assert_eq!(
        (reduced.data()["open_quantity"].clone(), reduced.data()["close_price"].clone()),
        (json!(3.0), json!(null))
    );
    let route =
        app.call(Method::POST, &format!("{trade}/close"), t, Some(json!({ "close_price": 5030, "quantity": 1 }))).await;
    assert_eq!((route.status, route.field("status")), (StatusCode::OK, "OPEN".into()));
    assert_eq!(route.body["message"], "Part of the position closed; the trade stays open");
    let closed = app.call(Method::POST, &format!("{trade}/close"), t, Some(json!({ "close_price": 5040 }))).await;
    assert_eq!((closed.status, closed.field("status")), (StatusCode::OK, "CLOSED".into()));
    let c = closed.data();
    assert_eq!(
        (c["open_quantity"].clone(), c["close_price"].clone()),
        (json!(0.0), json!((5020.0 + 5030.0 + 2.0 * 5040.0) / 4.0))
    );
    // (15 + 25 + 2 * 35) points * 50 = 5500, less 2.50 at entry and 2.50 at the partial exit.
    assert_eq!(c["realized_pnl"], json!(5495.0));
    let correction = app.call(Method::PATCH, &trade, t, Some(json!({ "close_price": 5050 }))).await;
    assert_error(&correction, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fees = app.call(Method::PATCH, &trade, t, Some(json!({ "fees": 10 }))).await;
    assert_eq!((fees.status, fees.data()["realized_pnl"].clone()), (StatusCode::OK, json!(5490.0)));
    let history = app.call(Method::GET, &format!("{trade}/events"), t, None).await;
    let kinds: Vec<&str> =
        history.data().as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["entry", "add", "reduce", "reduce", "close", "correct"]);
    let read = app.call(Method::GET, &trade, t, None).await;
    assert_eq!(read.data(), fees.data(), "what was answered is what is stored");
}

/// A `signals` key confined to one strategy, over HTTP: its grant is shown, its signals land, and everything else
/// is 403 `api_key_scope` (or `api_key_not_allowed` off the trade routes), before any body is read.
pub async fn a_webhook_key_is_held_to_its_grant(app: &TestApp) {
    let user = app.user().await;
    let (sid, other) = (app.strategy(&user).await, app.strategy(&user).await);
    let grant = json!({ "key_name": "tv", "scopes": ["signals", "signals"], "strategy_ids": [sid, sid],
                        "expires_at": "2027-06-01T00:00:00+02:00" });
    let created = app.call(Method::POST, "/api-keys", Some(&user.token), Some(grant)).await;
    assert_status(&created, StatusCode::CREATED);
    let shown = |data: &Value| (data["scopes"].clone(), data["strategy_ids"].clone(), data["expires_at"].clone());
    let expected = (json!(["signals"]), json!([sid]), json!("2027-05-31T22:00:00Z"));
    assert_eq!(shown(created.data()), expected);
    let listed = app.call(Method::GET, "/api-keys", Some(&user.token), None).await;
    assert_eq!(shown(&listed.data()[0]), expected, "{listed:?}");
    let key = created.field("raw_api_key");

    let body = json!({ "api_key": key, "symbol": "EURUSD", "side": "buy", "external_reference": "L" }).to_string();
    let opened = app.call_raw(Method::POST, &trades_path(&sid), None, "text/plain", body.clone()).await;
    assert_status(&opened, StatusCode::CREATED);
    let elsewhere = app.call_raw(Method::POST, &trades_path(&other), None, "text/plain", body).await;
    assert_error(&elsewhere, StatusCode::FORBIDDEN, "api_key_scope");
    let read = app.call(Method::GET, &trades_path(&sid), Some(&key), None).await;
    assert_error(&read, StatusCode::FORBIDDEN, "api_key_scope");
    let close = json!({ "close_price": 1.1 });
    let path = format!("{}/close", trade_path(&sid, &opened.field("trade_id")));
    assert_error(&app.call(Method::POST, &path, Some(&key), Some(close)).await, StatusCode::FORBIDDEN, "api_key_scope");
    let keys = app.call(Method::GET, "/api-keys", Some(&key), None).await;
    assert_error(&keys, StatusCode::FORBIDDEN, "api_key_not_allowed");
    // A key without `signals` is refused before its body's fields are judged.
    let reader =
        app.call(Method::POST, "/api-keys", Some(&user.token), Some(json!({ "key_name": "r", "scopes": ["read"] })));
    let reader = reader.await.field("raw_api_key");
    let broken = json!({ "api_key": reader, "symbol": "", "side": "hold" }).to_string();
    let refused = app.call_raw(Method::POST, &trades_path(&sid), None, "text/plain", broken).await;
    assert_error(&refused, StatusCode::FORBIDDEN, "api_key_scope");
    assert_eq!(list_trades(app, &user, &sid).await[0]["status"], "OPEN", "nothing was closed");
    assert!(list_trades(app, &user, &other).await.is_empty(), "nothing reached the other strategy");
}

/// Sends `request` as it is on a connection of its own; the raw answer, read until the server closes the
/// connection or `wait` passes, and whether it closed it.
async fn raw_exchange(app: &TestApp, request: &str, wait: std::time::Duration) -> (String, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connects");
    stream.write_all(request.replace("{host}", address).as_bytes()).await.expect("sent");
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await.is_ok();
    (String::from_utf8_lossy(&answer).into_owned(), closed)
}

/// The protocol's hygiene: a body with two framings is refused and its connection closed (no request can be
/// smuggled behind it), two `Authorization` headers are no credential, and no answer to an authenticated request
/// may be cached.
pub async fn the_protocol_is_kept_tidy(app: &TestApp) {
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let body = r#"{"symbol":"EURUSD","side":"buy"}"#;
    let smuggled = format!(
        "POST {path} HTTP/1.1\r\nHost: {{host}}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nTransfer-Encoding: chunked\r\n\r\n{size:x}\r\n{body}\r\n0\r\n\r\n\
         GET /healthz HTTP/1.1\r\nHost: {{host}}\r\n\r\n",
        path = trades_path(&sid),
        token = user.token,
        length = body.len() + 10,
        size = body.len(),
    );
    let (answer, closed) = raw_exchange(app, &smuggled, std::time::Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"invalid_body\"") && answer.to_lowercase().contains("connection: close"), "{answer}");
    assert!(closed, "the connection is closed after the refusal");
    // actix answers what it already read from the connection: the request behind the refused one is refused too.
    assert!(!answer.contains("HTTP/1.1 200"), "nothing behind the refused request was served: {answer}");
    assert!(list_trades(app, &user, &sid).await.is_empty(), "nothing was stored");

    let other = app.user().await;
    let twice =
        [("authorization", format!("Bearer {}", user.token)), ("authorization", format!("Bearer {}", other.token))];
    let twice: Vec<(&str, &str)> = twice.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let doubled = app.call_with(Method::GET, "/me", None, None, &twice).await;
    assert_error(&doubled, StatusCode::UNAUTHORIZED, "unauthorized");
    let public = app.call_with(Method::GET, &format!("/profiles/{}", user.name), None, None, &twice).await;
    assert_error(&public, StatusCode::UNAUTHORIZED, "unauthorized");

    for reply in [
        app.call(Method::GET, "/me", Some(&user.token), None).await,
        app.call(Method::GET, "/me", Some("forged"), None).await,
        app.call(Method::GET, &format!("/strategies/{sid}/trades"), Some(&user.token), None).await,
        doubled,
    ] {
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{reply:?}");
    }
    let key = app.api_key(&user).await;
    let alert = json!({ "api_key": key, "symbol": "EURUSD", "side": "buy" }).to_string();
    let posted = app.call_raw(Method::POST, &trades_path(&sid), None, "text/plain", alert).await;
    assert_eq!((posted.status, posted.header("cache-control")), (StatusCode::CREATED, Some("no-store")));
    let health = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.header("cache-control"), None, "an anonymous answer says nothing of caching");
}

crate::cases!(
    crate::http::TestApp:
    the_protocol_is_kept_tidy,
    a_webhook_key_is_held_to_its_grant,
    a_position_over_http,
    every_route_answers_its_happy_path,
    a_webhook_drives_a_trade_by_reference,
    races_over_http_keep_one_trade_and_one_close,
    another_user_sees_and_changes_nothing,
    bad_credentials_are_refused,
    the_service_describes_itself,
    the_documented_tradingview_alerts_work,
    a_leap_second_answers_alike_on_every_store,
    repeats_are_recognised_by_receipts,
);
