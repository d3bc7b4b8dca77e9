//! Accounts: a user's profile, strategies and API keys.

use quantarya_domain::{
    ApiKey, ApiKeyId, NewApiKey, NewStrategy, ProfileChange, RawApiKey, Strategy, StrategyChange, StrategyId, User,
};

use super::JournalService;
use super::retry::{Attempt, retry};
use crate::journal::{Credential, IssuedApiKey, Principal, Saved, StrategyDeletion};
use crate::outbound::AccountDeletion;
use crate::{ForbiddenKind, JournalError, StoreConflict, StoreError};

impl JournalService {
    /// The caller's profile; `NotFound` before one is created.
    pub(super) async fn profile(&self, principal: &Principal) -> Result<User, JournalError> {
        self.ports.stores.users.get_user(&principal.user_id).await?.ok_or(JournalError::NotFound("profile"))
    }

    /// Creates or partially updates the caller's profile, deciding again when a concurrent write won.
    pub(super) async fn write_profile(
        &self,
        principal: &Principal,
        change: &ProfileChange,
    ) -> Result<Saved<User>, JournalError> {
        let Credential::User { email } = &principal.credential else {
            return Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed));
        };
        let now = self.ports.clock.now();
        retry(move || async move {
            match self.ports.stores.users.get_user(&principal.user_id).await? {
                None => {
                    let user = User::create(principal.user_id.clone(), email.clone(), change.clone(), now)?;
                    match self.ports.stores.users.insert_user(&user).await {
                        Ok(()) => Ok(Attempt::Done(Saved { value: user, created: true })),
                        // A concurrent first write created the profile: update it instead.
                        Err(StoreError::Conflict(StoreConflict::AlreadyExists)) => Ok(Attempt::Retry),
                        Err(other) => Err(other.into()),
                    }
                }
                Some(existing) => {
                    let user = existing.updated(email.clone(), change.clone(), now);
                    match self.ports.stores.users.update_user(&user, existing.updated_at).await {
                        Ok(()) => Ok(Attempt::Done(Saved { value: user, created: false })),
                        // Changed or deleted concurrently: decide again on what is stored now.
                        Err(StoreError::Missing | StoreError::Conflict(StoreConflict::StaleVersion)) => {
                            Ok(Attempt::Retry)
                        }
                        Err(other) => Err(other.into()),
                    }
                }
            }
        })
        .await
    }

    /// Deletes the caller's profile and everything it owns.
    pub(super) async fn delete_account(&self, principal: &Principal) -> Result<AccountDeletion, JournalError> {
        self.ports.stores.users.delete_account(&principal.user_id).await?.ok_or(JournalError::NotFound("profile"))
    }

    /// Creates a strategy. No profile read first: the store refuses a strategy of a user it does not know.
    pub(super) async fn new_strategy(&self, principal: &Principal, new: NewStrategy) -> Result<Strategy, JournalError> {
        let id = StrategyId::from_uuid(self.ports.ids.uuid());
        let strategy = Strategy::create(id, principal.user_id.clone(), new, self.ports.clock.now());
        self.ports.stores.strategies.insert_strategy(&strategy).await.map_err(unknown_user)?;
        Ok(strategy)
    }

    /// The caller's strategies, newest first.
    pub(super) async fn strategies(&self, principal: &Principal) -> Result<Vec<Strategy>, JournalError> {
        let strategies = self.ports.stores.strategies.list_strategies(&principal.user_id).await?;
        if strategies.is_empty() {
            // Only an empty list can belong to a user without a profile.
            self.require_profile(principal).await?;
        }
        Ok(strategies)
    }

    /// Changes a strategy, deciding again when a concurrent write won.
    pub(super) async fn change_strategy(
        &self,
        principal: &Principal,
        id: StrategyId,
        change: &StrategyChange,
    ) -> Result<Strategy, JournalError> {
        if change.is_empty() {
            return Err(JournalError::invalid("body", "the request names nothing to change"));
        }
        retry(move || async move {
            let current = self.owned_strategy(principal, id).await?;
            let updated = current.changed(change.clone(), self.ports.clock.now());
            match self.ports.stores.strategies.update_strategy(&updated, current.updated_at).await {
                Ok(()) => Ok(Attempt::Done(updated)),
                Err(StoreError::Conflict(StoreConflict::StaleVersion)) => Ok(Attempt::Retry),
                Err(StoreError::Missing) => Err(JournalError::NotFound("strategy")),
                Err(other) => Err(other.into()),
            }
        })
        .await
    }

    /// Deletes a strategy with its trades.
    pub(super) async fn erase_strategy(
        &self,
        principal: &Principal,
        id: StrategyId,
    ) -> Result<StrategyDeletion, JournalError> {
        match self.ports.stores.strategies.delete_strategy(&principal.user_id, id).await? {
            Some(deleted_trades) => Ok(StrategyDeletion { strategy_id: id, deleted_trades }),
            // Tells a user without a profile `profile_required` rather than `not_found`.
            None => Err(self.missing(principal, "strategy").await),
        }
    }

    /// Issues an API key. No profile read first: the store refuses a key of a user it does not know. A key
    /// confined to strategies may name only the caller's own (checked against their list, at most
    /// [`Strategy::LIMIT_PER_USER`] of them; a strategy deleted afterwards is simply one the key reaches no more).
    pub(super) async fn issue_api_key(
        &self,
        principal: &Principal,
        new: NewApiKey,
    ) -> Result<IssuedApiKey, JournalError> {
        let now = self.ports.clock.now();
        new.grant.check_expiry(now).map_err(|error| JournalError::invalid("expires_at", error))?;
        if let Some(only) = &new.grant.strategies {
            self.own_strategies(principal, only.as_slice()).await?;
        }
        let raw = RawApiKey::from_random_body(&self.ports.ids.api_key_body())
            .map_err(|_| JournalError::Internal("the id source made a malformed key body".to_owned()))?;
        let id = ApiKeyId::from_uuid(self.ports.ids.uuid());
        let key = ApiKey::issue(id, principal.user_id.clone(), new, &raw, now);
        self.ports.stores.api_keys.insert_api_key(&key).await.map_err(unknown_user)?;
        Ok(IssuedApiKey { key, raw })
    }

    /// The caller's live keys, oldest first.
    pub(super) async fn api_keys(&self, principal: &Principal) -> Result<Vec<ApiKey>, JournalError> {
        let keys = self.ports.stores.api_keys.list_api_keys(&principal.user_id).await?;
        if keys.is_empty() {
            // Only an empty list can belong to a user without a profile.
            self.require_profile(principal).await?;
        }
        Ok(keys)
    }

    /// Revokes a key of the caller's.
    pub(super) async fn revoke_key(&self, principal: &Principal, id: ApiKeyId) -> Result<(), JournalError> {
        if self.ports.stores.api_keys.revoke_api_key(&principal.user_id, id).await? {
            Ok(())
        } else {
            Err(self.missing(principal, "API key").await)
        }
    }
}

/// A store that refuses a row of a user it does not know (`Missing`) means the user has no profile yet.
fn unknown_user(error: StoreError) -> JournalError {
    match error {
        StoreError::Missing => JournalError::Forbidden(ForbiddenKind::ProfileRequired),
        other => other.into(),
    }
}
