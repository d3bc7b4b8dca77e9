//! What a subscription hears: the four kinds of trade change, and which one a change is.

use crate::trade::{EventKind, Status, TradeEvent, TradeRecord};
use crate::value::ValueError;

/// A kind of trade change a webhook subscription can ask for.
///
/// ```
/// use quantarya_domain::WebhookEvent;
/// assert_eq!(WebhookEvent::parse("trade.closed"), Some(WebhookEvent::Closed));
/// assert_eq!(WebhookEvent::Closed.as_str(), "trade.closed");
/// assert_eq!(WebhookEvent::parse("trade.deleted"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WebhookEvent {
    /// An open trade was created (an entry signal, or a trade entered by hand as open).
    Opened,
    /// An open trade changed (a scale-in, new levels, a partial exit), or a terminal trade was corrected.
    Updated,
    /// A trade was closed (an exit signal, a close by hand, or a trade entered by hand already closed).
    Closed,
    /// A trade was cancelled.
    Cancelled,
}

impl WebhookEvent {
    /// Every kind, in the order the contract lists them.
    pub const ALL: [Self; 4] = [Self::Opened, Self::Updated, Self::Closed, Self::Cancelled];

    /// `trade.opened`, `trade.updated`, `trade.closed` or `trade.cancelled`: the payload's `type`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "trade.opened",
            Self::Updated => "trade.updated",
            Self::Closed => "trade.closed",
            Self::Cancelled => "trade.cancelled",
        }
    }

    /// Parses the text of [`WebhookEvent::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// Which kind of change `event` made, `trade` being the trade after it: a creation is `opened` when the trade
    /// is open (else it was entered closed or cancelled, and says so), a change into `CLOSED` or `CANCELLED` is that,
    /// anything else (a scale-in, new levels, a partial exit, a correction of a terminal trade) is `updated`.
    ///
    /// ```
    /// use quantarya_domain::{EventKind, Status, WebhookEvent};
    /// assert_eq!(WebhookEvent::of_change(EventKind::Entry, Status::Open), WebhookEvent::Opened);
    /// assert_eq!(WebhookEvent::of_change(EventKind::Entry, Status::Closed), WebhookEvent::Closed);
    /// assert_eq!(WebhookEvent::of_change(EventKind::Reduce, Status::Open), WebhookEvent::Updated);
    /// assert_eq!(WebhookEvent::of_change(EventKind::Exit, Status::Closed), WebhookEvent::Closed);
    /// assert_eq!(WebhookEvent::of_change(EventKind::Correct, Status::Closed), WebhookEvent::Updated);
    /// ```
    pub const fn of_change(kind: EventKind, status_after: Status) -> Self {
        match (kind, status_after) {
            (EventKind::Entry, Status::Open) => Self::Opened,
            (EventKind::Entry | EventKind::Exit | EventKind::Close, Status::Closed) => Self::Closed,
            (EventKind::Entry | EventKind::Cancel, Status::Cancelled) => Self::Cancelled,
            _ => Self::Updated,
        }
    }

    /// [`WebhookEvent::of_change`] of a stored change: `event`, which left the trade as `trade`.
    pub fn of(event: &TradeEvent, trade: &TradeRecord) -> Self {
        Self::of_change(event.kind, trade.status)
    }
}

/// The kinds of change a subscription asks for: a non-empty set, every kind by default.
///
/// ```
/// use quantarya_domain::{WebhookEvent, WebhookEvents};
/// let some = WebhookEvents::parse(["trade.closed", "trade.opened", "trade.closed"])?;
/// assert!(some.contains(WebhookEvent::Opened) && !some.contains(WebhookEvent::Updated));
/// assert_eq!(some.iter().map(WebhookEvent::as_str).collect::<Vec<_>>(), ["trade.opened", "trade.closed"]);
/// assert!(WebhookEvents::parse(Vec::<&str>::new()).is_err());
/// assert!(WebhookEvents::default().contains(WebhookEvent::Cancelled));
/// # Ok::<(), quantarya_domain::ValueError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WebhookEvents(u8);

impl WebhookEvents {
    /// Every kind.
    pub const ALL: Self = Self(0b1111);

    /// The set of `kinds` (duplicates count once); an empty set is refused.
    pub fn of(kinds: impl IntoIterator<Item = WebhookEvent>) -> Result<Self, ValueError> {
        let bits = kinds.into_iter().fold(0u8, |bits, kind| bits | Self::bit(kind));
        if bits == 0 { Err(ValueError::Empty) } else { Ok(Self(bits)) }
    }

    /// The set named by `raw` texts of [`WebhookEvent::as_str`]; an unknown name or an empty list is refused.
    pub fn parse<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Self, ValueError> {
        let kinds = raw
            .into_iter()
            .map(|name| {
                WebhookEvent::parse(name).ok_or(ValueError::Format(
                    "must hold only trade.opened, trade.updated, trade.closed or trade.cancelled",
                ))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::of(kinds)
    }

    const fn bit(kind: WebhookEvent) -> u8 {
        1 << kind as u8
    }

    /// Whether the set holds `kind`.
    pub const fn contains(self, kind: WebhookEvent) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    /// The kinds held, in [`WebhookEvent::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = WebhookEvent> {
        WebhookEvent::ALL.into_iter().filter(move |kind| self.contains(*kind))
    }
}

impl Default for WebhookEvents {
    fn default() -> Self {
        Self::ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_announces_one_kind_and_only_a_creation_of_an_open_trade_is_an_opening() {
        for kind in EventKind::ALL {
            for status in [Status::Open, Status::Closed, Status::Cancelled] {
                let announced = WebhookEvent::of_change(kind, status);
                assert_eq!(announced == WebhookEvent::Opened, kind == EventKind::Entry && status == Status::Open);
                if status == Status::Open {
                    assert!(matches!(announced, WebhookEvent::Opened | WebhookEvent::Updated), "{kind:?}");
                }
            }
        }
        assert_eq!(WebhookEvent::of_change(EventKind::Cancel, Status::Cancelled), WebhookEvent::Cancelled);
        assert_eq!(WebhookEvent::of_change(EventKind::Close, Status::Closed), WebhookEvent::Closed);
        assert_eq!(WebhookEvent::of_change(EventKind::Correct, Status::Cancelled), WebhookEvent::Updated);
    }

    #[test]
    fn names_round_trip() {
        for kind in WebhookEvent::ALL {
            assert_eq!(WebhookEvent::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(WebhookEvents::ALL.iter().count(), 4);
    }
}
