//! `/webhooks`: subscriptions, the secret shown once, deliveries; and the trade object a delivery carries.

use quantarya_domain::{
    Delivery, JsonObject, NewWebhook, StrategyId, Trade, Webhook, WebhookEvent, WebhookEvents, WebhookStrategies,
    WebhookUrl,
};
use quantarya_ports::outbound::TradeRenderer;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};

use super::time;
use super::trade::TradeView;
use crate::error::ApiError;
use crate::fields::{FieldReader, present, strings};

/// A subscription; never its secret.
// `Debug` is written by hand below: a url may carry its receiver's token.
#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    /// Its id.
    #[schema(example = "wh_0192f0c17a4b7cde8f0123456789abcd")]
    pub webhook_id: String,
    /// Where deliveries go.
    #[schema(example = "https://hooks.example.com/quantarya")]
    pub url: String,
    /// The kinds of change delivered.
    #[schema(example = json!(["trade.opened", "trade.closed"]))]
    pub events: Vec<String>,
    /// Only changes of these strategies; `null` for all of the user's.
    #[schema(required = true)]
    pub strategy_ids: Option<Vec<String>>,
    /// When it was made.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When a 410 answer disabled it (it records no new event then); `null` while enabled.
    #[schema(required = true, format = DateTime)]
    pub disabled_at: Option<String>,
}

impl std::fmt::Debug for WebhookView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self { webhook_id, url: _, events, strategy_ids, created_at, disabled_at } = self;
        f.debug_struct("WebhookView")
            .field("webhook_id", webhook_id)
            .field("url", &"<not shown>")
            .field("events", events)
            .field("strategy_ids", strategy_ids)
            .field("created_at", created_at)
            .field("disabled_at", disabled_at)
            .finish()
    }
}

impl From<&Webhook> for WebhookView {
    fn from(hook: &Webhook) -> Self {
        Self {
            webhook_id: hook.id.to_string(),
            url: hook.url.as_str().to_owned(),
            events: hook.events.iter().map(|e| e.as_str().to_owned()).collect(),
            strategy_ids: hook.strategy_ids.as_ref().map(|only| only.ids().iter().map(ToString::to_string).collect()),
            created_at: time(hook.created_at),
            disabled_at: hook.disabled_at.map(time),
        }
    }
}

/// A new subscription, with its signing secret: shown this once, never again.
// `Debug` is written by hand below, to hide the secret.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhookView {
    /// The subscription, as it is listed.
    #[serde(flatten)]
    pub subscription: WebhookView,
    /// The signing secret: `whsec_` and 32 random bytes in standard, padded base64. Deliveries carry
    /// `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under it (Standard Webhooks).
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw7N0ln1OgS4M=")]
    pub secret: String,
}

impl std::fmt::Debug for CreatedWebhookView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedWebhookView")
            .field("subscription", &self.subscription)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl From<&Webhook> for CreatedWebhookView {
    fn from(hook: &Webhook) -> Self {
        Self { subscription: WebhookView::from(hook), secret: hook.secret.expose().to_owned() }
    }
}

/// The removed subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDeletionView {
    /// Its id; its pending deliveries are dropped.
    pub webhook_id: String,
}

/// One event's delivery to the subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The event id, sent as `webhook-id` on every attempt (receivers drop repeats by it).
    #[schema(example = "evt_0192f0c17a4b7cde8f0123456789abcd")]
    pub event_id: String,
    /// The kind of change.
    #[schema(example = "trade.closed")]
    pub event: String,
    /// The trade that changed.
    pub trade_id: String,
    /// When the change was made.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// `pending`, `delivered` or `failed`.
    #[schema(example = "delivered")]
    pub state: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// The HTTP status of the last attempt; `null` before the first or when no answer came.
    #[schema(required = true)]
    pub last_status: Option<u16>,
    /// Why the last attempt failed; `null` when it did not.
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// When it is attempted next, while pending.
    #[schema(required = true, format = DateTime)]
    pub next_attempt_at: Option<String>,
    /// When it was delivered or failed for good.
    #[schema(required = true, format = DateTime)]
    pub finished_at: Option<String>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            event_id: d.event_id.to_string(),
            event: d.event.as_str().to_owned(),
            trade_id: d.trade_id.to_string(),
            created_at: time(d.created_at),
            state: d.state.as_str().to_owned(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at.map(time),
            finished_at: d.finished_at.map(time),
        }
    }
}

