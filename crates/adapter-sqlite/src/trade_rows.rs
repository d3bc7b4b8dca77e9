//! A trade and its history as SQLite keeps them: the trade's columns (times as microseconds, extensions and the
//! position document as JSON text), its events (changes as the JSON text the stores share), and what statistics read
//! of a closed trade. Everything read back goes through the domain's validating constructors.

use diesel::prelude::*;
use quantarya_domain::{
    ClosedTrade, CredentialKind, EventId, EventKind, ExtensionSlot, Extensions, ExternalReference, Fees, FieldChange,
    Fill, JsonObject, Origin, PointValue, Price, Side, SignalEvent, Source, Status, StrategyId, Symbol, Tags,
    Timeframe, Trade, TradeEvent, TradeId, TradeRecord, UserId,
};
use quantarya_ports::StoreError;
use serde_json::Value;

use crate::rows::{corrupt, id_text, json_list, list, micros, read, stamp, uuid};
use crate::schema::{trade_events, trades};

fn price(column: &str, value: Option<f64>) -> Result<Option<Price>, StoreError> {
    value.map(|p| read(column, Price::new(p))).transpose()
}

/// A version as stored.
pub(crate) fn version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn object(column: &str, text: Option<String>) -> Result<Option<JsonObject>, StoreError> {
    match text.map(|text| serde_json::from_str::<Value>(&text)) {
        None => Ok(None),
        Some(Ok(Value::Object(object))) => Ok(Some(object)),
        Some(_) => Err(corrupt(format!("{column} is not an object"))),
    }
}

/// Also the snapshot an announced change keeps for its deliveries (`webhook_trades.trade`, as JSON).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = trades, check_for_backend(diesel::sqlite::Sqlite), treat_none_as_null = true)]
pub(crate) struct TradeRow {
    pub id: String,
    pub strategy_id: String,
    pub user_id: String,
    pub symbol: String,
    pub side: String,
    pub status: String,
    pub event: String,
    pub entry: Option<f64>,
    pub stop_loss: Option<f64>,
    pub take_profit: Option<f64>,
    pub close_price: Option<f64>,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub signal_time: Option<i64>,
    pub timeframe: Option<String>,
    pub source: Option<String>,
    pub external_reference: Option<String>,
    pub signal: Option<String>,
    pub market: Option<String>,
    pub risk: Option<String>,
    pub context: Option<String>,
    pub meta: Option<String>,
    pub origin: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    pub tags: String,
    pub initial_stop_loss: Option<f64>,
    /// `{"point_value", "fees", "fills", "max_favorable_price", "max_adverse_price", "realized_pnl"}`, sizes and
    /// fees as exact decimal strings, as on PostgreSQL.
    pub position: String,
    pub live: bool,
}

impl From<&Trade> for TradeRow {
    fn from(t: &Trade) -> Self {
        let ext = |slot| t.extensions.get(slot).map(|object| Value::Object(object.clone()).to_string());
        let position = serde_json::json!({
            "point_value": t.point_value.get(),
            "fees": t.fees.get().to_string(),
            "fills": t.fills.iter().map(Fill::to_stored_json).collect::<Vec<_>>(),
            "max_favorable_price": t.max_favorable_price.map(Price::get),
            "max_adverse_price": t.max_adverse_price.map(Price::get),
            // Derived from the fills, never read back into a trade: statistics read it alone.
            "realized_pnl": t.realized_pnl(),
        });
        Self {
            id: id_text(t.id.as_uuid()),
            strategy_id: id_text(t.strategy_id.as_uuid()),
            user_id: t.user_id.as_str().to_owned(),
            symbol: t.symbol.to_string(),
            side: t.side.as_str().to_owned(),
            status: t.status.as_str().to_owned(),
            event: t.event.as_str().to_owned(),
            entry: t.entry.map(Price::get),
            stop_loss: t.stop_loss.map(Price::get),
            take_profit: t.take_profit.map(Price::get),
            close_price: t.close_price.map(Price::get),
            opened_at: micros(t.opened_at),
            closed_at: t.closed_at.map(micros),
            signal_time: t.signal_time.map(micros),
            timeframe: t.timeframe.as_ref().map(ToString::to_string),
            source: t.source.as_ref().map(ToString::to_string),
            external_reference: t.external_reference.as_ref().map(ToString::to_string),
            signal: ext(ExtensionSlot::Signal),
            market: ext(ExtensionSlot::Market),
            risk: ext(ExtensionSlot::Risk),
            context: ext(ExtensionSlot::Context),
            meta: ext(ExtensionSlot::Meta),
            origin: t.origin.as_str().to_owned(),
            created_at: micros(t.created_at),
            updated_at: micros(t.updated_at),
            version: version(t.version),
            tags: json_list(t.tags.as_slice()),
            initial_stop_loss: t.initial_stop_loss.map(Price::get),
            position: position.to_string(),
            live: t.live,
        }
    }
}

/// What a trade's position document holds.
struct PositionDocument {
    point_value: PointValue,
    fees: Fees,
    fills: Vec<Fill>,
    max_favorable_price: Option<Price>,
    max_adverse_price: Option<Price>,
}

fn fees_of(text: Option<&str>) -> Result<Fees, StoreError> {
    text.and_then(|text| text.parse().ok())
        .ok_or_else(|| corrupt("trades.position has no fees"))
        .and_then(|d| read("trades.position.fees", Fees::from_decimal(d)))
}

