//! The use cases' error vocabulary, and the stores' errors it is made from.

use std::error::Error as StdError;

use quantarya_domain::{LifecycleError, ProfileError};
use thiserror::Error;

/// A boxed cause, kept for logs and never shown to clients.
pub type Cause = Box<dyn StdError + Send + Sync>;

/// What a store reports when it cannot do as asked.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The backing storage cannot be reached or timed out; nothing was written.
    #[error("storage is unavailable")]
    Unavailable(#[source] Cause),
    /// The write conflicts with what is stored; nothing was written.
    #[error("the write conflicts with stored data: {0:?}")]
    Conflict(StoreConflict),
    /// A row the write depends on is gone (deleted concurrently); nothing was written.
    #[error("a row this write depends on does not exist")]
    Missing,
    /// Stored data that the domain refuses: a bug or a damaged database.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// The conflicts a store detects itself, because only it can detect them atomically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreConflict {
    /// Another profile has this user name (compared regardless of case).
    UserNameTaken,
    /// A row with this id already exists (a profile, strategy, trade or key written twice).
    AlreadyExists,
    /// An open trade of the strategy already carries this reference.
    OpenTradeExists,
    /// The trade changed since it was read: its stored version is not the one the write was based on.
    StaleVersion,
    /// The user already has [`quantarya_domain::ApiKey::LIMIT_PER_USER`] live keys.
    ApiKeyLimit,
    /// The strategy refuses the new trade's entry signal as older than its `max_signal_age`
    /// ([`quantarya_domain::SignalAge::refuses`]). Nothing was written.
    SignalStale,
    /// The user already has [`quantarya_domain::Strategy::LIMIT_PER_USER`] strategies.
    StrategyLimit,
    /// The user already has [`quantarya_domain::Webhook::LIMIT_PER_USER`] webhook subscriptions.
    WebhookLimit,
    /// A signal's receipt lost a race: another receipt was written for its target since it was read, or its
    /// idempotency key is held by a receipt that still counts. Nothing was written; the signal must be judged again.
    ReceiptRaced,
}

/// Why a request may not be done with valid credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForbiddenKind {
    /// API keys work on the trade routes only.
    ApiKeyNotAllowed,
    /// The API key's scopes or strategies do not cover this, or the trade was entered by hand.
    ApiKeyScope,
    /// The user must create a profile (`POST /me`) first.
    ProfileRequired,
}

/// Why a request conflicts with the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// The trade's status does not allow this change.
    InvalidTransition,
    /// Only manual trades can be deleted.
    TradeNotManual,
    /// The user name belongs to another profile.
    UserNameTaken,
    /// Several open trades match a signal without a reference.
    AmbiguousTrade,
    /// The user has the most live API keys allowed.
    ApiKeyLimit,
    /// A signal's symbol differs from its trade's.
    SymbolMismatch,
    /// An entry on a reference an open trade carries.
    TradeAlreadyOpen,
    /// The trade kept changing under this request; retrying it is safe.
    ConcurrentUpdate,
    /// The user has the most strategies allowed.
    StrategyLimit,
    /// The user has the most webhook subscriptions allowed.
    WebhookLimit,
}

/// Why well-formed input is refused for what it means rather than for a field's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusedKind {
    /// The idempotency key was used before for another body.
    IdempotencyKeyReused,
    /// An entry whose signal is older than its strategy's `max_signal_age_seconds`.
    SignalStale,
}

/// One field to blame for a refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The request field's name.
    pub field: String,
    /// Why it was refused, in a sentence fragment ("must not be empty").
    pub message: String,
}

impl FieldError {
    /// Blames `field` with `message`.
    pub fn new(field: impl Into<String>, message: impl ToString) -> Self {
        Self { field: field.into(), message: message.to_string() }
    }
}

/// What a use case answers when it does not succeed. The HTTP adapter alone turns it into statuses and codes.
#[derive(Debug, Error)]
pub enum JournalError {
    /// Credentials are missing, malformed, expired, revoked or wrongly signed.
    #[error("credentials are missing or invalid")]
    Unauthorized,
    /// Valid credentials that may not do this.
    #[error("forbidden: {0:?}")]
    Forbidden(ForbiddenKind),
    /// No such resource, or it belongs to someone else.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// What kind of conflict.
        kind: ConflictKind,
        /// A sentence for the client.
        message: String,
    },
    /// Well-formed input that breaks a field rule.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Well-formed input refused for what it means (422 with its own code).
    #[error("{message}")]
    Refused {
        /// Why.
        kind: RefusedKind,
        /// A sentence for the client.
        message: String,
    },
    /// Storage is unreachable; nothing was half-written.
    #[error("storage is unavailable")]
    Unavailable(#[source] Cause),
    /// A bug or damaged data. Never caused by input.
    #[error("internal error: {0}")]
    Internal(String),
}