/// Subscribe an endpoint to trade changes.
#[derive(Debug, ToSchema)]
#[schema(example = json!({
    "url": "https://hooks.example.com/quantarya",
    "events": ["trade.opened", "trade.closed"],
    "strategy_ids": ["strat_0192f0c17a4b7cde8f0123456789abcd"]
}))]
#[allow(dead_code)]
pub struct CreateWebhookRequest {
    /// The endpoint: `https://`, not resolving to a loopback, private, link-local or multicast address; at most
    /// 2000 characters, no user name or password.
    #[schema(max_length = 2000, example = "https://hooks.example.com/quantarya")]
    url: String,
    #[schema(schema_with = events_schema)]
    events: Option<Vec<String>>,
    #[schema(schema_with = strategy_ids_schema)]
    strategy_ids: Option<Vec<String>>,
}

fn events_schema() -> Array {
    let event = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(WebhookEvent::ALL.map(WebhookEvent::as_str)))
        .build();
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(event)
        .min_items(Some(1))
        .description(Some("The kinds of change delivered (repeats dropped). Omitted or `null`: all four."))
        .build()
}

fn strategy_ids_schema() -> Array {
    let id: Object =
        ObjectBuilder::new().schema_type(Type::String).description(Some("A strategy id of yours.")).build();
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(id)
        .min_items(Some(1))
        .max_items(Some(WebhookStrategies::MAX))
        .description(Some(
            "Only changes of these strategies of yours. Omitted or `null`: all of them, including later ones.",
        ))
        .build()
}

/// Parses a `POST /webhooks` body.
pub fn parse_new_webhook(object: JsonObject) -> Result<NewWebhook, ApiError> {
    let mut r = FieldReader::new::<CreateWebhookRequest>(object);
    let url = r.required("url", |value| {
        let raw = value.as_str().ok_or("must be a string")?;
        WebhookUrl::parse(raw).map_err(|error| error.to_string())
    });
    let events = r.optional("events", |value| {
        let names = strings(value)?;
        WebhookEvents::parse(names.iter().map(String::as_str)).map_err(|error| error.to_string())
    });
    let strategy_ids = r.optional("strategy_ids", |value| {
        let ids = strings(value)?;
        let ids = ids.iter().map(|id| StrategyId::parse(id).map_err(|_| format!("holds {id:?}, not a strategy id")));
        WebhookStrategies::new(ids.collect::<Result<Vec<_>, _>>()?).map_err(|error| error.to_string())
    });
    r.finish()?;
    Ok(NewWebhook { url: present(url, "url")?, events: events.unwrap_or_default(), strategy_ids })
}

crate::fields::request_schemas!(CreateWebhookRequest);

/// The trade object of the API, as deliveries carry it in `data`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TradeJson;

impl TradeRenderer for TradeJson {
    fn render(&self, trade: &Trade) -> serde_json::Value {
        serde_json::to_value(TradeView::from(trade.clone())).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_secret() {
        let view = CreatedWebhookView {
            subscription: WebhookView {
                webhook_id: "wh_1".to_owned(),
                url: "https://example.com/?token=t0ps3cret".to_owned(),
                events: vec![],
                strategy_ids: None,
                created_at: String::new(),
                disabled_at: None,
            },
            secret: "whsec_c2VjcmV0c2VjcmV0".to_owned(),
        };
        assert!(!format!("{view:?}").contains("t0ps3cret"));
        assert!(!format!("{view:?}").contains("c2VjcmV0"));
        assert!(format!("{view:?}").contains("wh_1"), "the id is shown");
        assert!(!format!("{:?}", view.subscription).contains("t0ps3cret"), "nor does the listed view show the url");
    }

    #[test]
    fn bodies_are_read_into_subscriptions() {
        let parse = |body: serde_json::Value| match body {
            serde_json::Value::Object(map) => parse_new_webhook(map),
            _ => unreachable!("an object"),
        };
        let new = parse(serde_json::json!({"url": "https://example.com/x", "events": ["trade.closed"]}))
            .expect("a valid body");
        assert!(new.events.contains(WebhookEvent::Closed) && !new.events.contains(WebhookEvent::Opened));
        for bad in [
            serde_json::json!({"url": "not a url"}),
            serde_json::json!({"url": "https://example.com", "events": []}),
            serde_json::json!({"url": "https://example.com", "events": ["trade.deleted"]}),
            serde_json::json!({"url": "https://example.com", "strategy_ids": ["nope"]}),
            serde_json::json!({"url": "https://example.com", "secret": "mine"}),
            serde_json::json!({}),
        ] {
            assert_eq!(parse(bad.clone()).map(|_| ()).map_err(|e| e.status().as_u16()), Err(422), "{bad}");
        }
    }
}
