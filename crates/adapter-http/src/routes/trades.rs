//! `/strategies/{strategy_id}/trades`.

use actix_web::{HttpRequest, HttpResponse, web};
use quantarya_domain::{RawApiKey, Side, Status, StrategyId, Symbol, TradeId};
use quantarya_ports::outbound::{TradeCursor, TradeFilter};
use quantarya_ports::{FieldError, Principal, SignalEffect, SignalIdentity, TradeQuery};
use serde_json::Value;

use crate::auth::{Authenticated, bearer};
use crate::auth_kind::Auth;
use crate::body::{Media, json_object, parse_object, read_capped};
use crate::dto::trade::{
    CloseTradeRequest, CreateTradeRequest, TradeEventView, TradeView, UpdateTradeRequest, parse_close, parse_patch,
    parse_signal,
};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::fields::FieldReader;
use crate::idempotency::{self, IDEMPOTENCY_KEY_PARAM};
use crate::query::{self, QueryReader};
use crate::reply;
use crate::route::{
    Body, Param, ParamKind, RouteSpec, SchemaRef, Verb, created, json, linked, many, ok, one, page, route,
};
use crate::routes::{STRATEGY_ID, path_id, required_body};
use crate::signal_record::{self, Applied, SentBody};
use crate::state::{AppState, state as app_state};
use quantarya_ports::Operation;

const TRADE_ID: Param =
    Param { name: "trade_id", description: "The trade identifier inside the target strategy.", kind: ParamKind::Text };
const TRADE_IDS: &[Param] = &[STRATEGY_ID, TRADE_ID];

/// The query of a trade list.
const TRADE_QUERY: &[Param] = &[
    Param { name: "limit", description: "Page size, 1–500 (default 100).", kind: ParamKind::PageSize },
    Param { name: "cursor", description: "The `next_cursor` of the previous page.", kind: ParamKind::Cursor },
    Param {
        name: "status",
        description: "Only trades with this status.",
        kind: ParamKind::OneOf(&["OPEN", "CLOSED", "CANCELLED"]),
    },
    Param { name: "symbol", description: "Only trades of this symbol.", kind: ParamKind::Symbol },
    Param { name: "side", description: "Only trades of this side.", kind: ParamKind::OneOf(&["BUY", "SELL"]) },
    Param { name: "from", description: "Only trades opened at or after this time (RFC 3339).", kind: ParamKind::Time },
    Param { name: "to", description: "Only trades opened at or before this time (RFC 3339).", kind: ParamKind::Time },
];

const TRADE_LINKS: &[&str] = &["get_trade", "update_trade", "close_trade", "list_trade_events", "delete_trade"];

