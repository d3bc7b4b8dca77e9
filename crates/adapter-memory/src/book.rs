//! One strategy's trades in memory, with the indexes every trade operation reads: so each costs O(log n) in the
//! strategy's trades (plus what it returns), never a scan of the book.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use quantarya_domain::uuid::Uuid;
use quantarya_domain::{
    ClosedTrade, ExternalReference, IdempotencyKey, Receipt, SignalTarget, Status, Symbol, Timestamp, Trade,
    TradeEvent, TradeId,
};
use quantarya_ports::outbound::{CloseRange, ReceiptWrite, TradeCursor, TradeFilter};
use quantarya_ports::{StoreConflict, StoreError};

use crate::carriers::Carriers;
use crate::sharded::Sharded;
use crate::stored::Stored;

/// The list order of a trade: `opened_at` descending, then id descending.
type ListKey = (Reverse<Timestamp>, Reverse<TradeId>);

/// A trade's place in an index by the time it closed or was cancelled, then its id.
type ByCloseTime = (Timestamp, TradeId);

fn list_key(trade: &Trade) -> ListKey {
    (Reverse(trade.opened_at), Reverse(trade.id))
}

/// The state of one strategy's trades, and its receipts (`receipts.rs`).
#[derive(Debug, Default)]
pub(crate) struct Book {
    /// Set, under the book's lock, when its strategy (or its owner) is deleted: a writer that reached the book
    /// before the deletion finds it gone, so every acknowledged write is counted by the deletion.
    pub(crate) deleted: bool,
    /// Each trade with its history (`stored.rs`), by id: ids are UUIDv7, so a new trade lands at the map's right
    /// edge, which stays in the cache however many trades the book holds (a hash map would send each insert to a
    /// random slot of a table larger than the cache). Boxed, so that the map's nodes stay small.
    trades: BTreeMap<TradeId, Box<Stored>>,
    /// The trades carrying each reference and the latest receipt of a signal naming it (`carriers.rs`; sharded,
    /// like every hash map of a book that grows with its trades, so that growing it never stalls the book:
    /// `sharded.rs`).
    pub(crate) references: Sharded<ExternalReference, Carriers>,
    /// The open trades of each symbol.
    open_by_symbol: HashMap<Symbol, BTreeSet<TradeId>>,
    /// Every trade, in list order.
    listed: BTreeSet<ListKey>,
    /// The closed trades, in close order.
    closed: BTreeSet<ByCloseTime>,
    /// The cancelled trades, in the order they were cancelled.
    cancelled: BTreeSet<ByCloseTime>,
    /// The latest receipt of each symbol a signal without reference named (a reference's is in `references`).
    pub(crate) symbol_receipts: Sharded<Symbol, Receipt>,
    /// How many of `references`' entries hold a receipt (the symbols' are counted by their map).
    pub(crate) reference_receipts: usize,
    /// The receipts held under idempotency keys.
    pub(crate) keyed_receipts: Sharded<IdempotencyKey, Receipt>,
    /// When each receipt was written, oldest first, to purge them as they stop counting (`receipts.rs`).
    pub(crate) expiries: crate::receipts::Expiries,
    /// Moves on with every write that adds, changes or removes a closed or cancelled trade (the store port's
    /// `ClosedRevision`).
    pub(crate) closed_revision: u64,
    /// The imports into the strategy, with the trades each made and their keys (`imports.rs`).
    pub(crate) imports: crate::imports::Imports,
}

impl Book {
    /// Refuses any access to a deleted book as its strategy being missing.
    pub(crate) fn live(&self) -> Result<&Self, StoreError> {
        if self.deleted { Err(StoreError::Missing) } else { Ok(self) }
    }

    /// How many trades it holds.
    pub(crate) fn len(&self) -> u64 {
        self.trades.len() as u64
    }

