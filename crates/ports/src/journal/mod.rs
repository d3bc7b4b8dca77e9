//! The inbound port: every operation of the contract as one use-case trait, and the types it speaks.

mod service;

use async_trait::async_trait;
use quantarya_domain::{
    ApiKey, ApiKeyId, CloseTrade, CredentialKind, Email, ExternalReference, KeyName, LevelsChange, NewStrategy,
    NewTrade, ProfileChange, RawApiKey, SignalExit, Statistics, Strategy, StrategyChange, StrategyId, Symbol,
    Timestamp, Trade, TradeEvent, TradeId, TradePatch, User, UserId, UserName,
};

pub use service::{JournalService, Ports, Stores};

use crate::outbound::{AccountDeletion, CloseRange, TradeCursor, TradeFilter};
use crate::{FieldError, JournalError};

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
    /// An API key, which works on the trade routes only.
    ApiKey {
        /// The key's id.
        key_id: ApiKeyId,
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

/// How an update or exit signal names its trade.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalLocator {
    /// The sender's reference; picks the trade when given.
    pub external_reference: Option<ExternalReference>,
    /// The symbol; picks the only open trade of it when no reference is given, and must match otherwise.
    pub symbol: Option<Symbol>,
}

/// A signal sent to `POST /strategies/{id}/trades`.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// Open a trade (or record a back-filled one).
    Entry(NewTrade),
    /// Change an open trade's levels or context.
    Update {
        /// Which trade.
        locator: SignalLocator,
        /// What to change.
        levels: LevelsChange,
    },
    /// Close or cancel an open trade.
    Exit {
        /// Which trade.
        locator: SignalLocator,
        /// How it ends.
        exit: SignalExit,
    },
}

/// What a signal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalEffect {
    /// A new trade was stored.
    Created,
    /// An open trade already matched the entry (a retry); nothing changed.
    AlreadyOpen,
    /// The open trade was updated.
    Updated,
    /// The update named only values the trade already had; nothing changed.
    Unchanged,
    /// The trade was closed.
    Closed,
    /// The trade was cancelled.
    Cancelled,
    /// The exit repeats one already applied to the latest trade with this reference; nothing changed.
    AlreadyClosed,
}

/// The trade a signal acted on, and what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalOutcome {
    /// The trade as stored now.
    pub trade: Trade,
    /// What happened.
    pub effect: SignalEffect,
}

/// A page size for trade lists: 1–500, 100 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(usize);

impl PageLimit {
    /// The largest page.
    pub const MAX: usize = 500;
    /// The page size when none is asked for.
    pub const DEFAULT: Self = Self(100);

    /// Accepts `limit` when it is within 1–500.
    pub fn new(limit: i64) -> Result<Self, FieldError> {
        match usize::try_from(limit) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(FieldError::new("limit", format!("must be between 1 and {}", Self::MAX))),
        }
    }

    /// The size.
    pub const fn get(self) -> usize {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TradeCursor {
    /// The opaque text handed to clients as `next_cursor`.
    pub fn encode(&self) -> String {
        format!("c1.{}.{}", self.opened_at.unix_micros(), self.trade_id.as_uuid().simple())
    }

    /// Reads a cursor a client sent back; anything not made by [`TradeCursor::encode`] is refused.
    pub fn decode(raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new("cursor", "is not a cursor this service returned");
        let mut parts = raw.split('.');
        let (Some("c1"), Some(micros), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let opened_at = micros.parse().ok().and_then(Timestamp::from_unix_micros).ok_or_else(invalid)?;
        let trade_id = TradeId::parse(&format!("{}{id}", TradeId::PREFIX)).map_err(|_| invalid())?;
        Ok(Self { opened_at, trade_id })
    }
}

/// A request for one page of a strategy's trades.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeQuery {
    /// Which trades.
    pub filter: TradeFilter,
    /// How many at most.
    pub limit: PageLimit,
    /// Where the previous page ended.
    pub cursor: Option<TradeCursor>,
}

/// One page of trades, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TradePage {
    /// The trades.
    pub trades: Vec<Trade>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<TradeCursor>,
}

