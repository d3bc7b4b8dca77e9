//! `/webhooks` over HTTP: subscriptions made (the SSRF guard refusing internal and plain endpoints, the secret
//! shown once), listed without their secrets, limited, refused to API keys, deliveries listed newest first as
//! changes happen, and removal. The delivery itself is `webhooks_delivery`'s and the binary's tests'.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::http::{Reply, TestApp};
use crate::http_suite::assert_error;

fn blamed(reply: &Reply) -> Vec<String> {
    let details = reply.body["error"]["details"].as_array().cloned().unwrap_or_default();
    details.iter().filter_map(|d| d["field"].as_str().map(str::to_owned)).collect()
}

/// Everything a subscriber does over HTTP.
async fn webhooks_are_made_listed_limited_and_removed(app: &TestApp) {
    let user = app.user().await;
    let t = Some(user.token.as_str());
    let sid = app.strategy(&user).await;

    for (url, why) in [
        ("https://10.0.0.1/hook", "private"),
        ("https://localhost/hook", "loopback"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://[ff02::1]/hook", "multicast"),
        ("http://1.1.1.1/hook", "https"),
        ("ftp://1.1.1.1/hook", "https"),
    ] {
        let refused = app.call(Method::POST, "/webhooks", t, Some(json!({ "url": url }))).await;
        assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(blamed(&refused), ["url"], "{url}: {refused:?}");
        assert!(refused.body.to_string().contains(why), "{url} is refused saying why: {refused:?}");
    }
    let encoded = format!("https://1.1.1.1/{}", "é".repeat(400));
    let long = app.call(Method::POST, "/webhooks", t, Some(json!({ "url": encoded }))).await;
    assert_eq!((long.status, blamed(&long)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["url".to_owned()]), "{long:?}");
    let stranger = app.user().await;
    let foreign = app.strategy(&stranger).await;
    let theirs = json!({ "url": "https://1.1.1.1/hook", "strategy_ids": [foreign] });
    let refused = app.call(Method::POST, "/webhooks", t, Some(theirs)).await;
    assert_eq!((refused.status, blamed(&refused)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["strategy_ids".to_owned()]));

    let created = app.call(Method::POST, "/webhooks", t, Some(json!({ "url": "https://1.1.1.1/hook" }))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let secret = created.field("secret");
    assert!(secret.starts_with("whsec_") && secret.len() == 50 && secret.ends_with('='), "{secret}");
    assert_eq!(created.data()["events"], json!(["trade.opened", "trade.updated", "trade.closed", "trade.cancelled"]));
    assert_eq!(
        (created.data()["strategy_ids"].clone(), created.data()["disabled_at"].clone()),
        (Value::Null, Value::Null)
    );
    let hook = created.field("webhook_id");
    let only = json!({ "url": "https://1.1.1.1/closes", "events": ["trade.closed"], "strategy_ids": [sid] });
    let narrow = app.call(Method::POST, "/webhooks", t, Some(only)).await;
    assert_eq!(narrow.status, StatusCode::CREATED, "{narrow:?}");
    assert_eq!(
        (narrow.data()["events"].clone(), narrow.data()["strategy_ids"].clone()),
        (json!(["trade.closed"]), json!([sid]))
    );

    let listed = app.call(Method::GET, "/webhooks", t, None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.data().as_array().map(Vec::len), Some(2));
    assert!(!listed.body.to_string().contains("whsec_"), "never the secret again: {listed:?}");
    assert_eq!(listed.data()[0]["webhook_id"], json!(hook), "oldest first");

    let key = app.api_key(&user).await;
    let by_key = app.call(Method::GET, "/webhooks", Some(&key), None).await;
    assert_error(&by_key, StatusCode::FORBIDDEN, "api_key_not_allowed");

    let deliveries = format!("/webhooks/{hook}/deliveries");
    let empty = app.call(Method::GET, &deliveries, t, None).await;
    assert_eq!((empty.status, empty.data().clone()), (StatusCode::OK, json!([])));
    let entry = json!({ "symbol": "EURUSD", "side": "BUY", "entry": 1.08, "external_reference": "hooked" });
    let opened = app.call(Method::POST, &format!("/strategies/{sid}/trades"), Some(&key), Some(entry)).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{opened:?}");
    let exit = json!({ "event": "exit", "external_reference": "hooked", "close_price": 1.09 });
    let closed = app.call(Method::POST, &format!("/strategies/{sid}/trades"), Some(&key), Some(exit)).await;
    assert_eq!(closed.status, StatusCode::OK, "{closed:?}");
    let page = app.call(Method::GET, &format!("{deliveries}?limit=1"), t, None).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    let newest = &page.data()[0];
    assert_eq!(
        (newest["event"].clone(), newest["state"].clone(), newest["attempts"].clone()),
        (json!("trade.closed"), json!("pending"), json!(0))
    );
    assert_eq!(newest["trade_id"], json!(opened.field("trade_id")));
    assert!(newest["next_attempt_at"].is_string() && newest["finished_at"].is_null(), "{newest}");
    let cursor = page.body["next_cursor"].as_str().expect("a second page").to_owned();
    let next = app.call(Method::GET, &format!("{deliveries}?cursor={cursor}"), t, None).await;
    assert_eq!(
        next.data().as_array().map(|d| d.iter().map(|d| d["event"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("trade.opened")])
    );
    let narrow_id = narrow.field("webhook_id");
    let only_closes = app.call(Method::GET, &format!("/webhooks/{narrow_id}/deliveries"), t, None).await;
    assert_eq!(only_closes.data().as_array().map(Vec::len), Some(1), "the narrow one hears the close alone");
    let bad = app.call(Method::GET, &format!("{deliveries}?cursor=nope&state=x"), t, None).await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "unknown_field");
    assert_eq!(blamed(&bad), ["cursor", "state"]);

    let other = Some(stranger.token.as_str());
    assert_error(&app.call(Method::GET, &deliveries, other, None).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        &app.call(Method::DELETE, &format!("/webhooks/{hook}"), other, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    for i in 2..10 {
        let more = app.call(Method::POST, "/webhooks", t, Some(json!({ "url": format!("https://1.1.1.1/{i}") }))).await;
        assert_eq!(more.status, StatusCode::CREATED, "{more:?}");
    }
    let over = app.call(Method::POST, "/webhooks", t, Some(json!({ "url": "https://1.1.1.1/eleven" }))).await;
    assert_error(&over, StatusCode::CONFLICT, "webhook_limit");

    let removed = app.call(Method::DELETE, &format!("/webhooks/{hook}"), t, None).await;
    assert_eq!((removed.status, removed.field("webhook_id")), (StatusCode::OK, hook.clone()));
    assert_error(&app.call(Method::GET, &deliveries, t, None).await, StatusCode::NOT_FOUND, "not_found");
    let again = app.call(Method::POST, "/webhooks", t, Some(json!({ "url": "https://1.1.1.1/again" }))).await;
    assert_eq!(again.status, StatusCode::CREATED, "room for one again");
}

crate::cases!(TestApp: webhooks_are_made_listed_limited_and_removed);
