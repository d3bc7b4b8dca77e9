//! Subscriptions and deliveries as PostgreSQL stores them, and back: the rows and their conversions through the
//! domain's constructors (a row that does not read back is `Corrupt`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use quantarya_domain::{
    Delivery, DeliveryState, EventId, StrategyId, TradeId, UserId, Webhook, WebhookEvent, WebhookEvents, WebhookId,
    WebhookSecret, WebhookStrategies, WebhookUrl,
};
use quantarya_ports::StoreError;
use uuid::Uuid;

use crate::rows::{corrupt, read, stamp};
use crate::schema::{webhook_deliveries, webhooks};

// No `Debug`: it holds the secret.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks, check_for_backend(diesel::pg::Pg))]
pub(crate) struct WebhookRow {
    pub(crate) id: Uuid,
    pub(crate) user_id: String,
    url: String,
    events: Vec<String>,
    strategy_ids: Option<Vec<Uuid>>,
    secret: String,
    created_at: DateTime<Utc>,
    disabled_at: Option<DateTime<Utc>>,
}

impl From<&Webhook> for WebhookRow {
    fn from(hook: &Webhook) -> Self {
        Self {
            id: hook.id.as_uuid(),
            user_id: hook.user_id.as_str().to_owned(),
            url: hook.url.as_str().to_owned(),
            events: hook.events.iter().map(|e| e.as_str().to_owned()).collect(),
            strategy_ids: hook.strategy_ids.as_ref().map(|only| only.ids().iter().map(StrategyId::as_uuid).collect()),
            secret: hook.secret.expose().to_owned(),
            created_at: hook.created_at.as_datetime(),
            disabled_at: hook.disabled_at.map(|at| at.as_datetime()),
        }
    }
}

impl TryFrom<WebhookRow> for Webhook {
    type Error = StoreError;
    fn try_from(r: WebhookRow) -> Result<Self, StoreError> {
        let strategies = r.strategy_ids.map(|ids| ids.into_iter().map(StrategyId::from_uuid).collect());
        Ok(Self {
            id: WebhookId::from_uuid(r.id),
            user_id: read("webhooks.user_id", UserId::parse(&r.user_id))?,
            url: read("webhooks.url", WebhookUrl::parse(&r.url))?,
            events: read("webhooks.events", WebhookEvents::parse(r.events.iter().map(String::as_str)))?,
            strategy_ids: strategies
                .map(|ids| read("webhooks.strategy_ids", WebhookStrategies::new(ids)))
                .transpose()?,
            secret: read("webhooks.secret", WebhookSecret::parse(&r.secret))?,
            created_at: stamp(r.created_at),
            disabled_at: r.disabled_at.map(stamp),
        })
    }
}

/// A delivery's row without its claim (a copied delivery is unclaimed).
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries, check_for_backend(diesel::pg::Pg))]
pub(crate) struct DeliveryRow {
    webhook_id: Uuid,
    pub(crate) event_id: Uuid,
    event_type: String,
    trade_id: Uuid,
    created_at: DateTime<Utc>,
    attempts: i32,
    last_status: Option<i32>,
    last_error: Option<String>,
    state: String,
    next_attempt_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

pub(crate) fn event_type(raw: &str) -> Result<WebhookEvent, StoreError> {
    WebhookEvent::parse(raw).ok_or_else(|| corrupt(format!("webhook_deliveries.event_type {raw:?}")))
}

impl From<&Delivery> for DeliveryRow {
    fn from(d: &Delivery) -> Self {
        Self {
            webhook_id: d.webhook_id.as_uuid(),
            event_id: d.event_id.as_uuid(),
            event_type: d.event.as_str().to_owned(),
            trade_id: d.trade_id.as_uuid(),
            created_at: d.created_at.as_datetime(),
            attempts: i32::try_from(d.attempts).unwrap_or(i32::MAX),
            last_status: d.last_status.map(i32::from),
            last_error: d.last_error.clone(),
            state: d.state.as_str().to_owned(),
            next_attempt_at: d.next_attempt_at.map(|at| at.as_datetime()),
            finished_at: d.finished_at.map(|at| at.as_datetime()),
        }
    }
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;
    fn try_from(r: DeliveryRow) -> Result<Self, StoreError> {
        let state = match r.state.as_str() {
            "pending" => DeliveryState::Pending,
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            other => return Err(corrupt(format!("webhook_deliveries.state {other:?}"))),
        };
        Ok(Self {
            event_id: EventId::from_uuid(r.event_id),
            webhook_id: WebhookId::from_uuid(r.webhook_id),
            event: event_type(&r.event_type)?,
            trade_id: TradeId::from_uuid(r.trade_id),
            created_at: stamp(r.created_at),
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            last_status: r.last_status.and_then(|s| u16::try_from(s).ok()),
            last_error: r.last_error,
            next_attempt_at: r.next_attempt_at.map(stamp),
            state,
            finished_at: r.finished_at.map(stamp),
        })
    }
}
