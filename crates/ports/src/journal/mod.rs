//! The inbound port: every operation of the HTTP API as one use-case trait, and the types it speaks.

mod import_file;
mod key_policy;
mod service;
mod signal;

use async_trait::async_trait;
use quantarya_domain::chrono_tz::Tz;
use quantarya_domain::{
    ApiKey, ApiKeyId, CloseTrade, CredentialKind, Email, Import, ImportId, KeyGrant, NewApiKey, NewStrategy,
    NewWebhook, ProfileChange, RawApiKey, Statistics, Strategy, StrategyChange, StrategyId, Trade, TradeEvent, TradeId,
    TradePatch, User, UserId, UserName, Webhook, WebhookId,
};

pub use import_file::ImportFile;
pub use key_policy::{KeyAccess, Operation, admit};
pub use service::{EveryStore, JournalService, Ports, Stores};
pub use signal::{Signal, SignalEffect, SignalIdentity, SignalLocator, SignalOutcome, SignalReport};

use crate::JournalError;
use crate::outbound::{AccountDeletion, CloseRange, TradeCursor};
use crate::paging::{DeliveryPage, DeliveryQuery, SignalLogPage, SignalLogQuery, TradePage, TradeQuery};

/// Who is asking: a user, through a user JWT or through one of their API keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user the request acts for.
    pub user_id: UserId,
    /// The credential it was made with.
    pub credential: Credential,
}

/// The credential behind a [`Principal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A user JWT, with the e-mail it asserts.
    User {
        /// The token's `email` claim.
        email: Email,
    },
    /// An API key, which works on the trade routes only, within its grant.
    ApiKey {
        /// The key's id.
        key_id: ApiKeyId,
        /// What it may do.
        grant: KeyGrant,
    },
}

impl Principal {
    /// The kind of credential, as trades and history record it.
    pub const fn kind(&self) -> CredentialKind {
        match self.credential {
            Credential::User { .. } => CredentialKind::User,
            Credential::ApiKey { .. } => CredentialKind::ApiKey,
        }
    }
}

/// A value written by an upsert, and whether it was created (rather than updated).
#[derive(Debug, Clone, PartialEq)]
pub struct Saved<T> {
    /// What is stored now.
    pub value: T,
    /// True when the write created it.
    pub created: bool,
}

/// A public profile and its public strategies.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicProfile {
    /// The profile (the e-mail in it is never to be shown publicly).
    pub user: User,
    /// Its public strategies, newest first, each with its performance.
    pub strategies: Vec<PublicStrategy>,
}

/// A public strategy with its performance, as everyone may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicStrategy {
    /// The strategy.
    pub strategy: Strategy,
    /// Its statistics over all its closed trades, the curve sampled to [`PUBLIC_CURVE_POINTS`].
    pub stats: Statistics,
}

/// What statistics an owner asks for: the trades closed within `range`, the weekday and hour of each opening read
/// in `zone` (UTC unless asked).
///
/// ```
/// use quantarya_domain::chrono_tz::Tz;
/// use quantarya_ports::StatsQuery;
/// use quantarya_ports::outbound::CloseRange;
/// let everything = StatsQuery::default();
/// assert_eq!((everything.range, everything.zone), (CloseRange::default(), Tz::UTC));
/// let in_new_york = StatsQuery { zone: Tz::America__New_York, ..CloseRange::default().into() };
/// assert_eq!(in_new_york.zone.name(), "America/New_York");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsQuery {
    /// The close times counted.
    pub range: CloseRange,
    /// The time zone of the weekday and hour breakdowns.
    pub zone: Tz,
}

impl Default for StatsQuery {
    fn default() -> Self {
        Self { range: CloseRange::default(), zone: Tz::UTC }
    }
}

impl From<CloseRange> for StatsQuery {
    fn from(range: CloseRange) -> Self {
        Self { range, ..Self::default() }
    }
}

/// How many points of the equity curve a public profile shows per strategy.
pub const PUBLIC_CURVE_POINTS: usize = 200;

/// How many points of the equity curve the owner's statistics show.
pub const OWNER_CURVE_POINTS: usize = 1000;

/// What deleting a strategy removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrategyDeletion {
    /// The deleted strategy.
    pub strategy_id: StrategyId,
    /// How many trades went with it.
    pub deleted_trades: u64,
}

