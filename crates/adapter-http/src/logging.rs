//! Request logs: one line per request with its id, method, route pattern, status and latency (whole
//! microseconds: an integer is written at a fraction of a float's cost, on every request). Never a header,
//! a body or a query string, so no credential can reach a log line.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use uuid::Uuid;

use crate::request_id;

/// The response header that carries the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The route pattern a resource serves, kept as its app data so a log line names the route without matching the
/// path against the routes a second time (`HttpRequest::match_pattern` does, with a regular expression per route).
#[derive(Debug, Clone, Copy)]
pub struct RoutePattern(pub &'static str);

/// Logs each request and tags its response with `x-request-id`.
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
    let mut res = request_id::answering(id, next.call(req)).await?;
    let route = res.request().app_data::<RoutePattern>().map_or("<no route>", |pattern| pattern.0);
    let status = res.status().as_u16();
    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
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
