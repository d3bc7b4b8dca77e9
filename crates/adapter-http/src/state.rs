//! What every handler shares: the use cases, the rendered OpenAPI document and reference page, the requests in
//! flight, and the rate limits' budgets.

use std::sync::Arc;

use actix_web::{HttpRequest, web};
use quantarya_ports::Journal;

use crate::docs_page;
use crate::error::ApiError;
use crate::in_flight::InFlight;
use crate::rate_limit::{RateLimitSettings, RateLimits};

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
    /// The rate limits' budgets (also app data of their own, for the middleware that spends them).
    pub limits: web::Data<RateLimits>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// The state for `journal`, serving `openapi_json` (the document `openapi_json()` renders) and the reference
    /// page rendered from it, with the budgets of `limits`. Build it once, outside `HttpServer::new`, and share it:
    /// every worker must see the same store and the same budgets.
    pub fn new(journal: Arc<dyn Journal>, openapi_json: String, limits: &RateLimitSettings) -> web::Data<Self> {
        let document = serde_json::from_str(&openapi_json).unwrap_or(serde_json::Value::Null);
        let docs_html = docs_page::render(&document);
        let limits = web::Data::new(RateLimits::new(limits));
        web::Data::new(Self { journal, openapi_json, docs_html, in_flight: InFlight::default(), limits })
    }
}

/// The shared state, which every route is configured with.
pub fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("the app was built without AppState"))
}
