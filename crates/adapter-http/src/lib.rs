//! Quantarya's HTTP adapter (actix-web): the routes of the public API reference, the request DTOs that parse
//! into domain values at the edge, authentication as an extractor, the one error envelope, request logs, and the
//! route registry from which both the actix wiring and the OpenAPI document are generated.
//!
//! A route is declared once, beside its handler, in `routes/<aggregate>.rs` (see [`route`] for its parts);
//! [`registry`] collects them, [`wiring`] mounts them on actix, [`openapi`] documents them.

#![warn(missing_docs)]

pub mod auth;
pub mod body;
pub mod docs_page;
pub mod dto;
pub mod error;
pub mod error_code;
pub mod fields;
pub mod in_flight;
pub mod jwt;
pub mod logging;
pub mod openapi;
pub mod query;
pub mod registry;
pub mod reply;
pub mod route;
pub mod routes;
pub mod text_schema;
pub mod wiring;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, web};
use quantarya_ports::Journal;

pub use error::ApiError;
pub use error_code::ErrorCode;
pub use in_flight::InFlight;
pub use jwt::{JwtConfig, JwtConfigError, JwtVerifier, mint_hs256, mint_hs256_for};

/// What every handler shares: the use cases, and the OpenAPI document rendered once.
pub struct AppState {
    /// The use cases.
    pub journal: Arc<dyn Journal>,
    /// The OpenAPI document of the public routes, as served at `/openapi.json`.
    pub openapi_json: String,
    /// The API reference page rendered from it, as served at `/docs`.
    pub docs_html: String,
    /// Requests being handled now, for a graceful shutdown to wait on.
    pub in_flight: InFlight,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// The state for `journal`, serving `openapi_json` (the document [`openapi_json`] renders) and the reference
    /// page rendered from it. Build it once, outside `HttpServer::new`, and share it: every worker must see the
    /// same store.
    pub fn new(journal: Arc<dyn Journal>, openapi_json: String) -> web::Data<Self> {
        let document = serde_json::from_str(&openapi_json).unwrap_or(serde_json::Value::Null);
        let docs_html = docs_page::render(&document);
        web::Data::new(Self { journal, openapi_json, docs_html, in_flight: InFlight::default() })
    }
}

/// The OpenAPI document of the public routes, pretty-printed: what `/openapi.json` serves.
pub fn openapi_json() -> String {
    openapi::json()
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
        .configure(wiring::configure)
        .default_service(web::to(no_route))
        .wrap(from_fn(logging::log_requests))
}
