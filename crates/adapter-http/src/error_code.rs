//! Every `error.code` the service answers with, each with its HTTP status: the one list the error envelope, the
//! OpenAPI schema enum and the API description are generated from. A new code is one line here.

use actix_web::http::StatusCode;
use quantarya_ports::{ConflictKind, ForbiddenKind, RefusedKind};

/// Declares [`ErrorCode`] once: each variant with its wire name and status.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $status:ident;)+) => {
        /// A stable `error.code` a client can branch on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)+
        }

        impl ErrorCode {
            /// Every code, in the order the documentation lists them.
            pub const ALL: &[Self] = &[$(Self::$variant),+];

            /// The code as it appears in `error.code`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// The status every answer with this code has.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(Self::$variant => StatusCode::$status,)+
                }
            }
        }
    };
}

error_codes! {
    /// The body is not JSON, or not UTF-8.
    InvalidJson = "invalid_json", BAD_REQUEST;
    /// The body could not be read.
    InvalidBody = "invalid_body", BAD_REQUEST;
    /// Credentials missing, malformed, expired, revoked or wrongly signed.
    Unauthorized = "unauthorized", UNAUTHORIZED;
    /// An API key on a route for user JWTs.
    ApiKeyNotAllowed = "api_key_not_allowed", FORBIDDEN;
    /// An API key outside its scopes or strategies, or on a trade entered by hand or imported.
    ApiKeyScope = "api_key_scope", FORBIDDEN;
    /// The user has no profile yet.
    ProfileRequired = "profile_required", FORBIDDEN;
    /// No such resource, or it belongs to someone else.
    NotFound = "not_found", NOT_FOUND;
    /// The path does not take this method.
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED;
    /// The body took too long to arrive.
    RequestTimeout = "request_timeout", REQUEST_TIMEOUT;
    /// The trade's status does not allow the change.
    InvalidTransition = "invalid_transition", CONFLICT;
    /// Only manual trades can be deleted.
    TradeNotManual = "trade_not_manual", CONFLICT;
    /// The user name belongs to another profile.
    UserNameTaken = "user_name_taken", CONFLICT;
    /// Several open trades match a signal without a reference.
    AmbiguousTrade = "ambiguous_trade", CONFLICT;
    /// The user has the most live API keys allowed.
    ApiKeyLimit = "api_key_limit", CONFLICT;
    /// A signal's symbol differs from its trade's.
    SymbolMismatch = "symbol_mismatch", CONFLICT;
    /// An entry on a reference an open trade already carries.
    TradeAlreadyOpen = "trade_already_open", CONFLICT;
    /// The record kept changing under the request; retrying is safe.
    ConcurrentUpdate = "concurrent_update", CONFLICT;
    /// The user has the most strategies allowed.
    StrategyLimit = "strategy_limit", CONFLICT;
    /// The user has the most webhook subscriptions allowed.
    WebhookLimit = "webhook_limit", CONFLICT;
    /// The body is too large.
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE;
    /// The body's media type is not one the route takes.
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE;
    /// A field breaks its rule.
    ValidationFailed = "validation_failed", UNPROCESSABLE_ENTITY;
    /// A field or parameter the route does not take.
    UnknownField = "unknown_field", UNPROCESSABLE_ENTITY;
    /// The `Idempotency-Key` was used before for another request.
    IdempotencyKeyReused = "idempotency_key_reused", UNPROCESSABLE_ENTITY;
    /// Over a rate limit.
    RateLimited = "rate_limited", TOO_MANY_REQUESTS;
    /// An entry whose signal is older than its strategy takes.
    SignalStale = "signal_stale", UNPROCESSABLE_ENTITY;
    /// Storage is unreachable; nothing was written.
    StorageUnavailable = "storage_unavailable", SERVICE_UNAVAILABLE;
    /// A bug on our side.
    InternalError = "internal_error", INTERNAL_SERVER_ERROR;
}

impl ErrorCode {
    /// The codes as texts, in [`ErrorCode::ALL`]'s order.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Self::ALL.iter().map(|code| code.as_str())
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ConflictKind> for ErrorCode {
    fn from(kind: ConflictKind) -> Self {
        match kind {
            ConflictKind::InvalidTransition => Self::InvalidTransition,
            ConflictKind::TradeNotManual => Self::TradeNotManual,
            ConflictKind::UserNameTaken => Self::UserNameTaken,
            ConflictKind::AmbiguousTrade => Self::AmbiguousTrade,
            ConflictKind::ApiKeyLimit => Self::ApiKeyLimit,
            ConflictKind::SymbolMismatch => Self::SymbolMismatch,
            ConflictKind::TradeAlreadyOpen => Self::TradeAlreadyOpen,
            ConflictKind::ConcurrentUpdate => Self::ConcurrentUpdate,
            ConflictKind::StrategyLimit => Self::StrategyLimit,
            ConflictKind::WebhookLimit => Self::WebhookLimit,
        }
    }
}

impl From<RefusedKind> for ErrorCode {
    fn from(kind: RefusedKind) -> Self {
        match kind {
            RefusedKind::IdempotencyKeyReused => Self::IdempotencyKeyReused,
            RefusedKind::SignalStale => Self::SignalStale,
        }
    }
}

impl From<ForbiddenKind> for ErrorCode {
    fn from(kind: ForbiddenKind) -> Self {
        match kind {
            ForbiddenKind::ApiKeyNotAllowed => Self::ApiKeyNotAllowed,
            ForbiddenKind::ApiKeyScope => Self::ApiKeyScope,
            ForbiddenKind::ProfileRequired => Self::ProfileRequired,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_4xx_or_5xx() {
        let names: HashSet<&str> = ErrorCode::names().collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            assert!(code.as_str().chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
            assert!(code.status().is_client_error() || code.status().is_server_error(), "{code}");
        }
    }
}
