//! Webhook subscriptions and their outbox in memory: one lock, always the innermost (taken under the directory's
//! or a book's lock, never the other way), and skipped by trade writes while nobody subscribes.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{MutexGuard, PoisonError};

use async_trait::async_trait;
use quantarya_domain::uuid::Uuid;
use quantarya_domain::{
    Delivery, DeliveryState, EventId, Timestamp, Trade, TradeEvent, UserId, Webhook, WebhookEvent, WebhookId,
};
use quantarya_ports::outbound::{
    AttemptNext, AttemptRecord, ClaimLimits, ClaimedDelivery, DeliveryCursor, WebhookStore,
};
use quantarya_ports::{StoreConflict, StoreError};

use crate::MemoryStore;

/// A delivery, with the trade as the change left it and its claim.
#[derive(Debug)]
struct Pending {
    delivery: Delivery,
    trade: Trade,
    claim: Option<(Uuid, Timestamp)>,
}

/// Subscriptions by id and owner, deliveries by subscription and event, and the pending ones by due time.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    webhooks: HashMap<WebhookId, Webhook>,
    webhooks_of: HashMap<UserId, Vec<WebhookId>>,
    deliveries: HashMap<(WebhookId, EventId), Pending>,
    /// Each subscription's deliveries in list order (newest first when read backwards).
    listed: HashMap<WebhookId, BTreeSet<(Timestamp, EventId)>>,
    /// Pending deliveries by when they are due.
    due: BTreeSet<(Timestamp, WebhookId, EventId)>,
    claims: u128,
}

/// How many subscriptions exist: a trade write looks at the outbox only when some do.
#[derive(Debug, Default)]
pub(crate) struct Subscribed(AtomicUsize);

impl Subscribed {
    pub(crate) fn any(&self) -> bool {
        self.0.load(Ordering::Acquire) > 0
    }

    fn set(&self, count: usize) {
        self.0.store(count, Ordering::Release);
    }
}

impl Outbox {
    /// The subscriptions of `owner`, oldest first.
    pub(crate) fn of(&self, owner: &UserId) -> Vec<Webhook> {
        let ids = self.webhooks_of.get(owner).into_iter().flatten();
        ids.filter_map(|id| self.webhooks.get(id)).cloned().collect()
    }

    /// How many subscriptions `owner` has.
    pub(crate) fn count_of(&self, owner: &UserId) -> usize {
        self.webhooks_of.get(owner).map_or(0, Vec::len)
    }

    /// Whether subscription `id` exists and is `owner`'s.
    pub(crate) fn owns(&self, owner: &UserId, id: WebhookId) -> bool {
        self.webhooks.get(&id).is_some_and(|hook| &hook.user_id == owner)
    }

    pub(crate) fn contains(&self, id: WebhookId) -> bool {
        self.webhooks.contains_key(&id)
    }

    pub(crate) fn insert(&mut self, webhook: Webhook, subscribed: &Subscribed) {
        self.webhooks_of.entry(webhook.user_id.clone()).or_default().push(webhook.id);
        self.webhooks.insert(webhook.id, webhook);
        subscribed.set(self.webhooks.len());
    }

    /// Removes subscription `id` of `owner` with its deliveries; whether it existed.
    pub(crate) fn remove(&mut self, owner: &UserId, id: WebhookId, subscribed: &Subscribed) -> bool {
        if !self.owns(owner, id) {
            return false;
        }
        self.webhooks.remove(&id);
        if let Some(ids) = self.webhooks_of.get_mut(owner) {
            ids.retain(|other| *other != id);
            if ids.is_empty() {
                self.webhooks_of.remove(owner);
            }
        }
        for (_, event) in self.listed.remove(&id).into_iter().flatten() {
            if let Some(gone) = self.deliveries.remove(&(id, event)) {
                self.due.remove(&(gone.delivery.next_attempt_at.unwrap_or(gone.delivery.created_at), id, event));
            }
        }
        subscribed.set(self.webhooks.len());
        true
    }

    /// Removes every subscription of `owner` (its account is deleted).
    pub(crate) fn remove_all(&mut self, owner: &UserId, subscribed: &Subscribed) {
        for id in self.webhooks_of.get(owner).cloned().unwrap_or_default() {
            self.remove(owner, id, subscribed);
        }
    }