/// The routes of `/strategies/{strategy_id}/trades`.
pub const ROUTES: &[RouteSpec] = &[
    RouteSpec {
        path_params: &[STRATEGY_ID],
        query: TRADE_QUERY,
        success: &[ok("Trade collection, newest first by opened_at.", page::<TradeView>())],
        ..route(
            Verb::Get,
            "/strategies/{strategy_id}/trades",
            "list_trades",
            "Trades",
            "List trades",
            "List the trades stored under one strategy, newest first, a page at a time.",
            Auth::Bearer(Operation::ListTrades),
            |r| r.to(list),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID],
        body: Some(Body { schema: SchemaRef::of::<CreateTradeRequest>(), required: true, media: Media::JsonOrText }),
        success: &[
            linked(
                created("Trade created (an entry, or a back-filled closed or cancelled trade).", one::<TradeView>()),
                TRADE_LINKS,
            ),
            linked(
                ok(
                    "An update, scale-in or exit applied, or a repeated entry or exit answered with its trade unchanged (a \
                     request answered from its receipt carries `Idempotent-Replayed: true`).",
                    one::<TradeView>(),
                ),
                TRADE_LINKS,
            ),
        ],
        headers: &[IDEMPOTENCY_KEY_PARAM],
        conflicts: &[
            ErrorCode::AmbiguousTrade,
            ErrorCode::SymbolMismatch,
            ErrorCode::TradeAlreadyOpen,
            ErrorCode::InvalidTransition,
            ErrorCode::ConcurrentUpdate,
        ],
        refusals: &[ErrorCode::IdempotencyKeyReused, ErrorCode::SignalStale],
        ..route(
            Verb::Post,
            "/strategies/{strategy_id}/trades",
            "create_trade",
            "Trades",
            "Create trade",
            "Create a new trade or signal record for a target strategy: an `entry` opens a trade (with a \
                 `quantity`, on an open reference, it adds to that position), an `update` changes an open one, an \
                 `exit` closes or cancels it (with a `quantity` below what is open, it takes that much off). Webhook \
                 retries are harmless. Senders that \
                 cannot set headers (TradingView) may send `text/plain` holding JSON, with the API key as `api_key`. Each \
                 answer, accepted or refused, is kept in the strategy's signal log \
                 (`GET /strategies/{strategy_id}/signals`).",
            Auth::Bearer(Operation::SubmitSignal),
            |r| r.to(create),
        )
    },
    RouteSpec {
        path_params: TRADE_IDS,
        success: &[ok("Trade found.", one::<TradeView>())],
        ..route(
            Verb::Get,
            "/strategies/{strategy_id}/trades/{trade_id}",
            "get_trade",
            "Trades",
            "Get trade",
            "Return one stored trade from a strategy.",
            Auth::Bearer(Operation::GetTrade),
            |r| r.to(get),
        )
    },
    RouteSpec {
        path_params: TRADE_IDS,
        body: json::<UpdateTradeRequest>(),
        success: &[ok("Trade updated.", one::<TradeView>())],
        conflicts: &[ErrorCode::InvalidTransition, ErrorCode::ConcurrentUpdate],
        ..route(
            Verb::Patch,
            "/strategies/{strategy_id}/trades/{trade_id}",
            "update_trade",
            "Trades",
            "Update trade",
            "Apply a partial update to an existing trade: close or cancel an open trade, correct a closed one, or \
                 change its stop loss, take profit or notes.",
            Auth::Bearer(Operation::PatchTrade),
            |r| r.to(patch),
        )
    },
    RouteSpec {
        path_params: TRADE_IDS,
        success: &[ok("Trade deleted, with its history.", one::<TradeView>())],
        conflicts: &[ErrorCode::TradeNotManual],
        ..route(
            Verb::Delete,
            "/strategies/{strategy_id}/trades/{trade_id}",
            "delete_trade",
            "Trades",
            "Delete manual trade",
            "Delete an existing trade only when it was created manually; a trade that arrived through an API key \
                 can be cancelled, never erased.",
            Auth::Bearer(Operation::DeleteTrade),
            |r| r.to(delete),
        )
    },
    RouteSpec {
        path_params: TRADE_IDS,
        body: Some(Body { schema: SchemaRef::of::<CloseTradeRequest>(), required: false, media: Media::Json }),
        success: &[ok("Trade closed, or part of it taken off (a `quantity` below what is open).", one::<TradeView>())],
        conflicts: &[ErrorCode::InvalidTransition, ErrorCode::ConcurrentUpdate],
        ..route(
            Verb::Post,
            "/strategies/{strategy_id}/trades/{trade_id}/close",
            "close_trade",
            "Trades",
            "Close trade",
            "Close an existing trade and optionally store the final price; with a `quantity` below what is open, take \
                 that much off a sized position and leave it open (a partial exit).",
            Auth::Bearer(Operation::CloseTrade),
            |r| r.to(close),
        )
    },
    RouteSpec {
        path_params: TRADE_IDS,
        success: &[ok("The trade's history, oldest first.", many::<TradeEventView>())],
        ..route(
            Verb::Get,
            "/strategies/{strategy_id}/trades/{trade_id}/events",
            "list_trade_events",
            "Trades",
            "List trade history",
            "Every change of the trade, oldest first: what happened, when, by which kind of \
                 credential, and the fields it set.",
            Auth::Bearer(Operation::TradeHistory),
            |r| r.to(history),
        )
    },
];

fn ids(path: &(String, String)) -> Result<(StrategyId, TradeId), ApiError> {
    Ok((path_id(&path.0, "strategy")?, path_id(&path.1, "trade")?))
}

