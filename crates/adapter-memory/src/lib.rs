//! Quantarya's in-memory store: every storage port of `quantarya-ports`, with the semantics the conformance suite
//! specifies, safe under concurrent use.
//!
//! Users, strategies and API keys sit in one directory behind a read-write lock that is held for a map access or
//! two; each strategy's trades sit in a [`book`](book::Book) of their own behind its own mutex, with the indexes
//! every trade operation reads (open trades by reference and symbol, trades in list and close order), so that
//! writes to one strategy never wait for another's and no operation scans a book. A trade with its history event
//! and receipt is written whole under its book's lock; a deletion marks the books it removes under their locks, so
//! a write that raced it either is counted by it or finds the strategy gone. Each strategy's signal log sits beside
//! its book under a lock of its own (`signal_log.rs`), so a signal's log entry never waits for the book's writes.
//! No lock is held across an `.await`,
//! and a book's lock is never taken while waiting for the directory's. Nothing survives a restart: this store is
//! for trying the service and for tests.
//!
//! ```
//! use std::sync::Arc;
//! use quantarya_adapter_memory::MemoryStore;
//! use quantarya_ports::outbound::{
//!     EndpointGuard, EndpointRefused, RandomIds, SystemClock, TokenError, TokenVerifier, VerifiedToken,
//! };
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
//! struct NoWebhooks;
//! #[async_trait::async_trait]
//! impl EndpointGuard for NoWebhooks {
//!     async fn check(&self, _: &quantarya_domain::WebhookUrl) -> Result<(), EndpointRefused> {
//!         Err(EndpointRefused("no webhooks in this example".to_owned()))
//!     }
//! }
//!
//! let journal = JournalService::new(Ports {
//!     stores: Stores::of(Arc::new(MemoryStore::new())),
//!     tokens: Arc::new(NoTokens),
//!     clock: Arc::new(SystemClock),
//!     ids: Arc::new(RandomIds),
//!     endpoints: Arc::new(NoWebhooks),
//! });
//! # let _ = journal;
//! ```

#![warn(missing_docs)]

mod api_keys;
mod book;
mod carriers;
mod directory;
mod imports;
mod outbox;
mod receipts;
mod sharded;
mod signal_log;
mod stored;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use quantarya_domain::{
    ApiKeyId, ExternalReference, IdempotencyKey, SignalTarget, Strategy, StrategyId, Timestamp, Trade, TradeEvent,
    TradeId, User, UserId, UserName,
};
use quantarya_ports::outbound::{
    AccountDeletion, CloseRange, ClosedRevision, ClosedTradeVisitor, OpenTradeLookup, ReceiptWrite, SignalReceipts,
    StorageHealth, StrategyStore, TradeCursor, TradeFilter, TradeStore, UserStore,
};
use quantarya_ports::{StoreConflict, StoreError};

use book::Book;
use directory::Directory;
use outbox::{Outbox, Subscribed};
use signal_log::LogSlot;
use stored::Stored;

/// Every store port, in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    directory: RwLock<Directory>,
    /// Webhook subscriptions and their deliveries: the innermost lock.
    outbox: Mutex<Outbox>,
    /// Whether any subscription exists, read by every trade write without a lock.
    subscribed: Subscribed,
}

/// Locks `book`. Nothing panics while holding a lock, and every change is applied whole, so a poisoned lock still
/// guards consistent state.
fn lock(book: &Mutex<Book>) -> MutexGuard<'_, Book> {
    book.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Marks removed books deleted (under their locks) and counts the trades they held.