    /// Records a pending delivery of the change `event` made to `trade` for every subscription that wants it.
    pub(crate) fn announce(&mut self, trade: &Trade, event: &TradeEvent) {
        let kind = WebhookEvent::of(event, trade);
        let wanting: Vec<WebhookId> = self
            .webhooks_of
            .get(&trade.user_id)
            .into_iter()
            .flatten()
            .filter(|id| self.webhooks.get(id).is_some_and(|hook| hook.wants(kind, trade.strategy_id)))
            .copied()
            .collect();
        for webhook_id in wanting {
            let delivery = Delivery {
                event_id: event.id,
                webhook_id,
                event: kind,
                trade_id: trade.id,
                created_at: event.at,
                attempts: 0,
                last_status: None,
                last_error: None,
                next_attempt_at: Some(event.at),
                state: DeliveryState::Pending,
                finished_at: None,
            };
            self.listed.entry(webhook_id).or_default().insert((event.at, event.id));
            self.due.insert((event.at, webhook_id, event.id));
            self.deliveries.insert((webhook_id, event.id), Pending { delivery, trade: trade.clone(), claim: None });
        }
    }

    /// Up to `limit` deliveries of subscription `id`, newest first, strictly after `after`.
    pub(crate) fn page(&self, id: WebhookId, after: Option<DeliveryCursor>, limit: usize) -> Vec<Delivery> {
        let Some(listed) = self.listed.get(&id) else {
            return Vec::new();
        };
        let newest_first = listed.iter().rev();
        let after = after.map(|c| (c.created_at, c.event_id));
        newest_first
            .filter(|key| after.is_none_or(|after| **key < after))
            .take(limit)
            .filter_map(|(_, event)| self.deliveries.get(&(id, *event)).map(|p| p.delivery.clone()))
            .collect()
    }

    /// Claims due, unclaimed (or expired-claim) deliveries within `limits` until `until`.
    pub(crate) fn claim(&mut self, now: Timestamp, until: Timestamp, limits: &ClaimLimits) -> Vec<ClaimedDelivery> {
        self.claims += 1;
        let claim = Uuid::from_u128(self.claims);
        let mut per_endpoint: HashMap<WebhookId, usize> = HashMap::new();
        let due: Vec<(WebhookId, EventId)> = self
            .due
            .iter()
            .take_while(|(at, ..)| *at <= now)
            .filter(|(_, hook, event)| {
                !limits.busy.contains(hook)
                    && self.deliveries.get(&(*hook, *event)).is_some_and(|p| p.claim.is_none_or(|(_, end)| end < now))
            })
            .filter(|(_, hook, _)| {
                let taken = per_endpoint.entry(*hook).or_default();
                *taken += 1;
                *taken <= limits.per_endpoint
            })
            .take(limits.total)
            .map(|(_, hook, event)| (*hook, *event))
            .collect();
        let mut claimed = Vec::with_capacity(due.len());
        for key in due {
            let Some(webhook) = self.webhooks.get(&key.0) else { continue };
            let (url, secret) = (webhook.url.clone(), webhook.secret.clone());
            let Some(pending) = self.deliveries.get_mut(&key) else { continue };
            pending.claim = Some((claim, until));
            claimed.push(ClaimedDelivery {
                claim,
                event_id: key.1,
                webhook_id: key.0,
                url,
                secret,
                event: pending.delivery.event,
                created_at: pending.delivery.created_at,
                trade: pending.trade.clone(),
                attempts: pending.delivery.attempts,
            });
        }
        claimed
    }

    /// Records an attempt under its claim; whether the claim still held.
    pub(crate) fn record(&mut self, claimed: &ClaimedDelivery, record: &AttemptRecord) -> bool {
        let key = (claimed.webhook_id, claimed.event_id);
        let Some(pending) = self.deliveries.get_mut(&key) else {
            return false;
        };
        if pending.claim.map(|(claim, _)| claim) != Some(claimed.claim) {
            return false;
        }
        pending.claim = None;
        let delivery = &mut pending.delivery;
        let was_due = delivery.next_attempt_at.unwrap_or(delivery.created_at);
        delivery.attempts += 1;
        delivery.last_status = record.status;
        delivery.last_error.clone_from(&record.error);
        self.due.remove(&(was_due, key.0, key.1));
        match record.next {
            AttemptNext::Delivered => finish(delivery, DeliveryState::Delivered, record.at),
            AttemptNext::Failed => finish(delivery, DeliveryState::Failed, record.at),
            AttemptNext::RetryAt(at) => {
                delivery.next_attempt_at = Some(at);
                self.due.insert((at, key.0, key.1));
            }
            AttemptNext::Disable => {
                finish(delivery, DeliveryState::Failed, record.at);
                self.disable(key.0, record.at);
            }
        }
        true
    }

