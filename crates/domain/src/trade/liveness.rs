//! The live record: which trades a public track record may present as called in real time.
//!
//! A trade is *live* when its entry arrived through an API key, `OPEN` (not back-filled closed or cancelled), within
//! [`LIVE_WINDOW_SECONDS`] of its `signal_time` (or without one), and nothing in its history since is a correction.
//! Imported trades are never live (they arrive through a user, in a file). The rule reads only the trade's history,
//! so anyone can check it: [`live_from_history`] decides it from the events alone, and [`Trade::apply`] keeps the
//! trade's `live` field equal to it, recording `live: false` in the very event that corrected the trade, which is
//! how its history shows why.
//!
//! The live record counts what an integration reported as it happened. So an event is a correction
//! ([`is_correction`]) when:
//! - it is a `correct` event (a change to a closed or cancelled trade) touching a number the statistics read: the
//!   status, symbol, side, entry, stop loss, close price, excursions, times, size, point value, fees or fills (tags,
//!   notes, the take profit and the other context stay editable: retagging a trade in review is journaling);
//! - it is an `update` that rewrites an entry price the trade already had, or sets its fees total;
//! - it takes a position on or off (`add`, `reduce`, `exit`, `close`) by a user's hand rather than an API key: a
//!   price and a time typed in afterwards are not a live report;
//! - one of its fills, or the close it records, is dated more than [`LIVE_WINDOW_SECONDS`] before it arrived;
//! - it gives the trade its first entry price or its first stop (the risk R is measured in) by a user's hand, or more
//!   than [`LIVE_WINDOW_SECONDS`] after the opening, or sets an entry price by hand at all;
//! - a user's hand sets or clears an excursion (an integration's update only ever moves one further out).
//!
//! Trading the position through the integration (moving stops and targets, scaling in, partial exits, exits,
//! reporting excursions while open) is not a correction, and nothing makes a trade live again.
//!
//! ```
//! use quantarya_domain::{
//!     CredentialKind, EventId, NewTrade, Outcome, Price, Side, SignalExit, Stamp, StrategyId, Symbol, Timestamp,
//!     Trade, TradeCommand, TradeId, TradePatch, UserId, live_from_history,
//! };
//! # use quantarya_domain::uuid::Uuid;
//! let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid");
//! let stamp = |n, s, by| Stamp { event_id: EventId::from_uuid(Uuid::from_u128(n)), at: at(s), by };
//! let entry = NewTrade {
//!     entry: Some(Price::new(100.0)?),
//!     signal_time: Some(at("2026-05-21T12:00:00Z")),
//!     ..NewTrade::open(Symbol::parse("AAPL")?, Side::Buy)
//! };
//! let ids = (TradeId::from_uuid(Uuid::from_u128(1)), StrategyId::from_uuid(Uuid::from_u128(2)));
//! // Received 3 seconds after its signal time, through an API key: live.
//! let key = CredentialKind::ApiKey;
//! let opened = Trade::open(ids.0, ids.1, UserId::parse("u_1")?, entry, stamp(1, "2026-05-21T12:00:03Z", key))?;
//! assert!(opened.trade.live);
//! let exit = TradeCommand::Exit(SignalExit { close_price: Some(Price::new(90.0)?), ..Default::default() });
//! let Outcome::Changed(closed) = opened.trade.apply(exit, stamp(2, "2026-05-21T13:00:00Z", key))? else { unreachable!() };
//! assert!(closed.trade.live, "an exit signal sent as it happened is trading");
//! // A loss "corrected" into a win afterwards leaves the live record, and the correcting event says so.
//! let fix = TradeCommand::Patch(TradePatch { close_price: Some(Price::new(120.0)?), ..Default::default() });
//! let Outcome::Changed(fixed) = closed.trade.apply(fix, stamp(3, "2026-05-22T09:00:00Z", CredentialKind::User))? else { unreachable!() };
//! assert!(!fixed.trade.live);
//! assert!(fixed.event.changes.iter().any(|c| c.field() == "live"));
//! assert!(!live_from_history(&[opened.event, closed.event, fixed.event]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::credential::CredentialKind;
use crate::time::Timestamp;

