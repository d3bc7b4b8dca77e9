//! A delivery of one event to one endpoint: its state, and when it is attempted again.

use chrono::TimeDelta;

use crate::ids::{EventId, TradeId, WebhookId};
use crate::time::Timestamp;

use super::WebhookEvent;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Not delivered yet; it will be attempted at its next attempt time.
    Pending,
    /// A 2xx answer came within the timeout.
    Delivered,
    /// Every attempt of the schedule failed, or the endpoint answered 410 (which disables it).
    Failed,
}

impl DeliveryState {
    /// `pending`, `delivered` or `failed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// One event's delivery to one subscription, as its owner reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The event: the trade change's history event id, sent as `webhook-id` on every attempt.
    pub event_id: EventId,
    /// The subscription.
    pub webhook_id: WebhookId,
    /// What kind of change it was.
    pub event: WebhookEvent,
    /// The trade that changed.
    pub trade_id: TradeId,
    /// When the change was made (the payload's `timestamp`).
    pub created_at: Timestamp,
    /// Attempts made so far.
    pub attempts: u32,
    /// The HTTP status of the last attempt; `None` before the first, or when it got no answer.
    pub last_status: Option<u16>,
    /// Why the last attempt failed, in a few words (a status, a timeout, a refused address).
    pub last_error: Option<String>,
    /// When it is attempted next, while pending.
    pub next_attempt_at: Option<Timestamp>,
    /// Where it stands.
    pub state: DeliveryState,
    /// When it was delivered or failed for good.
    pub finished_at: Option<Timestamp>,
}

/// When failed attempts are retried: after each failed attempt the next delay of the schedule, then failed.
///
/// The contract's schedule is 5 s, 1 min, 5 min, 30 min, 2 h, 8 h, 24 h: eight attempts in all over about 35
/// hours. A `Retry-After` answer is honoured: the next attempt is never earlier than the receiver asked, nor than
/// the schedule says, and never more than a day away.
///
/// ```
/// use quantarya_domain::RetrySchedule;
/// use quantarya_domain::chrono::TimeDelta;
/// let schedule = RetrySchedule::default();
/// assert_eq!(schedule.after_failure(1, None), Some(TimeDelta::seconds(5)));
/// assert_eq!(schedule.after_failure(7, None), Some(TimeDelta::hours(24)));
/// assert_eq!(schedule.after_failure(8, None), None);
/// assert_eq!(schedule.after_failure(1, Some(TimeDelta::seconds(90))), Some(TimeDelta::seconds(90)));
/// assert_eq!(schedule.after_failure(2, Some(TimeDelta::seconds(1))), Some(TimeDelta::minutes(1)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<TimeDelta>);

impl RetrySchedule {
    /// The longest wait a `Retry-After` can ask for.
    pub const MAX_RETRY_AFTER: TimeDelta = TimeDelta::hours(24);

    /// A schedule of these delays (tests use seconds); an empty one fails a delivery at its first failure.
    pub fn new(delays: Vec<TimeDelta>) -> Self {
        Self(delays)
    }

    /// The delays, in order.
    pub fn delays(&self) -> &[TimeDelta] {
        &self.0
    }

    /// How long after the `attempts`-th failed attempt the next one is made, or `None` when the delivery has
    /// failed for good.
    pub fn after_failure(&self, attempts: u32, retry_after: Option<TimeDelta>) -> Option<TimeDelta> {
        let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
        let scheduled = *self.0.get(index)?;
        Some(retry_after.map_or(scheduled, |asked| asked.min(Self::MAX_RETRY_AFTER).max(scheduled)))
    }
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self(vec![
            TimeDelta::seconds(5),
            TimeDelta::minutes(1),
            TimeDelta::minutes(5),
            TimeDelta::minutes(30),
            TimeDelta::hours(2),
            TimeDelta::hours(8),
            TimeDelta::hours(24),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_attempts_then_failed() {
        let schedule = RetrySchedule::default();
        let waits: Vec<_> = (1..=8).map(|n| schedule.after_failure(n, None)).collect();
        assert_eq!(waits.iter().filter(|w| w.is_some()).count(), 7);
        assert_eq!(waits[7], None);
        assert_eq!(schedule.after_failure(0, None), None, "no attempt, no failure");
        assert_eq!(schedule.after_failure(1, Some(TimeDelta::days(9))), Some(TimeDelta::hours(24)));
        assert_eq!(RetrySchedule::new(vec![]).after_failure(1, None), None);
    }
}
