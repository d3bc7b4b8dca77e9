//! `/strategies/{strategy_id}/trades`.

use quantarya_domain::{
    CloseTrade, CredentialKind, EventKind, ExtensionSlot, Extensions, ExtensionsChange, ExternalReference, JsonObject,
    LevelsChange, NewTrade, Origin, Side, SignalEvent, SignalExit, Source, Status, Symbol, Timeframe, Trade,
    TradeEvent, TradePatch,
};
use quantarya_ports::{Signal, SignalLocator};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{number, time};
use crate::error::ApiError;
use crate::fields::{FieldReader, object, present, price, text, timestamp};

/// A trade's direction.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SideView {
    /// Long.
    Buy,
    /// Short.
    Sell,
}

/// Where a trade is in its life.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum StatusView {
    /// Open.
    Open,
    /// Closed (terminal).
    Closed,
    /// Cancelled (terminal).
    Cancelled,
}

/// The signal that last moved a trade.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SignalEventView {
    /// Opened.
    Entry,
    /// Levels or notes changed while open.
    Update,
    /// Closed or cancelled.
    Exit,
}

/// How a trade came to exist.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OriginView {
    /// Created with a user JWT; can be deleted.
    Manual,
    /// Created with an API key; can be cancelled, never deleted.
    ApiKey,
}

/// A trade.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "trade_id": "trd_0192f0c17a4b7cde8f0123456789abcd",
    "strategy_id": "strat_0192f0c17a4b7cde8f0123456789abce",
    "user_id": "user_123",
    "symbol": "EURUSD",
    "side": "BUY",
    "status": "OPEN",
    "event": "entry",
    "entry": 1.0825,
    "stop_loss": 1.0785,
    "take_profit": 1.0905,
    "close_price": null,
    "opened_at": "2026-05-21T12:00:00Z",
    "closed_at": null,
    "signal_time": "2026-05-21T12:00:00Z",
    "timeframe": "4h",
    "source": "tradingview",
    "external_reference": "tv-eurusd-001",
    "signal": null,
    "market": null,
    "risk": null,
    "context": null,
    "meta": null,
    "origin": "api_key",
    "created_at": "2026-05-21T12:00:00Z",
    "updated_at": "2026-05-21T12:00:00Z"
}))]
pub struct TradeView {
    /// Its id.
    pub trade_id: String,
    /// Its strategy.
    pub strategy_id: String,
    /// The strategy's owner.
    pub user_id: String,
    /// The instrument, uppercase.
    pub symbol: String,
    /// The direction.
    pub side: SideView,
    /// Where it is in its life.
    pub status: StatusView,
    /// The signal that last moved it.
    pub event: SignalEventView,
    /// The entry price.
    #[schema(required = true)]
    pub entry: Option<f64>,
    /// The stop loss.
    #[schema(required = true)]
    pub stop_loss: Option<f64>,
    /// The take profit.
    #[schema(required = true)]
    pub take_profit: Option<f64>,
    /// The exit price of a closed trade.
    #[schema(required = true)]
    pub close_price: Option<f64>,
    /// When it opened: the signal time, else the time of receipt.
    #[schema(format = DateTime)]
    pub opened_at: String,
    /// When it closed or was cancelled; never before `opened_at`.
    #[schema(required = true, format = DateTime)]
    pub closed_at: Option<String>,
    /// The sender's time of the entry.
    #[schema(required = true, format = DateTime)]
    pub signal_time: Option<String>,
    /// The signal's timeframe.
    #[schema(required = true)]
    pub timeframe: Option<String>,
    /// Where the signal came from.
    #[schema(required = true)]
    pub source: Option<String>,
    /// The sender's id for it.
    #[schema(required = true)]
    pub external_reference: Option<String>,
    /// Free-form: what the signal said.
    #[schema(required = true, value_type = Option<Object>)]
    pub signal: Option<JsonObject>,
    /// Free-form: market conditions.
    #[schema(required = true, value_type = Option<Object>)]
    pub market: Option<JsonObject>,
    /// Free-form: sizing and risk.
    #[schema(required = true, value_type = Option<Object>)]
    pub risk: Option<JsonObject>,
    /// Free-form: anything else the sender knows.
    #[schema(required = true, value_type = Option<Object>)]
    pub context: Option<JsonObject>,
    /// Free-form: the trader's notes.
    #[schema(required = true, value_type = Option<Object>)]
    pub meta: Option<JsonObject>,
    /// `manual` (user JWT) or `api_key` (an integration).
    pub origin: OriginView,
    /// When Quantarya recorded it.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Side> for SideView {
    fn from(side: Side) -> Self {
        match side {
            Side::Buy => Self::Buy,
            Side::Sell => Self::Sell,
        }
    }
}

impl From<Status> for StatusView {
    fn from(status: Status) -> Self {
        match status {
            Status::Open => Self::Open,
            Status::Closed => Self::Closed,
            Status::Cancelled => Self::Cancelled,
        }
    }
}

impl From<Trade> for TradeView {
    fn from(trade: Trade) -> Self {
        let t = trade.into_record();
        let ext = |slot| t.extensions.get(slot).cloned();
        Self {
            trade_id: t.id.to_string(),
            strategy_id: t.strategy_id.to_string(),
            user_id: t.user_id.to_string(),
            symbol: t.symbol.to_string(),
            side: t.side.into(),
            status: t.status.into(),
            event: match t.event {
                SignalEvent::Entry => SignalEventView::Entry,
                SignalEvent::Update => SignalEventView::Update,
                SignalEvent::Exit => SignalEventView::Exit,
            },
            entry: number(t.entry),
            stop_loss: number(t.stop_loss),
            take_profit: number(t.take_profit),
            close_price: number(t.close_price),
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
            origin: match t.origin {
                Origin::Manual => OriginView::Manual,
                Origin::ApiKey => OriginView::ApiKey,
            },
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
        }
    }
}

