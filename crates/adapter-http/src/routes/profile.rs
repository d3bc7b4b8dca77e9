//! `/me` and `/profiles/{user_name}`.

use actix_web::{HttpRequest, HttpResponse, web};
use quantarya_domain::UserName;

use crate::AppState;
use crate::auth::Authenticated;
use crate::body::{Media, json_object};
use crate::dto::profile::{AccountDeletionView, ProfileView, PublicProfileView, parse_profile};
use crate::error::ApiError;
use crate::reply;
use crate::routes::required_body;

/// `GET /me`.
pub async fn get_me(state: web::Data<AppState>, who: Authenticated) -> Result<HttpResponse, ApiError> {
    let user = state.journal.get_profile(&who.0).await?;
    Ok(reply::ok("Profile found", ProfileView::from(user)))
}

/// `POST /me`: 201 when it creates the profile, 200 when it updates it.
pub async fn save_me(
    state: web::Data<AppState>,
    who: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let change = parse_profile(required_body(json_object(&req, payload, Media::Json).await?)?)?;
    let saved = state.journal.save_profile(&who.0, change).await?;
    Ok(if saved.created {
        reply::created("Profile created", ProfileView::from(saved.value))
    } else {
        reply::ok("Profile updated", ProfileView::from(saved.value))
    })
}

/// `DELETE /me`.
pub async fn delete_me(state: web::Data<AppState>, who: Authenticated) -> Result<HttpResponse, ApiError> {
    let deletion = state.journal.delete_profile(&who.0).await?;
    Ok(reply::ok("Profile and all its data deleted", AccountDeletionView::new(&who.0.user_id, deletion)))
}

/// `GET /profiles/{user_name}`: no credentials.
pub async fn public_profile(state: web::Data<AppState>, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let name = UserName::parse(&name).map_err(|_| ApiError::not_found("profile"))?;
    let profile = state.journal.public_profile(&name).await?;
    Ok(reply::ok("Public profile found", PublicProfileView::from(profile)))
}
