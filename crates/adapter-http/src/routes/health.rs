//! Liveness, readiness and the served OpenAPI document (none of them part of the public reference).

use actix_web::{HttpResponse, web};

use crate::auth_kind::Auth;
use crate::error::ApiError;
use crate::reply;
use crate::route::{Data, RouteSpec, Verb, ok, route};
use crate::state::AppState;

/// The routes outside the public reference.
pub const ROUTES: &[RouteSpec] = &[
    RouteSpec {
        public: false,
        uses_storage: false,
        success: &[ok("The process is alive.", Data::Status)],
        ..route(
            Verb::Get,
            "/healthz",
            "healthz",
            "Health",
            "Liveness",
            "Answers while the process lives.",
            Auth::None,
            |r| r.to(healthz),
        )
    },
    RouteSpec {
        public: false,
        success: &[ok("Storage answers.", Data::Status)],
        ..route(
            Verb::Get,
            "/readyz",
            "readyz",
            "Health",
            "Readiness",
            "Answers 200 only while storage answers.",
            Auth::None,
            |r| r.to(readyz),
        )
    },
    RouteSpec {
        public: false,
        uses_storage: false,
        ..route(
            Verb::Get,
            "/docs",
            "docs",
            "Health",
            "API reference page",
            "The API reference, rendered from the OpenAPI document.",
            Auth::None,
            |r| r.to(docs),
        )
    },
    RouteSpec {
        public: false,
        uses_storage: false,
        ..route(
            Verb::Get,
            "/openapi.json",
            "openapi",
            "Health",
            "OpenAPI document",
            "The OpenAPI document of the public routes.",
            Auth::None,
            |r| r.to(openapi),
        )
    },
];

/// `GET /healthz`: answers while the process lives.
pub async fn healthz() -> HttpResponse {
    reply::ok("Alive", serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 only while storage answers, else 503.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.journal.storage_ready().await?;
    Ok(reply::ok("Ready", serde_json::json!({ "status": "ready" })))
}

/// `GET /openapi.json`: the document `quantarya openapi` prints.
pub async fn openapi(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type(reply::JSON_UTF8).body(state.openapi_json.clone())
}

/// `GET /docs`: the API reference page.
pub async fn docs(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(state.docs_html.clone())
}
