//! Webhook subscriptions and deliveries as SQLite keeps them (events and strategies as JSON arrays, times as
//! microseconds), and their conversions. No row here is `Debug`: a subscription holds its secret.

use diesel::prelude::*;
use quantarya_domain::{
    Delivery, DeliveryState, EventId, StrategyId, TradeId, UserId, Webhook, WebhookEvent, WebhookEvents, WebhookId,
    WebhookSecret, WebhookStrategies, WebhookUrl,
};
use quantarya_ports::StoreError;

use crate::rows::{corrupt, id_text, json_list, list, micros, read, stamp, uuid};
use crate::schema::{webhook_deliveries, webhooks};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct WebhookRow {
    pub(crate) id: String,
    pub(crate) user_id: String,
    url: String,
    events: String,
    strategy_ids: Option<String>,
    secret: String,
    created_at: i64,
    disabled_at: Option<i64>,
}

impl From<&Webhook> for WebhookRow {
    fn from(hook: &Webhook) -> Self {
        let events: Vec<&str> = hook.events.iter().map(WebhookEvent::as_str).collect();
        let only = hook.strategy_ids.as_ref().map(|only| {
            let ids: Vec<String> = only.ids().iter().map(|id| id_text(id.as_uuid())).collect();
            json_list(&ids)
        });
        Self {
            id: id_text(hook.id.as_uuid()),
            user_id: hook.user_id.as_str().to_owned(),
            url: hook.url.as_str().to_owned(),
            events: json_list(&events),
            strategy_ids: only,
            secret: hook.secret.expose().to_owned(),
            created_at: micros(hook.created_at),
            disabled_at: hook.disabled_at.map(micros),
        }
    }
}

impl TryFrom<WebhookRow> for Webhook {
    type Error = StoreError;
    fn try_from(r: WebhookRow) -> Result<Self, StoreError> {
        let events: Vec<String> = list("webhooks.events", &r.events)?;
        let strategies = r
            .strategy_ids
            .map(|text| {
                let ids: Vec<String> = list("webhooks.strategy_ids", &text)?;
                let ids = ids
                    .iter()
                    .map(|id| uuid("webhooks.strategy_ids", id).map(StrategyId::from_uuid))
                    .collect::<Result<Vec<_>, _>>()?;
                read("webhooks.strategy_ids", WebhookStrategies::new(ids))
            })
            .transpose()?;
        Ok(Self {
            id: WebhookId::from_uuid(uuid("webhooks.id", &r.id)?),
            user_id: read("webhooks.user_id", UserId::parse(&r.user_id))?,
            url: read("webhooks.url", WebhookUrl::parse(&r.url))?,
            events: read("webhooks.events", WebhookEvents::parse(events.iter().map(String::as_str)))?,
            strategy_ids: strategies,
            secret: read("webhooks.secret", WebhookSecret::parse(&r.secret))?,
            created_at: stamp("webhooks.created_at", r.created_at)?,
            disabled_at: r.disabled_at.map(|at| stamp("webhooks.disabled_at", at)).transpose()?,
        })
    }
}

pub(crate) fn event_type(raw: &str) -> Result<WebhookEvent, StoreError> {
    WebhookEvent::parse(raw).ok_or_else(|| corrupt(format!("webhook_deliveries.event_type {raw:?}")))
}

/// A delivery's row without its claim (a copied delivery is unclaimed).
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct DeliveryRow {
    webhook_id: String,
    event_id: String,
    event_type: String,
    trade_id: String,
    created_at: i64,
    attempts: i32,
    last_status: Option<i32>,
    last_error: Option<String>,
    state: String,
    next_attempt_at: Option<i64>,
    finished_at: Option<i64>,
}

impl DeliveryRow {
    /// The event the delivery announces.
    pub(crate) fn event_id(&self) -> &str {
        &self.event_id
    }
}

impl From<&Delivery> for DeliveryRow {
    fn from(d: &Delivery) -> Self {
        Self {
            webhook_id: id_text(d.webhook_id.as_uuid()),
            event_id: id_text(d.event_id.as_uuid()),
            event_type: d.event.as_str().to_owned(),
            trade_id: id_text(d.trade_id.as_uuid()),
            created_at: micros(d.created_at),
            attempts: i32::try_from(d.attempts).unwrap_or(i32::MAX),
            last_status: d.last_status.map(i32::from),
            last_error: d.last_error.clone(),
            state: d.state.as_str().to_owned(),
            next_attempt_at: d.next_attempt_at.map(micros),
            finished_at: d.finished_at.map(micros),
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
            event_id: EventId::from_uuid(uuid("webhook_deliveries.event_id", &r.event_id)?),
            webhook_id: WebhookId::from_uuid(uuid("webhook_deliveries.webhook_id", &r.webhook_id)?),
            event: event_type(&r.event_type)?,
            trade_id: TradeId::from_uuid(uuid("webhook_deliveries.trade_id", &r.trade_id)?),
            created_at: stamp("webhook_deliveries.created_at", r.created_at)?,
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            last_status: r.last_status.and_then(|s| u16::try_from(s).ok()),
            last_error: r.last_error,
            next_attempt_at: r.next_attempt_at.map(|at| stamp("webhook_deliveries.next_attempt_at", at)).transpose()?,
            state,
            finished_at: r.finished_at.map(|at| stamp("webhook_deliveries.finished_at", at)).transpose()?,
        })
    }
}
