//! The validated fields of a trade.

use std::fmt;

use compact_str::CompactString;

use crate::credential::CredentialKind;
use crate::value::{ValueError, bounded_text};

/// An instrument symbol: trimmed, uppercased, 1–40 characters of `A-Z 0-9 . _ : / ! -`.
///
/// TradingView tickers such as `BINANCE:BTCUSDT.P` or `ES1!` fit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(CompactString);

impl Symbol {
    /// The most characters a symbol may have.
    pub const MAX_CHARS: usize = 40;

    /// Trims and uppercases `raw`, then checks the rules.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        // Uppercased in place: a symbol of up to 24 bytes stays inline, with no allocation.
        let mut symbol = CompactString::new(raw.trim());
        symbol.make_ascii_uppercase();
        if symbol.is_empty() {
            return Err(ValueError::Empty);
        }
        if symbol.len() > Self::MAX_CHARS {
            return Err(ValueError::TooLong { max: Self::MAX_CHARS });
        }
        if !symbol.bytes().all(|b| matches!(b, b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'_' | b':' | b'/' | b'!' | b'-')) {
            return Err(ValueError::Format("may contain only A-Z, 0-9 and . _ : / ! -"));
        }
        Ok(Self(symbol))
    }

    /// The symbol, uppercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The direction of a trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// A long trade.
    Buy,
    /// A short trade.
    Sell,
}

impl Side {
    /// Accepts `BUY`/`SELL` in any case, and `LONG`/`SHORT` as aliases.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let raw = raw.trim();
        let is = |word: &str| raw.eq_ignore_ascii_case(word);
        if is("BUY") || is("LONG") {
            Ok(Self::Buy)
        } else if is("SELL") || is("SHORT") {
            Ok(Self::Sell)
        } else {
            Err(ValueError::Format("must be BUY or SELL (LONG and SHORT are accepted too)"))
        }
    }

    /// `BUY` or `SELL`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "BUY",
            Self::Sell => "SELL",
        }
    }

    /// The sign a price move is counted with: `1` for a long, `-1` for a short.
    pub const fn direction(self) -> f64 {
        match self {
            Self::Buy => 1.0,
            Self::Sell => -1.0,
        }
    }
}

/// A price: a finite number greater than 0 and at most 1e12.
///
/// Kept as the bits of its `f64`, which are never zero for a positive number, so that an `Option<Price>` takes no
/// more room than a price (a trade carries five). The bits of positive finite numbers order as the numbers do, and
/// are equal exactly when the numbers are, so comparing prices compares their values.
///
/// ```
/// use quantarya_domain::Price;
/// assert_eq!(std::mem::size_of::<Option<Price>>(), std::mem::size_of::<f64>());
/// let (low, high) = (Price::new(0.5).expect("valid"), Price::new(64000.5).expect("valid"));
/// assert!(low < high);
/// assert_eq!(high.get(), 64000.5);
/// assert!(Price::new(0.0).is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(std::num::NonZeroU64);

impl Price {
    /// The largest price accepted.
    pub const MAX: f64 = 1e12;

    /// Accepts `value` when it is finite, positive and at most [`Price::MAX`].
    pub fn new(value: f64) -> Result<Self, ValueError> {
        let bits = std::num::NonZeroU64::new(value.to_bits()).filter(|_| value.is_finite());
        match bits {
            Some(bits) if value > 0.0 && value <= Self::MAX => Ok(Self(bits)),
            _ => Err(ValueError::Price),
        }
    }

    /// The price.
    pub const fn get(self) -> f64 {
        f64::from_bits(self.0.get())
    }
}

impl fmt::Debug for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Price").field(&self.get()).finish()
    }
}

/// Where a trade is in its life. `CLOSED` and `CANCELLED` are terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The position is open.
    Open,
    /// The position was closed, normally with a close price.
    Closed,
    /// The signal was withdrawn; the trade never counts in performance.
    Cancelled,
}

impl Status {
    /// Accepts `OPEN`, `CLOSED` or `CANCELLED` in any case.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let raw = raw.trim();
        [Self::Open, Self::Closed, Self::Cancelled]
            .into_iter()
            .find(|status| raw.eq_ignore_ascii_case(status.as_str()))
            .ok_or(ValueError::Format("must be OPEN, CLOSED or CANCELLED"))
    }

    /// `OPEN`, `CLOSED` or `CANCELLED`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Closed => "CLOSED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// Whether no change of status may follow.
    pub const fn is_terminal(self) -> bool {
        !matches!(self, Self::Open)
    }
}