fn position(text: &str) -> Result<PositionDocument, StoreError> {
    let value: Value = serde_json::from_str(text).map_err(|_| corrupt("trades.position is not JSON"))?;
    let point_value = value
        .get("point_value")
        .and_then(Value::as_f64)
        .ok_or_else(|| corrupt("trades.position has no point_value"))
        .and_then(|v| read("trades.position.point_value", PointValue::new(v)))?;
    let fees = fees_of(value.get("fees").and_then(Value::as_str))?;
    let fills = value
        .get("fills")
        .and_then(Value::as_array)
        .ok_or_else(|| corrupt("trades.position has no fills"))?
        .iter()
        .map(|fill| read("trades.position.fills", Fill::from_json(fill)))
        .collect::<Result<Vec<_>, _>>()?;
    let excursion = |name: &str| price(name, value.get(name).and_then(Value::as_f64));
    Ok(PositionDocument {
        point_value,
        fees,
        fills,
        max_favorable_price: excursion("max_favorable_price")?,
        max_adverse_price: excursion("max_adverse_price")?,
    })
}

fn tags(text: &str) -> Result<Tags, StoreError> {
    let tags: Vec<String> = list("trades.tags", text)?;
    read("trades.tags", Tags::parse(&tags).map_err(|(_, e)| e))
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
            id: TradeId::from_uuid(uuid("trades.id", &r.id)?),
            strategy_id: StrategyId::from_uuid(uuid("trades.strategy_id", &r.strategy_id)?),
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
            opened_at: stamp("trades.opened_at", r.opened_at)?,
            closed_at: r.closed_at.map(|t| stamp("trades.closed_at", t)).transpose()?,
            signal_time: r.signal_time.map(|t| stamp("trades.signal_time", t)).transpose()?,
            timeframe: r.timeframe.map(|t| read("trades.timeframe", Timeframe::parse(&t))).transpose()?,
            source: r.source.map(|s| read("trades.source", Source::parse(&s))).transpose()?,
            external_reference: r
                .external_reference
                .map(|x| read("trades.external_reference", ExternalReference::parse(&x)))
                .transpose()?,
            extensions: read("trades extensions", extensions)?,
            origin: Origin::parse(&r.origin).ok_or_else(|| corrupt(format!("trades.origin: {}", r.origin)))?,
            live: r.live,
            created_at: stamp("trades.created_at", r.created_at)?,
            updated_at: stamp("trades.updated_at", r.updated_at)?,
            version: u64::try_from(r.version).map_err(|_| corrupt("trades.version is negative"))?,
            tags: tags(&r.tags)?,
            point_value,
            fees,
            fills,
        };
        Trade::restore(record).map_err(corrupt)
    }
}

/// A history event as stored.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = trade_events, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct EventRow {
    pub id: String,
    pub trade_id: String,
    pub version: i64,
    pub kind: String,
    pub at: i64,
    pub by_credential: String,
    pub changes: String,
}

impl From<&TradeEvent> for EventRow {
    fn from(e: &TradeEvent) -> Self {
        let changes: Vec<Value> =
            e.changes.iter().map(|c| serde_json::json!({ "field": c.field(), "value": c.value() })).collect();
        Self {
            id: id_text(e.id.as_uuid()),
            trade_id: id_text(e.trade_id.as_uuid()),
            version: version(e.version),
            kind: e.kind.as_str().to_owned(),
            at: micros(e.at),
            by_credential: e.by.as_str().to_owned(),
            changes: Value::Array(changes).to_string(),
        }
    }
}

impl TryFrom<EventRow> for TradeEvent {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&r.changes) else {
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
            id: EventId::from_uuid(uuid("trade_events.id", &r.id)?),
            trade_id: TradeId::from_uuid(uuid("trade_events.trade_id", &r.trade_id)?),
            version: u64::try_from(r.version).map_err(|_| corrupt("trade_events.version is negative"))?,
            kind: EventKind::parse(&r.kind).ok_or_else(|| corrupt(format!("trade_events.kind: {}", r.kind)))?,
            at: stamp("trade_events.at", r.at)?,
            by: CredentialKind::parse(&r.by_credential)
                .ok_or_else(|| corrupt(format!("trade_events.by_credential: {}", r.by_credential)))?,
            changes,
        })
    }
}

/// A closed trade as statistics read it.
pub(crate) fn closed(row: TradeRow) -> Result<ClosedTrade, StoreError> {
    let value: Value = serde_json::from_str(&row.position).map_err(|_| corrupt("trades.position is not JSON"))?;
    let fees = fees_of(value.get("fees").and_then(Value::as_str))?;
    let pnl = value.get("realized_pnl").and_then(Value::as_f64).filter(|pnl| pnl.is_finite());
    let excursion = |name: &str| price(name, value.get(name).and_then(Value::as_f64));
    Ok(ClosedTrade {
        id: TradeId::from_uuid(uuid("trades.id", &row.id)?),
        symbol: read("trades.symbol", Symbol::parse(&row.symbol))?,
        side: read("trades.side", Side::parse(&row.side))?,
        entry: price("trades.entry", row.entry)?,
        stop_loss: price("trades.initial_stop_loss", row.initial_stop_loss)?,
        close_price: price("trades.close_price", row.close_price)?,
        opened_at: stamp("trades.opened_at", row.opened_at)?,
        closed_at: stamp(
            "trades.closed_at",
            row.closed_at.ok_or_else(|| corrupt("a closed trade without closed_at"))?,
        )?,
        tags: tags(&row.tags)?,
        pnl,
        fees: pnl.map(|_| fees.to_f64()),
        max_favorable_price: excursion("max_favorable_price")?,
        max_adverse_price: excursion("max_adverse_price")?,
        live: row.live,
    })
}
