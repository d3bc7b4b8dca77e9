//! The storage ports. Each method's doc says what it MUST do on a duplicate, a missing row or a race; the
//! conformance suite in `tests/` checks every implementation against these words.

// The visitor parameter needs its explicit `(dyn … + 'v)` for mockall's generated impl to match the trait; the
// mock's expansion then repeats the parentheses where rustc deems them unnecessary.
#![allow(unused_parens)]

use async_trait::async_trait;
use quantarya_domain::{
    ApiKey, ApiKeyHash, ApiKeyId, ClosedTrade, EventId, ExternalReference, IdempotencyKey, Receipt, Side, SignalTarget,
    Status, Strategy, StrategyId, Symbol, Timestamp, Trade, TradeEvent, TradeId, User, UserId, UserName,
};

use crate::StoreError;

/// What deleting an account removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountDeletion {
    /// Strategies removed.
    pub strategies: u64,
    /// Trades removed (with their history).
    pub trades: u64,
    /// API keys removed.
    pub api_keys: u64,
}

/// The receipt a signal's trade write leaves, in the same atomic write as the trade change.
///
/// The receipt is judged before the trade change (so a lost race is `ReceiptRaced` whatever else the write would
/// meet). The write MUST fail with `Conflict(ReceiptRaced)`, writing nothing, when the target's latest receipt is no longer
/// the one the signal was judged by (`after`, by event id; `None`: it had none), or when `key` is held by a receipt
/// that still counts ([`Receipt::counts_at`] at `receipt.at`). It replaces the target's latest receipt, holds `key`
/// for [`Receipt::KEYED_LIFETIME`], and purges the strategy's receipts that no longer count.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptWrite {
    /// What the signal acted on.
    pub target: SignalTarget,
    /// The request's idempotency key, if it had one.
    pub key: Option<IdempotencyKey>,
    /// The receipt: the body's hash, the trade, the change's event id, the time of acceptance.
    pub receipt: Receipt,
    /// The event id of the target's latest receipt when the signal was judged, if it had one.
    pub after: Option<EventId>,
}

/// The receipts a signal is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SignalReceipts {
    /// The latest receipt of the signal's target.
    pub latest: Option<Receipt>,
    /// The receipt held under the request's idempotency key.
    pub keyed: Option<Receipt>,
}

/// Profiles.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait UserStore: Send + Sync {
    /// The profile of `id`, if it exists.
    async fn get_user(&self, id: &UserId) -> Result<Option<User>, StoreError>;

    /// The profile named `name` (names are stored lowercase), if it exists.
    async fn get_user_by_name(&self, name: &UserName) -> Result<Option<User>, StoreError>;

    /// Stores a new profile. MUST fail with `Conflict(UserNameTaken)` when another profile has the name, and
    /// `Conflict(AlreadyExists)` when a profile with this id exists.
    async fn insert_user(&self, user: &User) -> Result<(), StoreError>;

    /// Replaces a profile whose stored `updated_at` is `read_at` (the one the change was decided on). MUST fail
    /// with `Conflict(StaleVersion)` when it changed since, `Conflict(UserNameTaken)` when another profile has the
    /// name, and `Missing` when the profile does not exist; and write nothing then.
    async fn update_user(&self, user: &User, read_at: Timestamp) -> Result<(), StoreError>;

    /// Removes, atomically, the profile, its strategies, their trades and history, and its API keys.
    /// `None` when there was no profile (and nothing was removed).
    async fn delete_account(&self, id: &UserId) -> Result<Option<AccountDeletion>, StoreError>;
}

/// The revision of a strategy's closed trades ([`StrategyStore::public_strategies`]).
pub type ClosedRevision = u64;

/// Strategies, always scoped by their owner: another user's strategy is as absent as a missing one.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait StrategyStore: Send + Sync {
    /// Stores a new strategy. MUST fail with `Missing` when its owner has no profile,
    /// `Conflict(AlreadyExists)` when its id exists, and `Conflict(StrategyLimit)` when the owner already has
    /// [`Strategy::LIMIT_PER_USER`] strategies (racing creations cannot pass the limit).
    async fn insert_strategy(&self, strategy: &Strategy) -> Result<(), StoreError>;

    /// The strategy `id` of `owner`; `None` if it does not exist or belongs to someone else.
    async fn get_strategy(&self, owner: &UserId, id: StrategyId) -> Result<Option<Strategy>, StoreError>;

    /// Every strategy of `owner`, newest first.
    async fn list_strategies(&self, owner: &UserId) -> Result<Vec<Strategy>, StoreError>;

    /// The public strategies of `owner`, newest first, each with the revision of its closed trades: a number that
    /// every write which adds, changes or removes a closed or cancelled trade of the strategy MUST move on, in the
    /// same atomic write (writes of open trades may leave it). Equal revisions mean equal closed trades, so their
    /// statistics can be kept.
    async fn public_strategies(&self, owner: &UserId) -> Result<Vec<(Strategy, ClosedRevision)>, StoreError>;

    /// Replaces a strategy whose stored `updated_at` is `read_at` (the one the change was decided on). MUST fail
    /// with `Conflict(StaleVersion)` when it changed since, and `Missing` when `(strategy.user_id, strategy.id)` does
    /// not exist; and write nothing then.
    async fn update_strategy(&self, strategy: &Strategy, read_at: Timestamp) -> Result<(), StoreError>;

    /// Removes, atomically, the strategy of `owner` with its trades and their history; the number of trades
    /// removed, or `None` when there was no such strategy. A trade inserted concurrently is either counted and
    /// removed, or refused with `Missing`: never left behind, never removed uncounted.
    async fn delete_strategy(&self, owner: &UserId, id: StrategyId) -> Result<Option<u64>, StoreError>;
}

