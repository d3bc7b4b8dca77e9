//! Rows and their conversion to and from domain values. Everything read back goes through the domain's
//! validating constructors; a row they refuse is reported as corrupt, never trusted.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use quantarya_domain::{
    ApiKey, ApiKeyHash, ApiKeyId, ApiKeyScope, ApiKeyScopes, Bio, CredentialKind, Currency, Description, DisplayName,
    Email, EventId, EventKind, ExtensionSlot, Extensions, ExternalReference, Fees, FieldChange, Fill, KeyGrant,
    KeyName, KeyPrefix, KeyStrategies, Origin, PointValue, Price, Side, SignalAge, SignalEvent, Source, Status,
    Strategy, StrategyId, StrategyTitle, Symbol, Tags, Timeframe, Timestamp, Trade, TradeEvent, TradeId, TradeRecord,
    User, UserId, UserName,
};
use quantarya_ports::StoreError;
use serde_json::Value;
use uuid::Uuid;

use crate::schema::{api_keys, strategies, trade_events, trades, users};

/// A stored value the domain refuses.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// Reads a stored value with a domain parser.
pub(crate) fn read<T, E: std::fmt::Display>(column: &str, parsed: Result<T, E>) -> Result<T, StoreError> {
    parsed.map_err(|e| corrupt(format!("{column}: {e}")))
}

fn time(t: Timestamp) -> DateTime<Utc> {
    t.as_datetime()
}

pub(crate) fn stamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp::from_datetime(t)
}

pub(crate) fn price(column: &str, value: Option<f64>) -> Result<Option<Price>, StoreError> {
    value.map(|p| read(column, Price::new(p))).transpose()
}

fn version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub(crate) struct UserRow {
    pub id: String,
    pub email: String,
    pub user_name: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub public_profile_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.as_str().to_owned(),
            email: u.email.as_str().to_owned(),
            user_name: u.user_name.as_str().to_owned(),
            display_name: u.display_name.as_ref().map(ToString::to_string),
            bio: u.bio.as_ref().map(ToString::to_string),
            public_profile_enabled: u.public_profile_enabled,
            created_at: time(u.created_at),
            updated_at: time(u.updated_at),
        }
    }
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: read("users.id", UserId::parse(&r.id))?,
            email: read("users.email", Email::parse(&r.email))?,
            user_name: read("users.user_name", UserName::parse(&r.user_name))?,
            display_name: r.display_name.map(|d| read("users.display_name", DisplayName::parse(&d))).transpose()?,
            bio: r.bio.map(|b| read("users.bio", Bio::parse(&b))).transpose()?,
            public_profile_enabled: r.public_profile_enabled,
            created_at: stamp(r.created_at),
            updated_at: stamp(r.updated_at),
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = strategies, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub(crate) struct StrategyRow {
    pub id: Uuid,
    pub user_id: String,
    pub title: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub is_public: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub currency: Option<String>,
    pub max_signal_age_seconds: Option<i32>,
}

impl From<&Strategy> for StrategyRow {
    fn from(s: &Strategy) -> Self {
        Self {
            id: s.id.as_uuid(),
            user_id: s.user_id.as_str().to_owned(),
            title: s.title.to_string(),
            description: s.description.as_ref().map(ToString::to_string),
            tags: s.tags.as_slice().to_vec(),
            is_public: s.is_public,
            created_at: time(s.created_at),
            updated_at: time(s.updated_at),
            currency: s.currency.as_ref().map(ToString::to_string),
            // At most 86 400, so it fits.
            max_signal_age_seconds: s.max_signal_age.map(|age| i32::try_from(age.seconds()).unwrap_or(i32::MAX)),
        }
    }
}

