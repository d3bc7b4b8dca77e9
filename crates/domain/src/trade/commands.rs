//! The commands of the trade lifecycle: a new trade, and the changes an update, an exit, the close route and a
//! PATCH ask of an existing one, with the rules a command obeys before it meets a trade.

use crate::credential::CredentialKind;
use crate::ids::EventId;
use crate::strategy::Tags;
use crate::time::Timestamp;

use super::error::LifecycleError;
use super::extensions::{Extensions, ExtensionsChange, JsonObject};
use super::fields::{ExternalReference, Price, Side, Source, Status, Symbol, Timeframe};
use super::lifecycle::not_in_future;
use super::position::{Fees, PointValue, Quantity};

/// Who changes a trade, and when: the context every transition is stamped with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The id the history event will carry.
    pub event_id: EventId,
    /// The time of receipt.
    pub at: Timestamp,
    /// The kind of credential making the change.
    pub by: CredentialKind,
}

/// A new trade: an entry signal, a manual trade, or a back-filled closed or cancelled one.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTrade {
    /// The instrument.
    pub symbol: Symbol,
    /// The direction.
    pub side: Side,
    /// `OPEN` (the default), or `CLOSED`/`CANCELLED` for a back-filled trade.
    pub status: Status,
    /// The entry price.
    pub entry: Option<Price>,
    /// The stop loss.
    pub stop_loss: Option<Price>,
    /// The take profit.
    pub take_profit: Option<Price>,
    /// The close price; required for a back-filled `CLOSED` trade, refused otherwise.
    pub close_price: Option<Price>,
    /// The sender's time; it becomes `opened_at`. Required for a back-filled `CLOSED` trade.
    pub signal_time: Option<Timestamp>,
    /// When a back-filled trade closed; required for `CLOSED`, optional for `CANCELLED`, refused for `OPEN`.
    pub closed_at: Option<Timestamp>,
    /// The timeframe.
    pub timeframe: Option<Timeframe>,
    /// The source.
    pub source: Option<Source>,
    /// The sender's reference.
    pub external_reference: Option<ExternalReference>,
    /// The tags (the strategy tag rules).
    pub tags: Tags,
    /// The extension objects.
    pub extensions: Extensions,
    /// The size entered; without one the trade is a signal, measured in percent and R only.
    pub quantity: Option<Quantity>,
    /// Currency per unit per point of price (default 1).
    pub point_value: Option<PointValue>,
    /// What the entry cost.
    pub fees: Option<Fees>,
}

impl NewTrade {
    /// An open trade on `symbol` in direction `side`, with nothing else set: fill in the rest with struct update
    /// syntax.
    ///
    /// ```
    /// use quantarya_domain::{NewTrade, Price, Side, Status, Symbol};
    /// let entry = NewTrade { entry: Some(Price::new(1.0825)?), ..NewTrade::open(Symbol::parse("EURUSD")?, Side::Buy) };
    /// assert_eq!(entry.status, Status::Open);
    /// assert!(entry.stop_loss.is_none() && entry.external_reference.is_none());
    /// # Ok::<(), quantarya_domain::ValueError>(())
    /// ```
    pub fn open(symbol: Symbol, side: Side) -> Self {
        Self {
            symbol,
            side,
            status: Status::Open,
            entry: None,
            stop_loss: None,
            take_profit: None,
            close_price: None,
            signal_time: None,
            closed_at: None,
            timeframe: None,
            source: None,
            external_reference: None,
            tags: Tags::default(),
            extensions: Extensions::default(),
            quantity: None,
            point_value: None,
            fees: None,
        }
    }
}

/// A scale-in: an entry with a size on the reference of an open sized trade adds a fill to it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleIn {
    /// The fill's price; required, since the trade's entry becomes the quantity-weighted average.
    pub price: Option<Price>,
    /// The size added.
    pub quantity: Quantity,
    /// What the fill cost.
    pub fees: Option<Fees>,
    /// The sender's time of the fill (default: the time of receipt).
    pub signal_time: Option<Timestamp>,
    /// Levels and context the entry carries (its `entry` is the fill's price, not a new average).
    pub levels: LevelsChange,
}

/// The levels and context an update signal (or an exit) may change. `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LevelsChange {
    /// A new entry price.
    pub entry: Option<Price>,
    /// A new stop loss, or `Some(None)` to remove it.
    pub stop_loss: Option<Option<Price>>,
    /// A new take profit, or `Some(None)` to remove it.
    pub take_profit: Option<Option<Price>>,
    /// A new timeframe.
    pub timeframe: Option<Timeframe>,
    /// New tags, replacing the old ones.
    pub tags: Option<Tags>,
    /// The most favourable price reached so far; it only ever moves further out (see `bound_excursions`).
    pub max_favorable_price: Option<Price>,
    /// The most adverse price reached so far; it only ever moves further out.
    pub max_adverse_price: Option<Price>,
    /// Changes of the extension objects.
    pub extensions: ExtensionsChange,
}

