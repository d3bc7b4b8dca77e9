//! The trade lifecycle as a pure state machine: `OPEN → CLOSED`, `OPEN → CANCELLED`, terminal states absorb.
//!
//! [`Trade::open`] creates a trade and [`Trade::apply`] changes one; each either yields the new trade with the
//! history event to append, or a [`LifecycleError`] and no change at all.

use crate::ids::{StrategyId, TradeId, UserId};
use crate::time::Timestamp;

use super::commands::{LevelsChange, NewTrade, ScaleIn, SignalExit, Stamp, TradeCommand, TradePatch};
use super::error::LifecycleError;
use super::event::{EventKind, FieldChange, TradeEvent};
use super::extensions::ExtensionsChange;
use super::fields::{Price, SignalEvent, Status};
use super::liveness::{HistorySoFar, is_correction, is_live_entry};
use super::position::{Fees, Fill, FillKind, MAX_FILLS, Quantity, average_price};
use super::{Trade, TradeRecord};

/// An accepted change: the new trade and the history event that records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The trade after the change, its version one higher.
    pub trade: Trade,
    /// The event to append to its history.
    pub event: TradeEvent,
}

/// The result of an accepted command.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "an outcome is returned once per command and destructured at once; boxing would only add an allocation"
)]
pub enum Outcome {
    /// The trade changed.
    Changed(Transition),
    /// The command was valid but every value it names is already the trade's: nothing to store, no event.
    Unchanged,
}

/// Refuses a sender's time further ahead of `now` than the clock skew allows.
pub(super) fn not_in_future(
    time: Option<Timestamp>,
    field: &'static str,
    now: Timestamp,
) -> Result<(), LifecycleError> {
    match time {
        Some(t) if t.is_in_future_of(now) => Err(LifecycleError::InFuture { field }),
        _ => Ok(()),
    }
}

impl Trade {
    /// Creates a trade from `new`, stamped with `stamp`: the first version and its `entry` event.
    pub fn open(
        id: TradeId,
        strategy_id: StrategyId,
        user_id: UserId,
        new: NewTrade,
        stamp: Stamp,
    ) -> Result<Transition, LifecycleError> {
        not_in_future(new.signal_time, "signal_time", stamp.at)?;
        not_in_future(new.closed_at, "closed_at", stamp.at)?;
        let opened_at = new.signal_time.unwrap_or(stamp.at);
        let closed_at = match new.status {
            Status::Open => {
                if new.close_price.is_some() {
                    return Err(LifecycleError::CloseFieldOnOpenTrade { field: "close_price" });
                }
                if new.closed_at.is_some() {
                    return Err(LifecycleError::CloseFieldOnOpenTrade { field: "closed_at" });
                }
                None
            }
            Status::Closed => {
                const WHY: &str = "to record a closed trade";
                if new.signal_time.is_none() {
                    return Err(LifecycleError::Required { field: "signal_time", why: WHY });
                }
                if new.close_price.is_none() {
                    return Err(LifecycleError::Required { field: "close_price", why: WHY });
                }
                Some(new.closed_at.ok_or(LifecycleError::Required { field: "closed_at", why: WHY })?)
            }
            Status::Cancelled => {
                if new.close_price.is_some() {
                    return Err(LifecycleError::PriceOnCancelledTrade);
                }
                Some(new.closed_at.unwrap_or(stamp.at.max(opened_at)))
            }
        };
        if closed_at.is_some_and(|closed| closed < opened_at) {
            return Err(LifecycleError::ClosedBeforeOpened);
        }
        let fees = new.fees.unwrap_or_default();
        let mut fills =
            vec![Fill { kind: FillKind::Entry, price: new.entry, quantity: new.quantity, fees, at: opened_at }];
        if let (Status::Closed, Some(at)) = (new.status, closed_at) {
            // A back-filled closed trade was taken off whole at its close price.
            let exit =
                Fill { kind: FillKind::Exit, price: new.close_price, quantity: new.quantity, fees: Fees::ZERO, at };
            fills.push(exit);
        }
        let record = TradeRecord {
            id,
            strategy_id,
            user_id,
            symbol: new.symbol,
            side: new.side,
            status: new.status,
            event: SignalEvent::Entry,
            entry: new.entry,
            stop_loss: new.stop_loss,
            initial_stop_loss: new.stop_loss,
            take_profit: new.take_profit,
            close_price: new.close_price,
            max_favorable_price: None,
            max_adverse_price: None,
            opened_at,
            closed_at,
            signal_time: new.signal_time,
            timeframe: new.timeframe,
            source: new.source,
            external_reference: new.external_reference,
            tags: new.tags,
            extensions: new.extensions,
            point_value: new.point_value.unwrap_or_default(),
            fees,
            fills,
            origin: stamp.by.into(),
            live: is_live_entry(stamp.by, new.status, new.signal_time, stamp.at),
            created_at: stamp.at,
            updated_at: stamp.at,
            version: 1,
        };
        let event = TradeEvent {
            id: stamp.event_id,
            trade_id: id,
            version: 1,
            kind: EventKind::Entry,
            at: stamp.at,
            by: stamp.by,
            changes: FieldChange::between(None, &record),
        };
        Ok(Transition { trade: Trade(record), event })
    }

