//! Access: who the bearer of a token is (an expired key is no one), the key policy on a strategy, whether the user
//! has a profile, and ownership (another user's id answers exactly like a missing one).

use quantarya_domain::{EventId, RawApiKey, Stamp, Strategy, StrategyId, Trade, TradeId, User};

use super::JournalService;
use crate::journal::key_policy::{Operation, admit, confined_elsewhere};
use crate::journal::{Credential, Principal};
use crate::outbound::{OpenTradeLookup, TokenError};
use crate::{FieldError, ForbiddenKind, JournalError};

/// How stale `last_used_at` may get before a request through the key records a new one: one write a minute
/// per key at most, so the signal path does not pay a write per request.
const TOUCH_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

impl JournalService {
    /// Turns a bearer token into a principal: `qk_…` is an API key, anything else a user JWT.
    pub(super) async fn principal_of(&self, bearer: &str) -> Result<Principal, JournalError> {
        if bearer.starts_with(RawApiKey::PREFIX) {
            let raw = RawApiKey::parse(bearer).map_err(|_| JournalError::Unauthorized)?;
            let key = self.ports.stores.api_keys.find_api_key(&raw.hash()).await?.ok_or(JournalError::Unauthorized)?;
            let now = self.ports.clock.now();
            if key.grant.is_expired(now) {
                return Err(JournalError::Unauthorized);
            }
            if key.last_used_at.is_none_or(|last| now.as_datetime() - last.as_datetime() >= TOUCH_INTERVAL) {
                self.ports.stores.api_keys.touch_api_key(key.id, now).await?;
            }
            let credential = Credential::ApiKey { key_id: key.id, grant: key.grant };
            return Ok(Principal { user_id: key.user_id, credential });
        }
        match self.ports.tokens.verify(bearer).await {
            Ok(token) => Ok(Principal { user_id: token.user_id, credential: Credential::User { email: token.email } }),
            Err(TokenError::Invalid(_)) => Err(JournalError::Unauthorized),
            Err(TokenError::Unavailable(cause)) => Err(JournalError::Unavailable(cause)),
        }
    }

    /// The stamp of a change made now by `principal`.
    pub(super) fn stamp(&self, principal: &Principal) -> Stamp {
        Stamp { event_id: EventId::from_uuid(self.ports.ids.uuid()), at: self.ports.clock.now(), by: principal.kind() }
    }

    /// [`admit`]s `principal` to `operation` on `strategy`: a key confined to other strategies is refused, with
    /// 403 when `strategy` is its owner's and 404 when it is not (a key learns nothing of other users' ids).
    pub(super) async fn admit_on(
        &self,
        principal: &Principal,
        operation: Operation,
        strategy: StrategyId,
    ) -> Result<(), JournalError> {
        admit(principal, operation)?;
        if confined_elsewhere(principal, strategy) {
            self.owned_strategy(principal, strategy).await?;
            return Err(JournalError::Forbidden(ForbiddenKind::ApiKeyScope));
        }
        Ok(())
    }

    /// Refuses users without a profile (the caller was admitted as a user first).
    pub(super) async fn require_profile(&self, principal: &Principal) -> Result<User, JournalError> {
        self.ports
            .stores
            .users
            .get_user(&principal.user_id)
            .await?
            .ok_or(JournalError::Forbidden(ForbiddenKind::ProfileRequired))
    }

    /// Refuses `ids` (a key's or a subscription's `strategy_ids`) unless every one is the caller's own strategy,
    /// naming each that is not; checked against the caller's list (at most [`Strategy::LIMIT_PER_USER`]).
    pub(super) async fn own_strategies(&self, principal: &Principal, ids: &[StrategyId]) -> Result<(), JournalError> {
        let owned = self.ports.stores.strategies.list_strategies(&principal.user_id).await?;
        let details: Vec<FieldError> = ids
            .iter()
            .filter(|id| !owned.iter().any(|s| s.id == **id))
            .map(|id| FieldError::new("strategy_ids", format!("{id} is not one of your strategies")))
            .collect();
        if details.is_empty() { Ok(()) } else { Err(JournalError::Invalid(details)) }
    }

    /// The answer to an owner-scoped read that found nothing: `profile_required` for a user who has no profile
    /// (so owns nothing), else `NotFound`, the same for a missing and a foreign id. The profile is looked up only
    /// on this miss path, so reads that succeed cost no extra query. API keys exist only while their profile does.
    pub(super) async fn missing(&self, principal: &Principal, what: &'static str) -> JournalError {
        if matches!(principal.credential, Credential::User { .. }) {
            match self.ports.stores.users.get_user(&principal.user_id).await {
                Ok(None) => return JournalError::Forbidden(ForbiddenKind::ProfileRequired),
                Err(error) => return error.into(),
                Ok(Some(_)) => {}
            }
        }
        JournalError::NotFound(what)
    }

    /// The caller's strategy `id`.
    pub(super) async fn owned_strategy(&self, principal: &Principal, id: StrategyId) -> Result<Strategy, JournalError> {
        match self.ports.stores.strategies.get_strategy(&principal.user_id, id).await? {
            Some(strategy) => Ok(strategy),
            None => Err(self.missing(principal, "strategy").await),
        }
    }

    /// Trade `id` of the caller's strategy `strategy`, read with its ownership in one store call.
    pub(super) async fn owned_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Trade, JournalError> {
        match self.ports.stores.trades.get_trade(&principal.user_id, strategy, id).await? {
            Some(trade) => Ok(trade),
            None => Err(self.missing(principal, "trade").await),
        }
    }

    /// The caller's open trades of `strategy` that `lookup` names.
    pub(super) async fn open_trades(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        lookup: &OpenTradeLookup,
    ) -> Result<Vec<Trade>, JournalError> {
        match self.ports.stores.trades.open_trades(&principal.user_id, strategy, lookup).await? {
            Some(trades) => Ok(trades),
            None => Err(self.missing(principal, "strategy").await),
        }
    }
}