    /// Stores a new trade with its entry event (made before the book's lock is taken), and the receipt of the signal
    /// that made it; refused when the receipt lost a race (`check_receipt`), when the id is taken, or when another
    /// open trade holds its reference. A referenced entry whose receipt is its reference's (the webhook's case)
    /// probes the reference index twice, once to check and once to write, where checking and writing the trade and
    /// the receipt one by one took four probes.
    pub(crate) fn insert(&mut self, stored: Box<Stored>, receipt: Option<&ReceiptWrite>) -> Result<(), StoreError> {
        let trade = &stored.trade;
        let reference = trade.external_reference.as_ref();
        let carriers = reference.and_then(|reference| self.references.get(reference));
        // The receipt first, as PostgreSQL decides it (its rows are locked before the trade is written).
        let own = receipt.filter(|write| {
            matches!((&write.target, reference), (SignalTarget::Reference(target), Some(reference)) if target == reference)
        });
        if let Some(write) = receipt {
            let latest = match own {
                Some(_) => carriers.and_then(|carriers| carriers.latest.as_deref()),
                None => self.latest_of(&write.target),
            };
            self.check_receipt_against(write, latest)?;
        }
        if self.trades.contains_key(&trade.id) {
            return Err(StoreError::Conflict(StoreConflict::AlreadyExists));
        }
        if trade.status == Status::Open && carriers.is_some_and(|carriers| carriers.open().is_some()) {
            return Err(StoreError::Conflict(StoreConflict::OpenTradeExists));
        }
        if let Some(write) = receipt {
            self.purge(write.receipt.at);
            self.note_receipt(write);
        }
        self.index(trade, own.map(|write| write.receipt));
        if let Some(write) = receipt.filter(|_| own.is_none()) {
            self.set_latest(write);
        }
        self.revise(trade.status);
        self.trades.insert(trade.id, stored);
        Ok(())
    }

    /// Moves the closed trades' revision on when a trade of `status` was written or removed.
    fn revise(&mut self, status: Status) {
        if status != Status::Open {
            self.closed_revision += 1;
        }
    }

    /// Whether `trade` would replace the stored version it was decided from.
    pub(crate) fn check_update(&self, trade: &Trade) -> Result<(), StoreError> {
        let stored = self.get(trade.id).ok_or(StoreError::Missing)?;
        if stored.version + 1 == trade.version {
            Ok(())
        } else {
            Err(StoreError::Conflict(StoreConflict::StaleVersion))
        }
    }

    /// Replaces a trade checked by [`Book::check_update`] and appends its event.
    pub(crate) fn update(&mut self, trade: &Trade, event: &TradeEvent) {
        let Some(mut stored) = self.trades.remove(&trade.id) else {
            return;
        };
        self.unindex(&stored.trade);
        self.index(trade, None);
        self.revise(trade.status);
        stored.replace(trade.clone(), event);
        self.trades.insert(trade.id, stored);
    }

    /// Removes a trade with its history; whether it was there.
    pub(crate) fn delete(&mut self, id: TradeId) -> bool {
        self.forget_receipts_of(id);
        match self.trades.remove(&id) {
            Some(old) => {
                self.unindex(&old.trade);
                self.revise(old.trade.status);
                true
            }
            None => false,
        }
    }

    pub(crate) fn get(&self, id: TradeId) -> Option<&Trade> {
        self.trades.get(&id).map(|stored| &stored.trade)
    }

    pub(crate) fn events(&self, id: TradeId) -> Vec<TradeEvent> {
        self.trades.get(&id).map(|stored| stored.events()).unwrap_or_default()
    }

    /// The open trade carrying `reference`, if any.
    pub(crate) fn open_with_reference(&self, reference: &ExternalReference) -> Vec<Trade> {
        let open = self.references.get(reference).and_then(Carriers::open);
        open.and_then(|id| self.get(id)).into_iter().cloned().collect()
    }

    /// The open trades of `symbol`.
    pub(crate) fn open_of_symbol(&self, symbol: &Symbol) -> Vec<Trade> {
        let ids = self.open_by_symbol.get(symbol).into_iter().flatten();
        ids.filter_map(|id| self.get(*id)).cloned().collect()
    }

    /// The most recently created trade carrying `reference`.
    pub(crate) fn latest_with_reference(&self, reference: &ExternalReference) -> Option<&Trade> {
        self.references.get(reference).and_then(Carriers::latest_trade).and_then(|id| self.get(id))
    }