impl TryFrom<StrategyRow> for Strategy {
    type Error = StoreError;
    fn try_from(r: StrategyRow) -> Result<Self, StoreError> {
        Ok(Strategy {
            id: StrategyId::from_uuid(r.id),
            user_id: read("strategies.user_id", UserId::parse(&r.user_id))?,
            title: read("strategies.title", StrategyTitle::parse(&r.title))?,
            description: r.description.map(|d| read("strategies.description", Description::parse(&d))).transpose()?,
            tags: read("strategies.tags", Tags::parse(&r.tags).map_err(|(_, e)| e))?,
            is_public: r.is_public,
            currency: r.currency.map(|c| read("strategies.currency", Currency::parse(&c))).transpose()?,
            max_signal_age: r
                .max_signal_age_seconds
                .map(|seconds| {
                    let seconds = u64::try_from(seconds).unwrap_or(0);
                    read("strategies.max_signal_age_seconds", SignalAge::new(seconds))
                })
                .transpose()?,
            created_at: stamp(r.created_at),
            updated_at: stamp(r.updated_at),
        })
    }
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = trades, check_for_backend(diesel::pg::Pg))]
pub(crate) struct TradeRow {
    pub id: Uuid,
    pub strategy_id: Uuid,
    pub user_id: String,
    pub symbol: String,
    pub side: String,
    pub status: String,
    pub event: String,
    pub entry: Option<f64>,
    pub stop_loss: Option<f64>,
    pub take_profit: Option<f64>,
    pub close_price: Option<f64>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub signal_time: Option<DateTime<Utc>>,
    pub timeframe: Option<String>,
    pub source: Option<String>,
    pub external_reference: Option<String>,
    pub signal: Option<Value>,
    pub market: Option<Value>,
    pub risk: Option<Value>,
    pub context: Option<Value>,
    pub meta: Option<Value>,
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub tags: Vec<String>,
    pub initial_stop_loss: Option<f64>,
    /// `{"point_value", "fees", "fills", "max_favorable_price", "max_adverse_price"}`, sizes and fees as exact decimal strings.
    pub position: Value,
    /// Whether it counts in the live record.
    pub live: bool,
}

fn object(column: &str, value: Option<Value>) -> Result<Option<quantarya_domain::JsonObject>, StoreError> {
    match value {
        None => Ok(None),
        Some(Value::Object(object)) => Ok(Some(object)),
        Some(_) => Err(corrupt(format!("{column} is not an object"))),
    }
}

impl From<&Trade> for TradeRow {
    fn from(t: &Trade) -> Self {
        let ext = |slot| t.extensions.get(slot).cloned().map(Value::Object);
        Self {
            id: t.id.as_uuid(),
            strategy_id: t.strategy_id.as_uuid(),
            user_id: t.user_id.as_str().to_owned(),
            symbol: t.symbol.to_string(),
            side: t.side.as_str().to_owned(),
            status: t.status.as_str().to_owned(),
            event: t.event.as_str().to_owned(),
            entry: t.entry.map(Price::get),
            stop_loss: t.stop_loss.map(Price::get),
            take_profit: t.take_profit.map(Price::get),
            close_price: t.close_price.map(Price::get),
            opened_at: time(t.opened_at),
            closed_at: t.closed_at.map(time),
            signal_time: t.signal_time.map(time),
            timeframe: t.timeframe.as_ref().map(ToString::to_string),
            source: t.source.as_ref().map(ToString::to_string),
            external_reference: t.external_reference.as_ref().map(ToString::to_string),
            signal: ext(ExtensionSlot::Signal),
            market: ext(ExtensionSlot::Market),
            risk: ext(ExtensionSlot::Risk),
            context: ext(ExtensionSlot::Context),
            meta: ext(ExtensionSlot::Meta),
            origin: t.origin.as_str().to_owned(),
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
            version: version(t.version),
            tags: t.tags.as_slice().to_vec(),
            initial_stop_loss: t.initial_stop_loss.map(Price::get),
            position: serde_json::json!({
                "point_value": t.point_value.get(),
                "fees": t.fees.get().to_string(),
                "fills": t.fills.iter().map(Fill::to_stored_json).collect::<Vec<_>>(),
                "max_favorable_price": t.max_favorable_price.map(Price::get),
                "max_adverse_price": t.max_adverse_price.map(Price::get),
                // Derived from the fills, never read back into a trade: statistics select it alone.
                "realized_pnl": t.realized_pnl(),
            }),
            live: t.live,
        }
    }
}

