//! The trade requests: the documented schemas of a signal, a PATCH and a close, and their parsing into domain
//! commands, field by field.

use quantarya_domain::{
    CloseTrade, Extensions, ExtensionsChange, ExternalReference, JsonObject, LevelsChange, NewTrade, Side, SignalEvent,
    SignalExit, Source, Status, Symbol, Timeframe, TradePatch,
};
use quantarya_ports::{Signal, SignalLocator};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Array, Object};

use crate::error::ApiError;
use crate::fields::{FieldReader, fees, object, point_value, present, price, quantity, tags, text, timestamp};
use crate::text_schema::{string, symbol_pattern, tags_array, trimmed_pattern};

/// A signal: opens a trade (`entry`, the default), changes an open one (`update`), or closes or cancels one
/// (`exit`). Updates and exits find their trade by `external_reference`, else as the only open trade of `symbol`.
/// Also accepted as `text/plain` holding JSON, with the API key as `api_key` when no `Authorization` header can be
/// sent (TradingView).
#[derive(Debug, ToSchema)]
#[schema(example = json!({
    "symbol": "EURUSD",
    "side": "BUY",
    "entry": 1.0825,
    "stop_loss": 1.0785,
    "take_profit": 1.0905,
    "timeframe": "4h",
    "source": "tradingview",
    "external_reference": "tv-eurusd-001",
    "signal_time": "2026-05-21T12:00:00Z"
}))]
#[allow(dead_code)]
pub struct CreateTradeRequest {
    #[schema(schema_with = symbol_schema)]
    symbol: Option<String>,
    /// `BUY` or `SELL` in any case; `LONG` and `SHORT` are accepted. Required for an entry; ignored by update and
    /// exit (an exit of a long says "sell").
    #[schema(value_type = Option<SideInput>)]
    side: Option<String>,
    /// `entry` (default), `update` or `exit`.
    #[schema(value_type = Option<SignalEventInput>)]
    event: Option<String>,
    /// On an entry: `OPEN` (default), or `CLOSED`/`CANCELLED` to back-fill a past trade. On an exit: `CLOSED`
    /// (default) or `CANCELLED`.
    #[schema(value_type = Option<StatusInput>)]
    status: Option<String>,
    /// Entry price; refused on an exit.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    entry: Option<f64>,
    /// Stop loss; `null` removes it on an update.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    stop_loss: Option<f64>,
    /// Take profit; `null` removes it on an update.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    take_profit: Option<f64>,
    /// Exit price, on an exit or a back-filled `CLOSED` entry (required there).
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    close_price: Option<f64>,
    /// The sender's time (RFC 3339): `opened_at` of an entry, `closed_at` of an exit. At most 5 minutes ahead.
    #[schema(format = DateTime)]
    signal_time: Option<String>,
    /// Close time of an exit or a back-filled trade (RFC 3339).
    #[schema(format = DateTime)]
    closed_at: Option<String>,
    #[schema(schema_with = timeframe_schema)]
    timeframe: Option<String>,
    #[schema(schema_with = source_schema)]
    source: Option<String>,
    #[schema(schema_with = external_reference_schema)]
    external_reference: Option<String>,
    #[schema(schema_with = trade_tags_schema)]
    tags: Option<Vec<String>>,
    /// Free-form object (the five objects together at most 16 KiB).
    #[schema(value_type = Option<Object>)]
    signal: Option<Value>,
    /// Free-form object.
    #[schema(value_type = Option<Object>)]
    market: Option<Value>,
    /// Free-form object.
    #[schema(value_type = Option<Object>)]
    risk: Option<Value>,
    /// Free-form object.
    #[schema(value_type = Option<Object>)]
    context: Option<Value>,
    /// Free-form object: the trader's notes.
    #[schema(value_type = Option<Object>)]
    meta: Option<Value>,
    /// The size: units entered by an entry (on an open reference it adds to the position), or taken off by an exit
    /// (below what is open a partial exit; equal, or none, closes it). TradingView:
    /// `{{strategy.order.contracts}}`. Without one a trade is measured in percent and R only.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    quantity: Option<f64>,
    /// Currency per unit per point of price (a futures multiplier: ES is 50), set by the opening entry; default 1.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    point_value: Option<f64>,
    /// Commissions and fees of this entry or exit, in the strategy's currency; the trade's fees are their sum.
    #[schema(minimum = 0, maximum = 1e12)]
    fees: Option<f64>,
    /// On an update or exit: the most favourable price reached so far (the highest for a long, the lowest for a
    /// short). It only ever moves further out, and never sits inside the trade's own prices.
    #[schema(exclusive_minimum = 0, maximum = 1e12, nullable = false)]
    max_favorable_price: Option<f64>,
    /// On an update or exit: the most adverse price reached so far.
    #[schema(exclusive_minimum = 0, maximum = 1e12, nullable = false)]
    max_adverse_price: Option<f64>,
    /// An API key (`qk_…`), for senders that cannot set an `Authorization` header; send one or the other. Never
    /// stored, echoed or logged.
    #[schema(pattern = "^qk_[0-9A-Za-z]{38}$")]
    api_key: Option<String>,
}

