//! Quantarya's HTTP adapter (actix-web): the routes of the public API reference, the request DTOs that parse
//! into domain values at the edge, authentication as an extractor, the one error envelope, request logs, and the
//! route registry from which both the actix configuration and the OpenAPI document are generated.

#![warn(missing_docs)]

pub mod auth;
pub mod body;
pub mod dto;
pub mod error;
pub mod fields;
pub mod jwt;
pub mod logging;
pub mod registry;
pub mod reply;
pub mod routes;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, web};
use quantarya_ports::Journal;

pub use error::ApiError;
pub use jwt::{JwtConfig, JwtConfigError, JwtVerifier, mint_hs256, mint_hs256_for};

/// What every handler shares: the use cases, and the OpenAPI document rendered once.
pub struct AppState {
    /// The use cases.
    pub journal: Arc<dyn Journal>,
    /// The OpenAPI document of the public routes, as served at `/openapi.json`.
    pub openapi_json: String,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// The state for `journal`. Build it once, outside `HttpServer::new`, and share it: every worker must see
    /// the same store.
    pub fn new(journal: Arc<dyn Journal>) -> web::Data<Self> {
        web::Data::new(Self { journal, openapi_json: openapi_json() })
    }
}

/// The OpenAPI document of the public routes, pretty-printed.
pub fn openapi_json() -> String {
    registry::openapi().to_pretty_json().unwrap_or_else(|error| {
        tracing::error!(%error, "the OpenAPI document does not serialise");
        "{}".to_owned()
    })
}

async fn no_route() -> HttpResponse {
    let error = ApiError::not_found("route");
    reply::json(error.status(), &error.envelope())
}

/// The whole application: every registered route, request logs, and 404s in the error envelope.
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
        .app_data(state)
        .configure(registry::configure)
        .default_service(web::to(no_route))
        .wrap(from_fn(logging::log_requests))
}
