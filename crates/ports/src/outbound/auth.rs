//! Verifying user JWTs issued by an identity provider.

use async_trait::async_trait;
use quantarya_domain::{Email, UserId};
use thiserror::Error;

/// What a valid user token says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The `sub` claim.
    pub user_id: UserId,
    /// The `email` claim.
    pub email: Email,
}

/// Why a token was not accepted.
#[derive(Debug, Error)]
pub enum TokenError {
    /// Malformed, expired, not yet valid, wrongly signed, of a refused algorithm, or missing a required claim.
    /// The reason is for logs only.
    #[error("token refused: {0}")]
    Invalid(&'static str),
    /// The keys to check it with cannot be had right now (a JWKS endpoint is down).
    #[error("token keys are unavailable")]
    Unavailable(#[source] crate::Cause),
}

/// Checks a user JWT's signature and claims.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TokenVerifier: Send + Sync {
    /// Verifies `token` (without the `Bearer ` prefix). It MUST refuse `alg: none`, algorithms outside its
    /// allow-list, a missing or past `exp`, and a token without `sub` or `email`.
    async fn verify(&self, token: &str) -> Result<VerifiedToken, TokenError>;
}
