//! Each strategy's signal log: its newest entries, in arrival order, purged as they pass the week or the thousand
//! they are kept for, beside its book in the directory under a lock of its own (a signal's entry never waits for
//! the book's writes); and the store port over it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use quantarya_domain::{SignalId, SignalLogEntry, StrategyId, Timestamp, UserId};
use quantarya_ports::StoreError;
use quantarya_ports::outbound::{SignalCursor, SignalLogFilter, SignalLogStore};

use crate::MemoryStore;

/// The order of a log: `received_at`, then id.
fn order(entry: &SignalLogEntry) -> (Timestamp, SignalId) {
    (entry.received_at, entry.id)
}

/// A strategy's log in the directory, with the strategy's owner (the one a log is written and read for).
#[derive(Debug)]
pub(crate) struct LogSlot {
    pub(crate) owner: UserId,
    pub(crate) log: Arc<Mutex<SignalLog>>,
}

impl LogSlot {
    /// An empty log of `owner`'s.
    pub(crate) fn of(owner: UserId) -> Self {
        Self { owner, log: Arc::default() }
    }
}

/// One strategy's log, oldest first.
#[derive(Debug, Default)]
pub(crate) struct SignalLog {
    entries: VecDeque<SignalLogEntry>,
}

impl SignalLog {
    /// Adds `entry` in its place (entries arrive nearly in order: the place is found from the back), then drops what
    /// is past the week before its arrival or beyond the newest [`SignalLogEntry::KEPT_PER_STRATEGY`].
    fn record(&mut self, entry: SignalLogEntry) {
        let key = order(&entry);
        let since = SignalLogEntry::kept_since(entry.received_at);
        if self.entries.back().is_none_or(|last| order(last) <= key) {
            self.entries.push_back(entry);
        } else {
            let at = self.entries.iter().rposition(|e| order(e) <= key).map_or(0, |i| i + 1);
            self.entries.insert(at, entry);
        }
        while self.entries.front().is_some_and(|e| e.received_at < since)
            || self.entries.len() > SignalLogEntry::KEPT_PER_STRATEGY
        {
            self.entries.pop_front();
        }
    }

    /// Up to `limit` entries passing `filter`, newest first, strictly after `after`.
    fn page(&self, filter: &SignalLogFilter, after: Option<SignalCursor>, limit: usize) -> Vec<SignalLogEntry> {
        let before = after.map(|c| (c.received_at, c.signal_id));
        self.entries
            .iter()
            .rev()
            .filter(|e| before.is_none_or(|b| order(e) < b))
            .take_while(|e| e.received_at >= filter.since)
            .filter(|e| filter.result.is_none_or(|r| e.outcome.result() == r))
            .take(limit)
            .cloned()
            .collect()
    }
}

#[async_trait]
impl SignalLogStore for MemoryStore {
    fn record_signal(&self, owner: &UserId, entry: SignalLogEntry) -> Result<(), StoreError> {
        // Another user's strategy, or none: dropped, as the port says. A log taken just before its strategy was
        // deleted is written and dropped with it: nobody can read it any more.
        // Written under the directory's read lock, through one map access: no count of the log's references is
        // taken and given back (two atomic writes to a line every worker shares, on every signal).
        let directory = self.read();
        if let Some(slot) = directory.signal_logs.get(&entry.strategy_id).filter(|slot| &slot.owner == owner) {
            slot.log.lock().unwrap_or_else(PoisonError::into_inner).record(entry);
        }
        Ok(())
    }

    async fn flush_signals(&self) -> Result<(), StoreError> {
        // Nothing is queued: every entry is in its book when `record_signal` returns.
        Ok(())
    }

    async fn signal_log(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        filter: &SignalLogFilter,
        after: Option<SignalCursor>,
        limit: usize,
    ) -> Result<Option<Vec<SignalLogEntry>>, StoreError> {
        let log = self.signal_log_of(owner, strategy);
        Ok(log.map(|log| log.lock().unwrap_or_else(PoisonError::into_inner).page(filter, after, limit)))
    }
}

impl MemoryStore {
    /// The signal log of `owner`'s strategy `strategy`, if it has one, to be read once the directory's lock is
    /// released (a page copies up to a thousand entries).
    fn signal_log_of(&self, owner: &UserId, strategy: StrategyId) -> Option<Arc<Mutex<SignalLog>>> {
        let directory = self.read();
        directory.signal_logs.get(&strategy).filter(|slot| &slot.owner == owner).map(|slot| Arc::clone(&slot.log))
    }
}

#[cfg(test)]
mod tests {
    use quantarya_domain::uuid::Uuid;
    use quantarya_domain::{LoggedOutcome, SignalResult};

    use super::*;

    fn entry(n: u128, at: Timestamp, status: u16) -> SignalLogEntry {
        SignalLogEntry {
            id: SignalId::from_uuid(Uuid::from_u128(n)),
            strategy_id: StrategyId::from_uuid(Uuid::from_u128(7)),
            received_at: at,
            event: None,
            outcome: LoggedOutcome { status, ..LoggedOutcome::default() },
            trade_id: None,
            repeat: false,
            api_key_id: None,
            body: Default::default(),
        }
    }

    fn micros(n: i64) -> Timestamp {
        Timestamp::from_unix_micros(1_800_000_000_000_000 + n).expect("in range")
    }

    #[test]
    fn late_arrivals_take_their_place_and_the_thousand_newest_stay() {
        let mut log = SignalLog::default();
        for n in 0..1_100 {
            log.record(entry(n as u128, micros(n * 2), 201));
        }
        log.record(entry(5_000, micros(2_190), 422)); // between two recorded ones
        let all = SignalLogFilter { since: micros(0), result: None };
        let page = log.page(&all, None, 2_000);
        assert_eq!(page.len(), SignalLogEntry::KEPT_PER_STRATEGY);
        assert!(page.windows(2).all(|w| order(&w[0]) > order(&w[1])), "newest first");
        assert_eq!(page[4].id, SignalId::from_uuid(Uuid::from_u128(5_000)));
        let refused = SignalLogFilter { result: Some(SignalResult::Refused), ..all };
        assert_eq!(log.page(&refused, None, 10).len(), 1);
        let cursor = SignalCursor { received_at: page[9].received_at, signal_id: page[9].id };
        assert_eq!(log.page(&all, Some(cursor), 1)[0], page[10]);
    }

    #[test]
    fn entries_past_the_week_are_purged_and_never_read() {
        let mut log = SignalLog::default();
        let now = micros(0);
        let old = Timestamp::from_datetime(
            now.as_datetime() - SignalLogEntry::RETENTION - quantarya_domain::chrono::TimeDelta::seconds(1),
        );
        log.record(entry(1, old, 201));
        assert_eq!(
            log.page(&SignalLogFilter { since: SignalLogEntry::kept_since(now), result: None }, None, 5).len(),
            0
        );
        log.record(entry(2, now, 201));
        assert_eq!(log.entries.len(), 1, "the old one went when a newer one came");
    }
}
