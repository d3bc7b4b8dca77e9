//! `/strategies`.

use quantarya_domain::{
    Currency, Description, JsonObject, NewStrategy, SignalAge, Strategy, StrategyChange, StrategyTitle,
};
use quantarya_ports::{PublicStrategy, StrategyDeletion};

use super::stats::StatsView;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Array, Object, ObjectBuilder, SchemaType, Type};

use super::time;
use crate::error::ApiError;
use crate::fields::{FieldReader, boolean, present, tags, text};
use crate::text_schema::{currency_pattern, string, tags_array, trimmed_pattern};

/// A strategy.
#[derive(Debug, Serialize, ToSchema)]
pub struct StrategyView {
    /// Its id.
    #[schema(example = "strat_0192f0c17a4b7cde8f0123456789abcd")]
    pub strategy_id: String,
    /// Its title.
    pub title: String,
    /// Its description.
    #[schema(required = true)]
    pub description: Option<String>,
    /// Its tags, lowercase, in the order given.
    pub tags: Vec<String>,
    /// Whether it shows on the owner's public profile.
    pub is_public: bool,
    /// The unit of its fees and P&L (`USD`, `EUR`, `USDT`, …), if it has one.
    #[schema(required = true)]
    pub currency: Option<String>,
    /// How old, in seconds, an entry's `signal_time` may be when it arrives (older entries are refused with 422
    /// `signal_stale`); `null`: entries of any age are taken.
    #[schema(required = true, minimum = 1, maximum = 86400)]
    pub max_signal_age_seconds: Option<u32>,
    /// When it was created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Strategy> for StrategyView {
    fn from(s: Strategy) -> Self {
        Self {
            strategy_id: s.id.to_string(),
            title: s.title.to_string(),
            description: s.description.map(|d| d.to_string()),
            tags: s.tags.as_slice().to_vec(),
            is_public: s.is_public,
            currency: s.currency.map(|c| c.to_string()),
            max_signal_age_seconds: s.max_signal_age.map(SignalAge::seconds),
            created_at: time(s.created_at),
            updated_at: time(s.updated_at),
        }
    }
}

/// A strategy as the public sees it on a profile, with its performance.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStrategyView {
    /// Its id.
    pub strategy_id: String,
    /// Its title.
    pub title: String,
    /// Its description.
    #[schema(required = true)]
    pub description: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its performance over all its closed trades and over its live ones, the curves at most 200 points.
    pub performance: StatsView,
}

impl From<PublicStrategy> for PublicStrategyView {
    fn from(public: PublicStrategy) -> Self {
        let s = public.strategy;
        Self {
            strategy_id: s.id.to_string(),
            title: s.title.to_string(),
            description: s.description.map(|d| d.to_string()),
            tags: s.tags.as_slice().to_vec(),
            performance: StatsView::from(&public.stats),
        }
    }
}

/// What `DELETE /strategies/{strategy_id}` removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct StrategyDeletionView {
    /// The deleted strategy.
    pub strategy_id: String,
    /// How many trades were deleted with it.
    pub deleted_trade_count: u64,
}

impl From<StrategyDeletion> for StrategyDeletionView {
    fn from(d: StrategyDeletion) -> Self {
        Self { strategy_id: d.strategy_id.to_string(), deleted_trade_count: d.deleted_trades }
    }
}

/// Create a strategy workspace.
#[derive(Debug, ToSchema)]
#[schema(example = json!({
    "title": "Momentum Breakout",
    "description": "Intraday FX breakout workflow.",
    "tags": ["fx", "breakout"]
}))]
#[allow(dead_code)]
pub struct CreateStrategyRequest {
    #[schema(schema_with = title_schema)]
    title: String,
    #[schema(schema_with = description_schema)]
    description: Option<String>,
    /// At most 10 tags of 1–32 characters; trimmed, lowercased, duplicates dropped, order kept.
    #[schema(schema_with = tags_schema)]
    tags: Option<Vec<String>>,
    /// Show it on the public profile (default false).
    is_public: Option<bool>,
    #[schema(schema_with = currency_schema)]
    currency: Option<String>,
    #[schema(schema_with = signal_age_schema)]
    max_signal_age_seconds: Option<u32>,
}

/// Change a strategy; omitted fields keep their value, `null` clears `description`.
#[derive(Debug, ToSchema)]
#[schema(min_properties = 1, example = json!({ "is_public": true }))]
#[allow(dead_code)]
pub struct UpdateStrategyRequest {
    #[schema(schema_with = title_schema)]
    title: Option<String>,
    #[schema(schema_with = description_schema)]
    description: Option<String>,
    /// At most 10 tags of 1–32 characters; replaces the old ones.
    #[schema(schema_with = replaced_tags_schema)]
    tags: Option<Vec<String>>,
    /// Show it on the public profile.
    #[schema(nullable = false)]
    is_public: Option<bool>,
    #[schema(schema_with = currency_schema)]
    currency: Option<String>,
    #[schema(schema_with = signal_age_schema)]
    max_signal_age_seconds: Option<u32>,
}

