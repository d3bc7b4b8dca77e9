//! The trade aggregate: a validated record, its lifecycle, its history, and the rule that finds the
//! trade a signal acts on.

mod commands;
mod error;
mod event;
mod excursions;
mod extensions;
mod fields;
mod lifecycle;
mod liveness;
mod matching;
mod position;

use std::ops::Deref;

pub use commands::{CloseTrade, LevelsChange, NewTrade, ScaleIn, SignalExit, Stamp, TradeCommand, TradePatch};
pub use error::LifecycleError;
pub use event::{EventKind, FieldChange, TradeEvent};
pub use extensions::{ExtensionSlot, Extensions, ExtensionsChange, JsonObject};
pub use fields::{ExternalReference, Origin, Price, Side, SignalEvent, Source, Status, Symbol, Timeframe};
pub use lifecycle::{Outcome, Transition};
pub use liveness::{HistorySoFar, LIVE_WINDOW_SECONDS, is_correction, is_live_entry, live_from_history};
pub use matching::{Locator, exit_already_applied, select_open_trade};
pub use position::{DECIMAL_PLACES, Fees, Fill, FillKind, MAX_FILLS, PointValue, Quantity};

use crate::ids::{StrategyId, TradeId, UserId};
use crate::strategy::Tags;
use crate::time::Timestamp;

/// Every field of a trade, as stores keep it. Holding a [`Trade`] means these fields obey the lifecycle's
/// invariants; a bare record promises nothing until [`Trade::restore`] accepts it.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeRecord {
    /// Its id.
    pub id: TradeId,
    /// The strategy it belongs to.
    pub strategy_id: StrategyId,
    /// The owner of that strategy.
    pub user_id: UserId,
    /// The instrument.
    pub symbol: Symbol,
    /// The direction.
    pub side: Side,
    /// Where it is in its life.
    pub status: Status,
    /// The signal that last moved it.
    pub event: SignalEvent,
    /// The entry price, if known.
    pub entry: Option<Price>,
    /// The stop-loss level, if set.
    pub stop_loss: Option<Price>,
    /// The first stop loss the trade had (at its entry, or the first one set after): the risk its R is measured
    /// in, which moving the stop later (to break-even, say) does not change.
    pub initial_stop_loss: Option<Price>,
    /// The take-profit level, if set.
    pub take_profit: Option<Price>,
    /// The exit price of a `CLOSED` trade, if known; never set on an `OPEN` or `CANCELLED` trade.
    pub close_price: Option<Price>,
    /// The most favourable price the trade reached (the highest for a long, the lowest for a short), if known.
    pub max_favorable_price: Option<Price>,
    /// The most adverse price the trade reached (the lowest for a long, the highest for a short), if known.
    pub max_adverse_price: Option<Price>,
    /// When the position was opened: the signal time, else the time of receipt.
    pub opened_at: Timestamp,
    /// When it was closed or cancelled; set exactly when the status is terminal, never before `opened_at`.
    pub closed_at: Option<Timestamp>,
    /// The sender's time of the entry signal, if given.
    pub signal_time: Option<Timestamp>,
    /// The signal's timeframe.
    pub timeframe: Option<Timeframe>,
    /// Where the signal came from.
    pub source: Option<Source>,
    /// The sender's id for it.
    pub external_reference: Option<ExternalReference>,
    /// Its tags: the setups and mistakes a trader reviews by.
    pub tags: Tags,
    /// The free-form extension objects.
    pub extensions: Extensions,
    /// Currency per unit per point of price.
    pub point_value: PointValue,
    /// The trade's fees: the sum of its fills' fees, unless a correction set the total.
    pub fees: Fees,
    /// Every entry and exit fill, in the order they were applied. The trade's `entry` is the quantity-weighted
    /// average of its entry fills and a closed trade's `close_price` that of its exit fills.
    pub fills: Vec<Fill>,
    /// Whether it came from a user, an integration or an import.
    pub origin: Origin,
    /// Whether it counts in the live record: its entry came live through an API key and no number of it was
    /// corrected since (see [`live_from_history`]). Only an API-key trade can be live.
    pub live: bool,
    /// When Quantarya recorded it.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Starts at 1 and grows by one with every change; stores refuse a write based on a stale version.
    pub version: u64,
}

