//! `/strategies`.

use actix_web::{HttpRequest, HttpResponse, web};
use quantarya_domain::StrategyId;

use crate::auth::Authenticated;
use crate::auth_kind::Auth;
use crate::body::{Media, json_object};
use crate::dto::strategy::{
    CreateStrategyRequest, StrategyDeletionView, StrategyView, UpdateStrategyRequest, parse_new_strategy,
    parse_strategy_change,
};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::reply;
use crate::route::{RouteSpec, Verb, created, json, linked, many, ok, one, route};
use crate::routes::{STRATEGY_ID, path_id, required_body};
use crate::state::AppState;
use quantarya_ports::Operation;

const STRATEGY_LINKS: &[&str] = &["get_strategy", "update_strategy", "delete_strategy", "list_trades", "create_trade"];

/// The routes of `/strategies`.
pub const ROUTES: &[RouteSpec] = &[
    RouteSpec {
        success: &[ok("Strategy collection, newest first.", many::<StrategyView>())],
        ..route(
            Verb::Get,
            "/strategies",
            "list_strategies",
            "Strategies",
            "List strategies",
            "List all strategies belonging to the authenticated user.",
            Auth::Bearer(Operation::ListStrategies),
            |r| r.to(list),
        )
    },
    RouteSpec {
        body: json::<CreateStrategyRequest>(),
        success: &[linked(created("Strategy created.", one::<StrategyView>()), STRATEGY_LINKS)],
        conflicts: &[ErrorCode::StrategyLimit],
        ..route(
            Verb::Post,
            "/strategies",
            "create_strategy",
            "Strategies",
            "Create strategy",
            "Create a new strategy workspace for the authenticated user. At most 200 strategies per user.",
            Auth::Bearer(Operation::CreateStrategy),
            |r| r.to(create),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID],
        success: &[ok("Strategy found.", one::<StrategyView>())],
        ..route(
            Verb::Get,
            "/strategies/{strategy_id}",
            "get_strategy",
            "Strategies",
            "Get strategy",
            "Return one strategy belonging to the authenticated user.",
            Auth::Bearer(Operation::GetStrategy),
            |r| r.to(get),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID],
        body: json::<UpdateStrategyRequest>(),
        success: &[ok("Strategy updated.", one::<StrategyView>())],
        conflicts: &[ErrorCode::ConcurrentUpdate],
        ..route(
            Verb::Patch,
            "/strategies/{strategy_id}",
            "update_strategy",
            "Strategies",
            "Update strategy",
            "Change a strategy's title, description, tags or visibility; omitted fields keep their value.",
            Auth::Bearer(Operation::UpdateStrategy),
            |r| r.to(update),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID],
        success: &[ok("Strategy deleted with its trades.", one::<StrategyDeletionView>())],
        ..route(
            Verb::Delete,
            "/strategies/{strategy_id}",
            "delete_strategy",
            "Strategies",
            "Delete strategy",
            "Delete one strategy belonging to the authenticated user, with all its trades.",
            Auth::Bearer(Operation::DeleteStrategy),
            |r| r.to(delete),
        )
    },
];

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
