//! What each operation asks of an API key: the one policy the use cases enforce and the HTTP adapter documents
//! (its routes name their [`Operation`], and their auth label and 403 answers are read from here), so the two
//! cannot disagree.

use quantarya_domain::{ApiKeyScope, CredentialKind, Origin, StrategyId, Trade};

use crate::journal::{Credential, Principal};
use crate::{ForbiddenKind, JournalError};

/// What an operation asks of an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAccess {
    /// Keys may not call it (403 `api_key_not_allowed`): it takes a user JWT.
    Refused,
    /// A key with this scope may call it, on the strategies the key is confined to (403 `api_key_scope`
    /// otherwise).
    Scope(ApiKeyScope),
}

/// Every operation that takes credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `GET /me`.
    GetProfile,
    /// `POST /me`.
    SaveProfile,
    /// `DELETE /me`.
    DeleteProfile,
    /// `POST /strategies`.
    CreateStrategy,
    /// `GET /strategies`.
    ListStrategies,
    /// `GET /strategies/{id}`.
    GetStrategy,
    /// `PATCH /strategies/{id}`.
    UpdateStrategy,
    /// `DELETE /strategies/{id}`.
    DeleteStrategy,
    /// `GET /strategies/{id}/stats`.
    StrategyStats,
    /// `POST /api-keys`.
    CreateApiKey,
    /// `GET /api-keys`.
    ListApiKeys,
    /// `DELETE /api-keys/{id}`.
    RevokeApiKey,
    /// `POST /strategies/{id}/trades`: an entry, update or exit.
    SubmitSignal,
    /// `GET /strategies/{id}/trades`.
    ListTrades,
    /// `GET /strategies/{id}/trades/{trade_id}`.
    GetTrade,
    /// `PATCH /strategies/{id}/trades/{trade_id}`.
    PatchTrade,
    /// `POST /strategies/{id}/trades/{trade_id}/close`.
    CloseTrade,
    /// `DELETE /strategies/{id}/trades/{trade_id}`.
    DeleteTrade,
    /// `GET /strategies/{id}/trades/{trade_id}/events`.
    TradeHistory,
    /// `GET /strategies/{id}/signals`: the signal log.
    SignalLog,
    /// `POST /strategies/{id}/imports`.
    ImportTrades,
    /// `GET /strategies/{id}/imports`.
    ListImports,
    /// `DELETE /strategies/{id}/imports/{import_id}`.
    DeleteImport,
    /// `GET /strategies/{id}/export`.
    ExportTrades,
    /// `POST /webhooks`.
    CreateWebhook,
    /// `GET /webhooks`.
    ListWebhooks,
    /// `DELETE /webhooks/{id}`.
    DeleteWebhook,
    /// `GET /webhooks/{id}/deliveries`.
    WebhookDeliveries,
}

impl Operation {
    /// What the operation asks of an API key.
    ///
    /// ```
    /// use quantarya_domain::ApiKeyScope;
    /// use quantarya_ports::{KeyAccess, Operation};
    /// assert_eq!(Operation::SubmitSignal.key_access(), KeyAccess::Scope(ApiKeyScope::Signals));
    /// assert_eq!(Operation::CreateApiKey.key_access(), KeyAccess::Refused);
    /// ```
    pub const fn key_access(self) -> KeyAccess {
        match self {
            Self::SubmitSignal => KeyAccess::Scope(ApiKeyScope::Signals),
            Self::ListTrades | Self::GetTrade => KeyAccess::Scope(ApiKeyScope::Read),
            Self::PatchTrade | Self::CloseTrade | Self::DeleteTrade => KeyAccess::Scope(ApiKeyScope::Manage),
            Self::GetProfile
            | Self::SaveProfile
            | Self::DeleteProfile
            | Self::CreateStrategy
            | Self::ListStrategies
            | Self::GetStrategy
            | Self::UpdateStrategy
            | Self::DeleteStrategy
            | Self::StrategyStats
            | Self::CreateApiKey
            | Self::ListApiKeys
            | Self::RevokeApiKey
            | Self::TradeHistory
            | Self::SignalLog
            | Self::ImportTrades
            | Self::ListImports
            | Self::DeleteImport
            | Self::ExportTrades
            | Self::CreateWebhook
            | Self::ListWebhooks
            | Self::DeleteWebhook
            | Self::WebhookDeliveries => KeyAccess::Refused,
        }
    }
}

/// Refuses an API key on a trade its owner entered by hand or imported, other than to read it: a bot, or whoever
/// read the key in an alert, cannot rewrite or erase what the trader recorded themselves.
///
/// # Errors
///
/// `Forbidden(ApiKeyScope)` for an API key and a manual or imported trade.
pub(crate) fn may_change(principal: &Principal, trade: &Trade) -> Result<(), JournalError> {
    if principal.kind() == CredentialKind::ApiKey && trade.origin != Origin::ApiKey {
        Err(JournalError::Forbidden(ForbiddenKind::ApiKeyScope))
    } else {
        Ok(())
    }
}

/// Admits `principal` to `operation` as [`Operation::key_access`] says: a user JWT always (ownership is the
/// stores' to check), an API key within its scopes. The HTTP adapter calls it before it reads a body; the use
/// cases call it again, with the strategy (a key confined to some strategies is refused on the others).
///
/// ```
/// use quantarya_domain::{ApiKeyId, ApiKeyScope, ApiKeyScopes, KeyGrant, UserId};
/// use quantarya_ports::{Credential, ForbiddenKind, JournalError, Operation, Principal, admit};
/// # use quantarya_domain::uuid::Uuid;
/// let grant = KeyGrant { scopes: ApiKeyScopes::new([ApiKeyScope::Signals])?, ..KeyGrant::default() };
/// let webhook = Principal {
///     user_id: UserId::parse("user_1")?,
///     credential: Credential::ApiKey { key_id: ApiKeyId::from_uuid(Uuid::from_u128(1)), grant },
/// };
/// assert!(admit(&webhook, Operation::SubmitSignal).is_ok());
/// let patch = admit(&webhook, Operation::PatchTrade);
/// assert!(matches!(patch, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyScope))));
/// let keys = admit(&webhook, Operation::ListApiKeys);
/// assert!(matches!(keys, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// `Forbidden(ApiKeyNotAllowed)` for a key on an operation keys may not call; `Forbidden(ApiKeyScope)` for a
/// key without the operation's scope.
pub fn admit(principal: &Principal, operation: Operation) -> Result<(), JournalError> {
    let Credential::ApiKey { grant, .. } = &principal.credential else {
        return Ok(());
    };
    match operation.key_access() {
        KeyAccess::Refused => Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed)),
        KeyAccess::Scope(scope) if grant.scopes.contains(scope) => Ok(()),
        KeyAccess::Scope(_) => Err(JournalError::Forbidden(ForbiddenKind::ApiKeyScope)),
    }
}

/// Whether `principal` is a key confined to strategies other than `strategy`.
pub(crate) fn confined_elsewhere(principal: &Principal, strategy: StrategyId) -> bool {
    match &principal.credential {
        Credential::ApiKey { grant, .. } => !grant.reaches(strategy),
        Credential::User { .. } => false,
    }
}
