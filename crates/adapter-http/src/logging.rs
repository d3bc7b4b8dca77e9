//! Request logs: one line per request with its id, method, route pattern, status and latency (whole
//! microseconds: an integer is written at a fraction of a float's cost, on every request). Never a header,
//! a body or a query string, so no credential can reach a log line. Each request is also counted in the request
//! metrics by its route template, and, while traces are exported, answered inside a `request` span that carries its
//! id (the store calls it makes are spans within it).

use std::sync::LazyLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use quantarya_ports::metrics::{self, RouteMeters, method_label};
use tracing::Instrument;
use tracing::field::Empty;
use uuid::Uuid;

use crate::error_code::ErrorCode;
use crate::request_id;

/// The response header that carries the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The route pattern a resource serves, kept as its app data so a log line names the route without matching the
/// path against the routes a second time (`HttpRequest::match_pattern` does, with a regular expression per route),
/// with the request metrics of that route.
#[derive(Debug)]
pub struct RoutePattern {
    /// The route template's request metrics (it knows the template).
    pub meters: RouteMeters,
    /// The method of the route that takes signals on this path, if one does: its answers are counted as signals.
    pub signals: Option<&'static str>,
}

impl RoutePattern {
    /// The pattern `path`, where `signals` names the method of a route that takes signals, if any.
    pub fn new(path: &'static str, signals: Option<&'static str>) -> Self {
        Self { meters: RouteMeters::new(path), signals }
    }
}

/// Counts a signal's answer, as sent: accepted (a repeat when replayed from a receipt) or refused with its code.
fn count_signal(res: &ServiceResponse<impl MessageBody>) {
    let response = res.response();
    if response.status().is_success() {
        metrics::signal_accepted(response.headers().contains_key(crate::idempotency::IDEMPOTENT_REPLAYED));
    } else {
        let code = response.extensions().get::<ErrorCode>().map_or("other", |code| code.as_str());
        metrics::signal_refused(code);
    }
}

/// What a request no route took is logged and measured as.
pub const NO_ROUTE: &str = "<no route>";

/// The request metrics of the requests no route took.
static NO_ROUTE_METERS: LazyLock<RouteMeters> = LazyLock::new(|| RouteMeters::new(NO_ROUTE));

/// Logs and measures each request and tags its response with `x-request-id`.
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // Counted from the moment the head is parsed (the body may still be arriving) until the response is done.
    let _in_flight =
        req.app_data::<actix_web::web::Data<crate::state::AppState>>().map(|state| state.in_flight.enter());
    let id = Uuid::now_v7();
    let method = req.method().clone();
    let started = Instant::now();
    // Made only while traces are exported: otherwise no layer wants it, and this is a disabled span.
    let span = tracing::info_span!(
        "request",
        otel.name = Empty,
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = method_label(method.as_str()),
        http.route = Empty,
        http.response.status_code = Empty,
        request_id = %id.simple(),
    );
    if !span.is_disabled() {
        // Named before the handler runs: the exporter fixes a span's name once a span inside it starts. Matching
        // the path against the routes here costs a regular expression per route, paid only while tracing.
        let route = req.request().match_pattern();
        let method = method_label(method.as_str());
        span.record("otel.name", format!("{method} {}", route.as_deref().unwrap_or(NO_ROUTE)));
    }
    let mut res = request_id::answering(id, next.call(req).instrument(span.clone())).await?;
    let pattern = res.request().app_data::<RoutePattern>();
    let meters = pattern.map_or(&*NO_ROUTE_METERS, |pattern| &pattern.meters);
    let route = meters.route();
    if pattern.and_then(|pattern| pattern.signals) == Some(method.as_str()) {
        count_signal(&res);
    }
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    if !span.is_disabled() {
        span.record("http.route", route);
        span.record("http.response.status_code", status);
        if status >= 500 {
            span.record("otel.status_code", "ERROR");
        }
    }
    meters.answered(method.as_str(), status, elapsed);
    let latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    let shown = id.simple();
    if status >= 500 {
        tracing::error!(request_id = %shown, %method, %route, status, latency_us, "request failed");
    } else {
        tracing::info!(request_id = %shown, %method, %route, status, latency_us, "request");
    }
    let mut text = Uuid::encode_buffer();
    if let Ok(value) = HeaderValue::from_str(shown.encode_lower(&mut text)) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}
