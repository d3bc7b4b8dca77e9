//! Signal receipts in memory: each strategy's book keeps the latest receipt per target (a reference's in its entry
//! of the reference index, a symbol's in a map of its own) and the receipts held under idempotency keys, written
//! with the trade change they belong to under the book's lock, and purged as they stop counting from an index by
//! the hundredth of a second they were written in (so a write costs O(log r) amortized in the receipts, not a
//! sweep).

use std::collections::BTreeMap;

use quantarya_domain::chrono::{self, TimeDelta};
use quantarya_domain::{IdempotencyKey, Receipt, SignalTarget, Timestamp, TradeId};
use quantarya_ports::outbound::{ReceiptWrite, SignalReceipts};
use quantarya_ports::{StoreConflict, StoreError};

use crate::book::Book;

/// The receipts' slots (a target, or an idempotency key) by the hundredth of a second they were written in.
#[derive(Debug, Default)]
pub(crate) struct Expiries {
    latest: ByTick<SignalTarget>,
    keyed: ByTick<IdempotencyKey>,
}

/// The length of a tick, in milliseconds.
const TICK_MS: i64 = 10;

/// The tick (of Unix time) `at` falls in.
fn tick_of(at: chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp_millis().div_euclid(TICK_MS)
}

/// Slots by the tick (a hundredth of a second) their receipt was written in: one tree entry a tick and a vector of
/// the slots written in it, about 40 bytes a receipt where a tree of (time, slot) took over 100. A tick, not a
/// second: at tens of thousands of signals a second a second's vector grew to hundreds of kilobytes, each of its
/// doublings (a fresh block from the allocator, under the book's lock) stalled a write for up to 20 ms, and the
/// purge that took a second out would have handled all of its slots in one write; a tick's are a few hundred.
#[derive(Debug)]
struct ByTick<K> {
    ticks: BTreeMap<i64, Vec<K>>,
}

impl<K> Default for ByTick<K> {
    fn default() -> Self {
        Self { ticks: BTreeMap::new() }
    }
}

impl<K> ByTick<K> {
    fn push(&mut self, at: Timestamp, slot: K) {
        self.ticks.entry(tick_of(at.as_datetime())).or_default().push(slot);
    }

    /// Takes out the slots of every tick before `cutoff`, the tick in which a receipt's lifetime ends at the
    /// purge's time: tick `t` holds times in [t, t + 1) ticks, all old enough when t + 1 <= now - lifetime. A tick
    /// only partly that old waits for a later purge, so a receipt that stopped counting is purged by the first
    /// write at least a tick after.
    fn take_expired(&mut self, cutoff: i64) -> Vec<K> {
        let mut expired = Vec::new();
        while let Some(entry) = self.ticks.first_entry()
            && *entry.key() < cutoff
        {
            expired.append(&mut entry.remove());
        }
        expired
    }

    fn iter(&self) -> impl Iterator<Item = &K> {
        self.ticks.values().flatten()
    }
}

impl Book {
    /// Refuses `write` with `ReceiptRaced` when its target's latest receipt is not the one it was judged by, or
    /// its key is held by a receipt that still counts. Changes nothing.
    pub(crate) fn check_receipt(&self, write: &ReceiptWrite) -> Result<(), StoreError> {
        self.check_receipt_against(write, self.latest_of(&write.target))
    }

    /// [`Book::check_receipt`], given the latest receipt of `write`'s target (found by the caller).
    pub(crate) fn check_receipt_against(
        &self,
        write: &ReceiptWrite,
        latest: Option<&Receipt>,
    ) -> Result<(), StoreError> {
        let key_held = write.key.as_ref().and_then(|key| self.keyed_receipts.get(key));
        if latest.map(|r| r.event_id) != write.after || key_held.is_some_and(|r| r.counts_at(write.receipt.at, true)) {
            return Err(StoreError::Conflict(StoreConflict::ReceiptRaced));
        }
        Ok(())
    }

    /// Records a checked `write`, and purges the receipts that no longer count.
    pub(crate) fn record_receipt(&mut self, write: &ReceiptWrite) {
        self.purge(write.receipt.at);
        self.note_receipt(write);
        self.set_latest(write);
    }

    /// Notes when `write` was made, and holds it under its key: all of a checked write but its target's latest
    /// receipt ([`Book::set_latest`]; a new trade's own reference sets it while indexing the trade).
    pub(crate) fn note_receipt(&mut self, write: &ReceiptWrite) {
        let now = write.receipt.at;
        self.expiries.latest.push(now, write.target.clone());
        if let Some(key) = &write.key {
            self.expiries.keyed.push(now, key.clone());
            self.keyed_receipts.insert(key.clone(), write.receipt);
        }
    }

