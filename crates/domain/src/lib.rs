//! Quantarya's pure core: identifiers, validated values, users, strategies, API keys, and the trade
//! lifecycle state machine with its history.
//!
//! Nothing here does I/O or reads a clock: every function that needs "now" or a fresh id is handed one, so
//! other services can embed these rules and tests can drive them deterministically. Values are parsed once at
//! the edge (`Symbol::parse`, `Price::new`, …); holding one means it is valid.
//!
//! A trade going entry → update → exit:
//!
//! ```
//! use quantarya_domain::{
//!     CredentialKind, EventId, EventKind, LevelsChange, NewTrade, Outcome, Price, Side, SignalExit,
//!     Stamp, Status, StrategyId, Symbol, Timestamp, Trade, TradeCommand, TradeId, UserId,
//! };
//! # use quantarya_domain::uuid::Uuid;
//! # fn id(n: u128) -> Uuid { Uuid::from_u128(n) }
//! let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid time");
//! let stamp = |n, time| Stamp { event_id: EventId::from_uuid(id(n)), at: at(time), by: CredentialKind::ApiKey };
//!
//! // An entry signal opens the trade.
//! let entry = NewTrade {
//!     entry: Some(Price::new(1.0825)?),
//!     stop_loss: Some(Price::new(1.0785)?),
//!     signal_time: Some(at("2026-05-21T12:00:00Z")),
//!     ..NewTrade::open(Symbol::parse("eurusd")?, Side::parse("long")?)
//! };
//! let opened = Trade::open(
//!     TradeId::from_uuid(id(1)),
//!     StrategyId::from_uuid(id(2)),
//!     UserId::parse("user_123")?,
//!     entry,
//!     stamp(10, "2026-05-21T12:00:01Z"),
//! )?;
//! assert_eq!(opened.trade.status, Status::Open);
//! assert_eq!(opened.trade.symbol.as_str(), "EURUSD");
//!
//! // An update signal trails the stop.
//! let update = TradeCommand::Update(LevelsChange { stop_loss: Some(Some(Price::new(1.0830)?)), ..Default::default() });
//! let Outcome::Changed(updated) = opened.trade.apply(update, stamp(11, "2026-05-21T15:00:00Z"))? else {
//!     unreachable!("a new stop is a change")
//! };
//! assert_eq!(updated.event.kind, EventKind::Update);
//!
//! // An exit signal closes it at the signal's time.
//! let exit = TradeCommand::Exit(SignalExit {
//!     close_price: Some(Price::new(1.0898)?),
//!     signal_time: Some(at("2026-05-21T18:15:00Z")),
//!     ..Default::default()
//! });
//! let Outcome::Changed(closed) = updated.trade.apply(exit, stamp(12, "2026-05-21T18:15:02Z"))? else {
//!     unreachable!("an exit closes an open trade")
//! };
//! assert_eq!(closed.trade.status, Status::Closed);
//! assert_eq!(closed.trade.closed_at, Some(at("2026-05-21T18:15:00Z")));
//! assert_eq!(closed.trade.version, 3);
//!
//! // Closed is terminal: a second exit is refused and changes nothing.
//! let again = TradeCommand::Exit(SignalExit::default());
//! assert!(closed.trade.apply(again, stamp(13, "2026-05-21T18:16:00Z")).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A position scaled in, partly taken off and closed, with what it made: two contracts of ES (50 dollars a point)
//! bought at 5000, one more at 5010, one taken off at 5020 and the rest at 5030, with 2.50 of fees a fill.
//!
//! ```
//! use quantarya_domain::{
//!     CloseTrade, CredentialKind, EventId, EventKind, ExternalReference, Fees, NewTrade, Outcome, PointValue, Price,
//!     Quantity, Side, SignalExit, Stamp, Status, StrategyId, Symbol, Timestamp, Trade, TradeCommand, TradeId, UserId,
//! };
//! # use quantarya_domain::uuid::Uuid;
//! # let stamp = |n: u128, time: &str| -> Result<Stamp, quantarya_domain::ValueError> {
//! #     Ok(Stamp { event_id: EventId::from_uuid(Uuid::from_u128(n)), at: Timestamp::parse_rfc3339(time)?, by: CredentialKind::ApiKey })
//! # };
//! # let ids = (TradeId::from_uuid(Uuid::from_u128(1)), StrategyId::from_uuid(Uuid::from_u128(2)));
//! let entry = |price: f64, contracts: f64| -> Result<NewTrade, quantarya_domain::ValueError> {
//!     Ok(NewTrade {
//!         entry: Some(Price::new(price)?),
//!         quantity: Some(Quantity::new(contracts)?),
//!         point_value: Some(PointValue::new(50.0)?),
//!         fees: Some(Fees::new(2.5)?),
//!         external_reference: Some(ExternalReference::parse("Long")?),
//!         ..NewTrade::open(Symbol::parse("ES1!")?, Side::Buy)
//!     })
//! };
//! let changed = |outcome: Outcome| match outcome {
//!     Outcome::Changed(transition) => transition,
//!     Outcome::Unchanged => unreachable!("every step below changes the trade"),
//! };
//! let opened = Trade::open(ids.0, ids.1, UserId::parse("u_1")?, entry(5000.0, 2.0)?, stamp(10, "2026-05-21T14:30:00Z")?)?;
//!
//! // An entry with a size on the open reference adds to the position: the entry is the weighted average.
//! let add = opened.trade.entry_on_open(&entry(5010.0, 1.0)?)?;
//! let added = changed(opened.trade.apply(add, stamp(11, "2026-05-21T14:45:00Z")?)?);
//! assert_eq!(added.event.kind, EventKind::Add);
//! assert_eq!(added.trade.quantity(), Some(Quantity::new(3.0)?));
//! assert!((added.trade.entry.map_or(0.0, Price::get) - 15010.0 / 3.0).abs() < 1e-9);
//!
//! // An exit with a quantity below what is open is a partial exit: the trade stays open.
//! let take_profit = TradeCommand::Exit(SignalExit {
//!     close_price: Some(Price::new(5020.0)?),
//!     quantity: Some(Quantity::new(1.0)?),
//!     fees: Some(Fees::new(2.5)?),
//!     ..Default::default()
//! });
//! let reduced = changed(added.trade.apply(take_profit, stamp(12, "2026-05-21T15:00:00Z")?)?);
//! assert_eq!((reduced.event.kind, reduced.trade.status), (EventKind::Reduce, Status::Open));
//! assert_eq!(reduced.trade.open_quantity(), Some(Quantity::new(2.0)?.get()));
//!
//! // The close route takes off the rest; the close price is the average of the exits.
//! let close = TradeCommand::Close(CloseTrade { close_price: Some(Price::new(5030.0)?), fees: Some(Fees::new(2.5)?), ..Default::default() });
//! let closed = changed(reduced.trade.apply(close, stamp(13, "2026-05-21T15:30:00Z")?)?).trade;
//! assert_eq!(closed.status, Status::Closed);
//! assert_eq!(closed.fills.len(), 4);
//! assert!((closed.close_price.map_or(0.0, Price::get) - 15080.0 / 3.0).abs() < 1e-9);
//! // (5080/3 - 15010/3) * 3 contracts * 50 dollars = 3500, less 4 fills' fees of 2.50.
//! assert!((closed.realized_pnl().unwrap_or(0.0) - 3490.0).abs() < 1e-6);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod api_key;
mod api_key_grant;
mod credential;
mod currency;
mod ids;
mod import;
mod receipt;
mod signal_log;
mod stats;
mod strategy;
mod time;
mod trade;
mod user;
mod value;
mod webhook;