use super::TradeRecord;
use super::event::{EventKind, FieldChange, TradeEvent};
use super::fields::Status;

#[cfg(doc)]
use super::Trade;

/// How long after its `signal_time` an entry (and after its stated time a fill) may arrive and still be a live
/// report, and how long after the opening a first entry price or stop may come: 5 minutes.
pub const LIVE_WINDOW_SECONDS: i64 = 300;

/// Whether `later` lies more than [`LIVE_WINDOW_SECONDS`] after `earlier`.
fn beyond_window(earlier: Timestamp, later: Timestamp) -> bool {
    later.unix_micros() - earlier.unix_micros() > LIVE_WINDOW_SECONDS * 1_000_000
}

/// Whether an entry made `by` a credential, in `status`, with `signal_time`, received `at`, opens a live trade.
///
/// ```
/// use quantarya_domain::{CredentialKind, Status, Timestamp, is_live_entry};
/// let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid");
/// let now = at("2026-05-21T12:05:00Z");
/// assert!(is_live_entry(CredentialKind::ApiKey, Status::Open, Some(at("2026-05-21T12:00:00Z")), now));
/// assert!(!is_live_entry(CredentialKind::ApiKey, Status::Open, Some(at("2026-05-21T11:59:59Z")), now));
/// assert!(!is_live_entry(CredentialKind::User, Status::Open, None, now));
/// assert!(!is_live_entry(CredentialKind::ApiKey, Status::Closed, None, now), "back-filled");
/// ```
pub fn is_live_entry(by: CredentialKind, status: Status, signal_time: Option<Timestamp>, at: Timestamp) -> bool {
    by == CredentialKind::ApiKey && status == Status::Open && signal_time.is_none_or(|sent| !beyond_window(sent, at))
}

/// What a trade's history has set before an event, that the event is judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistorySoFar {
    /// When the trade opened.
    pub opened_at: Timestamp,
    /// Whether it had an entry price.
    pub entry_known: bool,
    /// Whether it ever had a stop loss (the risk its R is measured in).
    pub stop_known: bool,
}

impl HistorySoFar {
    /// What `trade`'s history has set.
    pub fn of(trade: &TradeRecord) -> Self {
        Self {
            opened_at: trade.opened_at,
            entry_known: trade.entry.is_some(),
            stop_known: trade.initial_stop_loss.is_some(),
        }
    }

    /// What the history has set once `event` is added to it.
    fn after(mut self, event: &TradeEvent) -> Self {
        for change in &event.changes {
            match change {
                FieldChange::OpenedAt(at) => self.opened_at = *at,
                FieldChange::Entry(Some(_)) => self.entry_known = true,
                FieldChange::StopLoss(Some(_)) => self.stop_known = true,
                _ => {}
            }
        }
        self
    }

    /// The history an entry event starts.
    fn from_entry(event: &TradeEvent) -> Self {
        Self { opened_at: event.at, entry_known: false, stop_known: false }.after(event)
    }
}