fn signal_age_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .minimum(Some(1))
        .maximum(Some(SignalAge::MAX_SECONDS))
        .description(Some(
            "How old, in seconds, an entry's `signal_time` may be when it arrives: an older entry is refused with 422 \
             `signal_stale` and nothing is stored (a late alert would open a trade at a price long gone). Updates and \
             exits apply whatever their age, and so do back-filled trades. 1–86400; `null` (the default) takes \
             entries of any age.",
        ))
        .build()
}

/// A JSON whole number of seconds that is a valid signal age.
fn signal_age(value: serde_json::Value) -> Result<SignalAge, String> {
    let message = || "must be a whole number of seconds from 1 to 86400".to_owned();
    // A whole number may come as `60.0` (JSON has one number type, and JSON Schema's integer takes it).
    let whole = value.as_u64().or_else(|| {
        value.as_f64().filter(|n| n.fract() == 0.0 && (1.0..=f64::from(SignalAge::MAX_SECONDS)).contains(n)).map(|n| {
            // In 1..=86 400 and whole, so the cast is exact.
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "checked just above")]
            let seconds = n as u64;
            seconds
        })
    });
    whole.ok_or_else(message).and_then(|seconds| SignalAge::new(seconds).map_err(|_| message()))
}

fn currency_schema() -> Object {
    let description = "The unit of the strategy's fees and P&L: 3–10 of `A-Z 0-9` (`USD`, `EUR`, `USDT`), stored \
                       uppercase; nothing is converted. `null` means none.";
    string(currency_pattern(), true, description)
}

fn title_schema() -> Object {
    string(trimmed_pattern(StrategyTitle::MIN_CHARS, StrategyTitle::MAX_CHARS), false, "1–120 characters, trimmed.")
}

fn description_schema() -> Object {
    let bounds = (Description::MIN_CHARS, Description::MAX_CHARS);
    string(trimmed_pattern(bounds.0, bounds.1), true, "Up to 2000 characters, trimmed; blank or `null` means none.")
}

fn tags_schema() -> Array {
    tags_array(true, "At most 10 tags of 1–32 characters; trimmed, lowercased, duplicates dropped, order kept.")
}

fn replaced_tags_schema() -> Array {
    tags_array(false, "At most 10 tags of 1–32 characters; replaces the old ones.")
}

/// Parses a `POST /strategies` body.
pub fn parse_new_strategy(object: JsonObject) -> Result<NewStrategy, ApiError> {
    let mut r = FieldReader::new::<CreateStrategyRequest>(object);
    let title = r.required("title", text(StrategyTitle::parse));
    let description = r.optional("description", text(Description::parse_optional)).flatten();
    let tags = r.optional("tags", tags).unwrap_or_default();
    let is_public = r.optional("is_public", boolean).unwrap_or(false);
    let currency = r.clearable("currency", text(Currency::parse));
    let max_signal_age = r.clearable("max_signal_age_seconds", signal_age);
    r.finish()?;
    Ok(NewStrategy {
        title: present(title, "title")?,
        description,
        tags,
        is_public,
        currency: currency.flatten(),
        max_signal_age: max_signal_age.flatten(),
    })
}

/// Parses a `PATCH /strategies/{strategy_id}` body.
pub fn parse_strategy_change(object: JsonObject) -> Result<StrategyChange, ApiError> {
    let mut r = FieldReader::new::<UpdateStrategyRequest>(object);
    let change = StrategyChange {
        title: r.settable("title", text(StrategyTitle::parse)),
        description: r.clearable("description", text(Description::parse_optional)).map(Option::flatten),
        tags: r.settable("tags", tags),
        is_public: r.settable("is_public", boolean),
        currency: r.clearable("currency", text(Currency::parse)),
        max_signal_age: r.clearable("max_signal_age_seconds", signal_age),
    };
    r.finish()?;
    Ok(change)
}

crate::fields::request_schemas!(CreateStrategyRequest, UpdateStrategyRequest);

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: serde_json::Value) -> JsonObject {
        match value {
            serde_json::Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn a_blank_description_is_none_on_create_and_clears_on_change() {
        let new = parse_new_strategy(object(serde_json::json!({"title": "Breakouts", "description": "   "})));
        assert_eq!(new.expect("valid").description, None);
        let change = parse_strategy_change(object(serde_json::json!({"description": ""}))).expect("valid");
        assert_eq!(change.description, Some(None));
    }
}