    /// Makes `write`'s receipt its target's latest.
    pub(crate) fn set_latest(&mut self, write: &ReceiptWrite) {
        match &write.target {
            SignalTarget::Reference(reference) => {
                if !self.references.get_or_default(reference.clone()).replace_latest(write.receipt) {
                    self.reference_receipts += 1;
                }
            }
            SignalTarget::Symbol(symbol) => {
                self.symbol_receipts.insert(symbol.clone(), write.receipt);
            }
        }
    }

    /// The receipts a signal to `target` (with `key`) is judged by.
    pub(crate) fn receipts(&self, target: &SignalTarget, key: Option<&IdempotencyKey>) -> SignalReceipts {
        SignalReceipts {
            latest: self.latest_of(target).copied(),
            keyed: key.and_then(|key| self.keyed_receipts.get(key)).copied(),
        }
    }

    /// How many receipts the book holds.
    pub(crate) fn receipt_count(&self) -> u64 {
        (self.reference_receipts + self.symbol_receipts.len() + self.keyed_receipts.len()) as u64
    }

    /// Drops the receipts of a deleted trade: they can replay nothing. (A sweep of the receipts that still count,
    /// which the receipt windows bound; deleting a trade is a rare, manual act.)
    pub(crate) fn forget_receipts_of(&mut self, trade: TradeId) {
        let expiries = std::mem::take(&mut self.expiries.latest);
        for target in expiries.iter() {
            self.drop_latest_if(target, |receipt| receipt.trade_id == trade);
        }
        self.expiries.latest = expiries;
        self.keyed_receipts.retain(|_, r| r.trade_id != trade);
    }

    /// The latest receipt of `target`.
    pub(crate) fn latest_of(&self, target: &SignalTarget) -> Option<&Receipt> {
        match target {
            SignalTarget::Reference(reference) => self.references.get(reference)?.latest.as_deref(),
            SignalTarget::Symbol(symbol) => self.symbol_receipts.get(symbol),
        }
    }

    /// Drops the latest receipt of `target` if `drop` says to.
    fn drop_latest_if(&mut self, target: &SignalTarget, drop: impl FnOnce(&Receipt) -> bool) {
        match target {
            SignalTarget::Reference(reference) => {
                if let Some(carriers) = self.references.get_mut(reference)
                    && carriers.latest.as_deref().is_some_and(drop)
                {
                    carriers.latest = None;
                    self.reference_receipts -= 1;
                    if carriers.is_empty() {
                        self.references.remove(reference);
                    }
                }
            }
            SignalTarget::Symbol(symbol) => {
                if self.symbol_receipts.get(symbol).is_some_and(drop) {
                    self.symbol_receipts.remove(symbol);
                }
            }
        }
    }

    /// Takes out the slots written too long ago to count at `now`, dropping each one's receipt unless a newer one
    /// that still counts took its place.
    pub(crate) fn purge(&mut self, now: Timestamp) {
        let cutoff = |lifetime: TimeDelta| tick_of(now.as_datetime() - lifetime);
        for target in self.expiries.latest.take_expired(cutoff(Receipt::UNKEYED_LIFETIME)) {
            self.drop_latest_if(&target, |receipt| !receipt.counts_at(now, false));
        }
        for key in self.expiries.keyed.take_expired(cutoff(Receipt::KEYED_LIFETIME)) {
            if self.keyed_receipts.get(&key).is_some_and(|receipt| !receipt.counts_at(now, true)) {
                self.keyed_receipts.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect("valid")
    }

    #[test]
    fn slots_leave_by_whole_ticks_once_the_whole_tick_is_old_enough() {
        let mut slots: ByTick<&str> = ByTick::default();
        slots.push(at("2026-05-21T12:00:00.009Z"), "a");
        slots.push(at("2026-05-21T11:00:00Z"), "old");
        slots.push(at("2026-05-21T12:00:00.001Z"), "b");
        slots.push(at("2026-05-21T12:00:00.010Z"), "c");
        assert_eq!(slots.iter().copied().collect::<Vec<_>>(), ["old", "a", "b", "c"]);
        let cutoff = |now: &str| tick_of(at(now).as_datetime() - Receipt::UNKEYED_LIFETIME);
        // At 12:10:00.0095 the receipt of 12:00:00.009 no longer counts, but its tick is not wholly ten minutes old.
        assert_eq!(slots.take_expired(cutoff("2026-05-21T12:10:00.0095Z")), ["old"]);
        assert_eq!(slots.take_expired(cutoff("2026-05-21T12:10:00.010Z")), ["a", "b"]);
        assert_eq!(slots.take_expired(cutoff("2026-05-21T12:10:00.019Z")), Vec::<&str>::new());
        assert_eq!(slots.take_expired(cutoff("2026-05-21T12:10:00.020Z")), ["c"]);
        assert_eq!(slots.iter().count(), 0);
    }
}
