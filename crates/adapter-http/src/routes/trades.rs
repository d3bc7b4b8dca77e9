//! `/strategies/{strategy_id}/trades`.

use actix_web::{HttpRequest, HttpResponse, web};
use quantarya_domain::{RawApiKey, Side, Status, StrategyId, Symbol, Timestamp, TradeId};
use quantarya_ports::outbound::{TradeCursor, TradeFilter};
use quantarya_ports::{FieldError, PageLimit, SignalEffect, TradeQuery};
use serde_json::Value;

use crate::AppState;
use crate::auth::{Authenticated, bearer, state as app_state};
use crate::body::{Media, json_object};
use crate::dto::trade::{CreateTradeRequest, TradeEventView, TradeView, parse_close, parse_patch, parse_signal};
use crate::error::ApiError;
use crate::fields::FieldReader;
use crate::reply;
use crate::routes::{path_id, required_body};

fn ids(path: &(String, String)) -> Result<(StrategyId, TradeId), ApiError> {
    Ok((path_id(&path.0, "strategy")?, path_id(&path.1, "trade")?))
}

/// `POST /strategies/{strategy_id}/trades`: a signal. Takes `application/json` or `text/plain` holding JSON, and
/// the API key in the body as `api_key` when no `Authorization` header is sent. The body is read (and its size
/// checked) first, because it may carry the credential; credentials are checked before any field.
pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    strategy: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let state = app_state(&req)?;
    let header = bearer(&req)?;
    let object = required_body(json_object(&req, payload, Media::JsonOrText).await?)?;
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
    let strategy: StrategyId = path_id(&strategy, "strategy")?;
    let signal = parse_signal(reader)?;
    let outcome = state.journal.submit_signal(&principal, strategy, signal).await?;
    let view = TradeView::from(outcome.trade);
    Ok(match outcome.effect {
        SignalEffect::Created => reply::created("Trade created", view),
        SignalEffect::AlreadyOpen => reply::ok("Trade already open; nothing changed", view),
        SignalEffect::Updated => reply::ok("Trade updated", view),
        SignalEffect::Unchanged => reply::ok("Trade already up to date; nothing changed", view),
        SignalEffect::Closed => reply::ok("Trade closed", view),
        SignalEffect::Cancelled => reply::ok("Trade cancelled", view),
        SignalEffect::AlreadyClosed => reply::ok("Trade already closed; nothing changed", view),
    })
}

/// The query of a trade list: `limit`, `cursor`, `status`, `symbol`, `side`, `from`, `to`; anything else is 422.
fn parse_query(raw: &str) -> Result<TradeQuery, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
        .map_err(|_| ApiError::invalid(vec![FieldError::new("query", "is not a valid query string")], false))?;
    let mut query = TradeQuery::default();
    let mut filter = TradeFilter::default();
    let mut errors = Vec::new();
    let mut unknown = false;
    let mut blame = |field: &str, message: String| errors.push(FieldError::new(field, message));
    for (name, value) in pairs {
        match name.as_str() {
            "limit" => match value.parse::<i64>().ok().map(PageLimit::new) {
                Some(Ok(limit)) => query.limit = limit,
                _ => blame("limit", format!("must be a whole number between 1 and {}", PageLimit::MAX)),
            },
            "cursor" => match TradeCursor::decode(&value) {
                Ok(cursor) => query.cursor = Some(cursor),
                Err(error) => blame("cursor", error.message),
            },
            "status" => match Status::parse(&value) {
                Ok(status) => filter.status = Some(status),
                Err(error) => blame("status", error.to_string()),
            },
            "symbol" => match Symbol::parse(&value) {
                Ok(symbol) => filter.symbol = Some(symbol),
                Err(error) => blame("symbol", error.to_string()),
            },
            "side" => match Side::parse(&value) {
                Ok(side) => filter.side = Some(side),
                Err(error) => blame("side", error.to_string()),
            },
            "from" => match Timestamp::parse_rfc3339(&value) {
                Ok(from) => filter.from = Some(from),
                Err(error) => blame("from", error.to_string()),
            },
            "to" => match Timestamp::parse_rfc3339(&value) {
                Ok(to) => filter.to = Some(to),
                Err(error) => blame("to", error.to_string()),
            },
            other => {
                unknown = true;
                blame(other, "is not a parameter of this route".to_owned());
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors, unknown));
    }
    query.filter = filter;
    Ok(query)
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
    Ok(reply::ok("Trade closed", TradeView::from(trade)))
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
