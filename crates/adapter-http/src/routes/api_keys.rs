//! `/api-keys`.

use actix_web::{HttpRequest, HttpResponse, web};
use quantarya_domain::ApiKeyId;

use crate::AppState;
use crate::auth::Authenticated;
use crate::body::{Media, json_object};
use crate::dto::api_key::{ApiKeyRevocationView, ApiKeyView, IssuedApiKeyView, parse_key_name};
use crate::error::ApiError;
use crate::reply;
use crate::routes::{path_id, required_body};

/// `POST /api-keys`: the only response that ever shows the raw key.
pub async fn create(
    state: web::Data<AppState>,
    who: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let name = parse_key_name(required_body(json_object(&req, payload, Media::Json).await?)?)?;
    let issued = state.journal.create_api_key(&who.0, name).await?;
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
