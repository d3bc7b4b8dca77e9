//! Quantarya's HTTP adapter (actix-web): the routes of the public API reference, the request DTOs that parse
//! into domain values at the edge, authentication as an extractor, the one error envelope, request logs, and the
//! route registry from which both the actix wiring and the OpenAPI document are generated.
//!
//! A route is declared once, beside its handler, in `routes/<aggregate>.rs` (see [`route`] for its parts);
//! [`registry`] collects them, [`wiring`] mounts them on actix, [`openapi`] documents them.

#![warn(missing_docs)]

pub mod auth;
pub mod auth_kind;
pub mod body;
pub mod docs_page;
pub mod dto;
pub mod error;
pub mod error_code;
pub mod fields;
pub mod idempotency;
pub mod in_flight;
pub mod jwt;
pub mod logging;
pub mod openapi;
pub mod protocol_hygiene;
pub mod public_page;
pub mod query;
pub mod rate_limit;
pub mod registry;
pub mod reply;
pub mod request_id;
pub mod route;
pub mod routes;
mod signal_record;
pub mod state;
pub mod text_schema;
pub mod wiring;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, web};

pub use error::ApiError;
pub use error_code::ErrorCode;
pub use in_flight::InFlight;
pub use jwt::{JwtConfig, JwtConfigError, JwtVerifier, mint_hs256, mint_hs256_for};
pub use state::AppState;

/// The OpenAPI document of the public routes, pretty-printed: what `/openapi.json` serves.
pub fn openapi_json() -> String {
    openapi::json()
}

/// 404 for a path no route takes, spending the client address's budget (429 once it is spent).
async fn no_route(req: actix_web::HttpRequest) -> HttpResponse {
    let verdict = req
        .app_data::<web::Data<rate_limit::RateLimits>>()
        .map(|limits| limits.spend_client(req.peer_addr().map(|peer| peer.ip()), req.headers()))
        .unwrap_or_default();
    if let Some(refused) = verdict.refused_answer() {
        return refused;
    }
    let error = ApiError::not_found("route");
    let mut response = actix_web::ResponseError::error_response(&error);
    verdict.write(response.headers_mut());
    response
}

/// The whole application: every registered route, request logs, the protocol's hygiene, and 404s in the error
/// envelope.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state.limits.clone())
        .app_data(state)
        .configure(wiring::configure)
        .default_service(web::to(no_route))
        .wrap(from_fn(protocol_hygiene::protocol_hygiene))
        .wrap(from_fn(logging::log_requests))
}
