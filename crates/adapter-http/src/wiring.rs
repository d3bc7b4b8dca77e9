//! The routes on actix: one resource per path, with its routes' auth kinds for the extractor and a 405 in the
//! error envelope for the methods the path does not take.

use std::collections::BTreeMap;

use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::middleware::from_fn;
use actix_web::web;

use crate::auth_kind::ResourceAuth;
use crate::body::Media;
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::logging::RoutePattern;
use crate::rate_limit;
use crate::registry;
use crate::route::RouteSpec;

/// Registers every route of the registry.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut by_path: BTreeMap<&'static str, Vec<RouteSpec>> = BTreeMap::new();
    for spec in registry::routes() {
        by_path.entry(spec.path).or_default().push(*spec);
    }
    // actix tries resources in the order they are registered, a regular expression per path with parameters, and
    // a resource's routes in their order, each method guard noting its method on the request (an allocation): the
    // paths integrations post signals to, and on them the signal's route, go first, so the hot path is matched at
    // the first try. Patterns match whole paths and methods are distinct, so the order changes no answer.
    let mut by_path: Vec<_> = by_path.into_iter().collect();
    by_path.sort_by_key(|(_, specs)| !specs.iter().any(takes_signals));
    for (path, specs) in by_path {
        let allowed = specs.iter().map(|s| s.verb.as_str()).collect::<Vec<_>>().join(", ");
        // The extractor reads the auth kind of the request's method from its resource.
        let auth = ResourceAuth::new(specs.iter().map(|s| (s.verb.as_str(), s.auth)));
        let signals = specs.iter().find(|s| takes_signals(s)).map(|s| s.verb.as_str());
        let mut resource = web::resource(path)
            .app_data(auth)
            .app_data(RoutePattern::new(path, signals))
            .default_service(web::to(move || {
                let allowed = allowed.clone();
                async move { method_not_allowed(&allowed) }
            }));
        let (signals, others): (Vec<RouteSpec>, Vec<RouteSpec>) = specs.into_iter().partition(takes_signals);
        for spec in signals.into_iter().chain(others) {
            resource = resource.route((spec.handler)(spec.verb.route()));
        }
        // Inside the resource, so the budgets know its auth kinds.
        cfg.service(resource.wrap(from_fn(rate_limit::limit)));
    }
}

/// Whether a route takes signals: a body in `text/plain` too (the TradingView case).
fn takes_signals(spec: &RouteSpec) -> bool {
    spec.body.is_some_and(|body| body.media == Media::JsonOrText)
}

/// 405 `method_not_allowed`, with the `Allow` header listing what the path takes.
fn method_not_allowed(allowed: &str) -> actix_web::HttpResponse {
    let error = ApiError::new(ErrorCode::MethodNotAllowed, format!("This path takes {allowed}."));
    let mut response = actix_web::ResponseError::error_response(&error);
    if let Ok(value) = HeaderValue::from_str(allowed) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}
