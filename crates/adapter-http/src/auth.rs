//! Authentication: the auth kind every route declares, and the extractor that enforces it — a handler that takes
//! [`Authenticated`] runs only for a valid credential of a kind its route takes.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use quantarya_ports::{KeyAccess, Operation, Principal, admit};

use crate::error::ApiError;
use crate::state::state;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone.
    None,
    /// A user JWT, or an API key as the ports' key policy says of the operation ([`Operation::key_access`]).
    Bearer(Operation),
}

impl Auth {
    /// What an API key needs here: `None` on a public route.
    pub const fn key_access(self) -> Option<KeyAccess> {
        match self {
            Self::None => None,
            Self::Bearer(operation) => Some(operation.key_access()),
        }
    }

    /// How the reference labels it, with the scope a key needs.
    pub fn label(self) -> String {
        match self.key_access() {
            None => "None".to_owned(),
            Some(KeyAccess::Refused) => "Bearer user JWT".to_owned(),
            Some(KeyAccess::Scope(scope)) => format!("Bearer API key (scope `{}`) or user JWT", scope.as_str()),
        }
    }
}

/// The auth kind of each method a resource takes, registered with the resource for the extractor.
#[derive(Debug, Clone, Default)]
pub struct ResourceAuth(Vec<(&'static str, Auth)>);

impl ResourceAuth {
    /// The auth kind of each method (`GET`, `POST`, …) of one path.
    pub fn new(methods: impl IntoIterator<Item = (&'static str, Auth)>) -> Self {
        Self(methods.into_iter().collect())
    }

    /// The auth kind of `method`, if the resource takes it.
    pub fn of(&self, method: &str) -> Option<Auth> {
        self.0.iter().find(|(taken, _)| *taken == method).map(|(_, auth)| *auth)
    }
}

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
        let auth = req
            .app_data::<ResourceAuth>()
            .and_then(|auth| auth.of(req.method().as_str()))
            .ok_or_else(|| ApiError::internal("a route without an auth kind"));
        let found = auth.and_then(|auth| {
            bearer(req).and_then(|token| Ok((auth, state(req)?, token.ok_or_else(ApiError::unauthorized)?)))
        });
        Box::pin(async move {
            let (auth, state, token) = found?;
            let principal = state.journal.authenticate(&token).await?;
            if let Auth::Bearer(operation) = auth {
                admit(&principal, operation)?;
            }
            Ok(Self(principal))
        })
    }
}
