//! The signal log's storage port: what reached a strategy's signal route, kept for a week and bounded per
//! strategy ([`SignalLogEntry`]'s rules). The conformance suite in `tests/` checks every implementation against
//! these words.

use async_trait::async_trait;
use quantarya_domain::{SignalId, SignalLogEntry, SignalResult, StrategyId, Timestamp, UserId};

use crate::StoreError;

/// Which entries of a signal log to read.
///
/// ```
/// use quantarya_domain::{SignalLogEntry, SignalResult, Timestamp};
/// use quantarya_ports::outbound::SignalLogFilter;
/// let now = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z")?;
/// let refused_this_week = SignalLogFilter { since: SignalLogEntry::kept_since(now), result: Some(SignalResult::Refused) };
/// assert!(refused_this_week.since < now);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalLogFilter {
    /// Only entries received at or after this time (the service passes [`SignalLogEntry::kept_since`]).
    pub since: Timestamp,
    /// Only accepted, or only refused, signals.
    pub result: Option<SignalResult>,
}

/// A position in a signal log (newest first): the log continues with entries strictly after it, in the order
/// `received_at` descending, then id descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalCursor {
    /// The `received_at` of the last entry returned.
    pub received_at: Timestamp,
    /// The id of the last entry returned.
    pub signal_id: SignalId,
}

/// Each strategy's log of the signals that reached it.
///
/// ```
/// use quantarya_domain::{SignalLogEntry, StrategyId, UserId};
/// use quantarya_ports::StoreError;
/// use quantarya_ports::outbound::{SignalLogFilter, SignalLogStore};
///
/// /// How many signals of `strategy` were refused this week, as far as one page shows.
/// async fn refusals(
///     store: &dyn SignalLogStore,
///     owner: &UserId,
///     strategy: StrategyId,
///     filter: SignalLogFilter,
/// ) -> Result<Option<usize>, StoreError> {
///     store.flush_signals().await?;
///     Ok(store.signal_log(owner, strategy, &filter, None, SignalLogEntry::KEPT_PER_STRATEGY).await?.map(|page| page.len()))
/// }
/// ```
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SignalLogStore: Send + Sync {
    /// Records `entry` in the log of `owner`'s strategy `entry.strategy_id`, without waiting: a store that writes
    /// in memory writes it, one with a round trip per write queues it (so that the signal pays no round trip, and
    /// no future is made for it on every signal) and writes its queue by [`SignalLogStore::flush_signals`] at the
    /// latest. It MUST drop the entry when the strategy does not exist or is not `owner`'s, and keep, per strategy,
    /// at most the [`SignalLogEntry::KEPT_PER_STRATEGY`] newest entries (older ones are purged by the time the log
    /// is read next). An error means the entry was not recorded; the signal's answer does not depend on it.
    fn record_signal(&self, owner: &UserId, entry: SignalLogEntry) -> Result<(), StoreError>;

    /// Writes every entry this store value has queued, before it answers: called on a clean stop, so that no entry
    /// recorded before it is lost.
    async fn flush_signals(&self) -> Result<(), StoreError>;

    /// Up to `limit` entries of `owner`'s strategy `strategy` that pass `filter`, newest first (`received_at`
    /// descending, then id descending), starting strictly after `after` when given; `None` when `owner` has no such
    /// strategy. It includes every entry recorded through this store value before the call.
    async fn signal_log(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        filter: &SignalLogFilter,
        after: Option<SignalCursor>,
        limit: usize,
    ) -> Result<Option<Vec<SignalLogEntry>>, StoreError>;
}
