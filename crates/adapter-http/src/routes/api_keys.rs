//! `/api-keys`.

use actix_web::{HttpRequest, HttpResponse, web};
use quantarya_domain::ApiKeyId;

use crate::auth::Authenticated;
use crate::auth_kind::Auth;
use crate::body::{Media, json_object};
use crate::dto::api_key::{ApiKeyRevocationView, ApiKeyView, CreateApiKeyRequest, IssuedApiKeyView, parse_new_api_key};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::reply;
use crate::route::{Param, ParamKind, RouteSpec, Verb, created, json, linked, many, ok, one, route};
use crate::routes::{path_id, required_body};
use crate::state::AppState;
use quantarya_ports::Operation;

const API_KEY_ID: Param =
    Param { name: "api_key_id", description: "The API key identifier to revoke.", kind: ParamKind::Text };
const KEY_LINKS: &[&str] = &["revoke_api_key"];

/// The routes of `/api-keys`.
pub const ROUTES: &[RouteSpec] = &[
    RouteSpec {
        body: json::<CreateApiKeyRequest>(),
        success: &[linked(
            created("API key created; `raw_api_key` is shown only in this response.", one::<IssuedApiKeyView>()),
            KEY_LINKS,
        )],
        conflicts: &[ErrorCode::ApiKeyLimit],
        ..route(
            Verb::Post,
            "/api-keys",
            "create_api_key",
            "API Keys",
            "Create API key",
            "Create a new API key for external integrations, optionally confined to some `scopes` and \
                 `strategy_ids` and ending at `expires_at`. At most 20 live keys per user (expired keys do not count).",
            Auth::Bearer(Operation::CreateApiKey),
            |r| r.to(create),
        )
    },
    RouteSpec {
        success: &[ok("API key collection, oldest first.", many::<ApiKeyView>())],
        ..route(
            Verb::Get,
            "/api-keys",
            "list_api_keys",
            "API Keys",
            "List API keys",
            "List API keys belonging to the authenticated user.",
            Auth::Bearer(Operation::ListApiKeys),
            |r| r.to(list),
        )
    },
    RouteSpec {
        path_params: &[API_KEY_ID],
        success: &[ok("API key revoked.", one::<ApiKeyRevocationView>())],
        ..route(
            Verb::Delete,
            "/api-keys/{api_key_id}",
            "revoke_api_key",
            "API Keys",
            "Revoke API key",
            "Revoke one API key belonging to the authenticated user; it fails with 401 at once.",
            Auth::Bearer(Operation::RevokeApiKey),
            |r| r.to(revoke),
        )
    },
];

/// `POST /api-keys`: the only response that ever shows the raw key.
pub async fn create(
    state: web::Data<AppState>,
    who: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let new = parse_new_api_key(required_body(json_object(&req, payload, Media::Json).await?)?)?;
    let issued = state.journal.create_api_key(&who.0, new).await?;
    Ok(reply::created("API key created; store it now, it is shown only once", IssuedApiKeyView::from(issued)))
}

/// `GET /api-keys`.
pub async fn list(state: web::Data<AppState>, who: Authenticated) -> Result<HttpResponse, ApiError> {
    let keys = state.journal.list_api_keys(&who.0).await?;
    Ok(reply::ok("API keys found", keys.into_iter().map(ApiKeyView::from).collect::<Vec<_>>()))
}

/// `DELETE /api-keys/{api_key_id}`.
pub async fn revoke(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: ApiKeyId = path_id(&id, "API key")?;
    state.journal.revoke_api_key(&who.0, id).await?;
    Ok(reply::ok("API key revoked", ApiKeyRevocationView { api_key_id: id.to_string() }))
}
