//! The delivery of webhooks: claims the due deliveries of the outbox, sends each (signed by the
//! [`WebhookSender`]), and records what came of it under the retry schedule. The process that serves keeps up to
//! [`DeliverySettings::in_flight`] attempts going, at most [`DeliverySettings::per_endpoint`] to one subscription,
//! claiming more as attempts end ([`WebhookDeliverer::claim_due`], [`WebhookDeliverer::attempt`]); with several
//! instances on one store each due delivery is claimed by one of them at a time.

use std::sync::Arc;

use futures_util::future::join_all;
use quantarya_domain::chrono::TimeDelta;
use quantarya_domain::serde_json::{self, json};
use quantarya_domain::{RetrySchedule, Timestamp};

use crate::StoreError;
use crate::outbound::{
    AttemptNext, AttemptRecord, ClaimLimits, ClaimedDelivery, Clock, OutgoingWebhook, SendResult, TradeRenderer,
    WebhookSender, WebhookStore,
};

/// How deliveries are attempted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverySettings {
    /// When failed attempts are retried.
    pub schedule: RetrySchedule,
    /// How long a claim lasts: longer than an attempt takes (the sender's 10 s timeout), short enough that a
    /// claim left by a crashed instance is taken over within 30 s.
    pub claim: TimeDelta,
    /// How many attempts an instance makes at once.
    pub in_flight: usize,
    /// How many of them may go to one subscription: an endpoint that is slow or never answers holds at most these.
    pub per_endpoint: usize,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self { schedule: RetrySchedule::default(), claim: TimeDelta::seconds(20), in_flight: 32, per_endpoint: 4 }
    }
}

/// Delivers the outbox's due deliveries.
///
/// ```
/// use quantarya_ports::delivery::{DeliverySettings, WebhookDeliverer};
/// use quantarya_ports::outbound::{AttemptNext, SendResult};
/// use quantarya_domain::Timestamp;
/// let settings = DeliverySettings::default();
/// let at = Timestamp::parse_rfc3339("2026-12-06T12:00:00Z")?;
/// let answered = |status| SendResult { status: Some(status), retry_after: None, error: None };
/// assert_eq!(WebhookDeliverer::judge(&settings, 0, &answered(204), at).next, AttemptNext::Delivered);
/// assert_eq!(WebhookDeliverer::judge(&settings, 0, &answered(410), at).next, AttemptNext::Disable);
/// let retried = WebhookDeliverer::judge(&settings, 0, &answered(500), at);
/// assert_eq!(retried.next, AttemptNext::RetryAt(Timestamp::parse_rfc3339("2026-12-06T12:00:05Z")?));
/// assert_eq!(WebhookDeliverer::judge(&settings, 7, &answered(500), at).next, AttemptNext::Failed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct WebhookDeliverer {
    store: Arc<dyn WebhookStore>,
    sender: Arc<dyn WebhookSender>,
    renderer: Arc<dyn TradeRenderer>,
    clock: Arc<dyn Clock>,
    settings: DeliverySettings,
}

