//! Authentication: the auth kind every route declares, and the extractor that enforces it — a handler that takes
//! [`Authenticated`] runs only for a valid credential of a kind its route takes.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use quantarya_domain::CredentialKind;
use quantarya_ports::{ForbiddenKind, JournalError, Principal};

use crate::error::ApiError;
use crate::state::state;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone.
    None,
    /// A user JWT; an API key gets 403 `api_key_not_allowed`.
    UserJwt,
    /// An API key or a user JWT.
    ApiKeyOrJwt,
}

impl Auth {
    /// How the reference labels it.
    pub const fn label(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::UserJwt => "Bearer user JWT",
            Self::ApiKeyOrJwt => "Bearer API key or user JWT",
        }
    }
}

/// The bearer token of the `Authorization` header: `Ok(None)` when there is no header, an error when the header
/// is not `Bearer <token>`.
pub fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(header) = req.headers().get(AUTHORIZATION) else {
        return Ok(None);
    };
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

    /// Authenticates, then applies the route's auth kind (registered with its resource): a valid API key on a
    /// user-JWT route is refused (403) before the body is read. An invalid credential is 401 whatever the route.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Every resource is registered with its routes' auth kind; a request without one is a wiring bug, refused.
        let auth = req.app_data::<Auth>().copied().ok_or_else(|| ApiError::internal("a resource without an auth kind"));
        let found = auth.and_then(|auth| {
            bearer(req).and_then(|token| Ok((auth, state(req)?, token.ok_or_else(ApiError::unauthorized)?)))
        });
        Box::pin(async move {
            let (auth, state, token) = found?;
            let principal = state.journal.authenticate(&token).await?;
            if auth == Auth::UserJwt && principal.kind() == CredentialKind::ApiKey {
                return Err(ApiError::from(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed)));
            }
            Ok(Self(principal))
        })
    }
}