/// How to find a strategy's open trades for a signal: by reference, or by symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenTradeLookup {
    /// Open trades carrying this reference (at most one).
    Reference(ExternalReference),
    /// Open trades of this symbol, with or without a reference.
    Symbol(Symbol),
}

/// Filters of a trade list; every given filter must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this symbol.
    pub symbol: Option<Symbol>,
    /// Only this side.
    pub side: Option<Side>,
    /// Only trades opened at or after this time.
    pub from: Option<Timestamp>,
    /// Only trades opened at or before this time.
    pub to: Option<Timestamp>,
}

/// A position in a trade list (newest first): the list continues with trades strictly after it, in the order
/// `opened_at` descending, then trade id descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeCursor {
    /// The `opened_at` of the last trade returned.
    pub opened_at: Timestamp,
    /// The id of the last trade returned.
    pub trade_id: TradeId,
}

/// Receives closed trades one at a time (any `FnMut(ClosedTrade) + Send` closure is one).
pub trait ClosedTradeVisitor: Send {
    /// Takes the next closed trade.
    fn visit(&mut self, trade: ClosedTrade);
}

impl<F: FnMut(ClosedTrade) + Send> ClosedTradeVisitor for F {
    fn visit(&mut self, trade: ClosedTrade) {
        self(trade);
    }
}

/// Which closed trades statistics are made of: those closed within the range (both ends included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CloseRange {
    /// Only trades closed at or after this time.
    pub from: Option<Timestamp>,
    /// Only trades closed at or before this time.
    pub to: Option<Timestamp>,
}

