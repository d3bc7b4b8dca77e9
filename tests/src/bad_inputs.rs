//! The bad-input table of the HTTP suite: requests that must be refused with a clear 4xx and change nothing. Each
//! row is a trial of its own, named after the row, on a fresh user and strategy, so one failure hides no other.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::http::TestApp;
use crate::http_suite::{assert_error, list_trades, raw_chunked_post, trades_path};

/// Where a request goes, resolved against the row's fresh strategy.
#[derive(Debug, Clone)]
enum Target {
    /// `/strategies/{id}/trades`, with a query.
    Trades(&'static str),
    /// `/strategies/{id}/stats`, with a query.
    Stats(&'static str),
    /// `/strategies/{id}/signals`, with a query.
    Signals(&'static str),
    /// `/strategies`.
    Strategies,
    /// `/strategies/{id}`.
    Strategy,
    /// `/strategies/{raw}`: an id that is not one.
    StrategyNamed(&'static str),
    /// `/me`.
    Me,
    /// `/api-keys`.
    ApiKeys,
    /// `/strategies/{id}/imports`, with a query.
    Imports(&'static str),
    /// `/strategies/{id}/export`, with a query.
    Export(&'static str),
}

impl Target {
    fn path(&self, strategy: &str) -> String {
        let with_query = |path: String, query: &str| if query.is_empty() { path } else { format!("{path}?{query}") };
        match self {
            Self::Trades(query) => with_query(trades_path(strategy), query),
            Self::Stats(query) => with_query(format!("/strategies/{strategy}/stats"), query),
            Self::Signals(query) => with_query(format!("/strategies/{strategy}/signals"), query),
            Self::Strategies => "/strategies".to_owned(),
            Self::Strategy => format!("/strategies/{strategy}"),
            Self::StrategyNamed(raw) => format!("/strategies/{raw}"),
            Self::Me => "/me".to_owned(),
            Self::ApiKeys => "/api-keys".to_owned(),
            Self::Imports(query) => with_query(format!("/strategies/{strategy}/imports"), query),
            Self::Export(query) => with_query(format!("/strategies/{strategy}/export"), query),
        }
    }
}

/// How the request is sent.
#[derive(Debug, Clone)]
enum Request {
    /// A JSON body.
    Json(Method, Target, Value),
    /// A body of any bytes and media type, posted.
    Raw(Target, &'static str, Vec<u8>),
    /// A GET.
    Get(Target),
    /// A chunked trade body over the cap, with no `Content-Length`.
    ChunkedOverCap,
}

/// Which fields the refusal must blame.
#[derive(Debug, Clone)]
enum Blamed {
    /// Exactly these, in this order.
    Exactly(Vec<&'static str>),
    /// This one first.
    First(&'static str),
    /// The row does not say.
    Any,
}

/// One refused request.
#[derive(Debug, Clone)]
pub struct BadInput {
    /// The row's name, which names its trial.
    pub name: &'static str,
    request: Request,
    status: StatusCode,
    code: &'static str,
    blamed: Blamed,
}

const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

fn signal(name: &'static str, body: Value, fields: &[&'static str]) -> BadInput {
    BadInput {
        name,
        request: Request::Json(Method::POST, Target::Trades(""), body),
        status: UNPROCESSABLE,
        code: "validation_failed",
        blamed: Blamed::Exactly(fields.to_vec()),
    }
}

fn raw(name: &'static str, target: Target, content_type: &'static str, body: Vec<u8>, status: StatusCode) -> BadInput {
    let code = match status {
        StatusCode::BAD_REQUEST => "invalid_json",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        _ => "payload_too_large",
    };
    BadInput { name, request: Request::Raw(target, content_type, body), status, code, blamed: Blamed::Any }
}

fn field(name: &'static str, method: Method, target: Target, body: Value, first: &'static str) -> BadInput {
    BadInput {
        name,
        request: Request::Json(method, target, body),
        status: UNPROCESSABLE,
        code: "validation_failed",
        blamed: Blamed::First(first),
    }
}

/// A query the route refuses with 422 `validation_failed`.
fn bad_query(name: &'static str, target: Target) -> BadInput {
    get(name, target, UNPROCESSABLE, "validation_failed")
}

/// A file posted to the import route with `query`, refused with 422 `code` blaming exactly `blamed`.
fn file(name: &'static str, query: &'static str, file: &str, code: &'static str, blamed: &[&'static str]) -> BadInput {
    let request = Request::Raw(Target::Imports(query), "text/csv", file.as_bytes().to_vec());
    BadInput { name, request, status: StatusCode::UNPROCESSABLE_ENTITY, code, blamed: Blamed::Exactly(blamed.to_vec()) }
}

fn get(name: &'static str, target: Target, status: StatusCode, code: &'static str) -> BadInput {
    BadInput { name, request: Request::Get(target), status, code, blamed: Blamed::Any }
}

/// Every row of the table.
pub fn bad_inputs() -> Vec<BadInput> {
    let big_note = "x".repeat(9 * 1024);
    let future = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let backfill = json!({ "symbol": "EURUSD", "side": "BUY", "status": "CLOSED", "signal_time": "2026-01-01T00:00:00Z", "closed_at": "2026-01-02T00:00:00Z" });
    let trades = || Target::Trades("");
    let json_type = "application/json";
    let list = "Trade #,Type,Date/Time,Price USD,Contracts\n1,Exit long,2024-01-05 16:00,187,1\n\
                1,Entry long,2024-01-03 09:30,180,1\n";
    vec![
        raw(
            "a_json_body_on_the_import_route",
            Target::Imports("format=tradingview&symbol=ES1!"),
            json_type,
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        file("an_import_of_a_list_without_its_symbol", "format=tradingview", list, "validation_failed", &["symbol"]),
        file(
            "an_import_line_that_does_not_read",
            "symbol=ES1!",
            &list.replace("187", "one-eight-seven"),
            "validation_failed",
            &["line 2"],
        ),
        file("an_import_of_an_unknown_format", "format=excel&symbol=ES1!", list, "validation_failed", &["format"]),
        file("an_import_in_an_unknown_time_zone", "symbol=ES1!&tz=Mars/Olympus", list, "validation_failed", &["tz"]),
        file("an_import_of_a_file_of_no_known_format", "", "date,open,close\n", "validation_failed", &["format"]),
        file(
            "an_import_with_a_parameter_it_does_not_take",
            "symbol=ES1!&colour=red",
            list,
            "unknown_field",
            &["colour"],
        ),
        file(
            "an_export_imported_with_a_list_parameter",
            "format=quantarya&symbol=ES1!",
            "trade_id,strategy_id\n",
            "validation_failed",
            &["symbol"],
        ),
        get(
            "an_export_in_another_format",
            Target::Export("format=tradingview"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        signal("body_is_an_array", json!([1, 2]), &["body"]),
        BadInput {
            code: "unknown_field",
            ..signal("unknown_field", json!({ "symbol": "EURUSD", "side": "BUY", "colour": 1 }), &["colour"])
        },
        signal("entry_without_symbol_and_side", json!({ "entry": 1.0 }), &["symbol", "side"]),
        signal("entry_price_as_text", json!({ "symbol": "EURUSD", "side": "BUY", "entry": "1.08" }), &["entry"]),
        signal("negative_entry", json!({ "symbol": "EURUSD", "side": "BUY", "entry": -1 }), &["entry"]),
        signal(
            "an_entry_with_an_excursion",
            json!({ "symbol": "EURUSD", "side": "BUY", "entry": 1.08, "max_favorable_price": 1.09 }),
            &["max_favorable_price"],
        ),
        signal(
            "an_update_with_a_negative_excursion",
            json!({ "event": "update", "external_reference": "r", "max_adverse_price": -1 }),
            &["max_adverse_price"],
        ),
        signal("stop_loss_over_1e12", json!({ "symbol": "EURUSD", "side": "BUY", "stop_loss": 2e12 }), &["stop_loss"]),
        signal("side_hold", json!({ "symbol": "EURUSD", "side": "HOLD" }), &["side"]),
        signal("symbol_with_a_space", json!({ "symbol": "EUR USD", "side": "BUY" }), &["symbol"]),
        signal(
            "signal_time_not_rfc3339",
            json!({ "symbol": "EURUSD", "side": "BUY", "signal_time": "yesterday" }),
            &["signal_time"],
        ),
        signal(
            "signal_time_in_the_future",
            json!({ "symbol": "EURUSD", "side": "BUY", "signal_time": future }),
            &["signal_time"],
        ),
        signal("back_filled_close_without_close_price", backfill, &["close_price"]),
        signal(
            "close_price_on_an_open_entry",
            json!({ "symbol": "EURUSD", "side": "BUY", "close_price": 1.1 }),
            &["close_price"],
        ),
        signal("meta_not_an_object", json!({ "symbol": "EURUSD", "side": "BUY", "meta": "a note" }), &["meta"]),
        signal(
            "extensions_over_16_kib",
            json!({ "symbol": "EURUSD", "side": "BUY", "meta": { "n": big_note }, "context": { "n": big_note } }),
            &["extensions"],
        ),
        signal(
            "external_reference_over_128",
            json!({ "symbol": "EURUSD", "side": "BUY", "external_reference": "r".repeat(129) }),
            &["external_reference"],
        ),
        signal("unknown_event", json!({ "symbol": "EURUSD", "side": "BUY", "event": "teleport" }), &["event"]),
        signal("update_naming_no_trade", json!({ "event": "update", "stop_loss": 1.0 }), &["external_reference"]),
        signal("exit_with_status_open", json!({ "event": "exit", "symbol": "EURUSD", "status": "OPEN" }), &["status"]),
        signal(
            "update_with_close_price",
            json!({ "event": "update", "symbol": "EURUSD", "close_price": 1.0 }),
            &["close_price"],
        ),
        signal("quantity_zero", json!({ "symbol": "ES1!", "side": "BUY", "quantity": 0 }), &["quantity"]),
        signal("quantity_over_1e12", json!({ "symbol": "ES1!", "side": "BUY", "quantity": 1.5e12 }), &["quantity"]),
        signal("quantity_as_text", json!({ "symbol": "ES1!", "side": "BUY", "quantity": "2" }), &["quantity"]),
        signal("negative_fee", json!({ "symbol": "ES1!", "side": "BUY", "quantity": 1, "fees": -0.5 }), &["fees"]),
        signal("point_value_zero", json!({ "symbol": "ES1!", "side": "BUY", "point_value": 0 }), &["point_value"]),
        signal(
            "quantity_on_a_cancel",
            json!({ "event": "exit", "symbol": "ES1!", "status": "CANCELLED", "quantity": 1 }),
            &["quantity"],
        ),
        signal(
            "fees_on_a_cancel",
            json!({ "event": "exit", "symbol": "ES1!", "status": "CANCELLED", "fees": 1 }),
            &["fees"],
        ),
        signal("quantity_on_an_update", json!({ "event": "update", "symbol": "ES1!", "quantity": 1 }), &["quantity"]),
        signal(
            "point_value_on_an_exit",
            json!({ "event": "exit", "symbol": "ES1!", "point_value": 50 }),
            &["point_value"],
        ),
        signal(
            "nul_in_an_extension",
            json!({ "symbol": "EURUSD", "side": "BUY", "meta": { "bad": "\u{0}" } }),
            &["extensions"],
        ),
        raw("truncated_json", trades(), json_type, b"{\"symbol\": ".to_vec(), StatusCode::BAD_REQUEST),
        raw("not_utf8", trades(), json_type, vec![b'{', 0xff, 0xfe, b'}'], StatusCode::BAD_REQUEST),
        raw(
            "number_beyond_f64",
            trades(),
            json_type,
            b"{\"symbol\":\"X\",\"side\":\"BUY\",\"entry\":1e400}".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        raw("xml_body", trades(), "application/xml", b"<trade/>".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        raw(
            "body_over_64_kib",
            trades(),
            json_type,
            format!("{{\"meta\":{{\"n\":\"{}\"}}}}", "x".repeat(70 * 1024)).into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        raw(
            "text_plain_on_a_json_route",
            Target::Strategies,
            "text/plain",
            br#"{"title":"x"}"#.to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        BadInput {
            name: "chunked_body_over_the_cap",
            request: Request::ChunkedOverCap,
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            blamed: Blamed::Any,
        },
        field("blank_strategy_title", Method::POST, Target::Strategies, json!({ "title": "  " }), "title"),
        field(
            "eleven_tags",
            Method::POST,
            Target::Strategies,
            json!({ "title": "x", "tags": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>() }),
            "tags",
        ),
        field("empty_strategy_patch", Method::PATCH, Target::Strategy, json!({}), "body"),
        field(
            "currency_of_two_letters",
            Method::POST,
            Target::Strategies,
            json!({ "title": "x", "currency": "US" }),
            "currency",
        ),
        field("strategy_title_patched_to_null", Method::PATCH, Target::Strategy, json!({ "title": null }), "title"),
        field(
            "eleven_tags_even_with_duplicates",
            Method::POST,
            Target::Strategies,
            json!({ "title": "x", "tags": vec!["fx"; 11] }),
            "tags",
        ),
        field("short_user_name", Method::POST, Target::Me, json!({ "user_name": "a" }), "user_name"),
        field("bio_over_500", Method::POST, Target::Me, json!({ "bio": "x".repeat(501) }), "bio"),
        field("empty_key_name", Method::POST, Target::ApiKeys, json!({ "key_name": "" }), "key_name"),
        field(
            "signal_age_zero",
            Method::POST,
            Target::Strategies,
            json!({ "title": "t", "max_signal_age_seconds": 0 }),
            "max_signal_age_seconds",
        ),
        field(
            "signal_age_over_a_day",
            Method::PATCH,
            Target::Strategy,
            json!({ "max_signal_age_seconds": 86401 }),
            "max_signal_age_seconds",
        ),
        field(
            "signal_age_in_words",
            Method::POST,
            Target::Strategies,
            json!({ "title": "t", "max_signal_age_seconds": "60" }),
            "max_signal_age_seconds",
        ),
        field(
            "signal_age_fractional",
            Method::PATCH,
            Target::Strategy,
            json!({ "max_signal_age_seconds": 1.5 }),
            "max_signal_age_seconds",
        ),
        field("no_key_scopes", Method::POST, Target::ApiKeys, json!({ "key_name": "k", "scopes": [] }), "scopes"),
        field(
            "unknown_key_scope",
            Method::POST,
            Target::ApiKeys,
            json!({ "key_name": "k", "scopes": ["admin"] }),
            "scopes",
        ),
        field(
            "more_key_scopes_than_there_are",
            Method::POST,
            Target::ApiKeys,
            json!({ "key_name": "k", "scopes": ["signals", "read", "manage", "signals"] }),
            "scopes",
        ),
        field(
            "scope_in_capitals",
            Method::POST,
            Target::ApiKeys,
            json!({ "key_name": "k", "scopes": ["SIGNALS"] }),
            "scopes",
        ),
        field(
            "no_key_strategies",
            Method::POST,
            Target::ApiKeys,
            json!({ "key_name": "k", "strategy_ids": [] }),
            "strategy_ids",
        ),
        field(
            "key_strategy_not_an_id",
            Method::POST,
            Target::ApiKeys,
            json!({ "key_name": "k", "strategy_ids": ["nope"] }),
            "strategy_ids",
        ),
        field(
            "key_strategy_of_no_one",
            Method::POST,
            Target::ApiKeys,
            json!({ "key_name": "k", "strategy_ids": ["strat_0192f0c17a4b7cde8f0123456789abcd"] }),
            "strategy_ids",
        ),
        field(
            "key_strategies_over_100",
            Method::POST,
            Target::ApiKeys,
            json!({ "key_name": "k", "strategy_ids": vec!["strat_0192f0c17a4b7cde8f0123456789abcd"; 101] }),
            "strategy_ids",
        ),
        field(
            "key_ended_already",
            Method::POST,
            Target::ApiKeys,
            json!({ "key_name": "k", "expires_at": "2020-01-01T00:00:00Z" }),
            "expires_at",
        ),
        field(
            "key_ends_in_ten_years",
            Method::POST,
            Target::ApiKeys,
            json!({ "key_name": "k", "expires_at": "2036-12-01T00:00:00Z" }),
            "expires_at",
        ),
        bad_query("limit_zero", Target::Trades("limit=0")),
        bad_query("limit_501", Target::Trades("limit=501")),
        bad_query("limit_in_words", Target::Trades("limit=ten")),
        bad_query("forged_cursor", Target::Trades("cursor=forged")),
        bad_query(
            "cursor_before_1970",
            Target::Trades("cursor=c1.-8000000000000000000.0192f0c17a4b7cde8f0123456789abcd"),
        ),
        bad_query("status_won", Target::Trades("status=WON")),
        bad_query("empty_symbol_filter", Target::Trades("symbol=")),
        bad_query("trade_list_from_after_to", Target::Trades("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")),
        bad_query("stats_from_in_words", Target::Stats("from=yesterday")),
        bad_query("stats_from_after_to", Target::Stats("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")),
        get("stats_unknown_parameter", Target::Stats("since=1"), UNPROCESSABLE, "unknown_field"),
        bad_query("stats_in_an_unknown_time_zone", Target::Stats("tz=Mars/Olympus")),
        bad_query("stats_in_a_time_zone_abbreviation", Target::Stats("tz=EST5EDT_NOT")),
        bad_query("signal_log_outcome_maybe", Target::Signals("outcome=maybe")),
        bad_query("signal_log_outcome_empty", Target::Signals("outcome=")),
        bad_query("signal_log_limit_zero", Target::Signals("limit=0")),
        bad_query("signal_log_forged_cursor", Target::Signals("cursor=c1.x.y")),
        get("signal_log_unknown_parameter", Target::Signals("status=OPEN"), UNPROCESSABLE, "unknown_field"),
        get("trade_list_unknown_parameter", Target::Trades("limt=5"), UNPROCESSABLE, "unknown_field"),
        get("strategy_id_nope", Target::StrategyNamed("nope"), StatusCode::NOT_FOUND, "not_found"),
        get("strategy_id_prefix_only", Target::StrategyNamed("strat_"), StatusCode::NOT_FOUND, "not_found"),
        get(
            "trade_id_as_strategy_id",
            Target::StrategyNamed("trd_0192f0c17a4b7cde8f0123456789abcd"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ]
}

/// Sends `row` as a fresh user with one strategy: it is refused as the row says, and nothing is stored.
pub async fn refused(app: &TestApp, row: &BadInput) {
    let user = app.user().await;
    let sid = app.strategy(&user).await;
    let t = Some(user.token.as_str());
    let reply = match &row.request {
        Request::Json(method, target, body) => {
            app.call(method.clone(), &target.path(&sid), t, Some(body.clone())).await
        }
        Request::Raw(target, content_type, body) => {
            app.call_raw(Method::POST, &target.path(&sid), t, content_type, body.clone()).await
        }
        Request::Get(target) => app.call(Method::GET, &target.path(&sid), t, None).await,
        Request::ChunkedOverCap => {
            let answer = raw_chunked_post(app, &trades_path(&sid), &user.token, 70 * 1024).await;
            assert!(answer.starts_with(&format!("HTTP/1.1 {}", row.status.as_u16())), "{}: {answer}", row.name);
            assert!(answer.contains(row.code), "{}: {answer}", row.name);
            return nothing_stored(app, &user, &sid).await;
        }
    };
    assert_error(&reply, row.status, row.code);
    let details = reply.body["error"]["details"].as_array().cloned().unwrap_or_default();
    let blamed: Vec<&str> = details.iter().filter_map(|d| d["field"].as_str()).collect();
    match &row.blamed {
        Blamed::Exactly(fields) => assert_eq!(&blamed, fields, "{}", row.name),
        Blamed::First(field) => assert_eq!(blamed.first(), Some(field), "{}", row.name),
        Blamed::Any => {}
    }
    nothing_stored(app, &user, &sid).await;
}

/// The user's book is as it was made: one strategy, no trade, no key, the profile unchanged.
async fn nothing_stored(app: &TestApp, user: &crate::http::TestUser, sid: &str) {
    let t = Some(user.token.as_str());
    assert!(list_trades(app, user, sid).await.is_empty(), "no refused request stored a trade");
    let strategies = app.call(Method::GET, "/strategies", t, None).await;
    assert_eq!(strategies.data().as_array().map(Vec::len), Some(1), "no refused request stored a strategy");
    assert_eq!(app.call(Method::GET, "/api-keys", t, None).await.data(), &json!([]), "nor a key");
    let me = app.call(Method::GET, "/me", t, None).await;
    assert_eq!(
        (me.field("user_name"), me.data()["bio"].clone()),
        (user.name.clone(), Value::Null),
        "nor a profile change"
    );
}
