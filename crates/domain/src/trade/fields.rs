//! The validated fields of a trade.

use std::fmt;
use std::io;

use serde_json::{Map, Value};

use crate::value::{ValueError, bounded_text};

/// An instrument symbol: trimmed, uppercased, 1–40 characters of `A-Z 0-9 . _ : / ! -`.
///
/// TradingView tickers such as `BINANCE:BTCUSDT.P` or `ES1!` fit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(String);

impl Symbol {
    /// The most characters a symbol may have.
    pub const MAX_CHARS: usize = 40;

    /// Trims and uppercases `raw`, then checks the rules.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let symbol = raw.trim().to_ascii_uppercase();
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
        match raw.trim().to_ascii_uppercase().as_str() {
            "BUY" | "LONG" => Ok(Self::Buy),
            "SELL" | "SHORT" => Ok(Self::Sell),
            _ => Err(ValueError::Format("must be BUY or SELL (LONG and SHORT are accepted too)")),
        }
    }

    /// `BUY` or `SELL`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "BUY",
            Self::Sell => "SELL",
        }
    }
}

/// A price: a finite number greater than 0 and at most 1e12.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Price(f64);

impl Price {
    /// The largest price accepted.
    pub const MAX: f64 = 1e12;

    /// Accepts `value` when it is finite, positive and at most [`Price::MAX`].
    pub fn new(value: f64) -> Result<Self, ValueError> {
        if value.is_finite() && value > 0.0 && value <= Self::MAX { Ok(Self(value)) } else { Err(ValueError::Price) }
    }

    /// The price.
    pub const fn get(self) -> f64 {
        self.0
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
        match raw.trim().to_ascii_uppercase().as_str() {
            "OPEN" => Ok(Self::Open),
            "CLOSED" => Ok(Self::Closed),
            "CANCELLED" => Ok(Self::Cancelled),
            _ => Err(ValueError::Format("must be OPEN, CLOSED or CANCELLED")),
        }
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
    /// Accepts `entry`, `update` or `exit` in any case.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "entry" => Ok(Self::Entry),
            "update" => Ok(Self::Update),
            "exit" => Ok(Self::Exit),
            _ => Err(ValueError::Format("must be entry, update or exit")),
        }
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

/// The kind of credential a request was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// A user JWT.
    User,
    /// An API key.
    ApiKey,
}

impl CredentialKind {
    /// Parses the text of [`CredentialKind::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::User, Self::ApiKey].into_iter().find(|kind| kind.as_str() == raw)
    }

    /// `user` or `api_key`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::ApiKey => "api_key",
        }
    }
}

/// How a trade came to exist. An API-key trade can be cancelled but never deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Created with a user JWT.
    Manual,
    /// Created through an integration with an API key.
    ApiKey,
}

impl Origin {
    /// Parses the text of [`Origin::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Manual, Self::ApiKey].into_iter().find(|origin| origin.as_str() == raw)
    }

    /// `manual` or `api_key`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::ApiKey => "api_key",
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

/// A free-form JSON object, stored and returned as given.
pub type JsonObject = Map<String, Value>;

/// The five free-form extension objects of a trade, 16 KiB of JSON together at most.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extensions {
    signal: Option<JsonObject>,
    market: Option<JsonObject>,
    risk: Option<JsonObject>,
    context: Option<JsonObject>,
    meta: Option<JsonObject>,
}

/// One of the five extension objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionSlot {
    /// `signal`: what the signal said.
    Signal,
    /// `market`: market conditions.
    Market,
    /// `risk`: position sizing and risk.
    Risk,
    /// `context`: anything else the sender knows.
    Context,
    /// `meta`: the trader's own notes.
    Meta,
}

impl ExtensionSlot {
    /// Every slot, in output order.
    pub const ALL: [Self; 5] = [Self::Signal, Self::Market, Self::Risk, Self::Context, Self::Meta];

    /// The field name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Signal => "signal",
            Self::Market => "market",
            Self::Risk => "risk",
            Self::Context => "context",
            Self::Meta => "meta",
        }
    }
}

/// A change of extension objects: `None` keeps a slot, `Some(None)` clears it, `Some(Some(o))` replaces it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtensionsChange {
    /// The `signal` change.
    pub signal: Option<Option<JsonObject>>,
    /// The `market` change.
    pub market: Option<Option<JsonObject>>,
    /// The `risk` change.
    pub risk: Option<Option<JsonObject>>,
    /// The `context` change.
    pub context: Option<Option<JsonObject>>,
    /// The `meta` change.
    pub meta: Option<Option<JsonObject>>,
}

impl ExtensionsChange {
    /// Whether the change touches no slot.
    pub fn is_empty(&self) -> bool {
        self.signal.is_none()
            && self.market.is_none()
            && self.risk.is_none()
            && self.context.is_none()
            && self.meta.is_none()
    }
}

impl Extensions {
    /// The most bytes the five objects may take together, encoded as compact JSON.
    pub const MAX_BYTES: usize = 16 * 1024;