/// Trades and their history, scoped by owner: every read names the user who must own the strategy, so that
/// ownership is checked in the same statement as the read. Every write is atomic with its history event; the
/// store decides races.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TradeStore: Send + Sync {
    /// Stores a new trade and its first event, atomically, in one round trip where the backend allows. For an
    /// `OPEN` trade with a reference it MUST fail with `Conflict(OpenTradeExists)` when an open trade of the strategy
    /// carries the same reference, so of racing entries on one reference exactly one is stored; open trades without
    /// a reference never conflict (several of one symbol may coexist). MUST fail with `Missing` when the strategy does not exist or
    /// is not `trade.user_id`'s, and with `Conflict(SignalStale)` (before any other conflict) when the strategy's
    /// `max_signal_age` refuses the trade ([`quantarya_domain::SignalAge::refuses`]), read in the same atomic write.
    /// With a `receipt`, the receipt is written in the same atomic write, under the rules of [`ReceiptWrite`]: all of
    /// it or nothing.
    async fn insert_trade<'r>(
        &self,
        trade: &Trade,
        event: &TradeEvent,
        receipt: Option<&'r ReceiptWrite>,
    ) -> Result<(), StoreError>;

    /// Replaces a trade of `trade.user_id`'s strategy and appends its event, atomically, only if the stored version
    /// is `trade.version - 1`; otherwise MUST fail with `Conflict(StaleVersion)` and write nothing. `Missing` when
    /// the trade is gone. With a `receipt`, as [`TradeStore::insert_trade`].
    async fn update_trade<'r>(
        &self,
        trade: &Trade,
        event: &TradeEvent,
        receipt: Option<&'r ReceiptWrite>,
    ) -> Result<(), StoreError>;

    /// The receipts a signal to `target` of `owner`'s strategy is judged by: the target's latest receipt, and the
    /// receipt held under `key` when one is given. Receipts that no longer count may be returned (the domain judges
    /// their age) or not.
    async fn signal_receipts<'k>(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        target: &SignalTarget,
        key: Option<&'k IdempotencyKey>,
    ) -> Result<SignalReceipts, StoreError>;

    /// How many receipts `owner`'s strategy holds (latest per target and keyed), to show that expired ones are
    /// purged.
    async fn receipt_count(&self, owner: &UserId, strategy: StrategyId) -> Result<u64, StoreError>;

    /// The trade `id` of `owner`'s strategy `strategy`, if it exists there.
    async fn get_trade(&self, owner: &UserId, strategy: StrategyId, id: TradeId) -> Result<Option<Trade>, StoreError>;

    /// The open trades of `owner`'s strategy that `lookup` names; `None` when `owner` has no such strategy.
    async fn open_trades(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        lookup: &OpenTradeLookup,
    ) -> Result<Option<Vec<Trade>>, StoreError>;

    /// The most recently created trade of `owner`'s strategy carrying `reference`, whatever its status.
    async fn latest_with_reference(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        reference: &ExternalReference,
    ) -> Result<Option<Trade>, StoreError>;

    /// Up to `limit` trades of `owner`'s strategy that pass `filter`, newest first (`opened_at` descending, then
    /// id descending), starting strictly after `after` when given; `None` when `owner` has no such strategy.
    async fn list_trades(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        filter: &TradeFilter,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Trade>>, StoreError>;

    /// Up to `limit` trades of `owner`'s strategy, oldest first (`opened_at` ascending, then id ascending: the list
    /// order backwards), starting strictly after `after` when given; `None` when `owner` has no such strategy. An
    /// export reads a strategy's trades a page at a time with it.
    async fn trades_oldest_first(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Trade>>, StoreError>;

    /// The history of trade `id` of `owner`'s strategy, oldest first; empty when there is no such trade (a trade
    /// always has at least its entry event).
    async fn trade_events(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Vec<TradeEvent>, StoreError>;

    /// Removes trade `id` of `owner`'s strategy with its history; whether it existed.
    async fn delete_trade(&self, owner: &UserId, strategy: StrategyId, id: TradeId) -> Result<bool, StoreError>;

    /// How many `CANCELLED` trades of `owner`'s strategy were cancelled within `range` (on `closed_at`), and how
    /// many of them were live: `(all, live)`. Zero for a strategy `owner` does not have.
    async fn count_cancelled(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        range: CloseRange,
    ) -> Result<(u64, u64), StoreError>;

    /// Hands `visit` every `CLOSED` trade of `owner`'s strategy closed within `range`, in close order (`closed_at`,
    /// then id), one at a time, so that statistics need no memory per trade; `false` when `owner` has no such
    /// strategy.
    async fn visit_closed_trades<'v>(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        range: CloseRange,
        visitor: &'v mut (dyn ClosedTradeVisitor + 'v),
    ) -> Result<bool, StoreError>;
}

/// API keys: only their hash and metadata are stored. A revoked key is removed.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a new key. MUST fail with `Missing` when the user has no profile, else `Conflict(AlreadyExists)` when
    /// the id or hash exists, else `Conflict(ApiKeyLimit)` when the user already has [`ApiKey::LIMIT_PER_USER`] keys
    /// (checked atomically with the insert).
    async fn insert_api_key(&self, key: &ApiKey) -> Result<(), StoreError>;

    /// The live key with this hash, if any.
    async fn find_api_key(&self, hash: &ApiKeyHash) -> Result<Option<ApiKey>, StoreError>;

    /// The live keys of `owner`, oldest first.
    async fn list_api_keys(&self, owner: &UserId) -> Result<Vec<ApiKey>, StoreError>;

    /// Revokes key `id` of `owner`, at once and for every instance; whether it existed.
    async fn revoke_api_key(&self, owner: &UserId, id: ApiKeyId) -> Result<bool, StoreError>;

    /// Records that key `id` authenticated a request at `at`. A missing key is not an error.
    async fn touch_api_key(&self, id: ApiKeyId, at: Timestamp) -> Result<(), StoreError>;
}

/// Whether storage answers: what `/readyz` reports.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait StorageHealth: Send + Sync {
    /// Succeeds while storage answers a trivial query; `Unavailable` otherwise.
    async fn ping(&self) -> Result<(), StoreError>;

    /// How its connections are used now, for a store that keeps some (none in memory).
    fn pool_use(&self) -> Option<PoolUse> {
        None
    }
}

/// How a store's connections are used at one moment.
///
/// ```
/// use quantarya_ports::outbound::PoolUse;
///
/// let busy = PoolUse { max: 8, in_use: 8, waiting: 3 };
/// assert!(busy.in_use == busy.max && busy.waiting > 0, "requests queue for a connection");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUse {
    /// The most connections there may be.
    pub max: usize,
    /// Connections busy (held by a request or running a statement).
    pub in_use: usize,
    /// Requests (or writes) waiting for a connection.
    pub waiting: usize,
}
