//! The outbound webhooks' ports: the subscriptions and their outbox ([`WebhookStore`]), the HTTP client that
//! delivers ([`WebhookSender`]), the SSRF guard ([`EndpointGuard`]) and the trade object a payload carries
//! ([`TradeRenderer`]). The conformance suite in `tests/` checks every store against these words.
//!
//! The outbox itself has no method: [`crate::outbound::TradeStore::insert_trade`] and
//! [`crate::outbound::TradeStore::update_trade`] MUST record, in the same atomic write as the change, one pending
//! delivery of the change to every subscription of the trade's owner that [`Webhook::wants`] it
//! ([`quantarya_domain::WebhookEvent::of`] says which kind it is), keeping the trade as the change left it. A
//! crash after the write cannot lose it; a write that fails records none.

use async_trait::async_trait;
use quantarya_domain::chrono::TimeDelta;
use quantarya_domain::serde_json::Value;
use quantarya_domain::{
    Delivery, EventId, Timestamp, Trade, UserId, Webhook, WebhookEvent, WebhookId, WebhookSecret, WebhookUrl,
};
use uuid::Uuid;

use crate::StoreError;

/// A position in a subscription's deliveries (newest first): the list continues strictly after it, in the order
/// `created_at` descending, then event id descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryCursor {
    /// The `created_at` of the last delivery returned.
    pub created_at: Timestamp,
    /// Its event id.
    pub event_id: EventId,
}

/// How many deliveries a claim may take: at most `total`, at most `per_endpoint` of one subscription, and none of
/// the subscriptions in `busy` (those this instance already has enough attempts in flight for), so that one slow or
/// silent endpoint cannot take every attempt an instance makes.
///
/// ```
/// use quantarya_ports::outbound::ClaimLimits;
/// let plain = ClaimLimits::total(32);
/// assert_eq!((plain.total, plain.per_endpoint, plain.busy.len()), (32, 32, 0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimLimits {
    /// Deliveries in all.
    pub total: usize,
    /// Deliveries of one subscription.
    pub per_endpoint: usize,
    /// Subscriptions to leave out.
    pub busy: Vec<WebhookId>,
}

impl ClaimLimits {
    /// At most `total`, however many of one subscription, none left out.
    pub fn total(total: usize) -> Self {
        Self { total, per_endpoint: total, busy: Vec::new() }
    }
}