impl JournalError {
    /// A conflict of `kind` explained by `message`.
    pub fn conflict(kind: ConflictKind, message: impl ToString) -> Self {
        Self::Conflict { kind, message: message.to_string() }
    }

    /// An invalid request blaming one field.
    pub fn invalid(field: &str, message: impl ToString) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<StoreError> for JournalError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => Self::Unavailable(cause),
            StoreError::Missing => Self::NotFound("resource"),
            StoreError::Corrupt(what) => Self::Internal(what),
            StoreError::Conflict(conflict) => match conflict {
                StoreConflict::UserNameTaken => Self::conflict(ConflictKind::UserNameTaken, "that user name is taken"),
                StoreConflict::ApiKeyLimit => Self::conflict(
                    ConflictKind::ApiKeyLimit,
                    format!("at most {} live API keys are allowed", quantarya_domain::ApiKey::LIMIT_PER_USER),
                ),
                StoreConflict::StaleVersion | StoreConflict::OpenTradeExists | StoreConflict::ReceiptRaced => {
                    Self::conflict(
                        ConflictKind::ConcurrentUpdate,
                        "the trade changed while this request was handled; retry it",
                    )
                }
                StoreConflict::StrategyLimit => Self::conflict(
                    ConflictKind::StrategyLimit,
                    format!("at most {} strategies are allowed", quantarya_domain::Strategy::LIMIT_PER_USER),
                ),
                StoreConflict::WebhookLimit => Self::conflict(
                    ConflictKind::WebhookLimit,
                    format!("at most {} webhooks are allowed", quantarya_domain::Webhook::LIMIT_PER_USER),
                ),
                StoreConflict::SignalStale => Self::Refused {
                    kind: RefusedKind::SignalStale,
                    message: "the entry's signal_time is older than the strategy's max_signal_age_seconds allows; \
                              nothing was stored"
                        .to_owned(),
                },
                StoreConflict::AlreadyExists => Self::Internal("a freshly generated id collided".to_owned()),
            },
        }
    }
}

impl From<LifecycleError> for JournalError {
    fn from(error: LifecycleError) -> Self {
        use LifecycleError as E;
        let field = match &error {
            E::InvalidTransition { .. } | E::NotOpen { .. } => {
                return Self::conflict(ConflictKind::InvalidTransition, &error);
            }
            E::NotManual => return Self::conflict(ConflictKind::TradeNotManual, &error),
            E::SymbolMismatch { .. } => return Self::conflict(ConflictKind::SymbolMismatch, &error),
            E::AlreadyOpen { .. } => return Self::conflict(ConflictKind::TradeAlreadyOpen, &error),
            E::AmbiguousTrade { .. } => return Self::conflict(ConflictKind::AmbiguousTrade, &error),
            E::ClosedBeforeOpened => "closed_at",
            E::InFuture { field }
            | E::CloseFieldOnOpenTrade { field }
            | E::Required { field, .. }
            | E::SeveralFills { field }
            | E::FillBeforeOpened { field }
            | E::FillOnCancel { field } => field,
            E::QuantityOnUnsized | E::QuantityAboveOpen { .. } | E::SizeTooLarge | E::TooManyFills { .. } => "quantity",
            E::FeesTooLarge => "fees",
            E::PointValueFixed => "point_value",
            E::PriceOnCancelledTrade => "close_price",
            E::EntryOnExit => "entry",
            E::ExitToOpen => "status",
            E::NothingToChange => "body",
            E::Extensions(_) => "extensions",
            E::NoLocator => "external_reference",
        };
        Self::invalid(field, error)
    }
}

impl From<ProfileError> for JournalError {
    fn from(error: ProfileError) -> Self {
        match error {
            ProfileError::UserNameRequired => Self::invalid("user_name", "is required to create a profile"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quantarya_domain::Status;

    #[test]
    fn lifecycle_conflicts_map_to_409_kinds_and_rule_breaks_to_fields() {
        let error = JournalError::from(LifecycleError::InvalidTransition { from: Status::Closed, to: Status::Open });
        assert!(matches!(error, JournalError::Conflict { kind: ConflictKind::InvalidTransition, .. }));
        let error = JournalError::from(LifecycleError::NotManual);
        assert!(matches!(error, JournalError::Conflict { kind: ConflictKind::TradeNotManual, .. }));
        match JournalError::from(LifecycleError::ClosedBeforeOpened) {
            JournalError::Invalid(fields) => assert_eq!(fields[0].field, "closed_at"),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn store_errors_map_without_leaking_text() {
        let error = JournalError::from(StoreError::Unavailable("connection refused to 10.0.0.1".into()));
        assert!(matches!(error, JournalError::Unavailable(_)));
        assert_eq!(error.to_string(), "storage is unavailable");
        let error = JournalError::from(StoreError::Conflict(StoreConflict::UserNameTaken));
        assert!(matches!(error, JournalError::Conflict { kind: ConflictKind::UserNameTaken, .. }));
    }
}
