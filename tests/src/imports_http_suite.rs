//! Imports and exports over HTTP: a TradingView list uploaded with one `curl` as `text/csv`, the export streamed as
//! CSV and uploaded into another strategy, the refusals a careful client meets.

use reqwest::{Method, StatusCode};

use crate::http::{Reply, TestApp, TestUser};

/// The documented TradingView list of `docs/import.md`: a short closed, a long closed, a long still open.
const LIST: &str = "\u{feff}Trade #,Type,Date/Time,Signal,Price USD,Position size (qty),Position size (value),Net P&L USD,Net P&L %,Run-up USD,Run-up %,Drawdown USD,Drawdown %,Cumulative P&L USD,Cumulative P&L %\r\n\
3,Exit long,2024-03-12 15:00,Open,5020,1,5020,1000,0.4,1500,0.6,-250,-0.1,5000,0.5\r\n\
3,Entry long,2024-03-12 10:00,Long,5000,1,5000,1000,0.4,1500,0.6,-250,-0.1,5000,0.5\r\n\
2,Exit short,2024-03-11 15:00,\"Close entry(s) order Short, TP\",4990,2,9980,1000,0.2,2000,0.4,-500,-0.1,4000,0.4\r\n\
2,Entry short,2024-03-11 10:00,Short,5000,2,10000,1000,0.2,2000,0.4,-500,-0.1,4000,0.4\r\n\
1,Exit long,2024-03-08 15:45,Close entry(s) order Long,5030,2,10060,3000,0.6,3500,0.7,-500,-0.1,3000,0.3\r\n\
1,Entry long,2024-03-08 09:30,Long,5000,2,10000,3000,0.6,3500,0.7,-500,-0.1,3000,0.3\r\n";

async fn upload(app: &TestApp, user: &TestUser, path: &str, body: impl Into<reqwest::Body>) -> Reply {
    app.call_raw(Method::POST, path, Some(&user.token), "text/csv", body).await
}

/// The body of `GET path` as text, with its status and content type.
async fn download(app: &TestApp, path: &str, token: &str) -> (StatusCode, String, String) {
    let response = app.client.get(format!("{}{path}", app.base)).bearer_auth(token).send().await.expect("answered");
    let status = response.status();
    let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, kind, response.text().await.expect("a body"))
}