fn trade_tags_schema() -> Array {
    tags_array(
        true,
        "At most 10 tags of 1–32 characters (setups, mistakes); trimmed, lowercased, duplicates dropped. \
                      On an entry they are the trade's; on an update or exit they replace its tags.",
    )
}

fn replaced_trade_tags_schema() -> Array {
    tags_array(false, "At most 10 tags of 1–32 characters; they replace the trade's.")
}

fn symbol_schema() -> Object {
    let description = "Instrument, 1–40 characters of `A-Z 0-9 . _ : / ! -` (any case; stored uppercase). Required \
                       for an entry; for an update or exit it must match the trade's when given.";
    string(symbol_pattern(), true, description)
}

fn timeframe_schema() -> Object {
    let bounds = (Timeframe::MIN_CHARS, Timeframe::MAX_CHARS);
    string(trimmed_pattern(bounds.0, bounds.1), true, "Signal timeframe, 1–16 characters, trimmed.")
}

fn source_schema() -> Object {
    let bounds = (Source::MIN_CHARS, Source::MAX_CHARS);
    string(trimmed_pattern(bounds.0, bounds.1), true, "Signal source, 1–64 characters, trimmed (set at entry).")
}

fn external_reference_schema() -> Object {
    let bounds = (ExternalReference::MIN_CHARS, ExternalReference::MAX_CHARS);
    let description = "The sender's signal or order id, 1–128 characters, trimmed. At most one open trade per \
                       strategy carries it.";
    string(trimmed_pattern(bounds.0, bounds.1), true, description)
}

/// A side as a request may spell it.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[allow(dead_code)]
pub enum SideInput {
    /// Long.
    #[serde(rename = "BUY")]
    Buy,
    /// Short.
    #[serde(rename = "SELL")]
    Sell,
    /// Long.
    #[serde(rename = "buy")]
    BuyLower,
    /// Short.
    #[serde(rename = "sell")]
    SellLower,
    /// Long, by another name.
    #[serde(rename = "LONG")]
    Long,
    /// Short, by another name.
    #[serde(rename = "SHORT")]
    Short,
    /// Long, by another name.
    #[serde(rename = "long")]
    LongLower,
    /// Short, by another name.
    #[serde(rename = "short")]
    ShortLower,
}

/// A signal's kind as a request may spell it.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[allow(dead_code)]
pub enum SignalEventInput {
    /// Opens a trade.
    #[serde(rename = "entry")]
    Entry,
    /// Changes an open trade.
    #[serde(rename = "update")]
    Update,
    /// Closes or cancels an open trade.
    #[serde(rename = "exit")]
    Exit,
    /// Opens a trade.
    #[serde(rename = "ENTRY")]
    EntryUpper,
    /// Changes an open trade.
    #[serde(rename = "UPDATE")]
    UpdateUpper,
    /// Closes or cancels an open trade.
    #[serde(rename = "EXIT")]
    ExitUpper,
}

/// A status as a request may spell it.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[allow(dead_code)]
pub enum StatusInput {
    /// Open.
    #[serde(rename = "OPEN")]
    Open,
    /// Closed.
    #[serde(rename = "CLOSED")]
    Closed,
    /// Cancelled.
    #[serde(rename = "CANCELLED")]
    Cancelled,
    /// Open.
    #[serde(rename = "open")]
    OpenLower,
    /// Closed.
    #[serde(rename = "closed")]
    ClosedLower,
    /// Cancelled.
    #[serde(rename = "cancelled")]
    CancelledLower,
}

