//! `/webhooks`: subscriptions of endpoints to trade changes, and their deliveries.

use actix_web::{HttpRequest, HttpResponse, web};
use quantarya_domain::WebhookId;
use quantarya_ports::outbound::DeliveryCursor;
use quantarya_ports::{DeliveryQuery, Operation};

use crate::auth::Authenticated;
use crate::auth_kind::Auth;
use crate::body::{Media, json_object};
use crate::dto::webhook::{
    CreateWebhookRequest, CreatedWebhookView, DeliveryView, WebhookDeletionView, WebhookView, parse_new_webhook,
};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::query::{self, QueryReader};
use crate::reply;
use crate::route::{Param, ParamKind, RouteSpec, Verb, created, json, linked, many, ok, one, page, route};
use crate::routes::{path_id, required_body};
use crate::state::AppState;

const WEBHOOK_ID: Param = Param { name: "webhook_id", description: "The webhook identifier.", kind: ParamKind::Text };
const WEBHOOK_LINKS: &[&str] = &["delete_webhook", "list_webhook_deliveries"];

/// The query of a deliveries list.
const DELIVERY_QUERY: &[Param] = &[
    Param { name: "limit", description: "Page size, 1–500 (default 100).", kind: ParamKind::PageSize },
    Param { name: "cursor", description: "The `next_cursor` of the previous page.", kind: ParamKind::Cursor },
];

/// The routes of `/webhooks`.
pub const ROUTES: &[RouteSpec] = &[
    RouteSpec {
        body: json::<CreateWebhookRequest>(),
        success: &[linked(
            created("Webhook created; `secret` is shown only in this response.", one::<CreatedWebhookView>()),
            WEBHOOK_LINKS,
        )],
        conflicts: &[ErrorCode::WebhookLimit],
        ..route(
            Verb::Post,
            "/webhooks",
            "create_webhook",
            "Webhooks",
            "Create webhook",
            "Subscribe an endpoint to trade changes: `trade.opened`, `trade.updated`, `trade.closed`, \
             `trade.cancelled` (all by default), optionally only of some `strategy_ids`. Each change is recorded with \
             the change itself and delivered at least once as a signed POST (Standard Webhooks: `webhook-id`, \
             `webhook-timestamp`, `webhook-signature`) of `{\"type\", \"timestamp\", \"data\": <trade>}`; a 2xx within \
             10 s delivers, anything else is retried after 5 s, 1 min, 5 min, 30 min, 2 h, 8 h and 24 h (a \
             `Retry-After` is honoured), and a 410 disables the endpoint. The endpoint must be `https://` and must \
             not resolve to a loopback, private, link-local or multicast address (422 naming `url`). At most 10 per \
             user.",
            Auth::Bearer(Operation::CreateWebhook),
            |r| r.to(create),
        )
    },
    RouteSpec {
        success: &[ok("Webhook collection, oldest first.", many::<WebhookView>())],
        ..route(
            Verb::Get,
            "/webhooks",
            "list_webhooks",
            "Webhooks",
            "List webhooks",
            "List the authenticated user's webhook subscriptions (never their secrets).",
            Auth::Bearer(Operation::ListWebhooks),
            |r| r.to(list),
        )
    },
    RouteSpec {
        path_params: &[WEBHOOK_ID],
        success: &[ok("Webhook deleted.", one::<WebhookDeletionView>())],
        ..route(
            Verb::Delete,
            "/webhooks/{webhook_id}",
            "delete_webhook",
            "Webhooks",
            "Delete webhook",
            "Remove a webhook subscription with its deliveries; pending ones are not attempted again.",
            Auth::Bearer(Operation::DeleteWebhook),
            |r| r.to(delete),
        )
    },
    RouteSpec {
        path_params: &[WEBHOOK_ID],
        query: DELIVERY_QUERY,
        success: &[ok("The webhook's deliveries, newest first.", page::<DeliveryView>())],
        ..route(
            Verb::Get,
            "/webhooks/{webhook_id}/deliveries",
            "list_webhook_deliveries",
            "Webhooks",
            "List webhook deliveries",
            "Each event delivered (or to be delivered) to the webhook, newest first: the event and its trade, the \
             attempts made, the last answer's status or why none came, the next attempt while pending, and when it \
             was delivered or failed for good. Finished deliveries are kept 7 days.",
            Auth::Bearer(Operation::WebhookDeliveries),
            |r| r.to(deliveries),
        )
    },
];

/// `POST /webhooks`: the only response that ever shows the secret.
pub async fn create(
    state: web::Data<AppState>,
    who: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let new = parse_new_webhook(required_body(json_object(&req, payload, Media::Json).await?)?)?;
    let webhook = state.journal.create_webhook(&who.0, new).await?;
    Ok(reply::created(
        "Webhook created; store the secret now, it is shown only once",
        CreatedWebhookView::from(&webhook),
    ))
}

/// `GET /webhooks`.
pub async fn list(state: web::Data<AppState>, who: Authenticated) -> Result<HttpResponse, ApiError> {
    let hooks = state.journal.list_webhooks(&who.0).await?;
    Ok(reply::ok("Webhooks found", hooks.iter().map(WebhookView::from).collect::<Vec<_>>()))
}

/// `DELETE /webhooks/{webhook_id}`.
pub async fn delete(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: WebhookId = path_id(&id, "webhook")?;
    state.journal.delete_webhook(&who.0, id).await?;
    Ok(reply::ok("Webhook deleted", WebhookDeletionView { webhook_id: id.to_string() }))
}

/// `limit` and `cursor`; anything else is 422.
fn parse_query(raw: &str) -> Result<DeliveryQuery, ApiError> {
    let mut reader = QueryReader::new(raw, DELIVERY_QUERY)?;
    let limit = reader.get("limit", query::page_limit);
    let cursor = reader.get("cursor", |v| DeliveryCursor::decode(v).map_err(|e| e.message));
    reader.finish()?;
    Ok(DeliveryQuery { limit: limit.unwrap_or_default(), cursor })
}

/// `GET /webhooks/{webhook_id}/deliveries`: newest first, paginated.
pub async fn deliveries(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id: WebhookId = path_id(&id, "webhook")?;
    let query = parse_query(req.query_string())?;
    let page = state.journal.webhook_deliveries(&who.0, id, query).await?;
    let deliveries: Vec<DeliveryView> = page.deliveries.into_iter().map(DeliveryView::from).collect();
    Ok(reply::page("Deliveries found", deliveries, page.next_cursor.map(|c| c.encode())))
}
