//! Quantarya's in-memory store: every storage port of `quantarya-ports`, with the semantics the conformance suite
//! specifies, safe under concurrent use.
//!
//! All state sits behind one mutex, so every multi-row change (an account deletion, a trade with its history
//! event, a key insert under the per-user limit) is atomic by construction, and no lock is held across an
//! `.await`. Nothing survives a restart: this store is for trying the service and for tests.
//!
//! ```
//! use std::sync::Arc;
//! use quantarya_adapter_memory::MemoryStore;
//! use quantarya_ports::outbound::{RandomIds, SystemClock, TokenError, TokenVerifier, VerifiedToken};
//! use quantarya_ports::{JournalService, Ports, Stores};
//!
//! struct NoTokens;
//! #[async_trait::async_trait]
//! impl TokenVerifier for NoTokens {
//!     async fn verify(&self, _: &str) -> Result<VerifiedToken, TokenError> {
//!         Err(TokenError::Invalid("no identity provider in this example"))
//!     }
//! }
//!
//! let journal = JournalService::new(Ports {
//!     stores: Stores::of(Arc::new(MemoryStore::new())),
//!     tokens: Arc::new(NoTokens),
//!     clock: Arc::new(SystemClock),
//!     ids: Arc::new(RandomIds),
//! });
//! # let _ = journal;
//! ```

#![warn(missing_docs)]

mod receipts;

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use quantarya_domain::{
    ApiKey, ApiKeyHash, ApiKeyId, ClosedTrade, ExternalReference, IdempotencyKey, SignalTarget, Status, Strategy,
    StrategyId, Timestamp, Trade, TradeEvent, TradeId, User, UserId, UserName,
};
use quantarya_ports::outbound::{
    AccountDeletion, ApiKeyStore, CloseRange, ClosedTradeVisitor, OpenTradeLookup, ReceiptWrite, SignalReceipts,
    StorageHealth, StrategyStore, TradeCursor, TradeFilter, TradeStore, UserStore,
};
use quantarya_ports::{StoreConflict, StoreError};

/// The state of one strategy's trades.
#[derive(Debug, Default)]
struct Book {
    trades: BTreeMap<TradeId, Trade>,
    history: HashMap<TradeId, Vec<TradeEvent>>,
    /// The latest receipt of each signal target, by [`quantarya_domain::SignalTarget::key`].
    latest_receipts: HashMap<String, quantarya_domain::Receipt>,
    /// The receipts held under idempotency keys.
    keyed_receipts: HashMap<String, quantarya_domain::Receipt>,
}

#[derive(Debug, Default)]
struct State {
    users: HashMap<UserId, User>,
    user_names: HashMap<String, UserId>,
    strategies: HashMap<StrategyId, Strategy>,
    books: HashMap<StrategyId, Book>,
    api_keys: HashMap<ApiKeyId, ApiKey>,
    key_hashes: HashMap<ApiKeyHash, ApiKeyId>,
}

/// Every store port, in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl State {
    /// The trades of `owner`'s strategy `strategy`, if `owner` has it.
    fn book(&self, owner: &UserId, strategy: StrategyId) -> Option<&Book> {
        let owned = self.strategies.get(&strategy).is_some_and(|s| &s.user_id == owner);
        if owned { self.books.get(&strategy) } else { None }
    }

    /// Mutable access to the trades of `owner`'s strategy `strategy`, if `owner` has it.
    fn book_mut(&mut self, owner: &UserId, strategy: StrategyId) -> Option<&mut Book> {
        let owned = self.strategies.get(&strategy).is_some_and(|s| &s.user_id == owner);
        if owned { self.books.get_mut(&strategy) } else { None }
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock, and every change is applied whole, so a poisoned lock still
        // guards consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn conflict(kind: StoreConflict) -> StoreError {
    StoreError::Conflict(kind)
}

