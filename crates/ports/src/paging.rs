//! Paging of trade lists: the page size, the opaque cursor (its format and the pattern it matches, written once),
//! and what a page request and a page hold.

use quantarya_domain::{Delivery, EventId, SignalId, SignalLogEntry, SignalResult, Timestamp, Trade, TradeId};
use uuid::Uuid;

use crate::FieldError;
use crate::outbound::{DeliveryCursor, SignalCursor, TradeCursor, TradeFilter};

/// A page size for trade lists: 1–500, 100 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(usize);

impl PageLimit {
    /// The largest page.
    pub const MAX: usize = 500;
    /// The page size when none is asked for.
    pub const DEFAULT: Self = Self(100);

    /// Accepts `limit` when it is within 1–500.
    pub fn new(limit: i64) -> Result<Self, FieldError> {
        match usize::try_from(limit) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(FieldError::new("limit", format!("must be between 1 and {}", Self::MAX))),
        }
    }

    /// The size.
    pub const fn get(self) -> usize {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The pattern every cursor this service hands out matches (as the OpenAPI document states it): the format
/// version, the page's last `opened_at` in Unix microseconds, and the 32 hex digits of its trade id.
pub const CURSOR_PATTERN: &str = r"^c1\.[0-9]+\.[0-9a-f]{32}$";

/// The text of a cursor: the format version, an instant in Unix microseconds, and the 32 hex digits of an id.
fn encode_cursor(at: Timestamp, id: Uuid) -> String {
    format!("c1.{}.{}", at.unix_micros(), id.simple())
}

/// Reads a text made by [`encode_cursor`]; anything else is refused.
fn decode_cursor(raw: &str) -> Result<(Timestamp, Uuid), FieldError> {
    let invalid = || FieldError::new("cursor", "is not a cursor this service returned");
    let mut parts = raw.split('.');
    let (Some("c1"), Some(micros), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let at = micros.parse().ok().and_then(Timestamp::from_unix_micros).ok_or_else(invalid)?;
    let id = TradeId::parse(&format!("{}{id}", TradeId::PREFIX)).map_err(|_| invalid())?;
    Ok((at, id.as_uuid()))
}

impl TradeCursor {
    /// The opaque text handed to clients as `next_cursor`; it matches [`CURSOR_PATTERN`].
    pub fn encode(&self) -> String {
        encode_cursor(self.opened_at, self.trade_id.as_uuid())
    }

    /// Reads a cursor a client sent back; anything not made by [`TradeCursor::encode`] is refused.
    pub fn decode(raw: &str) -> Result<Self, FieldError> {
        let (opened_at, id) = decode_cursor(raw)?;
        Ok(Self { opened_at, trade_id: TradeId::from_uuid(id) })
    }
}

impl SignalCursor {
    /// The opaque text handed to clients as `next_cursor`; it matches [`CURSOR_PATTERN`], like a trade list's.
    ///
    /// ```
    /// use quantarya_domain::{SignalId, Timestamp, uuid::Uuid};
    /// use quantarya_ports::outbound::SignalCursor;
    /// let cursor = SignalCursor {
    ///     received_at: Timestamp::parse_rfc3339("2026-05-21T12:00:00Z")?,
    ///     signal_id: SignalId::from_uuid(Uuid::from_u128(7)),
    /// };
    /// assert_eq!(SignalCursor::decode(&cursor.encode()), Ok(cursor));
    /// assert!(SignalCursor::decode("c1.nope").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode(&self) -> String {
        encode_cursor(self.received_at, self.signal_id.as_uuid())
    }

    /// Reads a cursor a client sent back; anything not made by [`SignalCursor::encode`] is refused.
    pub fn decode(raw: &str) -> Result<Self, FieldError> {
        let (received_at, id) = decode_cursor(raw)?;
        Ok(Self { received_at, signal_id: SignalId::from_uuid(id) })
    }
}

/// A request for one page of a strategy's trades.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeQuery {
    /// Which trades.
    pub filter: TradeFilter,
    /// How many at most.
    pub limit: PageLimit,
    /// Where the previous page ended.
    pub cursor: Option<TradeCursor>,
}

/// One page of trades, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TradePage {
    /// The trades.
    pub trades: Vec<Trade>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<TradeCursor>,
}

/// Cuts `items`, read one past a page of `limit`, to the page; the cursor after its last item when more follow.
pub(crate) fn split_page<T, C>(items: &mut Vec<T>, limit: usize, cursor_after: impl Fn(&T) -> C) -> Option<C> {
    if items.len() > limit {
        items.truncate(limit);
        items.last().map(cursor_after)
    } else {
        None
    }
}