/// What happened to a trade.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventKindView {
    /// Created.
    Entry,
    /// Levels or notes of an open trade changed.
    Update,
    /// Closed by an exit signal.
    Exit,
    /// Closed by hand.
    Close,
    /// Cancelled.
    Cancel,
    /// A terminal trade's values corrected.
    Correct,
}

/// Which kind of credential made a change.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialView {
    /// A user JWT.
    User,
    /// An API key.
    ApiKey,
}

/// One entry of a trade's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradeEventView {
    /// Its id.
    pub event_id: String,
    /// The trade.
    pub trade_id: String,
    /// The trade version it produced (1 for the entry).
    pub version: u64,
    /// What happened.
    pub kind: EventKindView,
    /// When it was recorded.
    #[schema(format = DateTime)]
    pub at: String,
    /// By which kind of credential.
    pub by: CredentialView,
    /// The fields it set, with their new values (`null` where cleared).
    #[schema(value_type = Object)]
    pub fields: JsonObject,
}

impl From<TradeEvent> for TradeEventView {
    fn from(event: TradeEvent) -> Self {
        Self {
            event_id: event.id.to_string(),
            trade_id: event.trade_id.to_string(),
            version: event.version,
            kind: match event.kind {
                EventKind::Entry => EventKindView::Entry,
                EventKind::Update => EventKindView::Update,
                EventKind::Exit => EventKindView::Exit,
                EventKind::Close => EventKindView::Close,
                EventKind::Cancel => EventKindView::Cancel,
                EventKind::Correct => EventKindView::Correct,
            },
            at: time(event.at),
            by: match event.by {
                CredentialKind::User => CredentialView::User,
                CredentialKind::ApiKey => CredentialView::ApiKey,
            },
            fields: event.changes.iter().map(|c| (c.field().to_owned(), c.value())).collect(),
        }
    }
}

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
    /// Instrument, 1–40 characters of `A-Z 0-9 . _ : / ! -` (any case; stored uppercase). Required for an entry;
    /// for an update or exit it must match the trade's when given.
    #[schema(min_length = 1, max_length = 40, pattern = r"^[A-Za-z0-9._:/!-]+$", example = "BINANCE:BTCUSDT.P")]
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
    /// Signal timeframe, 1–16 characters.
    #[schema(min_length = 1, max_length = 16, pattern = r"^\S(.*\S)?$")]
    timeframe: Option<String>,
    /// Signal source, 1–64 characters (set at entry).
    #[schema(min_length = 1, max_length = 64, pattern = r"^\S(.*\S)?$")]
    source: Option<String>,
    /// The sender's signal or order id, 1–128 characters. At most one open trade per strategy carries it.
    #[schema(min_length = 1, max_length = 128, pattern = r"^\S(.*\S)?$")]
    external_reference: Option<String>,
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
    /// An API key (`qk_…`), for senders that cannot set an `Authorization` header; send one or the other. Never
    /// stored, echoed or logged.
    #[schema(pattern = "^qk_[0-9A-Za-z]{38}$")]
    api_key: Option<String>,
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
    #[schema(value_type = Option<StatusInput>)]
    status: Option<String>,
    /// Close price: with `status: CLOSED`, or to correct a closed trade.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    close_price: Option<f64>,
    /// Close time (RFC 3339): with a terminal status, or to correct a terminal trade.
    #[schema(format = DateTime)]
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
}

/// Close an open trade, optionally with its final price and time (default: now).
#[derive(Debug, ToSchema)]
#[schema(example = json!({ "close_price": 1.0898, "closed_at": "2026-05-21T18:15:00Z" }))]
#[allow(dead_code)]
pub struct CloseTradeRequest {
    /// Final price.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    close_price: Option<f64>,
    /// Close time (RFC 3339).
    #[schema(format = DateTime)]
    closed_at: Option<String>,
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
                extensions: present(extensions, "extensions")?,
            })
        }
        SignalEvent::Update => {
            let locator = locator(&mut r);
            refuse(&mut r, "update", &["status", "close_price", "closed_at"]);
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
            let levels = levels(&mut r);
            r.finish()?;
            Signal::Exit { locator, exit: SignalExit { status, close_price, signal_time, closed_at, levels } }
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
        extensions: extensions_change(r),
    }
}

/// Parses a `PATCH …/trades/{trade_id}` body.
pub fn parse_patch(body: JsonObject) -> Result<TradePatch, ApiError> {
    let mut r = FieldReader::new::<UpdateTradeRequest>(body);
    let patch = TradePatch {
        status: r.optional("status", text(Status::parse)),
        close_price: r.optional("close_price", price),
        closed_at: r.optional("closed_at", timestamp),
        stop_loss: r.clearable("stop_loss", price),
        take_profit: r.clearable("take_profit", price),
        meta: r.clearable("meta", object),
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
    let close =
        CloseTrade { close_price: r.optional("close_price", price), closed_at: r.optional("closed_at", timestamp) };
    r.finish()?;
    Ok(close)
}

crate::fields::request_schemas!(CreateTradeRequest, UpdateTradeRequest, CloseTradeRequest);