fn name_taken(state: &State, name: &UserName, by: &UserId) -> bool {
    state.user_names.get(name.as_str()).is_some_and(|owner| owner != by)
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn get_user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        Ok(self.state().users.get(id).cloned())
    }

    async fn get_user_by_name(&self, name: &UserName) -> Result<Option<User>, StoreError> {
        let state = self.state();
        Ok(state.user_names.get(name.as_str()).and_then(|id| state.users.get(id)).cloned())
    }

    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.users.contains_key(&user.id) {
            return Err(conflict(StoreConflict::AlreadyExists));
        }
        if name_taken(&state, &user.user_name, &user.id) {
            return Err(conflict(StoreConflict::UserNameTaken));
        }
        state.user_names.insert(user.user_name.as_str().to_owned(), user.id.clone());
        state.users.insert(user.id.clone(), user.clone());
        Ok(())
    }

    async fn update_user(&self, user: &User, read_at: Timestamp) -> Result<(), StoreError> {
        let mut state = self.state();
        let Some(stored) = state.users.get(&user.id) else {
            return Err(StoreError::Missing);
        };
        if stored.updated_at != read_at {
            return Err(conflict(StoreConflict::StaleVersion));
        }
        let old_name = stored.user_name.clone();
        if name_taken(&state, &user.user_name, &user.id) {
            return Err(conflict(StoreConflict::UserNameTaken));
        }
        state.user_names.remove(old_name.as_str());
        state.user_names.insert(user.user_name.as_str().to_owned(), user.id.clone());
        state.users.insert(user.id.clone(), user.clone());
        Ok(())
    }

    async fn delete_account(&self, id: &UserId) -> Result<Option<AccountDeletion>, StoreError> {
        let mut state = self.state();
        let Some(user) = state.users.remove(id) else {
            return Ok(None);
        };
        state.user_names.remove(user.user_name.as_str());
        let mut deletion = AccountDeletion::default();
        let owned: Vec<StrategyId> = state.strategies.values().filter(|s| &s.user_id == id).map(|s| s.id).collect();
        for strategy in owned {
            state.strategies.remove(&strategy);
            deletion.strategies += 1;
            deletion.trades += state.books.remove(&strategy).map_or(0, |book| book.trades.len() as u64);
        }
        let keys: Vec<ApiKey> = state.api_keys.values().filter(|k| &k.user_id == id).cloned().collect();
        for key in keys {
            state.api_keys.remove(&key.id);
            state.key_hashes.remove(&key.hash);
            deletion.api_keys += 1;
        }
        Ok(Some(deletion))
    }
}

#[async_trait]
impl StrategyStore for MemoryStore {
    async fn insert_strategy(&self, strategy: &Strategy) -> Result<(), StoreError> {
        let mut state = self.state();
        if !state.users.contains_key(&strategy.user_id) {
            return Err(StoreError::Missing);
        }
        if state.strategies.contains_key(&strategy.id) {
            return Err(conflict(StoreConflict::AlreadyExists));
        }
        state.strategies.insert(strategy.id, strategy.clone());
        state.books.insert(strategy.id, Book::default());
        Ok(())
    }

    async fn get_strategy(&self, owner: &UserId, id: StrategyId) -> Result<Option<Strategy>, StoreError> {
        Ok(self.state().strategies.get(&id).filter(|s| &s.user_id == owner).cloned())
    }

    async fn list_strategies(&self, owner: &UserId) -> Result<Vec<Strategy>, StoreError> {
        let mut strategies: Vec<Strategy> =
            self.state().strategies.values().filter(|s| &s.user_id == owner).cloned().collect();
        strategies.sort_by_key(|s| Reverse(s.id));
        Ok(strategies)
    }

    async fn update_strategy(&self, strategy: &Strategy, read_at: Timestamp) -> Result<(), StoreError> {
        let mut state = self.state();
        match state.strategies.get_mut(&strategy.id) {
            Some(stored) if stored.user_id == strategy.user_id => {
                if stored.updated_at != read_at {
                    return Err(conflict(StoreConflict::StaleVersion));
                }
                *stored = strategy.clone();
                Ok(())
            }
            _ => Err(StoreError::Missing),
        }
    }

    async fn delete_strategy(&self, owner: &UserId, id: StrategyId) -> Result<Option<u64>, StoreError> {
        let mut state = self.state();
        if state.strategies.get(&id).is_none_or(|s| &s.user_id != owner) {
            return Ok(None);
        }
        state.strategies.remove(&id);
        Ok(Some(state.books.remove(&id).map_or(0, |book| book.trades.len() as u64)))
    }
}

