//! Webhook subscriptions and their deliveries on PostgreSQL. The outbox rows are written by the trade write
//! itself (`write_statement.rs`, `ANNOUNCED`); this file makes subscriptions, lists deliveries, and serves the
//! delivery worker: claims with `FOR UPDATE SKIP LOCKED` and a claim that ends, so that of several instances
//! one attempts each delivery, and a claim left by a crashed one is taken over when it ends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use quantarya_domain::{Delivery, EventId, Timestamp, Trade, UserId, Webhook, WebhookId, WebhookSecret, WebhookUrl};
use quantarya_ports::outbound::{
    AttemptNext, AttemptRecord, ClaimLimits, ClaimedDelivery, DeliveryCursor, WebhookStore,
};
use quantarya_ports::{StoreConflict, StoreError};
use uuid::Uuid;

use crate::PgStore;
use crate::accounts::lock_user;
use crate::error::query;
use crate::rows::{TradeRow, corrupt, read, stamp};
use crate::schema::{webhook_deliveries, webhooks};
use crate::webhook_rows::{DeliveryRow, WebhookRow, event_type};
use crate::write_statement::TRADE_COLUMNS;

/// A claimed delivery as the claim statement returns it (no `Debug`: it holds the secret).
#[derive(QueryableByName)]
struct ClaimRow {
    #[diesel(sql_type = SqlUuid)]
    webhook_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    event_id: Uuid,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    secret: String,
}

/// The trade as an announced change left it.
#[derive(QueryableByName)]
pub(crate) struct SnapshotRow {
    #[diesel(sql_type = SqlUuid)]
    pub(crate) event_id: Uuid,
    #[diesel(embed)]
    pub(crate) trade: TradeRow,
}

/// The trades as the announced changes `events` left them.
pub(crate) async fn snapshots(
    conn: &mut diesel_async::AsyncPgConnection,
    events: &[Uuid],
) -> QueryResult<Vec<SnapshotRow>> {
    diesel::sql_query(format!(
        "SELECT event_id, {} FROM webhook_trades WHERE event_id = ANY ($1)",
        TRADE_COLUMNS.join(", ")
    ))
    .bind::<Array<SqlUuid>, _>(events)
    .load(conn)
    .await
}

/// A claimed row and its trade, as the deliverer needs them.
fn claimed_delivery(claim: Uuid, c: ClaimRow, trade: Result<Trade, StoreError>) -> Result<ClaimedDelivery, StoreError> {
    Ok(ClaimedDelivery {
        claim,
        event_id: EventId::from_uuid(c.event_id),
        webhook_id: WebhookId::from_uuid(c.webhook_id),
        url: read("webhooks.url", WebhookUrl::parse(&c.url))?,
        secret: read("webhooks.secret", WebhookSecret::parse(&c.secret))?,
        event: event_type(&c.event_type)?,
        created_at: stamp(c.created_at),
        trade: trade?,
        attempts: u32::try_from(c.attempts).unwrap_or(0),
    })
}