    /// A page of trades in list order after `after`, passing `filter`: the walk starts at the cursor (or at `to`)
    /// and stops at `from`.
    pub(crate) fn page(&self, filter: &TradeFilter, after: Option<TradeCursor>, limit: usize) -> Vec<Trade> {
        let highest = TradeId::from_uuid(Uuid::max());
        let start = match (after, filter.to) {
            (Some(cursor), _) => Bound::Excluded((Reverse(cursor.opened_at), Reverse(cursor.trade_id))),
            (None, Some(to)) => Bound::Included((Reverse(to), Reverse(highest))),
            (None, None) => Bound::Unbounded,
        };
        self.listed
            .range((start, Bound::Unbounded))
            .take_while(|(Reverse(opened_at), _)| filter.from.is_none_or(|from| *opened_at >= from))
            .filter_map(|(_, Reverse(id))| self.get(*id))
            .filter(|trade| passes(trade, filter))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Up to `limit` trades oldest first (the list order backwards), strictly after `after`.
    pub(crate) fn oldest_first(&self, after: Option<TradeCursor>, limit: usize) -> Vec<Trade> {
        let end = after
            .map_or(Bound::Unbounded, |cursor| Bound::Excluded((Reverse(cursor.opened_at), Reverse(cursor.trade_id))));
        let listed = self.listed.range((Bound::Unbounded, end)).rev();
        listed.filter_map(|(_, Reverse(id))| self.get(*id)).take(limit).cloned().collect()
    }

    /// Whether an open trade carries `reference`.
    pub(crate) fn reference_is_open(&self, reference: &ExternalReference) -> bool {
        self.references.get(reference).is_some_and(|carriers| carriers.open().is_some())
    }

    /// The bounds of `range` over an index by close time, or `None` when it holds nothing.
    fn close_bounds(range: CloseRange) -> Option<(Bound<ByCloseTime>, Bound<ByCloseTime>)> {
        let (lowest, highest) = (TradeId::from_uuid(Uuid::nil()), TradeId::from_uuid(Uuid::max()));
        let from = range.from.map_or(Bound::Unbounded, |from| Bound::Included((from, lowest)));
        let to = range.to.map_or(Bound::Unbounded, |to| Bound::Included((to, highest)));
        if let (Bound::Included(from), Bound::Included(to)) = (&from, &to)
            && from > to
        {
            return None;
        }
        Some((from, to))
    }

    /// The closed trades in `range`, in close order.
    pub(crate) fn closed_in(&self, range: CloseRange) -> Vec<ClosedTrade> {
        let Some(bounds) = Self::close_bounds(range) else {
            return Vec::new();
        };
        self.closed.range(bounds).filter_map(|(_, id)| self.get(*id)).filter_map(ClosedTrade::of).collect()
    }

    /// How many trades were cancelled in `range`, and how many of them were live.
    pub(crate) fn cancelled_in(&self, range: CloseRange) -> (u64, u64) {
        let Some(bounds) = Self::close_bounds(range) else {
            return (0, 0);
        };
        self.cancelled
            .range(bounds)
            .filter_map(|(_, id)| self.get(*id))
            .fold((0, 0), |(all, live), trade| (all + 1, live + u64::from(trade.live)))
    }

    /// Enters `trade` in the indexes, with `receipt` as the latest of its reference when given.
    fn index(&mut self, trade: &Trade, receipt: Option<Receipt>) {
        self.listed.insert(list_key(trade));
        if let Some(reference) = &trade.external_reference {
            let carriers = self.references.get_or_default(reference.clone());
            carriers.add(trade.id, trade.status == Status::Open);
            if let Some(receipt) = receipt
                && !carriers.replace_latest(receipt)
            {
                self.reference_receipts += 1;
            }
        }
        match (trade.status, trade.closed_at) {
            (Status::Open, _) => {
                self.open_by_symbol.entry(trade.symbol.clone()).or_default().insert(trade.id);
            }
            (Status::Closed, Some(closed_at)) => {
                self.closed.insert((closed_at, trade.id));
            }
            (Status::Cancelled, Some(cancelled_at)) => {
                self.cancelled.insert((cancelled_at, trade.id));
            }
            _ => {}
        }
    }

    fn unindex(&mut self, trade: &Trade) {
        self.listed.remove(&list_key(trade));
        if let Some(reference) = &trade.external_reference
            && let Some(carriers) = self.references.get_mut(reference)
        {
            carriers.remove(trade.id);
            if carriers.is_empty() {
                self.references.remove(reference);
            }
        }
        match (trade.status, trade.closed_at) {
            (Status::Open, _) => {
                if let Some(ids) = self.open_by_symbol.get_mut(&trade.symbol) {
                    ids.remove(&trade.id);
                    if ids.is_empty() {
                        self.open_by_symbol.remove(&trade.symbol);
                    }
                }
            }
            (Status::Closed, Some(closed_at)) => {
                self.closed.remove(&(closed_at, trade.id));
            }
            (Status::Cancelled, Some(cancelled_at)) => {
                self.cancelled.remove(&(cancelled_at, trade.id));
            }
            _ => {}
        }
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