    /// Disables subscription `id` and fails its pending deliveries.
    fn disable(&mut self, id: WebhookId, at: Timestamp) {
        if let Some(hook) = self.webhooks.get_mut(&id) {
            hook.disabled_at.get_or_insert(at);
        }
        let pending: Vec<_> = self.due.iter().filter(|(_, hook, _)| *hook == id).copied().collect();
        for entry in pending {
            self.due.remove(&entry);
            if let Some(p) = self.deliveries.get_mut(&(entry.1, entry.2)) {
                p.claim = None;
                p.delivery.last_error.get_or_insert_with(|| "the endpoint was disabled by a 410 answer".to_owned());
                finish(&mut p.delivery, DeliveryState::Failed, at);
            }
        }
    }

    /// Ends these claims without an attempt.
    pub(crate) fn release(&mut self, claims: &[Uuid]) {
        for pending in self.deliveries.values_mut() {
            if pending.claim.is_some_and(|(claim, _)| claims.contains(&claim)) {
                pending.claim = None;
            }
        }
    }

    /// Removes deliveries finished before `before`; how many.
    pub(crate) fn purge(&mut self, before: Timestamp) -> u64 {
        let old: Vec<(WebhookId, EventId, Timestamp)> = self
            .deliveries
            .iter()
            .filter(|(_, p)| p.delivery.finished_at.is_some_and(|at| at < before))
            .map(|(key, p)| (key.0, key.1, p.delivery.created_at))
            .collect();
        for (hook, event, created) in &old {
            self.deliveries.remove(&(*hook, *event));
            if let Some(listed) = self.listed.get_mut(hook) {
                listed.remove(&(*created, *event));
            }
        }
        old.len() as u64
    }

    /// How many deliveries are pending.
    fn pending(&self) -> u64 {
        let pending = self.deliveries.values().filter(|p| p.delivery.state == DeliveryState::Pending).count();
        u64::try_from(pending).unwrap_or(u64::MAX)
    }
}

fn finish(delivery: &mut Delivery, state: DeliveryState, at: Timestamp) {
    delivery.state = state;
    delivery.next_attempt_at = None;
    delivery.finished_at = Some(at);
}

impl MemoryStore {
    pub(crate) fn outbox(&self) -> MutexGuard<'_, Outbox> {
        self.outbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the change in the outbox for the subscriptions that want it, under the book's lock that wrote it
    /// (so a delivery never precedes its change), and not at all while nobody subscribes.
    pub(crate) fn announce(&self, trade: &Trade, event: &TradeEvent) {
        if self.subscribed.any() {
            self.outbox().announce(trade, event);
        }
    }
}

#[async_trait]
impl WebhookStore for MemoryStore {
    async fn insert_webhook(&self, webhook: &Webhook) -> Result<(), StoreError> {
        // The directory's lock held across, so the owner cannot be deleted in between.
        let directory = self.read();
        if !directory.users.contains_key(&webhook.user_id) {
            return Err(StoreError::Missing);
        }
        let mut outbox = self.outbox();
        if outbox.contains(webhook.id) {
            return Err(StoreError::Conflict(StoreConflict::AlreadyExists));
        }
        if outbox.count_of(&webhook.user_id) >= Webhook::LIMIT_PER_USER {
            return Err(StoreError::Conflict(StoreConflict::WebhookLimit));
        }
        outbox.insert(webhook.clone(), &self.subscribed);
        Ok(())
    }

    async fn list_webhooks(&self, owner: &UserId) -> Result<Vec<Webhook>, StoreError> {
        Ok(self.outbox().of(owner))
    }

    async fn delete_webhook(&self, owner: &UserId, id: WebhookId) -> Result<bool, StoreError> {
        Ok(self.outbox().remove(owner, id, &self.subscribed))
    }

    async fn webhook_deliveries(
        &self,
        owner: &UserId,
        id: WebhookId,
        after: Option<DeliveryCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Delivery>>, StoreError> {
        let outbox = self.outbox();
        Ok(outbox.owns(owner, id).then(|| outbox.page(id, after, limit)))
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        until: Timestamp,
        limits: &ClaimLimits,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        Ok(self.outbox().claim(now, until, limits))
    }

    async fn record_attempt(&self, delivery: &ClaimedDelivery, record: &AttemptRecord) -> Result<bool, StoreError> {
        Ok(self.outbox().record(delivery, record))
    }

    async fn release_claims(&self, claims: &[Uuid]) -> Result<(), StoreError> {
        self.outbox().release(claims);
        Ok(())
    }

    async fn purge_deliveries(&self, before: Timestamp) -> Result<u64, StoreError> {
        Ok(self.outbox().purge(before))
    }

    async fn pending_deliveries(&self) -> Result<u64, StoreError> {
        Ok(self.outbox().pending())
    }
}
