//! Signal receipts in memory: each strategy's book keeps the latest receipt per target and the receipts held under
//! idempotency keys, written with the trade change they belong to under the store's one lock.

use quantarya_domain::{IdempotencyKey, Receipt, SignalTarget, TradeId};
use quantarya_ports::outbound::{ReceiptWrite, SignalReceipts};
use quantarya_ports::{StoreConflict, StoreError};

use crate::Book;

impl Book {
    /// Refuses `write` with `ReceiptRaced` when its target's latest receipt is not the one it was judged by, or
    /// its key is held by a receipt that still counts. Changes nothing.
    pub(crate) fn check_receipt(&self, write: &ReceiptWrite) -> Result<(), StoreError> {
        let latest = self.latest_receipts.get(&write.target.key()).map(|r| r.event_id);
        let key_held = write.key.as_ref().and_then(|key| self.keyed_receipts.get(key.as_str()));
        if latest != write.after || key_held.is_some_and(|r| r.counts_at(write.receipt.at, true)) {
            return Err(StoreError::Conflict(StoreConflict::ReceiptRaced));
        }
        Ok(())
    }

    /// Records a checked `write`, and purges the receipts that no longer count.
    pub(crate) fn record_receipt(&mut self, write: &ReceiptWrite) {
        let now = write.receipt.at;
        self.latest_receipts.retain(|_, r| r.counts_at(now, false));
        self.keyed_receipts.retain(|_, r| r.counts_at(now, true));
        self.latest_receipts.insert(write.target.key(), write.receipt);
        if let Some(key) = &write.key {
            self.keyed_receipts.insert(key.as_str().to_owned(), write.receipt);
        }
    }

    /// The receipts a signal to `target` (with `key`) is judged by.
    pub(crate) fn receipts(&self, target: &SignalTarget, key: Option<&IdempotencyKey>) -> SignalReceipts {
        SignalReceipts {
            latest: self.latest_receipts.get(&target.key()).copied(),
            keyed: key.and_then(|key| self.keyed_receipts.get(key.as_str())).copied(),
        }
    }

    /// How many receipts the book holds.
    pub(crate) fn receipt_count(&self) -> u64 {
        (self.latest_receipts.len() + self.keyed_receipts.len()) as u64
    }

    /// Drops the receipts of a deleted trade: they can replay nothing.
    pub(crate) fn forget_receipts_of(&mut self, trade: TradeId) {
        let of_others = |_: &String, r: &mut Receipt| r.trade_id != trade;
        self.latest_receipts.retain(of_others);
        self.keyed_receipts.retain(of_others);
    }
}