/// Every operation of the contract. The HTTP adapter calls it; other services may embed it.
///
/// Each method enforces ownership (another user's id answers [`JournalError::NotFound`]), the profile
/// requirement and the API-key scope (keys work on the trade operations only).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Journal: Send + Sync {
    /// Succeeds while storage answers (`GET /readyz`); `Unavailable` otherwise.
    async fn storage_ready(&self) -> Result<(), JournalError>;

    /// Turns a bearer token into a principal: `qk_…` is an API key, anything else a user JWT.
    async fn authenticate(&self, bearer: &str) -> Result<Principal, JournalError>;

    /// The caller's profile (`GET /me`); `NotFound` before one is created.
    async fn get_profile(&self, principal: &Principal) -> Result<User, JournalError>;
    /// Creates or partially updates the caller's profile (`POST /me`).
    async fn save_profile(&self, principal: &Principal, change: ProfileChange) -> Result<Saved<User>, JournalError>;
    /// Deletes the caller's profile and everything it owns (`DELETE /me`).
    async fn delete_profile(&self, principal: &Principal) -> Result<AccountDeletion, JournalError>;
    /// An enabled public profile with its public strategies (`GET /profiles/{user_name}`); no credentials.
    async fn public_profile(&self, user_name: &UserName) -> Result<PublicProfile, JournalError>;

    /// Creates a strategy (`POST /strategies`).
    async fn create_strategy(&self, principal: &Principal, new: NewStrategy) -> Result<Strategy, JournalError>;
    /// The caller's strategies, newest first (`GET /strategies`).
    async fn list_strategies(&self, principal: &Principal) -> Result<Vec<Strategy>, JournalError>;
    /// One strategy (`GET /strategies/{id}`).
    async fn get_strategy(&self, principal: &Principal, id: StrategyId) -> Result<Strategy, JournalError>;
    /// Changes a strategy (`PATCH /strategies/{id}`).
    async fn update_strategy(
        &self,
        principal: &Principal,
        id: StrategyId,
        change: StrategyChange,
    ) -> Result<Strategy, JournalError>;
    /// Deletes a strategy with its trades (`DELETE /strategies/{id}`).
    async fn delete_strategy(&self, principal: &Principal, id: StrategyId) -> Result<StrategyDeletion, JournalError>;

    /// Issues an API key (`POST /api-keys`); the raw key is in the answer and nowhere else.
    async fn create_api_key(&self, principal: &Principal, name: KeyName) -> Result<IssuedApiKey, JournalError>;
    /// The caller's live keys, oldest first (`GET /api-keys`).
    async fn list_api_keys(&self, principal: &Principal) -> Result<Vec<ApiKey>, JournalError>;
    /// Revokes a key (`DELETE /api-keys/{id}`).
    async fn revoke_api_key(&self, principal: &Principal, id: ApiKeyId) -> Result<(), JournalError>;

    /// Applies an entry, update or exit signal (`POST /strategies/{id}/trades`).
    async fn submit_signal(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        signal: Signal,
    ) -> Result<SignalOutcome, JournalError>;
    /// One page of a strategy's trades (`GET /strategies/{id}/trades`).
    async fn list_trades(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        query: TradeQuery,
    ) -> Result<TradePage, JournalError>;
    /// One trade (`GET /strategies/{id}/trades/{trade_id}`).
    async fn get_trade(&self, principal: &Principal, strategy: StrategyId, id: TradeId) -> Result<Trade, JournalError>;
    /// A partial update (`PATCH /strategies/{id}/trades/{trade_id}`).
    async fn patch_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
        patch: TradePatch,
    ) -> Result<Trade, JournalError>;
    /// Closes an open trade (`POST /strategies/{id}/trades/{trade_id}/close`).
    async fn close_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
        close: CloseTrade,
    ) -> Result<Trade, JournalError>;
    /// Deletes a manual trade with its history; answers the trade as it was (`DELETE …/trades/{trade_id}`).
    async fn delete_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Trade, JournalError>;
    /// A strategy's performance over the trades closed within `range` (`GET /strategies/{id}/stats`), the curve
    /// sampled to [`OWNER_CURVE_POINTS`].
    async fn strategy_stats(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        range: CloseRange,
    ) -> Result<Statistics, JournalError>;
    /// A trade's history, oldest first (`GET …/trades/{trade_id}/events`).
    async fn trade_history(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Vec<TradeEvent>, JournalError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let cursor = TradeCursor {
            opened_at: Timestamp::parse_rfc3339("2026-05-21T12:00:00.5Z").expect("valid"),
            trade_id: TradeId::from_uuid(uuid::Uuid::now_v7()),
        };
        assert_eq!(TradeCursor::decode(&cursor.encode()), Ok(cursor));
        for bad in
            ["", "c1", "c1.x.y", "c2.0.0192f0c17a4b7cde8f0123456789abcd", "c1.0.0192f0c17a4b7cde8f0123456789abcd.1"]
        {
            assert_eq!(TradeCursor::decode(bad).map_err(|e| e.field), Err("cursor".to_owned()), "{bad}");
        }
        assert!(TradeCursor::decode("c1.0.0192f0c17a4b7cde8f0123456789abcd").is_ok());
    }

    #[test]
    fn page_limits_are_bounded() {
        assert_eq!(PageLimit::new(1).map(PageLimit::get), Ok(1));
        assert_eq!(PageLimit::new(500).map(PageLimit::get), Ok(500));
        for refused in [0, 501, -1] {
            assert_eq!(PageLimit::new(refused).map_err(|e| e.field), Err("limit".to_owned()), "{refused}");
        }
        assert_eq!(PageLimit::default().get(), 100);
    }
}

#[cfg(test)]
mod service_tests;