/// The kind of signal a webhook sends, and the trade's `event` field: the signal that last moved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalEvent {
    /// Opens a trade (the default).
    Entry,
    /// Changes an open trade's levels or context.
    Update,
    /// Closes (or, with `status: CANCELLED`, cancels) an open trade.
    Exit,
}

impl SignalEvent {
    /// Every kind of signal.
    pub const ALL: [Self; 3] = [Self::Entry, Self::Update, Self::Exit];

    /// Accepts `entry`, `update` or `exit` in any case.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|event| raw.eq_ignore_ascii_case(event.as_str()))
            .ok_or(ValueError::Format("must be entry, update or exit"))
    }

    /// `entry`, `update` or `exit`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Entry => "entry",
            Self::Update => "update",
            Self::Exit => "exit",
        }
    }
}

/// How a trade came to exist. An API-key trade can be cancelled but never deleted; an imported one leaves only
/// with its whole import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Created with a user JWT.
    Manual,
    /// Created through an integration with an API key.
    ApiKey,
    /// Brought in by an import of a file.
    Import,
}

impl Origin {
    /// Every origin.
    pub const ALL: [Self; 3] = [Self::Manual, Self::ApiKey, Self::Import];

    /// Parses the text of [`Origin::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|origin| origin.as_str() == raw)
    }

    /// `manual`, `api_key` or `import`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::ApiKey => "api_key",
            Self::Import => "import",
        }
    }
}

impl From<CredentialKind> for Origin {
    fn from(kind: CredentialKind) -> Self {
        match kind {
            CredentialKind::User => Self::Manual,
            CredentialKind::ApiKey => Self::ApiKey,
        }
    }
}

bounded_text!(
    /// A signal's timeframe (`4h`, `15`, `D`): 1–16 characters, trimmed.
    Timeframe,
    1,
    16
);

bounded_text!(
    /// Where a signal came from (`tradingview`, a bot's name): 1–64 characters, trimmed.
    Source,
    1,
    64
);

bounded_text!(
    /// The sender's id for a signal or order (TradingView's `{{strategy.order.id}}`): 1–128 characters, trimmed.
    ///
    /// At most one open trade of a strategy carries a given reference.
    ExternalReference,
    1,
    128
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_take_tradingview_tickers() {
        assert_eq!(Symbol::parse(" binance:btcusdt.p ").map(|s| s.0), Ok("BINANCE:BTCUSDT.P".into()));
        assert!(Symbol::parse("ES1!").is_ok());
        assert!(Symbol::parse("EUR/USD").is_ok());
        assert!(Symbol::parse("").is_err());
        assert!(Symbol::parse("EUR USD").is_err());
        assert!(Symbol::parse(&"A".repeat(41)).is_err());
        assert!(Symbol::parse("ÄBC").is_err());
    }

    #[test]
    fn sides_take_aliases_in_any_case() {
        assert_eq!(Side::parse("buy"), Ok(Side::Buy));
        assert_eq!(Side::parse("Long"), Ok(Side::Buy));
        assert_eq!(Side::parse("SHORT"), Ok(Side::Sell));
        assert_eq!(Side::parse("sell"), Ok(Side::Sell));
        assert!(Side::parse("hold").is_err());
        assert_eq!(Side::parse(" lOnG "), Ok(Side::Buy));
        assert!(Side::parse("buyer").is_err());
    }

    #[test]
    fn statuses_and_events_take_any_case_and_are_trimmed() {
        assert_eq!(Status::parse(" cancelled"), Ok(Status::Cancelled));
        assert_eq!(Status::parse("Open"), Ok(Status::Open));
        assert!(Status::parse("OPENED").is_err());
        assert_eq!(SignalEvent::parse("EXIT "), Ok(SignalEvent::Exit));
        assert_eq!(SignalEvent::parse("update"), Ok(SignalEvent::Update));
        assert!(SignalEvent::parse("entr").is_err());
    }

    #[test]
    fn prices_are_finite_positive_and_bounded() {
        assert!(Price::new(1.0825).is_ok());
        assert!(Price::new(1e12).is_ok());
        for bad in [0.0, -1.0, 1e12 * 1.000001, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(Price::new(bad), Err(ValueError::Price), "{bad}");
        }
    }
}