/// Whether `event` corrects a trade whose history so far is `before` (see the module's rules).
///
/// ```
/// use quantarya_domain::{CredentialKind, EventId, EventKind, FieldChange, HistorySoFar, Price, Timestamp, TradeEvent, TradeId, is_correction};
/// # use quantarya_domain::uuid::Uuid;
/// let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid");
/// let before = HistorySoFar { opened_at: at("2026-05-21T12:00:00Z"), entry_known: true, stop_known: false };
/// let event = |kind, by, time: &str, changes| TradeEvent {
///     id: EventId::from_uuid(Uuid::nil()), trade_id: TradeId::from_uuid(Uuid::nil()), version: 2, kind, at: at(time), by, changes,
/// };
/// let stop = vec![FieldChange::StopLoss(Some(Price::new(95.0)?))];
/// let key = CredentialKind::ApiKey;
/// assert!(!is_correction(&event(EventKind::Update, key, "2026-05-21T12:01:00Z", stop.clone()), &before), "a stop sent at once");
/// assert!(is_correction(&event(EventKind::Update, key, "2026-05-21T15:00:00Z", stop), &before), "a first stop hours later");
/// let rewritten = vec![FieldChange::Entry(Some(Price::new(101.0)?))];
/// assert!(is_correction(&event(EventKind::Update, key, "2026-05-21T12:01:00Z", rewritten), &before), "a rewritten entry");
/// # Ok::<(), quantarya_domain::ValueError>(())
/// ```
pub fn is_correction(event: &TradeEvent, before: &HistorySoFar) -> bool {
    let by_hand = event.by == CredentialKind::User;
    let takes_position = matches!(event.kind, EventKind::Add | EventKind::Reduce | EventKind::Exit | EventKind::Close);
    if event.kind == EventKind::Correct && event.changes.iter().any(counts_in_statistics) {
        return true;
    }
    if by_hand && takes_position {
        return true;
    }
    event.changes.iter().any(|change| match change {
        FieldChange::Entry(Some(_)) if before.entry_known => event.kind == EventKind::Update || by_hand,
        FieldChange::Entry(Some(_)) => by_hand || beyond_window(before.opened_at, event.at),
        FieldChange::StopLoss(Some(_)) => !before.stop_known && (by_hand || beyond_window(before.opened_at, event.at)),
        FieldChange::Fees(_) => event.kind == EventKind::Update,
        FieldChange::ClosedAt(Some(closed)) => beyond_window(*closed, event.at),
        FieldChange::Fills(fills) => fills.iter().any(|fill| beyond_window(fill.at, event.at)),
        FieldChange::MaxFavorablePrice(_) | FieldChange::MaxAdversePrice(_) => by_hand,
        _ => false,
    })
}

/// Whether `change` sets a value the statistics read.
fn counts_in_statistics(change: &FieldChange) -> bool {
    match change {
        FieldChange::Status(_)
        | FieldChange::Symbol(_)
        | FieldChange::Side(_)
        | FieldChange::Entry(_)
        | FieldChange::StopLoss(_)
        | FieldChange::ClosePrice(_)
        | FieldChange::MaxFavorablePrice(_)
        | FieldChange::MaxAdversePrice(_)
        | FieldChange::OpenedAt(_)
        | FieldChange::ClosedAt(_)
        | FieldChange::SignalTime(_)
        | FieldChange::Quantity(_)
        | FieldChange::PointValue(_)
        | FieldChange::Fees(_)
        | FieldChange::Fills(_) => true,
        FieldChange::TakeProfit(_)
        | FieldChange::Timeframe(_)
        | FieldChange::Source(_)
        | FieldChange::ExternalReference(_)
        | FieldChange::Tags(_)
        | FieldChange::Extension(..)
        | FieldChange::Live(_) => false,
    }
}

/// Whether a trade with this history (oldest first, from its entry) is live: its entry event is a live entry
/// ([`is_live_entry`]) and no later event is a correction ([`is_correction`]).
pub fn live_from_history(events: &[TradeEvent]) -> bool {
    let Some((entry, later)) = events.split_first() else {
        return false;
    };
    let mut status = None;
    let mut signal_time = None;
    for change in &entry.changes {
        match change {
            FieldChange::Status(s) => status = Some(*s),
            FieldChange::SignalTime(t) => signal_time = *t,
            _ => {}
        }
    }
    let opened_live = entry.kind == EventKind::Entry
        && status.is_some_and(|status| is_live_entry(entry.by, status, signal_time, entry.at));
    if !opened_live {
        return false;
    }
    let mut before = HistorySoFar::from_entry(entry);
    for event in later {
        if is_correction(event, &before) {
            return false;
        }
        before = before.after(event);
    }
    true
}