/// A request for one page of a strategy's signal log.
///
/// ```
/// use quantarya_domain::SignalResult;
/// use quantarya_ports::{PageLimit, SignalLogQuery};
/// let refused = SignalLogQuery { result: Some(SignalResult::Refused), ..SignalLogQuery::default() };
/// assert_eq!((refused.limit, refused.cursor), (PageLimit::DEFAULT, None));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignalLogQuery {
    /// Only accepted, or only refused, signals.
    pub result: Option<SignalResult>,
    /// How many at most.
    pub limit: PageLimit,
    /// Where the previous page ended.
    pub cursor: Option<SignalCursor>,
}

/// One page of a signal log, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalLogPage {
    /// The entries.
    pub entries: Vec<SignalLogEntry>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<SignalCursor>,
}

impl DeliveryCursor {
    /// The opaque text of this cursor (the trade lists' format).
    pub fn encode(&self) -> String {
        encode_cursor(self.created_at, self.event_id.as_uuid())
    }

    /// Parses a cursor this service returned; anything else is a `FieldError` on `cursor`.
    pub fn decode(raw: &str) -> Result<Self, FieldError> {
        let (created_at, id) = decode_cursor(raw)?;
        Ok(Self { created_at, event_id: EventId::from_uuid(id) })
    }
}

/// A request for a page of a subscription's deliveries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryQuery {
    /// How many deliveries at most.
    pub limit: PageLimit,
    /// Continue after this position.
    pub cursor: Option<DeliveryCursor>,
}

/// A page of deliveries, newest first, and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryPage {
    /// The deliveries.
    pub deliveries: Vec<Delivery>,
    /// The position after the last one, when more may follow.
    pub next_cursor: Option<DeliveryCursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let cursor = TradeCursor {
            opened_at: Timestamp::parse_rfc3339("2026-05-21T12:00:00.5Z").expect("valid"),
            trade_id: TradeId::from_uuid(uuid::Uuid::now_v7()),
        };
        assert_eq!(TradeCursor::decode(&cursor.encode()), Ok(cursor));
        for bad in
            ["", "c1", "c1.x.y", "c2.0.0192f0c17a4b7cde8f0123456789abcd", "c1.0.0192f0c17a4b7cde8f0123456789abcd.1"]
        {
            assert_eq!(TradeCursor::decode(bad).map_err(|e| e.field), Err("cursor".to_owned()), "{bad}");
        }
        assert!(TradeCursor::decode("c1.0.0192f0c17a4b7cde8f0123456789abcd").is_ok());
    }

    #[test]
    fn signal_cursors_round_trip_in_the_same_format() {
        let cursor = SignalCursor {
            received_at: Timestamp::parse_rfc3339("2026-05-21T12:00:00.25Z").expect("valid"),
            signal_id: SignalId::from_uuid(uuid::Uuid::now_v7()),
        };
        let encoded = cursor.encode();
        assert_eq!(SignalCursor::decode(&encoded), Ok(cursor));
        assert!(regex_free_match(&encoded), "{encoded}");
        assert_eq!(SignalCursor::decode("c1.x.y").map_err(|e| e.field), Err("cursor".to_owned()));
    }

    /// The documented pattern, checked by hand: "c1", digits, 32 lowercase hex digits.
    fn regex_free_match(encoded: &str) -> bool {
        let parts: Vec<&str> = encoded.split('.').collect();
        parts.len() == 3
            && parts[0] == "c1"
            && parts[1].bytes().all(|b| b.is_ascii_digit())
            && parts[2].len() == 32
            && parts[2].bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }

    #[test]
    fn encoded_cursors_match_the_documented_pattern() {
        // The pattern's parts: "c1", digits, 32 lowercase hex digits, separated by dots.
        let cursor = TradeCursor {
            opened_at: Timestamp::parse_rfc3339("2026-05-21T12:00:00.5Z").expect("valid"),
            trade_id: TradeId::from_uuid(uuid::Uuid::now_v7()),
        };
        let encoded = cursor.encode();
        let parts: Vec<&str> = encoded.split('.').collect();
        assert_eq!(CURSOR_PATTERN, r"^c1\.[0-9]+\.[0-9a-f]{32}$");
        assert_eq!(parts[0], "c1");
        assert!(parts[1].bytes().all(|b| b.is_ascii_digit()), "{encoded}");
        assert!(parts[2].len() == 32 && parts[2].bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "{encoded}");
    }

    #[test]
    fn page_limits_are_bounded() {
        assert_eq!(PageLimit::new(1).map(PageLimit::get), Ok(1));
        assert_eq!(PageLimit::new(500).map(PageLimit::get), Ok(500));
        for refused in [0, 501, -1] {
            assert_eq!(PageLimit::new(refused).map_err(|e| e.field), Err("limit".to_owned()), "{refused}");
        }
        assert_eq!(PageLimit::default().get(), 100);
    }
}