    /// Applies `command`: the new trade and its event, [`Outcome::Unchanged`] when nothing would change, or the
    /// rule it breaks.
    pub fn apply(&self, command: TradeCommand, stamp: Stamp) -> Result<Outcome, LifecycleError> {
        let (next, kind) = match command {
            TradeCommand::Add(add) => {
                self.ensure_open()?;
                (self.added(add, stamp)?, EventKind::Add)
            }
            TradeCommand::Update(levels) => {
                self.ensure_open()?;
                (self.with_levels(levels)?, EventKind::Update)
            }
            TradeCommand::Exit(exit) => self.exit(exit, stamp)?,
            TradeCommand::Close(close) => {
                self.ensure_open_to(Status::Closed)?;
                not_in_future(close.closed_at, "closed_at", stamp.at)?;
                let at = close.closed_at.unwrap_or_else(|| self.default_close_time(stamp));
                let exit = ExitFill { price: close.close_price, quantity: close.quantity, fees: close.fees, at };
                let next = self.taken_off(self.0.clone(), exit)?;
                let kind = if next.status == Status::Open { EventKind::Reduce } else { EventKind::Close };
                (next, kind)
            }
            TradeCommand::Patch(patch) => self.patched(patch, stamp)?,
        };
        let mut next = next;
        next.bound_excursions();
        Ok(self.transition(next, kind, stamp))
    }

    fn ensure_open(&self) -> Result<(), LifecycleError> {
        if self.status.is_terminal() { Err(LifecycleError::NotOpen { status: self.status }) } else { Ok(()) }
    }

    fn ensure_open_to(&self, to: Status) -> Result<(), LifecycleError> {
        if self.status.is_terminal() {
            Err(LifecycleError::InvalidTransition { from: self.status, to })
        } else {
            Ok(())
        }
    }

    /// This open sized trade with a scale-in's fill added: `entry` becomes the quantity-weighted average.
    fn added(&self, add: ScaleIn, stamp: Stamp) -> Result<TradeRecord, LifecycleError> {
        let Some(entered) = self.quantity() else {
            return Err(LifecycleError::QuantityOnUnsized);
        };
        let price = add.price.ok_or(LifecycleError::Required { field: "entry", why: "to add to a position" })?;
        if self.entry.is_none() {
            return Err(LifecycleError::Required {
                field: "entry",
                why: "on the trade before it is added to; send an update with its entry price first",
            });
        }
        not_in_future(add.signal_time, "signal_time", stamp.at)?;
        let at = add.signal_time.unwrap_or_else(|| self.default_close_time(stamp));
        if at < self.opened_at {
            return Err(LifecycleError::FillBeforeOpened { field: "signal_time" });
        }
        entered
            .get()
            .checked_add(add.quantity.get())
            .and_then(|total| Quantity::from_decimal(total).ok())
            .ok_or(LifecycleError::SizeTooLarge)?;
        let mut next = self.with_levels(LevelsChange { entry: None, ..add.levels })?;
        let fees = add.fees.unwrap_or_default();
        next.fees = next.fees.plus(fees).map_err(|_| LifecycleError::FeesTooLarge)?;
        let fill = Fill { kind: FillKind::Entry, price: Some(price), quantity: Some(add.quantity), fees, at };
        push_fill(&mut next, fill, false)?;
        next.entry = average_price(next.entry_fills());
        next.event = SignalEvent::Entry;
        Ok(next)
    }

    fn exit(&self, exit: SignalExit, stamp: Stamp) -> Result<(TradeRecord, EventKind), LifecycleError> {
        let to = exit.check(stamp.at)?;
        self.ensure_open_to(to)?;
        let at = exit.closed_at.or(exit.signal_time).unwrap_or_else(|| self.default_close_time(stamp));
        let next = self.with_levels(exit.levels)?;
        if to == Status::Cancelled {
            return Ok((self.cancelled(next, exit.fees, at)?, EventKind::Cancel));
        }
        let next =
            self.taken_off(next, ExitFill { price: exit.close_price, quantity: exit.quantity, fees: exit.fees, at })?;
        let kind = if next.status == Status::Open { EventKind::Reduce } else { EventKind::Exit };
        Ok((next, kind))
    }

