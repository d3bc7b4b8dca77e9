//! Quantarya's HTTP adapter (actix-web): the routes of the public API reference, the request DTOs that parse
//! into domain values at the edge, authentication as an extractor, the one error envelope, request logs, and the
//! route registry from which both the actix configuration and the OpenAPI document are generated.

#![warn(missing_docs)]

pub mod auth;
pub mod body;
pub mod docs_page;
pub mod dto;
pub mod error;
pub mod fields;
pub mod in_flight;
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
    /// The state for `journal`. Build it once, outside `HttpServer::new`, and share it: every worker must see
    /// the same store.
    pub fn new(journal: Arc<dyn Journal>) -> web::Data<Self> {
        let openapi_json = openapi_json();
        let document = serde_json::from_str(&openapi_json).unwrap_or(serde_json::Value::Null);
        let docs_html = docs_page::render(&document);
        web::Data::new(Self { journal, openapi_json, docs_html, in_flight: InFlight::default() })
    }
}

/// The OpenAPI document of the public routes, pretty-printed.
pub fn openapi_json() -> String {
    let mut document = serde_json::to_value(registry::openapi()).unwrap_or_else(|error| {
        tracing::error!(%error, "the OpenAPI document does not serialise");
        serde_json::Value::Null
    });
    camel_case_links(&mut document);
    min_properties(&mut document);
    serde_json::to_string_pretty(&document).unwrap_or_else(|_| "{}".to_owned())
}

/// utoipa 5 writes `#[schema(min_properties = …)]` as `maxProperties`; no schema here wants a maximum, so every
/// one is put back as the minimum it was declared as.
fn min_properties(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(count) = map.remove("maxProperties") {
                map.insert("minProperties".to_owned(), count);
            }
            map.values_mut().for_each(min_properties);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(min_properties),
        _ => {}
    }
}

/// utoipa 5 writes a link's fields in snake case (`operation_id`); OpenAPI spells them `operationId`,
/// `operationRef` and `requestBody`, and tools ignore the link otherwise.
fn camel_case_links(document: &mut serde_json::Value) {
    let Some(paths) = document.get_mut("paths").and_then(serde_json::Value::as_object_mut) else {
        return;
    };
    let operations = paths.values_mut().filter_map(serde_json::Value::as_object_mut).flat_map(|item| item.values_mut());
    let responses = operations.filter_map(|op| op.get_mut("responses")?.as_object_mut()).flat_map(|r| r.values_mut());
    for links in responses.filter_map(|response| response.get_mut("links")?.as_object_mut()) {
        for link in links.values_mut().filter_map(serde_json::Value::as_object_mut) {
            for (snake, camel) in
                [("operation_id", "operationId"), ("operation_ref", "operationRef"), ("request_body", "requestBody")]
            {
                if let Some(value) = link.remove(snake) {
                    link.insert(camel.to_owned(), value);
                }
            }
        }
    }
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