/// `POST /strategies/{strategy_id}/trades`: a signal. Takes `application/json` or `text/plain` holding JSON, and
/// the API key in the body as `api_key` when no `Authorization` header is sent. The body is read (and its size
/// checked) first, because it may carry the credential; credentials are checked before any field. Once the request
/// is known to be the owner's, its outcome, accepted or refused, goes to the strategy's signal log.
pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    strategy: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let state = app_state(&req)?;
    let header = bearer(&req)?;
    let bytes = read_capped(&req, payload).await?;
    let object = match parse_object(&req, &bytes, Media::JsonOrText).and_then(required_body) {
        Ok(object) => object,
        Err(refused) => return Err(refused_unparsed(&req, &state, header, &strategy, &bytes, refused).await),
    };
    let sent = SentBody::parsed(&bytes, &object);
    // Named by the body as sent (the hash leaves the key out), read before the key is taken out of it.
    let identity = idempotency::identity(&req, &object);
    let mut reader = FieldReader::new::<CreateTradeRequest>(object);
    let body_key = reader.take("api_key");
    let token = match (header, body_key) {
        (Some(token), None) => token,
        // Only an API key may travel in the body: a user JWT belongs in the header.
        (None, Some(Value::String(key))) if key.starts_with(RawApiKey::PREFIX) => key,
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                vec![FieldError::new(
                    "api_key",
                    "send credentials in the Authorization header or as api_key, not both",
                )],
                false,
            ));
        }
        (None, _) => return Err(ApiError::unauthorized()),
    };
    let principal = state.journal.authenticate(&token).await?;
    let strategy = path_id::<StrategyId>(&strategy, "strategy");
    let logged_in = strategy.as_ref().ok().copied();
    let answer = apply(&req, &state, &principal, strategy, identity, reader).await;
    if let Some(strategy) = logged_in {
        let logged = answer.as_ref().map(|(applied, _)| applied);
        signal_record::record(&state, &principal, strategy, sent, logged);
    }
    answer.map(|(_, response)| response)
}

/// The answer to a signal whose body did not parse: `refused`, as it always was, whatever the credential. When the
/// header's credential, or else a key the body names, is its owner's, the owner's budget is spent (429 instead, once
/// it is over) and the answer goes to the strategy's log, so that the owner may read why.
async fn refused_unparsed(
    req: &HttpRequest,
    state: &AppState,
    header: Option<String>,
    strategy: &str,
    bytes: &[u8],
    refused: ApiError,
) -> ApiError {
    let (Some(token), Ok(strategy)) =
        (header.or_else(|| signal_record::body_key(bytes)), path_id(strategy, "strategy"))
    else {
        return refused;
    };
    let Ok(principal) = state.journal.authenticate(&token).await else {
        return refused;
    };
    let answer = match crate::rate_limit::spend(req, &state.limits, &principal) {
        Ok(()) => refused,
        Err(limited) => limited,
    };
    signal_record::record(state, &principal, strategy, SentBody::unparsed(bytes), Err(&answer));
    answer
}

/// Applies a signal of an authenticated principal: its budget, its scope, its fields, then the use case.
async fn apply(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    strategy: Result<StrategyId, ApiError>,
    identity: Result<SignalIdentity, ApiError>,
    reader: FieldReader,
) -> Result<(Applied, HttpResponse), ApiError> {
    crate::rate_limit::spend(req, &state.limits, principal)?;
    // A key without the `signals` scope learns nothing of the fields (the use case checks it again).
    quantarya_ports::admit(principal, quantarya_ports::Operation::SubmitSignal)?;
    let strategy = strategy?;
    let identity = identity?;
    let signal = parse_signal(reader)?;
    let outcome = state.journal.submit_signal(principal, strategy, signal, Some(identity)).await?;
    let trade_id = outcome.trade.id;
    let view = TradeView::from(outcome.trade);
    let message = match outcome.effect {
        SignalEffect::Created => "Trade created",
        SignalEffect::Updated => "Trade updated",
        SignalEffect::Added => "Added to the position",
        SignalEffect::Reduced => "Part of the position closed; the trade stays open",
        SignalEffect::Unchanged => "Trade already up to date; nothing changed",
        SignalEffect::Closed => "Trade closed",
        SignalEffect::Cancelled => "Trade cancelled",
        SignalEffect::AlreadyClosed => "Trade already closed; nothing changed",
        SignalEffect::Replayed => "Signal already applied; nothing changed",
    };
    let response = match outcome.effect {
        SignalEffect::Created => reply::created(message, view),
        SignalEffect::Replayed => idempotency::replayed(reply::ok(message, view)),
        _ => reply::ok(message, view),
    };
    let repeat = outcome.effect == SignalEffect::Replayed;
    Ok((Applied { status: response.status(), message, trade_id, repeat }, response))
}