fn mark_deleted(books: impl IntoIterator<Item = Arc<Mutex<Book>>>) -> u64 {
    books
        .into_iter()
        .map(|book| {
            let mut book = lock(&book);
            book.deleted = true;
            book.len()
        })
        .sum()
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, Directory> {
        self.directory.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Directory> {
        self.directory.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The book of `owner`'s strategy `strategy`, if `owner` has it: one map access under the directory's lock.
    fn book(&self, owner: &UserId, strategy: StrategyId) -> Option<Arc<Mutex<Book>>> {
        self.book_with(owner, strategy, |_| ()).map(|(book, ())| book)
    }

    /// [`MemoryStore::book`], with what `read` reads of the strategy under the same lock.
    fn book_with<T>(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        read: impl FnOnce(&Strategy) -> T,
    ) -> Option<(Arc<Mutex<Book>>, T)> {
        let directory = self.read();
        let owned = directory.strategies.get(&strategy).filter(|s| &s.user_id == owner)?;
        Some((directory.books.get(&strategy)?.clone(), read(owned)))
    }

    /// Reads `owner`'s book `strategy` with `read`; `None` when there is no such book (or it was just deleted).
    fn reading<T>(&self, owner: &UserId, strategy: StrategyId, read: impl FnOnce(&Book) -> T) -> Option<T> {
        let book = self.book(owner, strategy)?;
        let book = lock(&book);
        book.live().ok().map(read)
    }

    /// Changes `owner`'s book `strategy` with `change`; `Missing` when there is no such book.
    fn changing<T>(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        change: impl FnOnce(&mut Book) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let book = self.book(owner, strategy).ok_or(StoreError::Missing)?;
        let mut book = lock(&book);
        book.live()?;
        change(&mut book)
    }
}

fn conflict(kind: StoreConflict) -> StoreError {
    StoreError::Conflict(kind)
}

fn name_taken(directory: &Directory, name: &UserName, by: &UserId) -> bool {
    directory.user_names.get(name.as_str()).is_some_and(|owner| owner != by)
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn get_user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        Ok(self.read().users.get(id).cloned())
    }

    async fn get_user_by_name(&self, name: &UserName) -> Result<Option<User>, StoreError> {
        let directory = self.read();
        Ok(directory.user_names.get(name.as_str()).and_then(|id| directory.users.get(id)).cloned())
    }

    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        let mut directory = self.write();
        if directory.users.contains_key(&user.id) {
            return Err(conflict(StoreConflict::AlreadyExists));
        }
        if name_taken(&directory, &user.user_name, &user.id) {
            return Err(conflict(StoreConflict::UserNameTaken));
        }
        directory.user_names.insert(user.user_name.as_str().to_owned(), user.id.clone());
        directory.users.insert(user.id.clone(), user.clone());
        Ok(())
    }

    async fn update_user(&self, user: &User, read_at: Timestamp) -> Result<(), StoreError> {
        let mut directory = self.write();
        let Some(stored) = directory.users.get(&user.id) else {
            return Err(StoreError::Missing);
        };
        if stored.updated_at != read_at {
            return Err(conflict(StoreConflict::StaleVersion));
        }
        let old_name = stored.user_name.clone();
        if name_taken(&directory, &user.user_name, &user.id) {
            return Err(conflict(StoreConflict::UserNameTaken));
        }
        directory.user_names.remove(old_name.as_str());
        directory.user_names.insert(user.user_name.as_str().to_owned(), user.id.clone());
        directory.users.insert(user.id.clone(), user.clone());
        Ok(())
    }

    async fn delete_account(&self, id: &UserId) -> Result<Option<AccountDeletion>, StoreError> {
        let (mut deletion, books) = {
            let mut directory = self.write();
            let Some(user) = directory.users.remove(id) else {
                return Ok(None);
            };
            directory.user_names.remove(user.user_name.as_str());
            let mut deletion = AccountDeletion::default();
            let owned: Vec<StrategyId> = directory.strategies_of.get(id).into_iter().flatten().copied().collect();
            let books: Vec<_> = owned.into_iter().filter_map(|s| directory.remove_strategy(s)).collect();
            deletion.strategies = books.len() as u64;
            let keys: Vec<ApiKeyId> = directory.keys_of.get(id).into_iter().flatten().copied().collect();
            deletion.api_keys = keys.len() as u64;
            keys.into_iter().for_each(|key| directory.remove_key(key));
            self.outbox().remove_all(id, &self.subscribed);
            (deletion, books)
        };
        deletion.trades = mark_deleted(books);
        Ok(Some(deletion))
    }
}

