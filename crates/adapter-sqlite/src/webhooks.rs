//! Webhook subscriptions and their deliveries on SQLite. The outbox rows are written by the trade write itself
//! (`webhook_writes::announce`, in the trade's transaction); this file makes subscriptions, lists deliveries, and
//! serves the delivery worker: claims under a claim id that ends, so a claim left by a stopped process is taken
//! over when it ends.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use quantarya_domain::{Delivery, EventId, Timestamp, Trade, UserId, Webhook, WebhookId, WebhookSecret, WebhookUrl};
use quantarya_ports::StoreError;
use quantarya_ports::outbound::{AttemptRecord, ClaimLimits, ClaimedDelivery, DeliveryCursor, WebhookStore};
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::query;
use crate::rows::{corrupt, id_text, micros, read, stamp, uuid};
use crate::schema::{webhook_deliveries, webhooks};
use crate::trade_rows::TradeRow;
use crate::webhook_rows::{DeliveryRow, WebhookRow, event_type};
use crate::webhook_writes::{self, Attempt, Claimed};

/// A claimed row and its trade, as the deliverer needs them.
fn claimed_delivery(claim: Uuid, c: Claimed) -> Result<ClaimedDelivery, StoreError> {
    let row: TradeRow =
        c.trade.as_deref().ok_or_else(|| corrupt("a delivery without its trade")).and_then(|text| {
            serde_json::from_str(text).map_err(|_| corrupt("webhook_trades.trade does not read back"))
        })?;
    Ok(ClaimedDelivery {
        claim,
        event_id: EventId::from_uuid(uuid("webhook_deliveries.event_id", &c.event_id)?),
        webhook_id: WebhookId::from_uuid(uuid("webhook_deliveries.webhook_id", &c.webhook_id)?),
        url: read("webhooks.url", WebhookUrl::parse(&c.url))?,
        secret: read("webhooks.secret", WebhookSecret::parse(&c.secret))?,
        event: event_type(&c.event_type)?,
        created_at: stamp("webhook_deliveries.created_at", c.created_at)?,
        trade: Trade::try_from(row)?,
        attempts: u32::try_from(c.attempts).unwrap_or(0),
    })
}

#[async_trait]
impl WebhookStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn insert_webhook(&self, webhook: &Webhook) -> Result<(), StoreError> {
        let row = WebhookRow::from(webhook);
        self.write(move |connection| webhook_writes::insert_webhook(connection, &row)).await?
    }

    #[tracing::instrument(skip_all)]
    async fn list_webhooks(&self, owner: &UserId) -> Result<Vec<Webhook>, StoreError> {
        let mut conn = self.read().await;
        let rows = webhooks::table
            .filter(webhooks::user_id.eq(owner.as_str()))
            .order((webhooks::created_at, webhooks::id))
            .select(WebhookRow::as_select())
            .load(&mut *conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(Webhook::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn delete_webhook(&self, owner: &UserId, id: WebhookId) -> Result<bool, StoreError> {
        let (owner, id) = (owner.as_str().to_owned(), id_text(id.as_uuid()));
        self.write(move |connection| webhook_writes::delete_webhook(connection, &owner, &id)).await
    }

    #[tracing::instrument(skip_all)]
    async fn webhook_deliveries(
        &self,
        owner: &UserId,
        id: WebhookId,
        after: Option<DeliveryCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Delivery>>, StoreError> {
        let hook = id_text(id.as_uuid());
        let mut conn = self.read().await;
        let owned = webhooks::table.find(&hook).filter(webhooks::user_id.eq(owner.as_str()));
        if !diesel::select(diesel::dsl::exists(owned)).get_result::<bool>(&mut *conn).await.map_err(query)? {
            return Ok(None);
        }
        let mut page = webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(&hook)).into_boxed();
        if let Some(cursor) = after {
            let (at, event) = (micros(cursor.created_at), id_text(cursor.event_id.as_uuid()));
            page = page.filter(
                webhook_deliveries::created_at
                    .lt(at)
                    .or(webhook_deliveries::created_at.eq(at).and(webhook_deliveries::event_id.lt(event))),
            );
        }
        let rows = page
            .order((webhook_deliveries::created_at.desc(), webhook_deliveries::event_id.desc()))
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(DeliveryRow::as_select())
            .load(&mut *conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(Delivery::try_from).collect::<Result<_, _>>().map(Some)
    }

    // Every second (claims) and every scrape (the count), found or not: not worth a trace each.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        until: Timestamp,
        limits: &ClaimLimits,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let claim = Uuid::now_v7();
        let (at, until, claim_text) = (micros(now), micros(until), id_text(claim));
        let busy: Vec<String> = limits.busy.iter().map(|id| id_text(id.as_uuid())).collect();
        let limits = limits.clone();
        let claimed = self
            .write(move |connection| webhook_writes::claim(connection, at, until, &limits, &claim_text, &busy))
            .await?;
        // A row that does not read back is failed alone (and said so), never claimed again and again.
        let mut ready = Vec::with_capacity(claimed.len());
        for row in claimed {
            let (hook, event) = (row.webhook_id.clone(), row.event_id.clone());
            match claimed_delivery(claim, row) {
                Ok(delivery) => ready.push(delivery),
                Err(error) => {
                    tracing::error!(webhook_id = %hook, event_id = %event, %error, "a stored webhook delivery does not read back");
                    self.write(move |connection| webhook_writes::fail_unreadable(connection, &hook, &event, at))
                        .await?;
                }
            }
        }
        Ok(ready)
    }

    #[tracing::instrument(skip_all)]
    async fn record_attempt(&self, delivery: &ClaimedDelivery, record: &AttemptRecord) -> Result<bool, StoreError> {
        let attempt = Attempt {
            hook: id_text(delivery.webhook_id.as_uuid()),
            event: id_text(delivery.event_id.as_uuid()),
            claim: id_text(delivery.claim),
            at: micros(record.at),
            status: record.status.map(i32::from),
            error: record.error.clone(),
            next: record.next,
            retry_at: match record.next {
                quantarya_ports::outbound::AttemptNext::RetryAt(next) => Some(micros(next)),
                _ => None,
            },
        };
        self.write(move |connection| webhook_writes::record_attempt(connection, &attempt)).await
    }

    #[tracing::instrument(skip_all)]
    async fn release_claims(&self, claims: &[Uuid]) -> Result<(), StoreError> {
        let claims: Vec<String> = claims.iter().copied().map(id_text).collect();
        self.write(move |connection| webhook_writes::release_claims(connection, &claims)).await
    }

    #[tracing::instrument(skip_all)]
    async fn purge_deliveries(&self, before: Timestamp) -> Result<u64, StoreError> {
        let before = micros(before);
        let purged = self.write(move |connection| webhook_writes::purge(connection, before)).await?;
        Ok(u64::try_from(purged).unwrap_or(0))
    }

    // Every second (claims) and every scrape (the count), found or not: not worth a trace each.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn pending_deliveries(&self) -> Result<u64, StoreError> {
        let mut conn = self.read().await;
        let pending: i64 = webhook_deliveries::table
            .filter(webhook_deliveries::state.eq("pending"))
            .count()
            .get_result(&mut *conn)
            .await
            .map_err(query)?;
        Ok(u64::try_from(pending).unwrap_or(0))
    }
}
