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

#![warn(missing_docs)]

mod api_key;
mod credential;
mod currency;
mod ids;
mod receipt;
mod stats;
mod strategy;
mod time;
mod trade;
mod user;
mod value;

pub use api_key::{ApiKey, ApiKeyFormatError, ApiKeyHash, KeyName, KeyPrefix, RawApiKey};
pub use credential::CredentialKind;
pub use currency::Currency;
pub use ids::{ApiKeyId, EventId, IdError, StrategyId, TradeId, UserId};
pub use receipt::{BodyHash, IdempotencyKey, Receipt, Repeat, SignalTarget};
pub use stats::{ClosedTrade, CurvePoint, CurveSampler, Figures, OutOfOrder, Statistics, StatsBuilder, TradeReturn};
pub use strategy::{Description, NewStrategy, Strategy, StrategyChange, StrategyTitle, Tags};
pub use time::Timestamp;
pub use trade::{
    CloseTrade, CorruptTrade, EventKind, ExtensionSlot, Extensions, ExtensionsChange, ExternalReference, FieldChange,
    JsonObject, LevelsChange, LifecycleError, Locator, NewTrade, Origin, Outcome, Price, Side, SignalEvent, SignalExit,
    Source, Stamp, Status, Symbol, Timeframe, Trade, TradeCommand, TradeEvent, TradePatch, TradeRecord, Transition,
    exit_already_applied, select_open_trade,
};
pub use user::{Bio, DisplayName, Email, ProfileChange, ProfileError, User, UserName};
pub use value::ValueError;

/// Re-exported so embedders build ids and JSON objects with the same versions this crate uses.
pub use serde_json;
/// Re-exported so embedders build ids with the same version this crate uses.
pub use uuid;