    fn patched(&self, patch: TradePatch, stamp: Stamp) -> Result<(TradeRecord, EventKind), LifecycleError> {
        if patch.is_empty() {
            return Err(LifecycleError::NothingToChange);
        }
        not_in_future(patch.closed_at, "closed_at", stamp.at)?;
        let target = patch.status.unwrap_or(self.status);
        if self.status.is_terminal() && target != self.status {
            return Err(LifecycleError::InvalidTransition { from: self.status, to: target });
        }
        let levels = LevelsChange {
            stop_loss: patch.stop_loss,
            take_profit: patch.take_profit,
            tags: patch.tags,
            extensions: ExtensionsChange { meta: patch.meta, ..ExtensionsChange::default() },
            ..LevelsChange::default()
        };
        let mut next = self.with_levels(levels)?;
        next.max_favorable_price = patch.max_favorable_price.unwrap_or(next.max_favorable_price);
        next.max_adverse_price = patch.max_adverse_price.unwrap_or(next.max_adverse_price);
        // A correction of the total: the fills keep what each cost as it was sent.
        next.fees = patch.fees.unwrap_or(next.fees);
        if next.fees != self.fees && !self.status.is_terminal() {
            next.event = SignalEvent::Update;
        }
        let kind = match (self.status, target) {
            (Status::Open, Status::Open) => {
                if patch.close_price.is_some() {
                    return Err(LifecycleError::CloseFieldOnOpenTrade { field: "close_price" });
                }
                if patch.closed_at.is_some() {
                    return Err(LifecycleError::CloseFieldOnOpenTrade { field: "closed_at" });
                }
                EventKind::Update
            }
            (Status::Open, Status::Cancelled) => {
                if patch.close_price.is_some() {
                    return Err(LifecycleError::PriceOnCancelledTrade);
                }
                let at = patch.closed_at.unwrap_or_else(|| self.default_close_time(stamp));
                next = self.cancelled(next, None, at)?;
                EventKind::Cancel
            }
            (Status::Open, _) => {
                let at = patch.closed_at.unwrap_or_else(|| self.default_close_time(stamp));
                next = self.taken_off(next, ExitFill { price: patch.close_price, quantity: None, fees: None, at })?;
                EventKind::Close
            }
            (terminal, _) => {
                if terminal == Status::Cancelled && patch.close_price.is_some() {
                    return Err(LifecycleError::PriceOnCancelledTrade);
                }
                corrected(&mut next, patch.close_price, patch.closed_at)?;
                EventKind::Correct
            }
        };
        Ok((next, kind))
    }

    /// This trade's record with levels and context changed; the status is left as it is.
    fn with_levels(&self, levels: LevelsChange) -> Result<TradeRecord, LifecycleError> {
        let mut next = self.0.clone();
        if !levels.extensions.is_empty() {
            next.extensions = next.extensions.changed(levels.extensions).map_err(LifecycleError::Extensions)?;
        }
        if let Some(entry) = levels.entry
            && next.entry != Some(entry)
        {
            set_single_fill_price(&mut next, FillKind::Entry, entry)?;
            next.entry = Some(entry);
        }
        next.stop_loss = levels.stop_loss.unwrap_or(next.stop_loss);
        // The first stop a trade gets stays its risk, wherever the stop moves after.
        next.initial_stop_loss = next.initial_stop_loss.or(next.stop_loss);
        next.take_profit = levels.take_profit.unwrap_or(next.take_profit);
        next.timeframe = levels.timeframe.or(next.timeframe);
        next.tags = levels.tags.unwrap_or(next.tags);
        next.extend_excursions(levels.max_favorable_price, levels.max_adverse_price);
        if next != self.0 && !self.status.is_terminal() {
            next.event = SignalEvent::Update;
        }
        Ok(next)
    }

    /// When a trade ends if the request does not say: now, but never before the opening (a signal time may lie
    /// up to the allowed clock skew ahead of the receiving clock).
    fn default_close_time(&self, stamp: Stamp) -> Timestamp {
        stamp.at.max(self.opened_at)
    }