/// An exit signal: closes the trade, or cancels it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalExit {
    /// `Some(CANCELLED)` cancels; `None` or `Some(CLOSED)` closes; `Some(OPEN)` is refused.
    pub status: Option<Status>,
    /// The exit price.
    pub close_price: Option<Price>,
    /// The sender's time; `closed_at` when `closed_at` itself is not given.
    pub signal_time: Option<Timestamp>,
    /// An explicit close time.
    pub closed_at: Option<Timestamp>,
    /// Levels and context to record with the exit; `entry` is refused.
    pub levels: LevelsChange,
    /// How much to take off a sized trade: below what is open a partial exit, equal (or none) closes it.
    pub quantity: Option<Quantity>,
    /// What the exit cost.
    pub fees: Option<Fees>,
}

impl SignalExit {
    /// Checks the rules an exit obeys whatever trade it meets, and tells the status it ends a trade in.
    /// The service checks this before it looks for the trade, so a malformed exit is refused even when it
    /// repeats an exit already applied.
    pub fn check(&self, now: Timestamp) -> Result<Status, LifecycleError> {
        let to = match self.status {
            None | Some(Status::Closed) => Status::Closed,
            Some(Status::Cancelled) => Status::Cancelled,
            Some(Status::Open) => return Err(LifecycleError::ExitToOpen),
        };
        if self.levels.entry.is_some() {
            return Err(LifecycleError::EntryOnExit);
        }
        if to == Status::Cancelled && self.close_price.is_some() {
            return Err(LifecycleError::PriceOnCancelledTrade);
        }
        if to == Status::Cancelled && self.quantity.is_some() {
            return Err(LifecycleError::FillOnCancel { field: "quantity" });
        }
        if to == Status::Cancelled && self.fees.is_some() {
            return Err(LifecycleError::FillOnCancel { field: "fees" });
        }
        not_in_future(self.signal_time, "signal_time", now)?;
        not_in_future(self.closed_at, "closed_at", now)?;
        Ok(to)
    }
}

/// The close route: `OPEN → CLOSED` with an optional price and time (default: now), or a partial exit of a sized
/// trade.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CloseTrade {
    /// The exit price.
    pub close_price: Option<Price>,
    /// When it closed.
    pub closed_at: Option<Timestamp>,
    /// How much to take off a sized trade: below what is open a partial exit, equal (or none) closes it.
    pub quantity: Option<Quantity>,
    /// What the exit cost.
    pub fees: Option<Fees>,
}

/// A partial update (`PATCH`): closes or cancels an open trade, corrects a terminal one, or changes levels and notes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TradePatch {
    /// A new status.
    pub status: Option<Status>,
    /// A close price; needs the trade to be or become `CLOSED`.
    pub close_price: Option<Price>,
    /// A close time; needs the trade to be or become terminal.
    pub closed_at: Option<Timestamp>,
    /// A new stop loss, or `Some(None)` to remove it.
    pub stop_loss: Option<Option<Price>>,
    /// A new take profit, or `Some(None)` to remove it.
    pub take_profit: Option<Option<Price>>,
    /// New trader's notes, or `Some(None)` to remove them.
    pub meta: Option<Option<JsonObject>>,
    /// New tags (the setups and mistakes a trader reviews by), replacing the old ones.
    pub tags: Option<Tags>,
    /// A corrected total of the trade's fees.
    pub fees: Option<Fees>,
    /// The most favourable price reached, or `Some(None)` to remove it; never worse than the trade's prices allow.
    pub max_favorable_price: Option<Option<Price>>,
    /// The most adverse price reached, or `Some(None)` to remove it; never worse than the trade's prices allow.
    pub max_adverse_price: Option<Option<Price>>,
}

impl TradePatch {
    pub(super) fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.close_price.is_none()
            && self.closed_at.is_none()
            && self.stop_loss.is_none()
            && self.take_profit.is_none()
            && self.meta.is_none()
            && self.tags.is_none()
            && self.fees.is_none()
            && self.max_favorable_price.is_none()
            && self.max_adverse_price.is_none()
    }
}

/// A change asked of an existing trade.
#[derive(Debug, Clone, PartialEq)]
pub enum TradeCommand {
    /// An entry with a size on an open sized trade's reference.
    Add(ScaleIn),
    /// An `update` signal.
    Update(LevelsChange),
    /// An `exit` signal.
    Exit(SignalExit),
    /// The close route.
    Close(CloseTrade),
    /// A `PATCH`.
    Patch(TradePatch),
}
