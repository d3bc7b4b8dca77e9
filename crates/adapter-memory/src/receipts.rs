//! Signal receipts in memory: each strategy's book keeps the latest receipt per target and the receipts held under
//! idempotency keys, written with the trade change they belong to under the book's lock, and purged as they stop
//! counting from an index by time (so a write costs O(log r) amortized in the receipts, not a sweep).

use std::collections::BTreeSet;

use compact_str::CompactString;

use quantarya_domain::{IdempotencyKey, Receipt, SignalTarget, Timestamp, TradeId};
use quantarya_ports::outbound::{ReceiptWrite, SignalReceipts};
use quantarya_ports::{StoreConflict, StoreError};

use crate::book::Book;

/// A receipt's slot: its target's key, or its idempotency key (most fit inline, with no allocation of their own).
pub(crate) type Slot = CompactString;

/// The receipts' slots by the time they were written: the latest per target, and the keyed ones.
#[derive(Debug, Default)]
pub(crate) struct Expiries {
    latest: BTreeSet<(Timestamp, Slot)>,
    keyed: BTreeSet<(Timestamp, Slot)>,
}

impl Book {
    /// Refuses `write` with `ReceiptRaced` when its target's latest receipt is not the one it was judged by, or
    /// its key is held by a receipt that still counts. Changes nothing.
    pub(crate) fn check_receipt(&self, write: &ReceiptWrite) -> Result<(), StoreError> {
        let latest = self.latest_receipts.get(write.target.key().as_str()).map(|r| r.event_id);
        let key_held = write.key.as_ref().and_then(|key| self.keyed_receipts.get(key.as_str()));
        if latest != write.after || key_held.is_some_and(|r| r.counts_at(write.receipt.at, true)) {
            return Err(StoreError::Conflict(StoreConflict::ReceiptRaced));
        }
        Ok(())
    }

    /// Records a checked `write`, and purges the receipts that no longer count.
    pub(crate) fn record_receipt(&mut self, write: &ReceiptWrite) {
        let now = write.receipt.at;
        purge(&mut self.expiries.latest, &mut self.latest_receipts, now, false);
        purge(&mut self.expiries.keyed, &mut self.keyed_receipts, now, true);
        let target = Slot::new(write.target.key());
        self.expiries.latest.insert((now, target.clone()));
        self.latest_receipts.insert(target, write.receipt);
        if let Some(key) = &write.key {
            self.expiries.keyed.insert((now, Slot::new(key.as_str())));
            self.keyed_receipts.insert(Slot::new(key.as_str()), write.receipt);
        }
    }

    /// The receipts a signal to `target` (with `key`) is judged by.
    pub(crate) fn receipts(&self, target: &SignalTarget, key: Option<&IdempotencyKey>) -> SignalReceipts {
        SignalReceipts {
            latest: self.latest_receipts.get(target.key().as_str()).copied(),
            keyed: key.and_then(|key| self.keyed_receipts.get(key.as_str())).copied(),
        }
    }

    /// How many receipts the book holds.
    pub(crate) fn receipt_count(&self) -> u64 {
        (self.latest_receipts.len() + self.keyed_receipts.len()) as u64
    }

    /// Drops the receipts of a deleted trade: they can replay nothing. (A sweep of the receipts that still count,
    /// which the receipt windows bound; deleting a trade is a rare, manual act.)
    pub(crate) fn forget_receipts_of(&mut self, trade: TradeId) {
        let of_others = |_: &Slot, r: &mut Receipt| r.trade_id != trade;
        self.latest_receipts.retain(of_others);
        self.keyed_receipts.retain(of_others);
    }
}

/// Takes out the slots written too long ago to count at `now`, dropping each one's receipt unless a newer one that
/// still counts took its place.
fn purge(
    expiries: &mut BTreeSet<(Timestamp, Slot)>,
    receipts: &mut crate::sharded::Sharded<Slot, Receipt>,
    now: Timestamp,
    keyed: bool,
) {
    let lifetime = if keyed { Receipt::KEYED_LIFETIME } else { Receipt::UNKEYED_LIFETIME };
    while let Some((at, _)) = expiries.first()
        && now.as_datetime() - at.as_datetime() >= lifetime
    {
        let Some((_, slot)) = expiries.pop_first() else { break };
        if receipts.get(&slot).is_some_and(|receipt| !receipt.counts_at(now, keyed)) {
            receipts.remove(&slot);
        }
    }
}