#[async_trait]
impl StrategyStore for MemoryStore {
    async fn insert_strategy(&self, strategy: &Strategy) -> Result<(), StoreError> {
        let mut directory = self.write();
        if !directory.users.contains_key(&strategy.user_id) {
            return Err(StoreError::Missing);
        }
        if directory.strategies.contains_key(&strategy.id) {
            return Err(conflict(StoreConflict::AlreadyExists));
        }
        if directory.strategies_of.get(&strategy.user_id).map_or(0, BTreeSet::len) >= Strategy::LIMIT_PER_USER {
            return Err(conflict(StoreConflict::StrategyLimit));
        }
        directory.strategies.insert(strategy.id, strategy.clone());
        directory.strategies_of.entry(strategy.user_id.clone()).or_default().insert(strategy.id);
        directory.books.insert(strategy.id, Arc::default());
        directory.signal_logs.insert(strategy.id, LogSlot::of(strategy.user_id.clone()));
        Ok(())
    }

    async fn get_strategy(&self, owner: &UserId, id: StrategyId) -> Result<Option<Strategy>, StoreError> {
        Ok(self.read().strategies.get(&id).filter(|s| &s.user_id == owner).cloned())
    }

    async fn list_strategies(&self, owner: &UserId) -> Result<Vec<Strategy>, StoreError> {
        let directory = self.read();
        let ids = directory.strategies_of.get(owner).into_iter().flatten().rev();
        Ok(ids.filter_map(|id| directory.strategies.get(id)).cloned().collect())
    }

    async fn public_strategies(&self, owner: &UserId) -> Result<Vec<(Strategy, ClosedRevision)>, StoreError> {
        let public: Vec<(Strategy, Option<Arc<Mutex<Book>>>)> = {
            let directory = self.read();
            let ids = directory.strategies_of.get(owner).into_iter().flatten().rev();
            let strategies = ids.filter_map(|id| directory.strategies.get(id)).filter(|s| s.is_public);
            strategies.map(|s| (s.clone(), directory.books.get(&s.id).cloned())).collect()
        };
        // Each book's lock after the directory's is released, as every trade write takes them.
        Ok(public
            .into_iter()
            .map(|(strategy, book)| {
                let revision = book.map_or(0, |book| lock(&book).closed_revision);
                (strategy, revision)
            })
            .collect())
    }

    async fn update_strategy(&self, strategy: &Strategy, read_at: Timestamp) -> Result<(), StoreError> {
        let mut directory = self.write();
        match directory.strategies.get_mut(&strategy.id) {
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
        let book = {
            let mut directory = self.write();
            if directory.strategies.get(&id).is_none_or(|s| &s.user_id != owner) {
                return Ok(None);
            }
            directory.remove_strategy(id)
        };
        Ok(Some(mark_deleted(book)))
    }
}

#[async_trait]
impl TradeStore for MemoryStore {
    async fn insert_trade<'r>(
        &self,
        trade: &Trade,
        event: &TradeEvent,
        receipt: Option<&'r ReceiptWrite>,
    ) -> Result<(), StoreError> {
        let stored = Box::new(Stored::new(trade.clone(), event));
        let (book, age) = self
            .book_with(&trade.user_id, trade.strategy_id, |strategy| strategy.max_signal_age)
            .ok_or(StoreError::Missing)?;
        let mut book = lock(&book);
        book.live()?;
        // In PostgreSQL's order: the strategy, its age limit, the receipt (its rows are locked before the trade is
        // written), the trade.
        if age.is_some_and(|age| age.refuses(trade)) {
            return Err(conflict(StoreConflict::SignalStale));
        }
        book.insert(stored, receipt)?;
        self.announce(trade, event);
        Ok(())
    }

