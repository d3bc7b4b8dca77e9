//! Signal receipts in memory: each strategy's book keeps the latest receipt per target (a reference's in its entry
//! of the reference index, a symbol's in a map of its own) and the receipts held under idempotency keys, written
//! with the trade change they belong to under the book's lock, and purged as they stop counting from an index by
//! time (so a write costs O(log r) amortized in the receipts, not a sweep).

use std::collections::BTreeSet;

use quantarya_domain::{IdempotencyKey, Receipt, SignalTarget, Timestamp, TradeId};
use quantarya_ports::outbound::{ReceiptWrite, SignalReceipts};
use quantarya_ports::{StoreConflict, StoreError};

use crate::book::Book;

/// The receipts' slots (a target, or an idempotency key) by the time they were written.
#[derive(Debug, Default)]
pub(crate) struct Expiries {
    latest: BTreeSet<(Timestamp, SignalTarget)>,
    keyed: BTreeSet<(Timestamp, IdempotencyKey)>,
}

impl Book {
    /// Refuses `write` with `ReceiptRaced` when its target's latest receipt is not the one it was judged by, or
    /// its key is held by a receipt that still counts. Changes nothing.
    pub(crate) fn check_receipt(&self, write: &ReceiptWrite) -> Result<(), StoreError> {
        let latest = self.latest_of(&write.target).map(|r| r.event_id);
        let key_held = write.key.as_ref().and_then(|key| self.keyed_receipts.get(key));
        if latest != write.after || key_held.is_some_and(|r| r.counts_at(write.receipt.at, true)) {
            return Err(StoreError::Conflict(StoreConflict::ReceiptRaced));
        }
        Ok(())
    }

    /// Records a checked `write`, and purges the receipts that no longer count.
    pub(crate) fn record_receipt(&mut self, write: &ReceiptWrite) {
        let now = write.receipt.at;
        self.purge(now);
        self.expiries.latest.insert((now, write.target.clone()));
        let replaced = match &write.target {
            SignalTarget::Reference(reference) => {
                self.references.get_or_default(reference.clone()).replace_latest(write.receipt)
            }
            SignalTarget::Symbol(symbol) => self.symbol_receipts.insert(symbol.clone(), write.receipt).is_some(),
        };
        if !replaced {
            self.latest_held += 1;
        }
        if let Some(key) = &write.key {
            self.expiries.keyed.insert((now, key.clone()));
            self.keyed_receipts.insert(key.clone(), write.receipt);
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
        (self.latest_held + self.keyed_receipts.len()) as u64
    }

    /// Drops the receipts of a deleted trade: they can replay nothing. (A sweep of the receipts that still count,
    /// which the receipt windows bound; deleting a trade is a rare, manual act.)
    pub(crate) fn forget_receipts_of(&mut self, trade: TradeId) {
        let targets: Vec<SignalTarget> = self.expiries.latest.iter().map(|(_, target)| target.clone()).collect();
        for target in targets {
            self.drop_latest_if(&target, |receipt| receipt.trade_id == trade);
        }
        self.keyed_receipts.retain(|_, r| r.trade_id != trade);
    }

    /// The latest receipt of `target`.
    fn latest_of(&self, target: &SignalTarget) -> Option<&Receipt> {
        match target {
            SignalTarget::Reference(reference) => self.references.get(reference)?.latest.as_deref(),
            SignalTarget::Symbol(symbol) => self.symbol_receipts.get(symbol),
        }
    }

    /// Drops the latest receipt of `target` if `drop` says to.
    fn drop_latest_if(&mut self, target: &SignalTarget, drop: impl FnOnce(&Receipt) -> bool) {
        let dropped = match target {
            SignalTarget::Reference(reference) => match self.references.get_mut(reference) {
                Some(carriers) if carriers.latest.as_deref().is_some_and(drop) => {
                    carriers.latest = None;
                    if carriers.is_empty() {
                        self.references.remove(reference);
                    }
                    true
                }
                _ => false,
            },
            SignalTarget::Symbol(symbol) => {
                self.symbol_receipts.get(symbol).is_some_and(drop) && self.symbol_receipts.remove(symbol).is_some()
            }
        };
        if dropped {
            self.latest_held -= 1;
        }
    }

    /// Takes out the slots written too long ago to count at `now`, dropping each one's receipt unless a newer one
    /// that still counts took its place.
    fn purge(&mut self, now: Timestamp) {
        while let Some((at, _)) = self.expiries.latest.first()
            && now.as_datetime() - at.as_datetime() >= Receipt::UNKEYED_LIFETIME
        {
            let Some((_, target)) = self.expiries.latest.pop_first() else { break };
            self.drop_latest_if(&target, |receipt| !receipt.counts_at(now, false));
        }
        while let Some((at, _)) = self.expiries.keyed.first()
            && now.as_datetime() - at.as_datetime() >= Receipt::KEYED_LIFETIME
        {
            let Some((_, key)) = self.expiries.keyed.pop_first() else { break };
            if self.keyed_receipts.get(&key).is_some_and(|receipt| !receipt.counts_at(now, true)) {
                self.keyed_receipts.remove(&key);
            }
        }
    }
}