/// The query of a trade list: `limit`, `cursor`, `status`, `symbol`, `side`, `from`, `to`; anything else is 422.
fn parse_query(raw: &str) -> Result<TradeQuery, ApiError> {
    let mut reader = QueryReader::new(raw, TRADE_QUERY)?;
    let limit = reader.get("limit", query::page_limit);
    let cursor = reader.get("cursor", |v| TradeCursor::decode(v).map_err(|e| e.message));
    let filter = TradeFilter {
        status: reader.get("status", |v| Status::parse(v).map_err(|e| e.to_string())),
        symbol: reader.get("symbol", |v| Symbol::parse(v).map_err(|e| e.to_string())),
        side: reader.get("side", |v| Side::parse(v).map_err(|e| e.to_string())),
        from: reader.get("from", query::time),
        to: reader.get("to", query::time),
    };
    reader.finish()?;
    Ok(TradeQuery { filter, limit: limit.unwrap_or_default(), cursor })
}

/// `GET /strategies/{strategy_id}/trades`: newest first, paginated.
pub async fn list(
    state: web::Data<AppState>,
    who: Authenticated,
    strategy: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let strategy: StrategyId = path_id(&strategy, "strategy")?;
    let query = parse_query(req.query_string())?;
    let page = state.journal.list_trades(&who.0, strategy, query).await?;
    let trades: Vec<TradeView> = page.trades.into_iter().map(TradeView::from).collect();
    Ok(reply::page("Trades found", trades, page.next_cursor.map(|c| c.encode())))
}

/// `GET /strategies/{strategy_id}/trades/{trade_id}`.
pub async fn get(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (strategy, trade) = ids(&path)?;
    let trade = state.journal.get_trade(&who.0, strategy, trade).await?;
    Ok(reply::ok("Trade found", TradeView::from(trade)))
}

/// `PATCH /strategies/{strategy_id}/trades/{trade_id}`.
pub async fn patch(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (strategy, trade) = ids(&path)?;
    let patch = parse_patch(required_body(json_object(&req, payload, Media::Json).await?)?)?;
    let trade = state.journal.patch_trade(&who.0, strategy, trade, patch).await?;
    Ok(reply::ok("Trade updated", TradeView::from(trade)))
}

/// `DELETE /strategies/{strategy_id}/trades/{trade_id}`: manual trades only.
pub async fn delete(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (strategy, trade) = ids(&path)?;
    let trade = state.journal.delete_trade(&who.0, strategy, trade).await?;
    Ok(reply::ok("Trade deleted", TradeView::from(trade)))
}

/// `POST /strategies/{strategy_id}/trades/{trade_id}/close`; the body is optional.
pub async fn close(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (strategy, trade) = ids(&path)?;
    let close = parse_close(json_object(&req, payload, Media::Json).await?)?;
    let trade = state.journal.close_trade(&who.0, strategy, trade, close).await?;
    let message =
        if trade.status == Status::Open { "Part of the position closed; the trade stays open" } else { "Trade closed" };
    Ok(reply::ok(message, TradeView::from(trade)))
}

/// `GET /strategies/{strategy_id}/trades/{trade_id}/events`: the trade's history, oldest first.
pub async fn history(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (strategy, trade) = ids(&path)?;
    let events = state.journal.trade_history(&who.0, strategy, trade).await?;
    Ok(reply::ok("Trade history found", events.into_iter().map(TradeEventView::from).collect::<Vec<_>>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_every_filter_and_name_every_bad_one() {
        let query =
            parse_query("limit=5&status=closed&symbol=eurusd&side=long&from=2026-05-01T00:00:00Z").expect("valid");
        assert_eq!(query.limit.get(), 5);
        assert_eq!(query.filter.status, Some(Status::Closed));
        assert_eq!(query.filter.side, Some(Side::Buy));
        assert_eq!(query.filter.symbol.map(|s| s.to_string()), Some("EURUSD".to_owned()));
        let error = parse_query("limit=0&cursor=nope&colour=red").expect_err("three problems");
        let envelope = error.envelope();
        assert_eq!(envelope.error.code, "unknown_field");
        let fields: Vec<&str> = envelope.error.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["limit", "cursor", "colour"]);
        assert!(parse_query("").is_ok());
    }
}