pub use api_key::{ApiKey, ApiKeyFormatError, ApiKeyHash, KeyName, KeyPrefix, NewApiKey, RawApiKey};
pub use api_key_grant::{ApiKeyScope, ApiKeyScopes, KeyGrant, KeyStrategies};
/// Re-exported so embedders read times and lifetimes (`Receipt::KEYED_LIFETIME`, …) with the same version this
/// crate uses.
pub use chrono;
pub use chrono_tz;
pub use credential::CredentialKind;
pub use currency::Currency;
pub use ids::{ApiKeyId, EventId, IdError, ImportId, SignalId, StrategyId, TradeId, UserId, WebhookId};
pub use import::{Import, ImportFormat, ImportKey, ImportedTrade};
pub use receipt::{BodyHash, IdempotencyKey, Receipt, Repeat, SignalTarget};
/// Re-exported so embedders read sizes and fees with the same version this crate uses.
pub use rust_decimal;
pub use signal_log::{KEY_REMOVED, LoggedBody, LoggedDetail, LoggedOutcome, SignalLogEntry, SignalResult, logged_text};
pub use stats::{
    Breakdowns, ClosedTrade, CurvePoint, CurveSampler, Excursion, Figures, HoldingTime, OutOfOrder, Performance,
    Statistics, StatsBuilder, TradeReturn,
};
pub use strategy::{Description, NewStrategy, SignalAge, Strategy, StrategyChange, StrategyTitle, Tags};
pub use time::Timestamp;
pub use trade::{
    CloseTrade, CorruptTrade, DECIMAL_PLACES, EventKind, ExtensionSlot, Extensions, ExtensionsChange,
    ExternalReference, Fees, FieldChange, Fill, FillKind, HistorySoFar, JsonObject, LIVE_WINDOW_SECONDS, LevelsChange,
    LifecycleError, Locator, MAX_FILLS, NewTrade, Origin, Outcome, PointValue, Price, Quantity, ScaleIn, Side,
    SignalEvent, SignalExit, Source, Stamp, Status, Symbol, Timeframe, Trade, TradeCommand, TradeEvent, TradePatch,
    TradeRecord, Transition, exit_already_applied, is_correction, is_live_entry, live_from_history, select_open_trade,
};
pub use user::{Bio, DisplayName, Email, ProfileChange, ProfileError, User, UserName};
pub use value::ValueError;
pub use webhook::{
    Delivery, DeliveryState, NewWebhook, RetrySchedule, Webhook, WebhookEvent, WebhookEvents, WebhookSecret,
    WebhookStrategies, WebhookUrl, forbidden_address,
};

/// Re-exported so embedders build ids and JSON objects with the same versions this crate uses.
pub use serde_json;
/// Re-exported so embedders build ids with the same version this crate uses.
pub use uuid;