/// A delivery one instance holds for one attempt: the store will not hand it to another until `claimed_until`
/// (a claim left by a crashed instance is taken over then).
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDelivery {
    /// Which claim this is: the attempt is recorded only under it.
    pub claim: Uuid,
    /// The event (sent as `webhook-id`).
    pub event_id: EventId,
    /// The subscription, with its endpoint and secret.
    pub webhook_id: WebhookId,
    /// Where to send it.
    pub url: WebhookUrl,
    /// What to sign it with.
    pub secret: WebhookSecret,
    /// The kind of change.
    pub event: WebhookEvent,
    /// When the change was made.
    pub created_at: Timestamp,
    /// The trade as the change left it.
    pub trade: Trade,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// What became of one attempt, as the store records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// When the attempt ended.
    pub at: Timestamp,
    /// The HTTP status answered, if any.
    pub status: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// What happens next.
    pub next: AttemptNext,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptNext {
    /// It was delivered.
    Delivered,
    /// Another attempt at this time.
    RetryAt(Timestamp),
    /// The schedule is spent: the delivery failed.
    Failed,
    /// The endpoint answered 410: the delivery failed, and the subscription is disabled (its other pending
    /// deliveries fail with it, and it records no new event).
    Disable,
}

/// Subscriptions, and the deliveries of their outbox.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a new subscription. MUST fail with `Missing` when the user has no profile, else
    /// `Conflict(AlreadyExists)` when the id exists, else `Conflict(WebhookLimit)` when the user already has
    /// [`Webhook::LIMIT_PER_USER`] (checked atomically with the insert: racing creations cannot pass it).
    async fn insert_webhook(&self, webhook: &Webhook) -> Result<(), StoreError>;

    /// The subscriptions of `owner`, oldest first.
    async fn list_webhooks(&self, owner: &UserId) -> Result<Vec<Webhook>, StoreError>;

    /// Removes subscription `id` of `owner` with its deliveries (pending ones are never attempted again);
    /// whether it existed.
    async fn delete_webhook(&self, owner: &UserId, id: WebhookId) -> Result<bool, StoreError>;

    /// Up to `limit` deliveries of `owner`'s subscription `id`, newest first (`created_at` descending, then event
    /// id descending), strictly after `after` when given; `None` when `owner` has no such subscription.
    async fn webhook_deliveries(
        &self,
        owner: &UserId,
        id: WebhookId,
        after: Option<DeliveryCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Delivery>>, StoreError>;

    /// Claims pending deliveries due at `now` (oldest due first) that no claim holds, or whose claim ended before
    /// `now`, within `limits`, until `until`, under one new claim id. Of instances claiming at once, each delivery
    /// goes to one of them. `per_endpoint` counts a subscription's oldest due deliveries, so a claim racing
    /// another that holds them may come back short of what is due (those are in flight elsewhere; the rest are
    /// claimed at the next call).
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        until: Timestamp,
        limits: &ClaimLimits,
    ) -> Result<Vec<ClaimedDelivery>, StoreError>;

    /// Records an attempt of `delivery`, only while its claim is still `delivery.claim` (it ends the claim):
    /// whether it was recorded. A claim taken over by another instance is not recorded (that instance attempts
    /// again, with the same event id).
    async fn record_attempt(&self, delivery: &ClaimedDelivery, record: &AttemptRecord) -> Result<bool, StoreError>;

    /// Ends `claims` without recording an attempt, so that another instance may attempt them at once (a stop
    /// that could not finish them).
    async fn release_claims(&self, claims: &[Uuid]) -> Result<(), StoreError>;

    /// Removes delivered and failed deliveries that finished before `before`; how many.
    async fn purge_deliveries(&self, before: Timestamp) -> Result<u64, StoreError>;

    /// How many deliveries are pending (not delivered yet, still to be attempted), across every subscription.
    async fn pending_deliveries(&self) -> Result<u64, StoreError>;
}

/// One attempt to send: what the sender signs and posts.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingWebhook<'a> {
    /// Where to.
    pub url: &'a WebhookUrl,
    /// What to sign with.
    pub secret: &'a WebhookSecret,
    /// The `webhook-id`: the event id, the same on every attempt.
    pub id: String,
    /// The `webhook-timestamp`: when this attempt is made, in seconds since the epoch.
    pub timestamp: i64,
    /// The JSON body.
    pub body: Vec<u8>,
}

/// What came of sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// The status answered; `None` when no answer came (timeout, refused connection, a forbidden address).
    pub status: Option<u16>,
    /// The answer's `Retry-After`, when it had one.
    pub retry_after: Option<TimeDelta>,
    /// Why no answer came, in a few words.
    pub error: Option<String>,
}

/// Posts signed webhooks (Standard Webhooks headers and signature), within a timeout, only to addresses the
/// [`EndpointGuard`] allows.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Sends `webhook` once.
    async fn send<'a>(&self, webhook: &OutgoingWebhook<'a>) -> SendResult;
}

/// Why an endpoint may not receive deliveries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EndpointRefused(pub String);

/// The SSRF guard: whether an endpoint may receive deliveries (`https://`, resolving to public addresses only,
/// unless insecure endpoints are allowed).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EndpointGuard: Send + Sync {
    /// Succeeds when `url` may receive deliveries now.
    async fn check(&self, url: &WebhookUrl) -> Result<(), EndpointRefused>;
}

/// The trade object of the API, as a payload's `data`.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait TradeRenderer: Send + Sync {
    /// `trade` as the API shows it.
    fn render(&self, trade: &Trade) -> Value;
}