/// Reads back the position document a [`TradeRow`] was written with.
/// What a trade's position document holds.
struct PositionDocument {
    point_value: PointValue,
    fees: Fees,
    fills: Vec<Fill>,
    max_favorable_price: Option<Price>,
    max_adverse_price: Option<Price>,
}

fn position(value: &Value) -> Result<PositionDocument, StoreError> {
    let point_value = value
        .get("point_value")
        .and_then(Value::as_f64)
        .ok_or_else(|| corrupt("trades.position has no point_value"))
        .and_then(|v| read("trades.position.point_value", PointValue::new(v)))?;
    let fees = value
        .get("fees")
        .and_then(Value::as_str)
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| corrupt("trades.position has no fees"))
        .and_then(|d| read("trades.position.fees", Fees::from_decimal(d)))?;
    let fills = value
        .get("fills")
        .and_then(Value::as_array)
        .ok_or_else(|| corrupt("trades.position has no fills"))?
        .iter()
        .map(|fill| read("trades.position.fills", Fill::from_json(fill)))
        .collect::<Result<Vec<_>, _>>()?;
    // Written since trades have excursions; a document from before has none.
    let excursion = |name: &str| price(name, value.get(name).and_then(Value::as_f64));
    Ok(PositionDocument {
        point_value,
        fees,
        fills,
        max_favorable_price: excursion("max_favorable_price")?,
        max_adverse_price: excursion("max_adverse_price")?,
    })
}

impl TryFrom<TradeRow> for Trade {
    type Error = StoreError;
    fn try_from(r: TradeRow) -> Result<Self, StoreError> {
        let extensions = Extensions::new(
            object("trades.signal", r.signal)?,
            object("trades.market", r.market)?,
            object("trades.risk", r.risk)?,
            object("trades.context", r.context)?,
            object("trades.meta", r.meta)?,
        );
        let PositionDocument { point_value, fees, fills, max_favorable_price, max_adverse_price } =
            position(&r.position)?;
        let record = TradeRecord {
            id: TradeId::from_uuid(r.id),
            strategy_id: StrategyId::from_uuid(r.strategy_id),
            user_id: read("trades.user_id", UserId::parse(&r.user_id))?,
            symbol: read("trades.symbol", Symbol::parse(&r.symbol))?,
            side: read("trades.side", Side::parse(&r.side))?,
            status: read("trades.status", Status::parse(&r.status))?,
            event: read("trades.event", SignalEvent::parse(&r.event))?,
            entry: price("trades.entry", r.entry)?,
            stop_loss: price("trades.stop_loss", r.stop_loss)?,
            initial_stop_loss: price("trades.initial_stop_loss", r.initial_stop_loss)?,
            take_profit: price("trades.take_profit", r.take_profit)?,
            close_price: price("trades.close_price", r.close_price)?,
            max_favorable_price,
            max_adverse_price,
            opened_at: stamp(r.opened_at),
            closed_at: r.closed_at.map(stamp),
            signal_time: r.signal_time.map(stamp),
            timeframe: r.timeframe.map(|t| read("trades.timeframe", Timeframe::parse(&t))).transpose()?,
            source: r.source.map(|s| read("trades.source", Source::parse(&s))).transpose()?,
            external_reference: r
                .external_reference
                .map(|x| read("trades.external_reference", ExternalReference::parse(&x)))
                .transpose()?,
            extensions: read("trades extensions", extensions)?,
            origin: Origin::parse(&r.origin).ok_or_else(|| corrupt(format!("trades.origin: {}", r.origin)))?,
            live: r.live,
            created_at: stamp(r.created_at),
            updated_at: stamp(r.updated_at),
            version: u64::try_from(r.version).map_err(|_| corrupt("trades.version is negative"))?,
            tags: read("trades.tags", Tags::parse(&r.tags).map_err(|(_, e)| e))?,
            point_value,
            fees,
            fills,
        };
        Trade::restore(record).map_err(corrupt)
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = trade_events, check_for_backend(diesel::pg::Pg))]
pub(crate) struct EventRow {
    pub id: Uuid,
    pub trade_id: Uuid,
    pub version: i64,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub by_credential: String,
    pub changes: Value,
}

