//! `/strategies`.

use actix_web::{HttpRequest, HttpResponse, web};
use quantarya_domain::{StrategyId, Timestamp};
use quantarya_ports::FieldError;
use quantarya_ports::outbound::CloseRange;

use crate::AppState;
use crate::auth::Authenticated;
use crate::body::{Media, json_object};
use crate::dto::stats::StatsView;
use crate::dto::strategy::{StrategyDeletionView, StrategyView, parse_new_strategy, parse_strategy_change};
use crate::error::ApiError;
use crate::reply;
use crate::routes::{path_id, required_body};

/// `GET /strategies`.
pub async fn list(state: web::Data<AppState>, who: Authenticated) -> Result<HttpResponse, ApiError> {
    let strategies = state.journal.list_strategies(&who.0).await?;
    Ok(reply::ok("Strategies found", strategies.into_iter().map(StrategyView::from).collect::<Vec<_>>()))
}

/// `POST /strategies`.
pub async fn create(
    state: web::Data<AppState>,
    who: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let new = parse_new_strategy(required_body(json_object(&req, payload, Media::Json).await?)?)?;
    let strategy = state.journal.create_strategy(&who.0, new).await?;
    Ok(reply::created("Strategy created", StrategyView::from(strategy)))
}

/// `GET /strategies/{strategy_id}`.
pub async fn get(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: StrategyId = path_id(&id, "strategy")?;
    let strategy = state.journal.get_strategy(&who.0, id).await?;
    Ok(reply::ok("Strategy found", StrategyView::from(strategy)))
}

/// `PATCH /strategies/{strategy_id}`.
pub async fn update(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id: StrategyId = path_id(&id, "strategy")?;
    let change = parse_strategy_change(required_body(json_object(&req, payload, Media::Json).await?)?)?;
    let strategy = state.journal.update_strategy(&who.0, id, change).await?;
    Ok(reply::ok("Strategy updated", StrategyView::from(strategy)))
}

/// `DELETE /strategies/{strategy_id}`.
pub async fn delete(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: StrategyId = path_id(&id, "strategy")?;
    let deletion = state.journal.delete_strategy(&who.0, id).await?;
    Ok(reply::ok("Strategy and its trades deleted", StrategyDeletionView::from(deletion)))
}

/// `GET /strategies/{strategy_id}/stats`: performance over the trades closed within `from`–`to`.
pub async fn stats(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id: StrategyId = path_id(&id, "strategy")?;
    let range = parse_range(req.query_string())?;
    let stats = state.journal.strategy_stats(&who.0, id, range).await?;
    Ok(reply::ok("Strategy performance", StatsView::from(&stats)))
}

/// `from` and `to` (RFC 3339, on `closed_at`); anything else is 422.
fn parse_range(raw: &str) -> Result<CloseRange, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
        .map_err(|_| ApiError::invalid(vec![FieldError::new("query", "is not a valid query string")], false))?;
    let mut range = CloseRange::default();
    let (mut errors, mut unknown) = (Vec::new(), false);
    for (name, value) in pairs {
        let slot = match name.as_str() {
            "from" => &mut range.from,
            "to" => &mut range.to,
            other => {
                unknown = true;
                errors.push(FieldError::new(other, "is not a parameter of this route"));
                continue;
            }
        };
        match Timestamp::parse_rfc3339(&value) {
            Ok(time) => *slot = Some(time),
            Err(error) => errors.push(FieldError::new(name, error)),
        }
    }
    if errors.is_empty() { Ok(range) } else { Err(ApiError::invalid(errors, unknown)) }
}