/// Whether `trade` passes every given filter.
fn passes(trade: &Trade, filter: &TradeFilter) -> bool {
    filter.status.is_none_or(|s| trade.status == s)
        && filter.symbol.as_ref().is_none_or(|s| &trade.symbol == s)
        && filter.side.is_none_or(|s| trade.side == s)
        && filter.from.is_none_or(|from| trade.opened_at >= from)
        && filter.to.is_none_or(|to| trade.opened_at <= to)
}

/// The list order: `opened_at` descending, then id descending.
fn list_key(trade: &Trade) -> (Reverse<Timestamp>, Reverse<TradeId>) {
    (Reverse(trade.opened_at), Reverse(trade.id))
}

/// Whether inserting `trade` would make a second open trade for its reference. Trades without a reference never
/// take a slot: several open trades of a symbol may coexist.
fn open_slot_taken(book: &Book, trade: &Trade) -> bool {
    trade.status == Status::Open
        && trade.external_reference.as_ref().is_some_and(|reference| {
            book.trades
                .values()
                .any(|other| other.status == Status::Open && other.external_reference.as_ref() == Some(reference))
        })
}

#[async_trait]
impl TradeStore for MemoryStore {
    async fn insert_trade<'r>(
        &self,
        trade: &Trade,
        event: &TradeEvent,
        receipt: Option<&'r ReceiptWrite>,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let book = state.book_mut(&trade.user_id, trade.strategy_id).ok_or(StoreError::Missing)?;
        // The receipt first, as PostgreSQL decides it (its rows are locked before the trade is written).
        receipt.map(|r| book.check_receipt(r)).transpose()?;
        if book.trades.contains_key(&trade.id) {
            return Err(conflict(StoreConflict::AlreadyExists));
        }
        if open_slot_taken(book, trade) {
            return Err(conflict(StoreConflict::OpenTradeExists));
        }
        book.trades.insert(trade.id, trade.clone());
        book.history.insert(trade.id, vec![event.clone()]);
        receipt.into_iter().for_each(|r| book.record_receipt(r));
        Ok(())
    }

    async fn update_trade<'r>(
        &self,
        trade: &Trade,
        event: &TradeEvent,
        receipt: Option<&'r ReceiptWrite>,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let book = state.book_mut(&trade.user_id, trade.strategy_id).ok_or(StoreError::Missing)?;
        let stored = book.trades.get(&trade.id).ok_or(StoreError::Missing)?;
        // The receipt before the version, as PostgreSQL decides it.
        receipt.map(|r| book.check_receipt(r)).transpose()?;
        if stored.version + 1 != trade.version {
            return Err(conflict(StoreConflict::StaleVersion));
        }
        book.trades.insert(trade.id, trade.clone());
        book.history.entry(trade.id).or_default().push(event.clone());
        receipt.into_iter().for_each(|r| book.record_receipt(r));
        Ok(())
    }

    async fn signal_receipts<'k>(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        target: &SignalTarget,
        key: Option<&'k IdempotencyKey>,
    ) -> Result<SignalReceipts, StoreError> {
        Ok(self.state().book(owner, strategy).map(|book| book.receipts(target, key)).unwrap_or_default())
    }

    async fn receipt_count(&self, owner: &UserId, strategy: StrategyId) -> Result<u64, StoreError> {
        Ok(self.state().book(owner, strategy).map_or(0, Book::receipt_count))
    }

    async fn get_trade(&self, owner: &UserId, strategy: StrategyId, id: TradeId) -> Result<Option<Trade>, StoreError> {
        Ok(self.state().book(owner, strategy).and_then(|book| book.trades.get(&id)).cloned())
    }

    async fn open_trades(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        lookup: &OpenTradeLookup,
    ) -> Result<Option<Vec<Trade>>, StoreError> {
        let state = self.state();
        let Some(book) = state.book(owner, strategy) else {
            return Ok(None);
        };
        let matches = |t: &&Trade| {
            t.status == Status::Open
                && match lookup {
                    OpenTradeLookup::Reference(reference) => t.external_reference.as_ref() == Some(reference),
                    OpenTradeLookup::Symbol(symbol) => &t.symbol == symbol,
                }
        };
        Ok(Some(book.trades.values().filter(matches).cloned().collect()))
    }

    async fn latest_with_reference(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        reference: &ExternalReference,
    ) -> Result<Option<Trade>, StoreError> {
        let state = self.state();
        let latest = state.book(owner, strategy).and_then(|book| {
            // Ids are UUIDv7: the greatest id is the most recently created trade.
            book.trades.values().rev().find(|t| t.external_reference.as_ref() == Some(reference))
        });
        Ok(latest.cloned())
    }

    async fn list_trades(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        filter: &TradeFilter,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Trade>>, StoreError> {
        let state = self.state();
        let Some(book) = state.book(owner, strategy) else {
            return Ok(None);
        };
        let after = after.map(|c| (Reverse(c.opened_at), Reverse(c.trade_id)));
        let mut page: Vec<&Trade> = book
            .trades
            .values()
            .filter(|t| passes(t, filter) && after.is_none_or(|after| list_key(t) > after))
            .collect();
        page.sort_by_key(|t| list_key(t));
        Ok(Some(page.into_iter().take(limit).cloned().collect()))
    }

    async fn trade_events(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Vec<TradeEvent>, StoreError> {
        let state = self.state();
        Ok(state.book(owner, strategy).and_then(|book| book.history.get(&id)).cloned().unwrap_or_default())
    }

    async fn visit_closed_trades<'v>(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        range: CloseRange,
        visitor: &'v mut (dyn ClosedTradeVisitor + 'v),
    ) -> Result<bool, StoreError> {
        let mut closed: Vec<ClosedTrade> = {
            let state = self.state();
            let Some(book) = state.book(owner, strategy) else {
                return Ok(false);
            };
            book.trades
                .values()
                .filter_map(ClosedTrade::of)
                .filter(|t| range.from.is_none_or(|from| t.closed_at >= from))
                .filter(|t| range.to.is_none_or(|to| t.closed_at <= to))
                .collect()
        };
        closed.sort_unstable_by_key(|t| (t.closed_at, t.id));
        closed.into_iter().for_each(|trade| visitor.visit(trade));
        Ok(true)
    }

    async fn delete_trade(&self, owner: &UserId, strategy: StrategyId, id: TradeId) -> Result<bool, StoreError> {
        let mut state = self.state();
        let Some(book) = state.book_mut(owner, strategy) else {
            return Ok(false);
        };
        book.history.remove(&id);
        book.forget_receipts_of(id);
        Ok(book.trades.remove(&id).is_some())
    }
}

