//! Authentication: the bearer token of a request, and the extractor that enforces the route's auth kind
//! (`auth_kind.rs`) — a handler that takes [`Authenticated`] runs only for a valid credential the key policy admits
//! on its route, within its rate limits.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use quantarya_ports::{Principal, admit};

use crate::auth_kind::{Auth, route_auth};
use crate::error::ApiError;
use crate::rate_limit;
use crate::state::state;

/// The bearer token of the `Authorization` header: `Ok(None)` when there is no header, an error when the header
/// is not `Bearer <token>` or comes twice (which of two credentials a proxy and the service would each read is
/// anyone's guess, so neither is).
pub fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let mut headers = req.headers().get_all(AUTHORIZATION);
    let Some(header) = headers.next() else {
        return Ok(None);
    };
    if headers.next().is_some() {
        return Err(ApiError::unauthorized());
    }
    let value = header.to_str().map_err(|_| ApiError::unauthorized())?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(ApiError::unauthorized()),
    }
}

/// A request made with valid credentials: the principal they stand for.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    /// Authenticates, then admits the principal to the route's operation (registered with its resource): an API
    /// key the policy refuses there gets its 403 before the body is read. An invalid credential is 401 whatever the route.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Every resource is registered with its routes' auth kinds; a request without one is a wiring bug, refused.
        let auth = route_auth(req).ok_or_else(|| ApiError::internal("a route without an auth kind"));
        let request = req.clone();
        let found = auth.and_then(|auth| {
            bearer(req).and_then(|token| Ok((auth, state(req)?, token.ok_or_else(ApiError::unauthorized)?)))
        });
        Box::pin(async move {
            let (auth, state, token) = found?;
            let principal = state.journal.authenticate(&token).await?;
            rate_limit::spend(&request, &state.limits, &principal)?;
            if let Auth::Bearer(operation) = auth {
                admit(&principal, operation)?;
            }
            Ok(Self(principal))
        })
    }
}
