//! The live record: which trades a public track record may present as called in real time.
//!
//! A trade is *live* when its entry arrived through an API key, `OPEN` (not back-filled closed or cancelled), within
//! [`LIVE_WINDOW_SECONDS`] of its `signal_time` (or without one), and no number of it was corrected since. Imported
//! trades are never live (they arrive through a user, in a file). The rule reads only the trade's history, so
//! anyone can check it: [`live_from_history`] decides it from the events alone, and [`Trade::apply`] keeps the
//! trade's `live` field equal to it, recording `live: false` in the very event that corrected the trade, which is
//! how its history shows why.
//!
//! What counts as a correction ([`is_correction`]):
//! - any `correct` event (a change to a closed or cancelled trade) that touches a number the statistics read: the
//!   entry, stop loss, close price, excursions, times, size, point value, fees or fills. Tags, notes, the take
//!   profit and the other context stay editable: retagging a trade after review is journaling, not rewriting;
//! - an `update` that rewrites an entry price the trade already had, or its fees (a scale-in's new average is a
//!   fill, not a rewrite, and so are exits and their fees).
//!
//! Trading the position (moving stops and targets, scaling in, partial exits, closing by hand, reporting
//! excursions while open) is not a correction.
//!
//! ```
//! use quantarya_domain::{
//!     CredentialKind, EventId, NewTrade, Outcome, Price, Side, Stamp, StrategyId, Symbol, Timestamp, Trade,
//!     TradeCommand, TradeId, TradePatch, UserId, live_from_history,
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
//! let opened = Trade::open(ids.0, ids.1, UserId::parse("u_1")?, entry, stamp(1, "2026-05-21T12:00:03Z", CredentialKind::ApiKey))?;
//! assert!(opened.trade.live);
//! let close = TradeCommand::Patch(TradePatch { close_price: Some(Price::new(90.0)?), status: Some(quantarya_domain::Status::Closed), ..Default::default() });
//! let Outcome::Changed(closed) = opened.trade.apply(close, stamp(2, "2026-05-21T13:00:00Z", CredentialKind::User))? else { unreachable!() };
//! assert!(closed.trade.live, "closing by hand is trading");
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

use super::event::{EventKind, FieldChange, TradeEvent};
use super::fields::Status;

#[cfg(doc)]
use super::Trade;

/// How long after its `signal_time` an entry may arrive and still be live: 5 minutes.
pub const LIVE_WINDOW_SECONDS: i64 = 300;

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
    by == CredentialKind::ApiKey
        && status == Status::Open
        && signal_time.is_none_or(|sent| at.unix_micros() - sent.unix_micros() <= LIVE_WINDOW_SECONDS * 1_000_000)
}

/// Whether an event of `kind` making `changes` corrects the trade (see the module's rules); `had_entry` says
/// whether the trade had an entry price before it.
///
/// ```
/// use quantarya_domain::{EventKind, FieldChange, Price, is_correction};
/// let entry = FieldChange::Entry(Some(Price::new(101.0)?));
/// assert!(is_correction(EventKind::Update, &[entry.clone()], true), "a rewritten entry");
/// assert!(!is_correction(EventKind::Update, &[entry.clone()], false), "a first entry price");
/// assert!(!is_correction(EventKind::Add, &[entry], true), "a scale-in's average");
/// let retag = FieldChange::Tags(quantarya_domain::Tags::parse(&["fomo"]).map_err(|(_, e)| e)?);
/// assert!(!is_correction(EventKind::Correct, &[retag], true));
/// # Ok::<(), quantarya_domain::ValueError>(())
/// ```
pub fn is_correction(kind: EventKind, changes: &[FieldChange], had_entry: bool) -> bool {
    match kind {
        EventKind::Correct => changes.iter().any(counts_in_statistics),
        EventKind::Update => changes.iter().any(|change| match change {
            FieldChange::Entry(_) => had_entry,
            FieldChange::Fees(_) => true,
            _ => false,
        }),
        _ => false,
    }
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
    let mut had_entry = false;
    for change in &entry.changes {
        match change {
            FieldChange::Status(s) => status = Some(*s),
            FieldChange::SignalTime(t) => signal_time = *t,
            FieldChange::Entry(price) => had_entry = price.is_some(),
            _ => {}
        }
    }
    let opened_live = entry.kind == EventKind::Entry
        && status.is_some_and(|status| is_live_entry(entry.by, status, signal_time, entry.at));
    if !opened_live {
        return false;
    }
    for event in later {
        if is_correction(event.kind, &event.changes, had_entry) {
            return false;
        }
        had_entry = had_entry
            || event.changes.iter().any(|change| matches!(change, FieldChange::Entry(price) if price.is_some()));
    }
    true
}