/// A new API key: the stored metadata, and the raw key shown this once.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedApiKey {
    /// What is stored.
    pub key: ApiKey,
    /// The secret; never stored, never logged.
    pub raw: RawApiKey,
}

/// Every operation of the HTTP API. The HTTP adapter calls it; other services may embed it.
///
/// Each method enforces ownership (another user's id answers [`JournalError::NotFound`]), the profile
/// requirement and the key policy ([`Operation::key_access`]: keys work on the trade operations only, within their
/// scopes and strategies, and never change a manual trade).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Journal: Send + Sync {
    /// Succeeds while storage answers (`GET /readyz`); `Unavailable` otherwise.
    ///
    /// # Errors
    ///
    /// `Unavailable` while storage does not answer.
    async fn storage_ready(&self) -> Result<(), JournalError>;

    /// Turns a bearer token into a principal: `qk_…` is an API key, anything else a user JWT.
    ///
    /// # Errors
    ///
    /// `Unauthorized` for a malformed, unknown, revoked, expired or wrongly signed credential;
    /// `Unavailable` when storage or the key source for JWTs does not answer.
    async fn authenticate(&self, bearer: &str) -> Result<Principal, JournalError>;

    /// The caller's profile (`GET /me`); `NotFound` before one is created.
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `NotFound` before the profile exists;
    /// `Unavailable` when storage does not answer.
    async fn get_profile(&self, principal: &Principal) -> Result<User, JournalError>;
    /// Creates or partially updates the caller's profile (`POST /me`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Invalid` for a first write without a user name;
    /// `Conflict(UserNameTaken)` when another profile has the name; `Conflict(ConcurrentUpdate)` when the profile kept
    /// changing; `Unavailable` when storage does not answer.
    async fn save_profile(&self, principal: &Principal, change: ProfileChange) -> Result<Saved<User>, JournalError>;
    /// Deletes the caller's profile and everything it owns (`DELETE /me`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `NotFound` when there is no profile;
    /// `Unavailable` when storage does not answer.
    async fn delete_profile(&self, principal: &Principal) -> Result<AccountDeletion, JournalError>;
    /// An enabled public profile with its public strategies (`GET /profiles/{user_name}`); no credentials.
    ///
    /// # Errors
    ///
    /// `NotFound` unless the profile exists and is public; `Unavailable` when storage does not answer.
    async fn public_profile(&self, user_name: &UserName) -> Result<PublicProfile, JournalError>;

    /// Creates a strategy (`POST /strategies`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `Unavailable` when storage does not answer.
    async fn create_strategy(&self, principal: &Principal, new: NewStrategy) -> Result<Strategy, JournalError>;
    /// The caller's strategies, newest first (`GET /strategies`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `Unavailable` when storage does not answer.
    async fn list_strategies(&self, principal: &Principal) -> Result<Vec<Strategy>, JournalError>;
    /// One strategy (`GET /strategies/{id}`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `NotFound` for a missing or another user's strategy; `Unavailable` when storage does not answer.
    async fn get_strategy(&self, principal: &Principal, id: StrategyId) -> Result<Strategy, JournalError>;
    /// Changes a strategy (`PATCH /strategies/{id}`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `Invalid` for a change that names nothing; `NotFound` for a missing or another user's strategy;
    /// `Conflict(ConcurrentUpdate)` when it kept changing; `Unavailable` when storage does not answer.
    async fn update_strategy(
        &self,
        principal: &Principal,
        id: StrategyId,
        change: StrategyChange,
    ) -> Result<Strategy, JournalError>;
    /// Deletes a strategy with its trades (`DELETE /strategies/{id}`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `NotFound` for a missing or another user's strategy; `Unavailable` when storage does not answer.
    async fn delete_strategy(&self, principal: &Principal, id: StrategyId) -> Result<StrategyDeletion, JournalError>;

    /// Issues an API key (`POST /api-keys`); the raw key is in the answer and nowhere else.
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile; `Invalid` for
    /// an end not in the next two years or a strategy that is not the caller's; `Conflict(ApiKeyLimit)` at the limit
    /// of live keys; `Internal` if the id source made a malformed key; `Unavailable` when storage does not answer.
    async fn create_api_key(&self, principal: &Principal, new: NewApiKey) -> Result<IssuedApiKey, JournalError>;
    /// The caller's live keys, oldest first (`GET /api-keys`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `Unavailable` when storage does not answer.
    async fn list_api_keys(&self, principal: &Principal) -> Result<Vec<ApiKey>, JournalError>;
    /// Revokes a key (`DELETE /api-keys/{id}`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `NotFound` for a missing, revoked or another user's key; `Unavailable` when storage does not answer.
    async fn revoke_api_key(&self, principal: &Principal, id: ApiKeyId) -> Result<(), JournalError>;

    /// Subscribes an endpoint to trade changes (`POST /webhooks`); the signing secret is in the answer, shown once.
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile; `Invalid`
    /// (naming `url`) for an endpoint the SSRF guard refuses, or (naming `strategy_ids`) a strategy that is not the
    /// caller's; `Conflict(WebhookLimit)` at the limit; `Unavailable` when storage does not answer.
    async fn create_webhook(&self, principal: &Principal, new: NewWebhook) -> Result<Webhook, JournalError>;
    /// The caller's subscriptions, oldest first (`GET /webhooks`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `Unavailable` when storage does not answer.
    async fn list_webhooks(&self, principal: &Principal) -> Result<Vec<Webhook>, JournalError>;
    /// Removes a subscription with its deliveries (`DELETE /webhooks/{id}`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `NotFound` for a missing or another user's subscription; `Unavailable` when storage does not answer.
    async fn delete_webhook(&self, principal: &Principal, id: WebhookId) -> Result<(), JournalError>;
    /// A page of a subscription's deliveries, newest first (`GET /webhooks/{id}/deliveries`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `NotFound` for a missing or another user's subscription; `Unavailable` when storage does not answer.
    async fn webhook_deliveries(
        &self,
        principal: &Principal,
        id: WebhookId,
        query: DeliveryQuery,
    ) -> Result<DeliveryPage, JournalError>;

    /// Applies an entry, update or exit signal (`POST /strategies/{id}/trades`). With an `identity`, a request that
    /// repeats one already applied changes nothing and answers [`SignalEffect::Replayed`], and an applied one leaves
    /// its receipt; without one, no receipt is read or written.
    ///
    /// # Errors
    ///
    /// `Forbidden(ProfileRequired)` before a profile; `NotFound` for a missing or another user's
    /// strategy, or an update or exit that matches no open trade; `Invalid` for a signal that breaks a field rule;
    /// `Conflict` (`AmbiguousTrade`, `SymbolMismatch`, `SideMismatch`, `InvalidTransition`, `ConcurrentUpdate`) when
    /// it conflicts with the open trades; `Refused(IdempotencyKeyReused)` when its idempotency key was used for
    /// another body; `Unavailable` when storage does not answer.
    async fn submit_signal(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        signal: Signal,
        identity: Option<SignalIdentity>,
    ) -> Result<SignalOutcome, JournalError>;
    /// One page of a strategy's trades (`GET /strategies/{id}/trades`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ProfileRequired)` before a profile; `NotFound` for a missing or another user's
    /// strategy; `Invalid` when `from` is after `to`; `Unavailable` when storage does not answer.
    async fn list_trades(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        query: TradeQuery,
    ) -> Result<TradePage, JournalError>;
    /// One trade (`GET /strategies/{id}/trades/{trade_id}`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ProfileRequired)` before a profile; `NotFound` for a missing or another user's
    /// trade; `Unavailable` when storage does not answer.
    async fn get_trade(&self, principal: &Principal, strategy: StrategyId, id: TradeId) -> Result<Trade, JournalError>;
    /// A partial update (`PATCH /strategies/{id}/trades/{trade_id}`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ProfileRequired)` before a profile; `NotFound` for a missing or another user's
    /// trade; `Invalid` for a patch the trade's state does not take; `Conflict(InvalidTransition)` out of a terminal
    /// status; `Conflict(ConcurrentUpdate)` when it kept changing; `Unavailable` when storage does not answer.
    async fn patch_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
        patch: TradePatch,
    ) -> Result<Trade, JournalError>;
    /// Closes an open trade (`POST /strategies/{id}/trades/{trade_id}/close`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ProfileRequired)` before a profile; `NotFound` for a missing or another user's
    /// trade; `Invalid` for a bad close price or time; `Conflict(InvalidTransition)` on a terminal trade;
    /// `Conflict(ConcurrentUpdate)` when it kept changing; `Unavailable` when storage does not answer.
    async fn close_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
        close: CloseTrade,
    ) -> Result<Trade, JournalError>;
    /// Deletes a manual trade with its history; answers the trade as it was (`DELETE …/trades/{trade_id}`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ProfileRequired)` before a profile; `NotFound` for a missing or another user's
    /// trade; `Conflict(TradeNotManual)` for a trade that came through an API key; `Unavailable` when storage does not answer.
    async fn delete_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Trade, JournalError>;
    /// A strategy's performance over the trades closed within the query's range, weekdays and hours of the
    /// openings read in its zone (`GET /strategies/{id}/stats`), the curves sampled to [`OWNER_CURVE_POINTS`].
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `NotFound` for a missing or another user's strategy; `Invalid` when `from` is after `to`; `Internal` when the
    /// store hands trades out of close order; `Unavailable` when storage does not answer.
    async fn strategy_stats(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        query: StatsQuery,
    ) -> Result<Statistics, JournalError>;
    /// A trade's history, oldest first (`GET …/trades/{trade_id}/events`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `NotFound` for a missing or another user's trade; `Unavailable` when storage does not answer.
    async fn trade_history(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Vec<TradeEvent>, JournalError>;

    /// Imports a file of trades into the caller's strategy (`POST /strategies/{id}/imports`): every trade of the
    /// file that the strategy does not hold yet is made, with origin `import`, or none is (a file with a bad line
    /// makes nothing). Answers the import with the trades it made and the duplicates it skipped.
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile; `NotFound` for
    /// a missing or another user's strategy; `Invalid` naming each bad line (`line <n>`, at most 50) or a missing
    /// or misplaced parameter; `Conflict(TradeAlreadyOpen)` when an open trade of the file carries a reference an
    /// open trade of the strategy carries; `Unavailable` when storage does not answer.
    async fn import_trades(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        file: ImportFile,
    ) -> Result<Import, JournalError>;
    /// The imports of the caller's strategy, newest first (`GET /strategies/{id}/imports`).
    ///
    /// # Errors
    ///
    /// As [`Journal::import_trades`], without the file's.
    async fn list_imports(&self, principal: &Principal, strategy: StrategyId) -> Result<Vec<Import>, JournalError>;
    /// Removes an import with every trade it made (`DELETE /strategies/{id}/imports/{import_id}`); how many trades.
    ///
    /// # Errors
    ///
    /// As [`Journal::list_imports`]; `NotFound` for a missing import.
    async fn delete_import(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: ImportId,
    ) -> Result<u64, JournalError>;
    /// One page of the caller's strategy's trades, oldest first, for an export (`GET /strategies/{id}/export`):
    /// the first `limit` after `after`. An export reads pages until one comes back short.
    ///
    /// # Errors
    ///
    /// As [`Journal::list_imports`].
    async fn export_page(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Vec<Trade>, JournalError>;

    /// Records what became of a signal sent to `principal`'s strategy `strategy` in its signal log. Only the owner's
    /// requests are logged: the store drops a report for a strategy that is not `principal`'s. It never waits: it
    /// may be written after the call returns (see [`Journal::flush`]).
    ///
    /// # Errors
    ///
    /// `Unavailable` when the report could not be queued or written; the signal's answer does not depend on it.
    fn record_signal(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        report: SignalReport,
    ) -> Result<(), JournalError>;
    /// One page of a strategy's signal log, newest first: what reached it in the last 7 days, at most 1000 entries
    /// (`GET /strategies/{id}/signals`).
    ///
    /// # Errors
    ///
    /// `Forbidden(ApiKeyNotAllowed)` for an API key; `Forbidden(ProfileRequired)` before a profile;
    /// `NotFound` for a missing or another user's strategy; `Unavailable` when storage does not answer.
    async fn signal_log(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        query: SignalLogQuery,
    ) -> Result<SignalLogPage, JournalError>;
    /// Writes whatever the service queued (signal log entries) before it answers; called on a clean stop.
    ///
    /// # Errors
    ///
    /// `Unavailable` when storage does not answer.
    async fn flush(&self) -> Result<(), JournalError>;
}

#[cfg(test)]
mod service_tests;