    /// `next` (this open trade, its levels changed) with an exit fill taken off: a sized trade's `quantity` below
    /// what is open leaves it `OPEN`; all that is open (or no quantity) closes it, at the average of its exits.
    fn taken_off(&self, mut next: TradeRecord, exit: ExitFill) -> Result<TradeRecord, LifecycleError> {
        if exit.at < self.opened_at {
            return Err(LifecycleError::ClosedBeforeOpened);
        }
        let (quantity, closes) = match (self.open_quantity(), exit.quantity) {
            (None, Some(_)) => return Err(LifecycleError::QuantityOnUnsized),
            (None, None) => (None, true),
            (Some(open), None) => (Some(Quantity::from_decimal(open).map_err(|_| LifecycleError::SizeTooLarge)?), true),
            (Some(open), Some(asked)) if asked.get() > open => return Err(LifecycleError::QuantityAboveOpen { open }),
            (Some(open), Some(asked)) => (Some(asked), asked.get() == open),
        };
        let fees = exit.fees.unwrap_or_default();
        next.fees = next.fees.plus(fees).map_err(|_| LifecycleError::FeesTooLarge)?;
        push_fill(&mut next, Fill { kind: FillKind::Exit, price: exit.price, quantity, fees, at: exit.at }, closes)?;
        next.event = SignalEvent::Exit;
        if closes {
            next.status = Status::Closed;
            next.close_price = average_price(next.exit_fills());
            next.closed_at = Some(exit.at);
        }
        Ok(next)
    }

    /// `next` (this open trade, its levels changed) cancelled at `at`; what the cancel cost joins the fees.
    fn cancelled(
        &self,
        mut next: TradeRecord,
        fees: Option<Fees>,
        at: Timestamp,
    ) -> Result<TradeRecord, LifecycleError> {
        if at < self.opened_at {
            return Err(LifecycleError::ClosedBeforeOpened);
        }
        next.fees = next.fees.plus(fees.unwrap_or_default()).map_err(|_| LifecycleError::FeesTooLarge)?;
        next.event = SignalEvent::Exit;
        next.status = Status::Cancelled;
        next.close_price = None;
        next.closed_at = Some(at);
        Ok(next)
    }

    fn transition(&self, mut next: TradeRecord, kind: EventKind, stamp: Stamp) -> Outcome {
        let changes = FieldChange::between(Some(&self.0), &next);
        if changes.is_empty() {
            return Outcome::Unchanged;
        }
        next.version = self.version + 1;
        next.updated_at = stamp.at;
        let mut event = TradeEvent {
            id: stamp.event_id,
            trade_id: self.id,
            version: next.version,
            kind,
            at: stamp.at,
            by: stamp.by,
            changes,
        };
        if self.live && is_correction(&event, &HistorySoFar::of(&self.0)) {
            next.live = false;
            event.changes.push(FieldChange::Live(false));
        }
        Outcome::Changed(Transition { trade: Trade(next), event })
    }
}

/// An exit fill asked for: by an exit signal, the close route or a PATCH to `CLOSED`.
#[derive(Debug, Clone, Copy)]
struct ExitFill {
    price: Option<Price>,
    quantity: Option<Quantity>,
    fees: Option<Fees>,
    at: Timestamp,
}

/// Appends `fill`, refused when the trade holds [`MAX_FILLS`] already. The last place is kept for the fill that
/// closes the trade, so a position can always be closed.
fn push_fill(record: &mut TradeRecord, fill: Fill, closes: bool) -> Result<(), LifecycleError> {
    if record.fills.len() + usize::from(!closes) >= MAX_FILLS {
        return Err(LifecycleError::TooManyFills { max: MAX_FILLS });
    }
    record.fills.push(fill);
    Ok(())
}

/// Sets the price of the one fill of `kind`: an average of several fills cannot be set as one price (`entry` of the
/// entry fills, `close_price` of the exit fills).
fn set_single_fill_price(record: &mut TradeRecord, kind: FillKind, price: Price) -> Result<(), LifecycleError> {
    let mut fills = record.fills.iter_mut().filter(|f| f.kind == kind);
    match (fills.next(), fills.next()) {
        (Some(only), None) => {
            only.price = Some(price);
            Ok(())
        }
        _ => Err(LifecycleError::SeveralFills { field: if kind == FillKind::Entry { "entry" } else { "close_price" } }),
    }
}

/// A terminal trade's close corrected: a close price only where a single exit fill makes it (it becomes that
/// fill's price); a close time moves the last exit fill with it.
fn corrected(
    next: &mut TradeRecord,
    close_price: Option<Price>,
    closed_at: Option<Timestamp>,
) -> Result<(), LifecycleError> {
    if let Some(price) = close_price
        && next.close_price != Some(price)
    {
        set_single_fill_price(next, FillKind::Exit, price)?;
        next.close_price = Some(price);
    }
    if let Some(at) = closed_at {
        if at < next.opened_at {
            return Err(LifecycleError::ClosedBeforeOpened);
        }
        next.closed_at = Some(at);
        if next.status == Status::Closed
            && let Some(last) = next.fills.iter_mut().rev().find(|f| f.kind == FillKind::Exit)
        {
            last.at = at;
        }
    }
    Ok(())
}