/// A record that breaks a lifecycle invariant, refused by [`Trade::restore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stored trade breaks an invariant: {0}")]
pub struct CorruptTrade(pub &'static str);

/// A trade whose fields obey every lifecycle invariant. Read it through its [`TradeRecord`] (it derefs to one);
/// change it only through [`Trade::apply`].
#[derive(Debug, Clone, PartialEq)]
pub struct Trade(TradeRecord);

impl Trade {
    /// Accepts a stored record when it obeys the invariants: terminal exactly when `closed_at` is set,
    /// `closed_at >= opened_at`, a close price only on a `CLOSED` trade, a version of at least 1.
    pub fn restore(record: TradeRecord) -> Result<Self, CorruptTrade> {
        match (record.status, record.closed_at) {
            (Status::Open, Some(_)) => return Err(CorruptTrade("an open trade has closed_at")),
            (Status::Closed | Status::Cancelled, None) => return Err(CorruptTrade("a terminal trade lacks closed_at")),
            (_, Some(closed_at)) if closed_at < record.opened_at => {
                return Err(CorruptTrade("closed_at is before opened_at"));
            }
            _ => {}
        }
        if record.close_price.is_some() && record.status != Status::Closed {
            return Err(CorruptTrade("only a closed trade has a close price"));
        }
        if record.version == 0 {
            return Err(CorruptTrade("version starts at 1"));
        }
        if record.live && record.origin != Origin::ApiKey {
            return Err(CorruptTrade("only an API-key trade can be live"));
        }
        if record.stop_loss.is_some() && record.initial_stop_loss.is_none() {
            return Err(CorruptTrade("a trade with a stop loss has an initial one"));
        }
        Self::check_fills(&record)?;
        Ok(Self(record))
    }

    /// The invariants of a position: an entry fill first, sizes on every fill or on none, one entry and at most
    /// one exit without sizes, something open exactly while `OPEN`, and an exit fill on every `CLOSED` trade.
    fn check_fills(record: &TradeRecord) -> Result<(), CorruptTrade> {
        if record.fills.first().is_none_or(|f| f.kind != FillKind::Entry) {
            return Err(CorruptTrade("a trade's first fill is its entry"));
        }
        if record.fills.len() > MAX_FILLS {
            return Err(CorruptTrade("a trade has too many fills"));
        }
        let exits = record.exit_fills().count();
        if record.status == Status::Closed && exits == 0 {
            return Err(CorruptTrade("a closed trade has an exit fill"));
        }
        if !record.is_sized() {
            if record.fills.iter().any(|f| f.quantity.is_some()) {
                return Err(CorruptTrade("a trade without a size has fills with one"));
            }
            if record.entry_fills().count() != 1 || exits > usize::from(record.status == Status::Closed) {
                return Err(CorruptTrade("a trade without a size has one entry fill and at most its exit"));
            }
            return Ok(());
        }
        if record.fills.iter().any(|f| f.quantity.is_none()) {
            return Err(CorruptTrade("a sized trade has a size on every fill"));
        }
        let entered: rust_decimal::Decimal = record.entry_fills().filter_map(|f| f.quantity).map(Quantity::get).sum();
        let exited: rust_decimal::Decimal = record.exit_fills().filter_map(|f| f.quantity).map(Quantity::get).sum();
        let consistent = match record.status {
            Status::Open => exited < entered,
            Status::Closed => exited == entered,
            Status::Cancelled => exited <= entered,
        };
        if !consistent {
            return Err(CorruptTrade("a sized trade's exits do not match its status"));
        }
        Ok(())
    }

    /// The record, for a store to keep.
    pub fn into_record(self) -> TradeRecord {
        self.0
    }

    /// Whether this trade may be erased on its own: only a manual trade can be; an integration's trade can only be
    /// cancelled, so a public track record cannot be cherry-picked, and an imported one leaves only with its whole
    /// import.
    pub fn ensure_erasable(&self) -> Result<(), LifecycleError> {
        match self.0.origin {
            Origin::Manual => Ok(()),
            Origin::ApiKey | Origin::Import => Err(LifecycleError::NotManual),
        }
    }
}

impl Deref for Trade {
    type Target = TradeRecord;

    fn deref(&self) -> &TradeRecord {
        &self.0
    }
}