    /// Accepts the five objects when together they fit in [`Extensions::MAX_BYTES`].
    pub fn new(
        signal: Option<JsonObject>,
        market: Option<JsonObject>,
        risk: Option<JsonObject>,
        context: Option<JsonObject>,
        meta: Option<JsonObject>,
    ) -> Result<Self, ValueError> {
        let extensions = Self { signal, market, risk, context, meta };
        if extensions.encoded_len() > Self::MAX_BYTES {
            return Err(ValueError::TooLarge { max_bytes: Self::MAX_BYTES });
        }
        if ExtensionSlot::ALL.iter().filter_map(|&slot| extensions.get(slot)).any(contains_nul) {
            return Err(ValueError::Format("must not contain the NUL character (\\u0000)"));
        }
        Ok(extensions)
    }

    /// The object in `slot`, if any.
    pub fn get(&self, slot: ExtensionSlot) -> Option<&JsonObject> {
        match slot {
            ExtensionSlot::Signal => self.signal.as_ref(),
            ExtensionSlot::Market => self.market.as_ref(),
            ExtensionSlot::Risk => self.risk.as_ref(),
            ExtensionSlot::Context => self.context.as_ref(),
            ExtensionSlot::Meta => self.meta.as_ref(),
        }
    }

    /// These extensions with `change` applied, if the result still fits.
    pub fn changed(&self, change: ExtensionsChange) -> Result<Self, ValueError> {
        let pick = |new: Option<Option<JsonObject>>, old: &Option<JsonObject>| new.unwrap_or_else(|| old.clone());
        Self::new(
            pick(change.signal, &self.signal),
            pick(change.market, &self.market),
            pick(change.risk, &self.risk),
            pick(change.context, &self.context),
            pick(change.meta, &self.meta),
        )
    }

    /// The compact JSON size of the five objects together.
    fn encoded_len(&self) -> usize {
        let mut counter = ByteCounter(0);
        for object in ExtensionSlot::ALL.iter().filter_map(|&slot| self.get(slot)) {
            // Writing a `Map<String, Value>` to a counter cannot fail: keys are strings and the sink never errors.
            if serde_json::to_writer(&mut counter, object).is_err() {
                return usize::MAX;
            }
        }
        counter.0
    }
}

/// Whether any key or string inside `object` holds a NUL character, which no text store keeps faithfully.
/// Walks with an explicit stack, so a deeply nested value cannot exhaust the call stack.
fn contains_nul(object: &JsonObject) -> bool {
    let has_nul = |text: &str| text.contains('\0');
    let mut pending: Vec<&Value> = Vec::new();
    if object.keys().any(|k| has_nul(k)) {
        return true;
    }
    pending.extend(object.values());
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) if has_nul(text) => return true,
            Value::Array(items) => pending.extend(items),
            Value::Object(map) => {
                if map.keys().any(|k| has_nul(k)) {
                    return true;
                }
                pending.extend(map.values());
            }
            _ => {}
        }
    }
    false
}

/// An `io::Write` that only counts, so measuring JSON allocates nothing.
struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> JsonObject {
        match value {
            Value::Object(map) => map,
            _ => JsonObject::new(),
        }
    }

    #[test]
    fn symbols_take_tradingview_tickers() {
        assert_eq!(Symbol::parse(" binance:btcusdt.p ").map(|s| s.0), Ok("BINANCE:BTCUSDT.P".to_owned()));
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
    }

    #[test]
    fn prices_are_finite_positive_and_bounded() {
        assert!(Price::new(1.0825).is_ok());
        assert!(Price::new(1e12).is_ok());
        for bad in [0.0, -1.0, 1e12 * 1.000001, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(Price::new(bad), Err(ValueError::Price), "{bad}");
        }
    }

    #[test]
    fn extensions_are_capped_together() {
        let half = object(json!({ "notes": "x".repeat(Extensions::MAX_BYTES / 2) }));
        assert!(Extensions::new(Some(half.clone()), None, None, None, None).is_ok());
        assert_eq!(
            Extensions::new(Some(half.clone()), None, None, None, Some(half)),
            Err(ValueError::TooLarge { max_bytes: Extensions::MAX_BYTES })
        );
    }

    #[test]
    fn extensions_refuse_nul_anywhere() {
        for bad in [json!({ "a\u{0}": 1 }), json!({ "a": "x\u{0}" }), json!({ "a": [{ "b": ["\u{0}"] }] })] {
            assert!(Extensions::new(None, None, None, None, Some(object(bad.clone()))).is_err(), "{bad}");
        }
        assert!(Extensions::new(None, None, None, None, Some(object(json!({ "a": [{ "b": ["ok"] }] })))).is_ok());
    }

    #[test]
    fn extension_changes_keep_clear_and_replace() {
        let a = object(json!({ "a": 1 }));
        let b = object(json!({ "b": 2 }));
        let ext = Extensions::new(Some(a.clone()), Some(a.clone()), None, None, None).expect("fits");
        let changed = ext
            .changed(ExtensionsChange {
                signal: Some(None),
                market: None,
                meta: Some(Some(b.clone())),
                ..Default::default()
            })
            .expect("fits");
        assert_eq!(changed.get(ExtensionSlot::Signal), None);
        assert_eq!(changed.get(ExtensionSlot::Market), Some(&a));
        assert_eq!(changed.get(ExtensionSlot::Meta), Some(&b));
    }
}