impl std::fmt::Debug for WebhookDeliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookDeliverer").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl WebhookDeliverer {
    /// A deliverer over these ports.
    pub fn new(
        store: Arc<dyn WebhookStore>,
        sender: Arc<dyn WebhookSender>,
        renderer: Arc<dyn TradeRenderer>,
        clock: Arc<dyn Clock>,
        settings: DeliverySettings,
    ) -> Self {
        Self { store, sender, renderer, clock, settings }
    }

    /// Claims deliveries due now: at most `room`, at most [`DeliverySettings::per_endpoint`] of one subscription,
    /// none of `busy` (subscriptions this instance already has that many attempts in flight for).
    ///
    /// # Errors
    ///
    /// `Unavailable` when the store does not answer.
    pub async fn claim_due(
        &self,
        room: usize,
        busy: Vec<quantarya_domain::WebhookId>,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let now = self.clock.now();
        let until = Timestamp::from_datetime(now.as_datetime() + self.settings.claim);
        let limits = ClaimLimits { total: room, per_endpoint: self.settings.per_endpoint, busy };
        self.store.claim_deliveries(now, until, &limits).await
    }

    /// One round: claims what is due (as much as [`DeliverySettings::in_flight`] allows), attempts it all at once,
    /// and records each; how many were claimed. The serving loop does not wait for rounds (it claims more as
    /// attempts end); tests and embedders may.
    ///
    /// # Errors
    ///
    /// `Unavailable` when the store does not answer the claim. An attempt whose record fails stays claimed until
    /// its claim ends, and is attempted again then.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let claimed = self.claim_due(self.settings.in_flight, Vec::new()).await?;
        join_all(claimed.iter().map(|delivery| self.attempt(delivery))).await;
        Ok(claimed.len())
    }

    /// How attempts are made.
    pub fn settings(&self) -> &DeliverySettings {
        &self.settings
    }

    /// Removes delivered and failed deliveries that finished before `before`; how many.
    ///
    /// # Errors
    ///
    /// `Unavailable` when the store does not answer.
    pub async fn purge(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.store.purge_deliveries(before).await
    }

    /// How many deliveries are pending, across every subscription.
    ///
    /// # Errors
    ///
    /// `Unavailable` when the store does not answer.
    pub async fn pending(&self) -> Result<u64, StoreError> {
        self.store.pending_deliveries().await
    }

    /// The body of a delivery: `{"type", "timestamp", "data"}`, `data` the trade as the change left it.
    pub fn payload(&self, delivery: &ClaimedDelivery) -> Vec<u8> {
        let body = json!({
            "type": delivery.event.as_str(),
            "timestamp": delivery.created_at.to_rfc3339(),
            "data": self.renderer.render(&delivery.trade),
        });
        serde_json::to_vec(&body).unwrap_or_default()
    }

    /// Sends a claimed delivery once and records what came of it under its claim.
    pub async fn attempt(&self, delivery: &ClaimedDelivery) {
        let body = self.payload(delivery);
        let outgoing = OutgoingWebhook {
            url: &delivery.url,
            secret: &delivery.secret,
            id: delivery.event_id.to_string(),
            timestamp: self.clock.now().as_datetime().timestamp(),
            body,
        };
        let sent = self.sender.send(&outgoing).await;
        let record = Self::judge(&self.settings, delivery.attempts, &sent, self.clock.now());
        tracing::info!(
            event_id = %delivery.event_id,
            webhook_id = %delivery.webhook_id,
            attempt = delivery.attempts + 1,
            status = sent.status,
            error = sent.error.as_deref(),
            next = ?record.next,
            "webhook attempt"
        );
        match self.store.record_attempt(delivery, &record).await {
            Ok(true) if matches!(record.next, AttemptNext::Failed | AttemptNext::Disable) => {
                crate::metrics::delivery_failed();
            }
            Ok(true) => {}
            Ok(false) => tracing::warn!(event_id = %delivery.event_id, "the claim was taken over; not recorded"),
            Err(error) => tracing::warn!(event_id = %delivery.event_id, %error, "attempt not recorded"),
        }
    }

    /// What an attempt's result means, the delivery having had `attempts_before` attempts: a 2xx delivers, a 410
    /// disables the endpoint, anything else is retried as the schedule says (honouring `Retry-After`), then failed.
    pub fn judge(settings: &DeliverySettings, attempts_before: u32, sent: &SendResult, at: Timestamp) -> AttemptRecord {
        let next = match sent.status {
            Some(status) if (200..300).contains(&status) => AttemptNext::Delivered,
            Some(410) => AttemptNext::Disable,
            _ => match settings.schedule.after_failure(attempts_before + 1, sent.retry_after) {
                Some(wait) => AttemptNext::RetryAt(Timestamp::from_datetime(at.as_datetime() + wait)),
                None => AttemptNext::Failed,
            },
        };
        let error = match (sent.status, &sent.error) {
            (_, Some(error)) => Some(error.clone()),
            (Some(status), None) if !(200..300).contains(&status) => Some(format!("answered {status}")),
            _ => None,
        };
        AttemptRecord { at, status: sent.status, error, next }
    }
}