/// Fails a delivery whose stored rows do not read back.
async fn unreadable(
    conn: &mut diesel_async::AsyncPgConnection,
    hook: Uuid,
    event: Uuid,
    now: Timestamp,
) -> Result<(), StoreError> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(hook))
            .filter(webhook_deliveries::event_id.eq(event)),
    )
    .set((
        webhook_deliveries::state.eq("failed"),
        webhook_deliveries::next_attempt_at.eq(None::<DateTime<Utc>>),
        webhook_deliveries::finished_at.eq(Some(now.as_datetime())),
        webhook_deliveries::last_error.eq(Some("the stored delivery could not be read; it was not sent")),
        webhook_deliveries::claim.eq(None::<Uuid>),
        webhook_deliveries::claimed_until.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .await
    .map_err(query)?;
    Ok(())
}

/// Claims the due deliveries no live claim holds, oldest due first, at most `$5` of one subscription and none of
/// the subscriptions in `$6`, skipping rows another instance is claiming.
const CLAIM: &str = "
WITH ranked AS (
    SELECT d.webhook_id, d.event_id,
           row_number() OVER (PARTITION BY d.webhook_id ORDER BY d.next_attempt_at, d.event_id) AS rank
    FROM webhook_deliveries d
    WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND (d.claimed_until IS NULL OR d.claimed_until < $1)
      AND d.webhook_id <> ALL ($6)
)
, due AS (
    SELECT d.webhook_id, d.event_id FROM webhook_deliveries d, ranked r
    WHERE d.webhook_id = r.webhook_id AND d.event_id = r.event_id AND r.rank <= $5
      AND d.state = 'pending' AND d.next_attempt_at <= $1 AND (d.claimed_until IS NULL OR d.claimed_until < $1)
    ORDER BY d.next_attempt_at LIMIT $3
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d SET claim = $4, claimed_until = $2
FROM due, webhooks h
WHERE d.webhook_id = due.webhook_id AND d.event_id = due.event_id AND h.id = d.webhook_id
RETURNING d.webhook_id, d.event_id, d.event_type, d.created_at, d.attempts, h.url, h.secret";

#[async_trait]
impl WebhookStore for PgStore {
    #[tracing::instrument(skip_all)]
    async fn insert_webhook(&self, webhook: &Webhook) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let row = WebhookRow::from(webhook);
        // Known from now on by this instance; other instances learn it at the owner's next write.
        self.subscribers.learn(webhook.user_id.as_str());
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            // Serialise subscriptions per user, so the count below cannot be raced past the limit.
            if !lock_user(conn, &row.user_id).await? {
                return Ok(Err(StoreError::Missing));
            }
            let duplicate = webhooks::table.find(row.id);
            if diesel::select(diesel::dsl::exists(duplicate)).get_result::<bool>(conn).await? {
                return Ok(Err(StoreError::Conflict(StoreConflict::AlreadyExists)));
            }
            let owned: i64 =
                webhooks::table.filter(webhooks::user_id.eq(&row.user_id)).count().get_result(conn).await?;
            if owned >= i64::try_from(Webhook::LIMIT_PER_USER).unwrap_or(i64::MAX) {
                return Ok(Err(StoreError::Conflict(StoreConflict::WebhookLimit)));
            }
            diesel::insert_into(webhooks::table).values(&row).execute(conn).await?;
            Ok(Ok(()))
        })
        .await
        .map_err(query)?
    }

    #[tracing::instrument(skip_all)]
    async fn list_webhooks(&self, owner: &UserId) -> Result<Vec<Webhook>, StoreError> {
        let mut conn = self.conn().await?;
        let rows = webhooks::table
            .filter(webhooks::user_id.eq(owner.as_str()))
            .order((webhooks::created_at, webhooks::id))
            .select(WebhookRow::as_select())
            .load(&mut conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(Webhook::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn delete_webhook(&self, owner: &UserId, id: WebhookId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let deleted = diesel::delete(
            webhooks::table.filter(webhooks::id.eq(id.as_uuid())).filter(webhooks::user_id.eq(owner.as_str())),
        )
        .execute(&mut conn)
        .await
        .map_err(query)?;
        Ok(deleted > 0)
    }

    #[tracing::instrument(skip_all)]
    async fn webhook_deliveries(
        &self,
        owner: &UserId,
        id: WebhookId,
        after: Option<DeliveryCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Delivery>>, StoreError> {
        let mut conn = self.conn().await?;
        let owned = webhooks::table.filter(webhooks::id.eq(id.as_uuid())).filter(webhooks::user_id.eq(owner.as_str()));
        if !diesel::select(diesel::dsl::exists(owned)).get_result::<bool>(&mut conn).await.map_err(query)? {
            return Ok(None);
        }
        let mut page = webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id.as_uuid())).into_boxed();
        if let Some(cursor) = after {
            let (at, event) = (cursor.created_at.as_datetime(), cursor.event_id.as_uuid());
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
            .load(&mut conn)
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
        let mut conn = self.conn().await?;
        let claim = Uuid::now_v7();
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let busy: Vec<Uuid> = limits.busy.iter().map(WebhookId::as_uuid).collect();
        let claimed: Vec<ClaimRow> = diesel::sql_query(CLAIM)
            .bind::<Timestamptz, _>(now.as_datetime())
            .bind::<Timestamptz, _>(until.as_datetime())
            .bind::<BigInt, _>(count(limits.total))
            .bind::<SqlUuid, _>(claim)
            .bind::<BigInt, _>(count(limits.per_endpoint))
            .bind::<Array<SqlUuid>, _>(&busy)
            .load(&mut conn)
            .await
            .map_err(query)?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let events: Vec<Uuid> = claimed.iter().map(|c| c.event_id).collect();
        let snapshots = snapshots(&mut conn, &events).await.map_err(query)?;
        let mut trades: std::collections::HashMap<Uuid, Result<Trade, StoreError>> = std::collections::HashMap::new();
        for snapshot in snapshots {
            trades.insert(snapshot.event_id, Trade::try_from(snapshot.trade));
        }
        // A row that does not read back is failed alone (and said so), never left claimed again and again with
        // the rows claimed beside it.
        let mut ready = Vec::with_capacity(claimed.len());
        for row in claimed {
            let (webhook_id, event_id) = (row.webhook_id, row.event_id);
            // One change may be delivered to several subscriptions: its trade is read once, handed to each.
            let trade = match trades.get(&event_id) {
                Some(Ok(trade)) => Ok(trade.clone()),
                Some(Err(error)) => Err(corrupt(error)),
                None => Err(corrupt("a delivery without its trade")),
            };
            match claimed_delivery(claim, row, trade) {
                Ok(delivery) => ready.push(delivery),
                Err(error) => {
                    tracing::error!(%webhook_id, %event_id, %error, "a stored webhook delivery does not read back");
                    unreadable(&mut conn, webhook_id, event_id, now).await?;
                }
            }
        }
        Ok(ready)
    }

    #[tracing::instrument(skip_all)]
    async fn record_attempt(&self, delivery: &ClaimedDelivery, record: &AttemptRecord) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let (hook, event, claim) = (delivery.webhook_id.as_uuid(), delivery.event_id.as_uuid(), delivery.claim);
        let at = record.at.as_datetime();
        let (state, next, finished) = match record.next {
            AttemptNext::Delivered => ("delivered", None, Some(at)),
            AttemptNext::RetryAt(next) => ("pending", Some(next.as_datetime()), None),
            AttemptNext::Failed | AttemptNext::Disable => ("failed", None, Some(at)),
        };
        let status = record.status.map(i32::from);
        let error = record.error.clone();
        let disable = record.next == AttemptNext::Disable;
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            if disable {
                // The subscription first, as every other disabling attempt takes it: two 410s of one endpoint
                // queue here instead of deadlocking over each other's deliveries.
                webhooks::table
                    .find(hook)
                    .select(webhooks::id)
                    .for_no_key_update()
                    .first::<Uuid>(conn)
                    .await
                    .optional()?;
            }
            let recorded = diesel::update(
                webhook_deliveries::table
                    .filter(webhook_deliveries::webhook_id.eq(hook))
                    .filter(webhook_deliveries::event_id.eq(event))
                    .filter(webhook_deliveries::claim.eq(claim)),
            )
            .set((
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::last_status.eq(status),
                webhook_deliveries::last_error.eq(error),
                webhook_deliveries::state.eq(state),
                webhook_deliveries::next_attempt_at.eq(next),
                webhook_deliveries::finished_at.eq(finished),
                webhook_deliveries::claim.eq(None::<Uuid>),
                webhook_deliveries::claimed_until.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)
            .await?;
            if recorded > 0 && disable {
                diesel::update(webhooks::table.find(hook).filter(webhooks::disabled_at.is_null()))
                    .set(webhooks::disabled_at.eq(Some(at)))
                    .execute(conn)
                    .await?;
                diesel::update(
                    webhook_deliveries::table
                        .filter(webhook_deliveries::webhook_id.eq(hook))
                        .filter(webhook_deliveries::state.eq("pending")),
                )
                .set((
                    webhook_deliveries::state.eq("failed"),
                    webhook_deliveries::next_attempt_at.eq(None::<DateTime<Utc>>),
                    webhook_deliveries::finished_at.eq(Some(at)),
                    webhook_deliveries::last_error.eq(Some("the endpoint was disabled by a 410 answer")),
                    webhook_deliveries::claim.eq(None::<Uuid>),
                    webhook_deliveries::claimed_until.eq(None::<DateTime<Utc>>),
                ))
                .execute(conn)
                .await?;
            }
            Ok(recorded > 0)
        })
        .await
        .map_err(query)
    }

    #[tracing::instrument(skip_all)]
    async fn release_claims(&self, claims: &[Uuid]) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::claim.eq_any(claims)))
            .set((
                webhook_deliveries::claim.eq(None::<Uuid>),
                webhook_deliveries::claimed_until.eq(None::<DateTime<Utc>>),
            ))
            .execute(&mut conn)
            .await
            .map_err(query)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn purge_deliveries(&self, before: Timestamp) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let purged = diesel::delete(
            webhook_deliveries::table
                .filter(webhook_deliveries::state.ne("pending"))
                .filter(webhook_deliveries::finished_at.lt(before.as_datetime())),
        )
        .execute(&mut conn)
        .await
        .map_err(query)?;
        // The trades no delivery needs any more.
        diesel::sql_query(
            "DELETE FROM webhook_trades t WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = t.event_id)",
        )
        .execute(&mut conn)
        .await
        .map_err(query)?;
        Ok(u64::try_from(purged).unwrap_or(0))
    }

    // Every second (claims) and every scrape (the count), found or not: not worth a trace each.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn pending_deliveries(&self) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let pending: i64 = webhook_deliveries::table
            .filter(webhook_deliveries::state.eq("pending"))
            .count()
            .get_result(&mut conn)
            .await
            .map_err(query)?;
        Ok(u64::try_from(pending).unwrap_or(0))
    }
}