/// Change an open trade's levels, close or cancel it, or correct a closed one.
#[derive(Debug, ToSchema)]
#[schema(min_properties = 1, example = json!({ "status": "CLOSED", "close_price": 1.0898, "closed_at": "2026-05-21T18:15:00Z" }))]
#[allow(dead_code)]
pub struct UpdateTradeRequest {
    /// `CLOSED` or `CANCELLED` to end an open trade; a terminal status cannot change.
    #[schema(value_type = StatusInput, required = false)]
    status: Option<String>,
    /// Close price: with `status: CLOSED`, or to correct a closed trade.
    #[schema(exclusive_minimum = 0, maximum = 1e12, nullable = false)]
    close_price: Option<f64>,
    /// Close time (RFC 3339): with a terminal status, or to correct a terminal trade.
    #[schema(format = DateTime, nullable = false)]
    closed_at: Option<String>,
    /// Stop loss; `null` removes it.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    stop_loss: Option<f64>,
    /// Take profit; `null` removes it.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    take_profit: Option<f64>,
    /// The trader's notes; `null` removes them.
    #[schema(value_type = Option<Object>)]
    meta: Option<Value>,
    #[schema(schema_with = replaced_trade_tags_schema)]
    tags: Option<Vec<String>>,
    /// A corrected total of the trade's fees. A PATCH never moves a quantity: partial exits go through an exit
    /// signal or the close route.
    #[schema(minimum = 0, maximum = 1e12, nullable = false)]
    fees: Option<f64>,
    /// The most favourable price the trade reached; `null` removes it. Widened to the trade's own prices when it
    /// lies inside them.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    max_favorable_price: Option<f64>,
    /// The most adverse price the trade reached; `null` removes it.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    max_adverse_price: Option<f64>,
}

/// Close an open trade, optionally with its final price and time (default: now); with a `quantity` below what is
/// open, take that much off and leave it open (a partial exit).
#[derive(Debug, ToSchema)]
#[schema(example = json!({ "close_price": 1.0898, "closed_at": "2026-05-21T18:15:00Z" }))]
#[allow(dead_code)]
pub struct CloseTradeRequest {
    /// Final price, or the price of a partial exit.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    close_price: Option<f64>,
    /// Close time (RFC 3339), or the time of a partial exit.
    #[schema(format = DateTime)]
    closed_at: Option<String>,
    /// How much to take off a trade opened with a size: below what is open a partial exit, equal (or none) closes
    /// it. Refused on a trade opened without a size.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    quantity: Option<f64>,
    /// Commissions and fees of this exit.
    #[schema(minimum = 0, maximum = 1e12)]
    fees: Option<f64>,
}

fn extensions_change(r: &mut FieldReader) -> ExtensionsChange {
    ExtensionsChange {
        signal: r.clearable("signal", object),
        market: r.clearable("market", object),
        risk: r.clearable("risk", object),
        context: r.clearable("context", object),
        meta: r.clearable("meta", object),
    }
}

/// Fields an event does not use, refused so a mistake is not silently dropped.
fn refuse(r: &mut FieldReader, event: &str, fields: &[&str]) {
    for field in fields {
        if r.optional(field, Ok).is_some() {
            r.blame(field, format!("is not used by an {event} signal"));
        }
    }
}