/// The ordered `[{"field", "value"}, …]` a history event stores.
pub(crate) fn changes_json(changes: &[FieldChange]) -> Value {
    Value::Array(changes.iter().map(|c| serde_json::json!({ "field": c.field(), "value": c.value() })).collect())
}

/// A history event to write, its changes as JSON text.
#[derive(Debug, Insertable)]
#[diesel(table_name = trade_events, check_for_backend(diesel::pg::Pg))]
pub(crate) struct NewEventRow {
    pub id: Uuid,
    pub trade_id: Uuid,
    pub version: i64,
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    pub by_credential: &'static str,
    pub changes: crate::changes_text::JsonText,
}

impl From<&TradeEvent> for NewEventRow {
    fn from(e: &TradeEvent) -> Self {
        Self {
            id: e.id.as_uuid(),
            trade_id: e.trade_id.as_uuid(),
            version: version(e.version),
            kind: e.kind.as_str(),
            at: time(e.at),
            by_credential: e.by.as_str(),
            changes: crate::changes_text::Changes(&e.changes).text(),
        }
    }
}

impl TryFrom<EventRow> for TradeEvent {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        let Value::Array(items) = r.changes else {
            return Err(corrupt("trade_events.changes is not an array"));
        };
        let changes = items
            .iter()
            .map(|item| {
                let field = item["field"].as_str().ok_or_else(|| corrupt("trade_events.changes: no field"))?;
                read(&format!("trade_events.changes.{field}"), FieldChange::from_value(field, &item["value"]))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TradeEvent {
            id: EventId::from_uuid(r.id),
            trade_id: TradeId::from_uuid(r.trade_id),
            version: u64::try_from(r.version).map_err(|_| corrupt("trade_events.version is negative"))?,
            kind: EventKind::parse(&r.kind).ok_or_else(|| corrupt(format!("trade_events.kind: {}", r.kind)))?,
            at: stamp(r.at),
            by: CredentialKind::parse(&r.by_credential)
                .ok_or_else(|| corrupt(format!("trade_events.by_credential: {}", r.by_credential)))?,
            changes,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ApiKeyRow {
    pub id: Uuid,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub strategy_ids: Option<Vec<Uuid>>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<&ApiKey> for ApiKeyRow {
    fn from(k: &ApiKey) -> Self {
        Self {
            id: k.id.as_uuid(),
            user_id: k.user_id.as_str().to_owned(),
            name: k.name.to_string(),
            prefix: k.prefix.as_str().to_owned(),
            hash: k.hash.as_bytes().to_vec(),
            created_at: time(k.created_at),
            last_used_at: k.last_used_at.map(time),
            scopes: k.grant.scopes.iter().map(|scope| scope.as_str().to_owned()).collect(),
            strategy_ids: k
                .grant
                .strategies
                .as_ref()
                .map(|only| only.as_slice().iter().map(|id| id.as_uuid()).collect()),
            expires_at: k.grant.expires_at.map(time),
        }
    }
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;
    fn try_from(r: ApiKeyRow) -> Result<Self, StoreError> {
        let hash: [u8; 32] = r.hash.try_into().map_err(|_| corrupt("api_keys.hash is not 32 bytes"))?;
        let scopes = r
            .scopes
            .iter()
            .map(|scope| ApiKeyScope::parse(scope).ok_or_else(|| corrupt(format!("api_keys.scopes holds {scope}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ApiKey {
            id: ApiKeyId::from_uuid(r.id),
            user_id: read("api_keys.user_id", UserId::parse(&r.user_id))?,
            name: read("api_keys.name", KeyName::parse(&r.name))?,
            prefix: read("api_keys.prefix", KeyPrefix::parse(&r.prefix))?,
            hash: ApiKeyHash::from_bytes(hash),
            grant: KeyGrant {
                scopes: read("api_keys.scopes", ApiKeyScopes::new(scopes))?,
                strategies: read(
                    "api_keys.strategy_ids",
                    r.strategy_ids
                        .map(|ids| KeyStrategies::new(ids.into_iter().map(StrategyId::from_uuid).collect()))
                        .transpose(),
                )?,
                expires_at: r.expires_at.map(stamp),
            },
            created_at: stamp(r.created_at),
            last_used_at: r.last_used_at.map(stamp),
        })
    }
}