/// A TradingView list goes in with one request, whole, and again makes nothing; its trades are the strategy's,
/// shown with their excursions; the import leaves with its trades.
pub async fn a_tradingview_list_is_imported_with_one_request(app: &TestApp) {
    let user = app.user().await;
    let strategy = app.strategy(&user).await;
    let path =
        format!("/strategies/{strategy}/imports?format=tradingview&symbol=ES1!&tz=America/New_York&point_value=50");
    let created = upload(app, &user, &path, LIST).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!((created.data()["created"].as_u64(), created.data()["duplicates"].as_u64()), (Some(3), Some(0)));
    assert_eq!(created.field("format"), "tradingview");
    let import_id = created.field("import_id");
    assert!(import_id.starts_with("imp_"), "{created:?}");

    let trades = app.call(Method::GET, &format!("/strategies/{strategy}/trades"), Some(&user.token), None).await;
    let trades = trades.data().as_array().cloned().unwrap_or_default();
    assert_eq!(trades.len(), 3);
    let short = trades.iter().find(|t| t["side"] == "SELL").expect("the short");
    assert_eq!((short["origin"].as_str(), short["status"].as_str()), (Some("import"), Some("CLOSED")));
    assert_eq!(
        (short["max_favorable_price"].as_f64(), short["max_adverse_price"].as_f64()),
        (Some(4980.0), Some(5005.0))
    );
    assert_eq!((short["quantity"].as_f64(), short["realized_pnl"].as_f64()), (Some(2.0), Some(1000.0)));
    assert_eq!(short["opened_at"], "2024-03-11T14:00:00Z");
    assert_eq!(short["signal"]["exit_signal"], "Close entry(s) order Short, TP");

    // The header tells the format when the query does not.
    let again = upload(
        app,
        &user,
        &format!("/strategies/{strategy}/imports?symbol=ES1!&tz=America/New_York&point_value=50"),
        LIST,
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED, "{again:?}");
    assert_eq!((again.data()["created"].as_u64(), again.data()["duplicates"].as_u64()), (Some(0), Some(3)));
    let listed = app.call(Method::GET, &format!("/strategies/{strategy}/imports"), Some(&user.token), None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.data().as_array().map(Vec::len), Some(2));

    let one = trades[0]["trade_id"].as_str().unwrap_or_default();
    let alone =
        app.call(Method::DELETE, &format!("/strategies/{strategy}/trades/{one}"), Some(&user.token), None).await;
    assert_eq!((alone.status, alone.code()), (StatusCode::CONFLICT, "trade_not_manual"), "{alone:?}");
    let deleted =
        app.call(Method::DELETE, &format!("/strategies/{strategy}/imports/{import_id}"), Some(&user.token), None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{deleted:?}");
    assert_eq!(deleted.data()["deleted_trade_count"].as_u64(), Some(3));
    let trades = app.call(Method::GET, &format!("/strategies/{strategy}/trades"), Some(&user.token), None).await;
    assert_eq!(trades.data().as_array().map(Vec::len), Some(0));
}

/// The export streams every trade as CSV, oldest first; uploaded into another strategy it makes every trade again.
pub async fn an_export_streams_and_imports_into_another_strategy(app: &TestApp) {
    let user = app.user().await;
    let (from, to) = (app.strategy(&user).await, app.strategy(&user).await);
    let path = format!("/strategies/{from}/imports?format=tradingview&symbol=ES1!&point_value=50");
    assert_eq!(upload(app, &user, &path, LIST).await.status, StatusCode::CREATED);
    let entry = serde_json::json!({"symbol": "NQ1!", "side": "BUY", "entry": 18000, "quantity": 1, "tags": ["a-plus"],
                                  "meta": {"note": "a, \"quoted\"\nnote"}});
    let made = app.call(Method::POST, &format!("/strategies/{from}/trades"), Some(&user.token), Some(entry)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{made:?}");

    let (status, kind, csv) = download(app, &format!("/strategies/{from}/export?format=quantarya"), &user.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert!(csv.starts_with("trade_id,strategy_id,user_id,symbol,side,status,event,entry"), "{csv}");
    let rows = quantarya_formats::quantarya::read(csv.as_bytes()).expect("the export reads back");
    assert_eq!(rows.len(), 4);
    assert!(rows.windows(2).all(|w| (w[0].opened_at, w[0].id) < (w[1].opened_at, w[1].id)), "oldest first");

    let imported = upload(app, &user, &format!("/strategies/{to}/imports?format=quantarya"), csv.clone()).await;
    assert_eq!(imported.status, StatusCode::CREATED, "{imported:?}");
    assert_eq!(imported.data()["created"].as_u64(), Some(4));
    let (_, _, copy) = download(app, &format!("/strategies/{to}/export"), &user.token).await;
    let copies = quantarya_formats::quantarya::read(copy.as_bytes()).expect("reads back");
    let shown = |trades: &[quantarya_domain::Trade]| {
        trades
            .iter()
            .map(|t| {
                (
                    t.symbol.clone(),
                    t.opened_at,
                    t.fills.clone(),
                    t.tags.clone(),
                    t.extensions.clone(),
                    t.max_favorable_price,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(shown(&copies), shown(&rows));
    assert!(copies.iter().all(|t| t.origin == quantarya_domain::Origin::Import));
    // Back where it came from, it makes nothing.
    let back = upload(app, &user, &format!("/strategies/{from}/imports?format=quantarya"), csv).await;
    assert_eq!((back.data()["created"].as_u64(), back.data()["duplicates"].as_u64()), (Some(0), Some(4)));
}

/// What a careful client meets: a bad line named by its number, a missing symbol, the wrong media type, a body
/// over 32 MiB refused before it is read, an API key, another user's strategy.
pub async fn imports_refuse_what_they_cannot_read(app: &TestApp) {
    let user = app.user().await;
    let strategy = app.strategy(&user).await;
    let path = format!("/strategies/{strategy}/imports?format=tradingview&symbol=ES1!");
    let broken = LIST.replace("4990", "four thousand");
    let refused = upload(app, &user, &path, broken).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{refused:?}"
    );
    assert_eq!(refused.body["error"]["details"][0]["field"], "line 4");
    let no_symbol = upload(app, &user, &format!("/strategies/{strategy}/imports?format=tradingview"), LIST).await;
    assert_eq!(no_symbol.body["error"]["details"][0]["field"], "symbol", "{no_symbol:?}");
    let json = app.call_raw(Method::POST, &path, Some(&user.token), "application/json", "{}").await;
    assert_eq!((json.status, json.code()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"));
    // A client of its own: the refused body leaves its connection unusable.
    let huge = reqwest::Client::new()
        .post(format!("{}{path}", app.base))
        .bearer_auth(&user.token)
        .header("content-type", "text/csv")
        .header("content-length", (32 * 1024 * 1024 + 1).to_string())
        .send()
        .await;
    if let Ok(huge) = huge {
        assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    let key = app.api_key(&user).await;
    let by_key = app.call_raw(Method::POST, &path, Some(&key), "text/csv", LIST).await;
    assert_eq!((by_key.status, by_key.code()), (StatusCode::FORBIDDEN, "api_key_not_allowed"));
    let (status, _, _) = download(app, &format!("/strategies/{strategy}/export"), &key).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let stranger = app.user().await;
    let foreign = upload(app, &stranger, &path, LIST).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let (status, kind, _) = download(app, &format!("/strategies/{strategy}/export"), &stranger.token).await;
    assert_eq!((status, kind.as_str()), (StatusCode::NOT_FOUND, "application/json; charset=utf-8"));
    let trades = app.call(Method::GET, &format!("/strategies/{strategy}/trades"), Some(&user.token), None).await;
    assert_eq!(trades.data().as_array().map(Vec::len), Some(0), "nothing was made");
}

crate::cases!(
    crate::http::TestApp:
    a_tradingview_list_is_imported_with_one_request,
    an_export_streams_and_imports_into_another_strategy,
    imports_refuse_what_they_cannot_read,
);