#[async_trait]
impl ApiKeyStore for MemoryStore {
    async fn insert_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let mut state = self.state();
        if !state.users.contains_key(&key.user_id) {
            return Err(StoreError::Missing);
        }
        if state.api_keys.contains_key(&key.id) || state.key_hashes.contains_key(&key.hash) {
            return Err(conflict(StoreConflict::AlreadyExists));
        }
        if state.api_keys.values().filter(|k| k.user_id == key.user_id).count() >= ApiKey::LIMIT_PER_USER {
            return Err(conflict(StoreConflict::ApiKeyLimit));
        }
        state.key_hashes.insert(key.hash, key.id);
        state.api_keys.insert(key.id, key.clone());
        Ok(())
    }

    async fn find_api_key(&self, hash: &ApiKeyHash) -> Result<Option<ApiKey>, StoreError> {
        let state = self.state();
        Ok(state.key_hashes.get(hash).and_then(|id| state.api_keys.get(id)).cloned())
    }

    async fn list_api_keys(&self, owner: &UserId) -> Result<Vec<ApiKey>, StoreError> {
        let mut keys: Vec<ApiKey> = self.state().api_keys.values().filter(|k| &k.user_id == owner).cloned().collect();
        keys.sort_by_key(|k| k.id);
        Ok(keys)
    }

    async fn revoke_api_key(&self, owner: &UserId, id: ApiKeyId) -> Result<bool, StoreError> {
        let mut state = self.state();
        if state.api_keys.get(&id).is_none_or(|k| &k.user_id != owner) {
            return Ok(false);
        }
        if let Some(key) = state.api_keys.remove(&id) {
            state.key_hashes.remove(&key.hash);
        }
        Ok(true)
    }

    async fn touch_api_key(&self, id: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        if let Some(key) = self.state().api_keys.get_mut(&id) {
            key.last_used_at = Some(at);
        }
        Ok(())
    }
}

#[async_trait]
impl StorageHealth for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        // Memory always answers; taking the lock proves no writer is stuck holding it.
        drop(self.state());
        Ok(())
    }
}