/// Parses a signal (the `api_key` field already taken out).
pub fn parse_signal(mut r: FieldReader) -> Result<Signal, ApiError> {
    let event = r.optional("event", text(SignalEvent::parse)).unwrap_or(SignalEvent::Entry);
    let signal = match event {
        SignalEvent::Entry => {
            let symbol = r.required("symbol", text(Symbol::parse));
            let side = r.required("side", text(Side::parse));
            let status = r.optional("status", text(Status::parse)).unwrap_or(Status::Open);
            let entry = r.optional("entry", price);
            let stop_loss = r.optional("stop_loss", price);
            let take_profit = r.optional("take_profit", price);
            let close_price = r.optional("close_price", price);
            let signal_time = r.optional("signal_time", timestamp);
            let closed_at = r.optional("closed_at", timestamp);
            let timeframe = r.optional("timeframe", text(Timeframe::parse));
            let source = r.optional("source", text(Source::parse));
            let external_reference = r.optional("external_reference", text(ExternalReference::parse));
            let tags = r.optional("tags", tags).unwrap_or_default();
            let quantity = r.optional("quantity", quantity);
            let point_value = r.optional("point_value", point_value);
            let fees = r.optional("fees", fees);
            refuse(&mut r, "entry", &["max_favorable_price", "max_adverse_price"]);
            let change = extensions_change(&mut r);
            let extensions = match Extensions::default().changed(change) {
                Ok(extensions) => Some(extensions),
                Err(error) => {
                    r.blame("extensions", format!("signal, market, risk, context and meta {error}"));
                    None
                }
            };
            r.finish()?;
            Signal::Entry(NewTrade {
                symbol: present(symbol, "symbol")?,
                side: present(side, "side")?,
                status,
                entry,
                stop_loss,
                take_profit,
                close_price,
                signal_time,
                closed_at,
                timeframe,
                source,
                external_reference,
                tags,
                extensions: present(extensions, "extensions")?,
                quantity,
                point_value,
                fees,
            })
        }
        SignalEvent::Update => {
            let locator = locator(&mut r);
            refuse(&mut r, "update", &["status", "close_price", "closed_at", "quantity", "point_value", "fees"]);
            ignored(&mut r);
            let levels = levels(&mut r);
            r.finish()?;
            Signal::Update { locator, levels }
        }
        SignalEvent::Exit => {
            let locator = locator(&mut r);
            let status = r.optional("status", text(Status::parse));
            let close_price = r.optional("close_price", price);
            let signal_time = r.optional("signal_time", timestamp);
            let closed_at = r.optional("closed_at", timestamp);
            let _ = r.optional("source", text(Source::parse));
            let quantity = r.optional("quantity", quantity);
            let fees = r.optional("fees", fees);
            refuse(&mut r, "exit", &["point_value"]);
            let levels = levels(&mut r);
            r.finish()?;
            let exit = SignalExit { status, close_price, signal_time, closed_at, levels, quantity, fees };
            Signal::Exit { locator, exit }
        }
    };
    Ok(signal)
}

/// How an update or exit names its trade; `side` is checked for form but not compared.
fn locator(r: &mut FieldReader) -> SignalLocator {
    let _ = r.optional("side", text(Side::parse));
    SignalLocator {
        external_reference: r.optional("external_reference", text(ExternalReference::parse)),
        symbol: r.optional("symbol", text(Symbol::parse)),
    }
}

/// Fields an update accepts (so one alert template can serve every event) but does not change.
fn ignored(r: &mut FieldReader) {
    let _ = r.optional("signal_time", timestamp);
    let _ = r.optional("source", text(Source::parse));
}

fn levels(r: &mut FieldReader) -> LevelsChange {
    LevelsChange {
        entry: r.optional("entry", price),
        stop_loss: r.clearable("stop_loss", price),
        take_profit: r.clearable("take_profit", price),
        timeframe: r.optional("timeframe", text(Timeframe::parse)),
        tags: r.optional("tags", tags),
        max_favorable_price: r.optional("max_favorable_price", price),
        max_adverse_price: r.optional("max_adverse_price", price),
        extensions: extensions_change(r),
    }
}

/// Parses a `PATCH …/trades/{trade_id}` body.
pub fn parse_patch(body: JsonObject) -> Result<TradePatch, ApiError> {
    let mut r = FieldReader::new::<UpdateTradeRequest>(body);
    let patch = TradePatch {
        status: r.settable("status", text(Status::parse)),
        close_price: r.settable("close_price", price),
        closed_at: r.settable("closed_at", timestamp),
        stop_loss: r.clearable("stop_loss", price),
        take_profit: r.clearable("take_profit", price),
        meta: r.clearable("meta", object),
        tags: r.settable("tags", tags),
        fees: r.settable("fees", fees),
        max_favorable_price: r.clearable("max_favorable_price", price),
        max_adverse_price: r.clearable("max_adverse_price", price),
    };
    r.finish()?;
    Ok(patch)
}

/// Parses a close body; no body closes now without a price.
pub fn parse_close(body: Option<JsonObject>) -> Result<CloseTrade, ApiError> {
    let Some(body) = body else {
        return Ok(CloseTrade::default());
    };
    let mut r = FieldReader::new::<CloseTradeRequest>(body);
    let close = CloseTrade {
        close_price: r.optional("close_price", price),
        closed_at: r.optional("closed_at", timestamp),
        quantity: r.optional("quantity", quantity),
        fees: r.optional("fees", fees),
    };
    r.finish()?;
    Ok(close)
}

crate::fields::request_schemas!(CreateTradeRequest, UpdateTradeRequest, CloseTradeRequest);
