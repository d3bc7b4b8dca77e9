//! `/u/{user_name}`: the public track record as a page (HTML, not part of the API reference).

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_SECURITY_POLICY, X_CONTENT_TYPE_OPTIONS};
use actix_web::{HttpResponse, web};
use quantarya_domain::UserName;
use quantarya_ports::JournalError;

use crate::auth_kind::Auth;
use crate::error::ApiError;
use crate::public_page;
use crate::route::{Param, ParamKind, RouteSpec, Verb, route};
use crate::state::AppState;

const USER_NAME: Param = Param { name: "user_name", description: "Public Quantarya username.", kind: ParamKind::Text };

/// The page's route.
pub const ROUTES: &[RouteSpec] = &[RouteSpec {
    public: false,
    path_params: &[USER_NAME],
    ..route(
        Verb::Get,
        "/u/{user_name}",
        "public_page",
        "Profiles",
        "Public track record page",
        "The public profile as a page: each public strategy's live and all-trade figures and its equity curve.",
        Auth::None,
        |r| r.to(public_page),
    )
}];

/// An HTML answer, with the page's security policy (its own style sheet and nothing else) and no sniffing.
fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((CONTENT_SECURITY_POLICY, public_page::content_security_policy()))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

/// `GET /u/{user_name}`: the page, or a 404 page for a profile that is missing or not public. A storage outage is
/// the API's 503.
pub async fn public_page(state: web::Data<AppState>, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let Ok(name) = UserName::parse(&name) else {
        return Ok(html(StatusCode::NOT_FOUND, public_page::not_found()));
    };
    match state.journal.public_profile(&name).await {
        Ok(profile) => Ok(html(StatusCode::OK, public_page::render(&profile))),
        Err(JournalError::NotFound(_)) => Ok(html(StatusCode::NOT_FOUND, public_page::not_found())),
        Err(error) => Err(error.into()),
    }
}