    async fn update_trade<'r>(
        &self,
        trade: &Trade,
        event: &TradeEvent,
        receipt: Option<&'r ReceiptWrite>,
    ) -> Result<(), StoreError> {
        self.changing(&trade.user_id, trade.strategy_id, |book| {
            book.get(trade.id).ok_or(StoreError::Missing)?;
            // The receipt before the version, as PostgreSQL decides it.
            receipt.map(|r| book.check_receipt(r)).transpose()?;
            book.check_update(trade)?;
            book.update(trade, event);
            receipt.into_iter().for_each(|r| book.record_receipt(r));
            self.announce(trade, event);
            Ok(())
        })
    }

    async fn signal_receipts<'k>(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        target: &SignalTarget,
        key: Option<&'k IdempotencyKey>,
    ) -> Result<SignalReceipts, StoreError> {
        Ok(self.reading(owner, strategy, |book| book.receipts(target, key)).unwrap_or_default())
    }

    async fn receipt_count(&self, owner: &UserId, strategy: StrategyId) -> Result<u64, StoreError> {
        Ok(self.reading(owner, strategy, Book::receipt_count).unwrap_or(0))
    }

    async fn get_trade(&self, owner: &UserId, strategy: StrategyId, id: TradeId) -> Result<Option<Trade>, StoreError> {
        Ok(self.reading(owner, strategy, |book| book.get(id).cloned()).flatten())
    }

    async fn open_trades(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        lookup: &OpenTradeLookup,
    ) -> Result<Option<Vec<Trade>>, StoreError> {
        Ok(self.reading(owner, strategy, |book| match lookup {
            OpenTradeLookup::Reference(reference) => book.open_with_reference(reference),
            OpenTradeLookup::Symbol(symbol) => book.open_of_symbol(symbol),
        }))
    }

    async fn latest_with_reference(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        reference: &ExternalReference,
    ) -> Result<Option<Trade>, StoreError> {
        Ok(self.reading(owner, strategy, |book| book.latest_with_reference(reference).cloned()).flatten())
    }

    async fn list_trades(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        filter: &TradeFilter,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Trade>>, StoreError> {
        Ok(self.reading(owner, strategy, |book| book.page(filter, after, limit)))
    }

    async fn trades_oldest_first(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Trade>>, StoreError> {
        Ok(self.reading(owner, strategy, |book| book.oldest_first(after, limit)))
    }

    async fn trade_events(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Vec<TradeEvent>, StoreError> {
        Ok(self.reading(owner, strategy, |book| book.events(id)).unwrap_or_default())
    }

    async fn count_cancelled(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        range: CloseRange,
    ) -> Result<(u64, u64), StoreError> {
        Ok(self.reading(owner, strategy, |book| book.cancelled_in(range)).unwrap_or_default())
    }

    async fn visit_closed_trades<'v>(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        range: CloseRange,
        visitor: &'v mut (dyn ClosedTradeVisitor + 'v),
    ) -> Result<bool, StoreError> {
        // Collected under the lock, visited after it, so a slow visitor holds up no writer.
        let Some(closed) = self.reading(owner, strategy, |book| book.closed_in(range)) else {
            return Ok(false);
        };
        closed.into_iter().for_each(|trade| visitor.visit(trade));
        Ok(true)
    }

    async fn delete_trade(&self, owner: &UserId, strategy: StrategyId, id: TradeId) -> Result<bool, StoreError> {
        match self.changing(owner, strategy, |book| Ok(book.delete(id))) {
            Err(StoreError::Missing) => Ok(false),
            other => other,
        }
    }
}

#[async_trait]
impl StorageHealth for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        // Memory always answers; taking the lock proves no writer is stuck holding it.
        drop(self.read());
        Ok(())
    }
}
