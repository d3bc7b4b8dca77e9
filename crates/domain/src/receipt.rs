//! Receipts: how a signal that was already applied is recognised when it comes again, so that a webhook's retry
//! changes nothing.
//!
//! An accepted signal that changed a trade leaves a receipt. A later signal is a repeat of it when:
//!
//! - it carries the same [`IdempotencyKey`] (the `Idempotency-Key` header) within 24 hours, with the same body
//!   (another body under the same key is refused: [`Repeat::KeyReused`]); or
//! - it carries none, and its body, in canonical form ([`BodyHash::of`]), is the body of the latest signal accepted
//!   for its target (its `external_reference`, or without one its symbol), within 10 minutes. So TradingView's
//!   byte-identical retries are repeats, while the next trade's identical exit alert, which comes after that trade's
//!   entry, is not.

use std::fmt;

use chrono::TimeDelta;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ids::{EventId, TradeId};
use crate::time::Timestamp;
use crate::trade::{ExternalReference, JsonObject, Symbol};
use crate::value::ValueError;

/// A client's `Idempotency-Key`: 1–255 printable ASCII characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key.
    pub const MAX_CHARS: usize = 255;

    /// Accepts 1–255 printable ASCII characters (space to `~`), as sent.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        if raw.is_empty() {
            return Err(ValueError::Empty);
        }
        if raw.len() > Self::MAX_CHARS {
            return Err(ValueError::TooLong { max: Self::MAX_CHARS });
        }
        if !raw.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(ValueError::Format("may contain only printable ASCII characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({:?})", self.0)
    }
}

/// The SHA-256 of a request body in canonical form: object keys sorted, no insignificant white space, the top
/// level's `api_key` left out (a credential is never part of what was sent about the trade).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BodyHash([u8; 32]);

impl BodyHash {
    /// The hash of `body`.
    pub fn of(body: &JsonObject) -> Self {
        let mut canonical = Canonical(Sha256::new());
        canonical.object(body.iter().filter(|(key, _)| key.as_str() != "api_key"));
        Self(canonical.0.finalize().into())
    }

    /// A hash as stored.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The hash's bytes, for a store.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for BodyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BodyHash(")?;
        self.0.iter().take(4).try_for_each(|b| write!(f, "{b:02x}"))?;
        f.write_str("…)")
    }
}

/// The canonical form, written straight into the hash as it is produced.
struct Canonical(Sha256);

impl std::io::Write for Canonical {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Canonical {
    /// An object's members with their keys in order, whatever order the map keeps them in.
    fn object<'a>(&mut self, members: impl Iterator<Item = (&'a String, &'a Value)>) {
        let mut members: Vec<(&String, &Value)> = members.collect();
        members.sort_unstable_by(|a, b| a.0.cmp(b.0));
        self.0.update(b"{");
        for (i, (key, value)) in members.into_iter().enumerate() {
            if i > 0 {
                self.0.update(b",");
            }
            // Writing into a hash cannot fail, and a string always serializes.
            let _ = serde_json::to_writer(&mut *self, key);
            self.0.update(b":");
            self.value(value);
        }
        self.0.update(b"}");
    }

    fn value(&mut self, value: &Value) {
        match value {
            Value::Object(object) => self.object(object.iter()),
            Value::Array(items) => {
                self.0.update(b"[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.0.update(b",");
                    }
                    self.value(item);
                }
                self.0.update(b"]");
            }
            // Compact, as `Value`'s `Display` writes it.
            scalar => {
                let _ = serde_json::to_writer(&mut *self, scalar);
            }
        }
    }
}

/// What a signal acts on, for receipts: its reference, or without one its symbol.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignalTarget {
    /// The sender's reference.
    Reference(ExternalReference),
    /// The symbol of a signal without reference.
    Symbol(Symbol),
}

impl SignalTarget {
    /// The target as one text, for a store's key: `ref:<reference>` or `sym:<SYMBOL>`.
    pub fn key(&self) -> String {
        match self {
            Self::Reference(reference) => format!("ref:{reference}"),
            Self::Symbol(symbol) => format!("sym:{symbol}"),
        }
    }

    /// A target read back from its [`SignalTarget::key`]; `None` for a text no target makes.
    ///
    /// ```
    /// use quantarya_domain::{ExternalReference, SignalTarget, Symbol};
    /// let target = SignalTarget::Reference(ExternalReference::parse("tv-42")?);
    /// assert_eq!(SignalTarget::from_key(&target.key()), Some(target));
    /// let symbol = SignalTarget::Symbol(Symbol::parse("BINANCE:BTCUSDT")?);
    /// assert_eq!(SignalTarget::from_key(&symbol.key()), Some(symbol));
    /// assert_eq!(SignalTarget::from_key("tv-42"), None);
    /// # Ok::<(), quantarya_domain::ValueError>(())
    /// ```
    pub fn from_key(key: &str) -> Option<Self> {
        if let Some(reference) = key.strip_prefix("ref:") {
            return ExternalReference::parse(reference).ok().map(Self::Reference);
        }
        Symbol::parse(key.strip_prefix("sym:")?).ok().map(Self::Symbol)
    }
}

/// What is kept of an accepted signal: the hash of its body, the trade it acted on and the change it made (whose
/// event id identifies the receipt), and when.
///
/// ```
/// use quantarya_domain::{BodyHash, EventId, Receipt, Repeat, Timestamp, TradeId};
/// # use quantarya_domain::uuid::Uuid;
/// # use quantarya_domain::serde_json;
/// let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid time");
/// let body = |text: &str| match serde_json::from_str(text) {
///     Ok(serde_json::Value::Object(object)) => object,
///     _ => unreachable!("an object"),
/// };
/// let sent = BodyHash::of(&body(r#"{"symbol": "ES1!", "side": "buy", "api_key": "qk_…"}"#));
/// let (trade_id, event_id) = (TradeId::from_uuid(Uuid::nil()), EventId::from_uuid(Uuid::nil()));
/// let receipt = Receipt { body_hash: sent, trade_id, event_id, at: at("2026-05-21T12:00:00Z") };
///
/// // The same body again, keys in another order and without the key: a retry.
/// let again = BodyHash::of(&body(r#"{"side":"buy","symbol":"ES1!"}"#));
/// assert_eq!(receipt.judge_body(again, at("2026-05-21T12:00:03Z")), Repeat::Replay(receipt.trade_id));
/// // The same body an hour later is a new signal.
/// assert_eq!(receipt.judge_body(again, at("2026-05-21T13:00:00Z")), Repeat::New);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The canonical body's hash.
    pub body_hash: BodyHash,
    /// The trade the signal created or changed.
    pub trade_id: TradeId,
    /// The history event of that change: the receipt's identity.
    pub event_id: EventId,
    /// When it was accepted.
    pub at: Timestamp,
}

/// Whether a signal repeats one already applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// It does: answer with this trade as it stands, change nothing.
    Replay(TradeId),
    /// Its idempotency key was used for another body: refuse it.
    KeyReused,
    /// It is a new signal.
    New,
}

impl Receipt {
    /// How long a receipt under an idempotency key counts.
    pub const KEYED_LIFETIME: TimeDelta = TimeDelta::hours(24);
    /// How long a receipt without a key counts (and only while it is the latest for its target).
    pub const UNKEYED_LIFETIME: TimeDelta = TimeDelta::minutes(10);

    /// Whether it still counts at `now`, under a key or not.
    pub fn counts_at(&self, now: Timestamp, keyed: bool) -> bool {
        let lifetime = if keyed { Self::KEYED_LIFETIME } else { Self::UNKEYED_LIFETIME };
        now.as_datetime() - self.at.as_datetime() < lifetime
    }

    /// A signal with the idempotency key this receipt is stored under, and a body hashing to `body`.
    pub fn judge_keyed(&self, body: BodyHash, now: Timestamp) -> Repeat {
        match (self.counts_at(now, true), self.body_hash == body) {
            (false, _) => Repeat::New,
            (true, true) => Repeat::Replay(self.trade_id),
            (true, false) => Repeat::KeyReused,
        }
    }

    /// A signal without a key whose target's latest receipt is this one, and whose body hashes to `body`.
    pub fn judge_body(&self, body: BodyHash, now: Timestamp) -> Repeat {
        if self.counts_at(now, false) && self.body_hash == body { Repeat::Replay(self.trade_id) } else { Repeat::New }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> JsonObject {
        match value {
            Value::Object(object) => object,
            _ => JsonObject::new(),
        }
    }

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect("valid")
    }

    fn receipt_of(body_hash: BodyHash) -> Receipt {
        let nil = uuid::Uuid::nil();
        Receipt {
            body_hash,
            trade_id: TradeId::from_uuid(nil),
            event_id: EventId::from_uuid(nil),
            at: at("2026-05-21T12:00:00Z"),
        }
    }

    #[test]
    fn the_canonical_form_ignores_order_white_space_and_the_key_but_nothing_else() {
        let a = BodyHash::of(&object(json!({ "b": [1, { "y": 2, "x": 1 }], "a": "x", "api_key": "qk_1" })));
        let b = BodyHash::of(&object(json!({ "a": "x", "b": [1, { "x": 1, "y": 2 }] })));
        assert_eq!(a, b);
        assert_ne!(a, BodyHash::of(&object(json!({ "a": "x", "b": [{ "x": 1, "y": 2 }, 1] }))), "arrays keep order");
        assert_ne!(a, BodyHash::of(&object(json!({ "a": "X", "b": [1, { "x": 1, "y": 2 }] }))), "values count");
        let nested_key = BodyHash::of(&object(json!({ "meta": { "api_key": "kept" } })));
        assert_ne!(nested_key, BodyHash::of(&object(json!({ "meta": {} }))), "only the top level's key is left out");
    }

    #[test]
    fn the_canonical_form_is_the_compact_sorted_json() {
        let compact: [u8; 32] = Sha256::digest(r#"{"a":1.5,"b":"é\"","c":null}"#.as_bytes()).into();
        assert_eq!(BodyHash::of(&object(json!({ "c": null, "b": "é\"", "a": 1.5 }))), BodyHash::from_bytes(compact));
        let nested = r#"{"a":[true,{"x":"\u0001","y":-2}],"b\n":{},"c":[]}"#;
        let compact: [u8; 32] = Sha256::digest(nested.as_bytes()).into();
        let body = json!({ "c": [], "b\n": {}, "a": [true, { "y": -2, "x": "\u{1}" }], "api_key": "qk_1" });
        assert_eq!(BodyHash::of(&object(body)), BodyHash::from_bytes(compact));
    }

    #[test]
    fn keyed_receipts_replay_the_same_body_refuse_another_and_expire() {
        let body = BodyHash::from_bytes([1; 32]);
        let receipt = receipt_of(body);
        assert_eq!(receipt.judge_keyed(body, at("2026-05-22T11:59:59Z")), Repeat::Replay(receipt.trade_id));
        assert_eq!(receipt.judge_keyed(BodyHash::from_bytes([2; 32]), at("2026-05-21T12:00:01Z")), Repeat::KeyReused);
        assert_eq!(receipt.judge_keyed(body, at("2026-05-22T12:00:00Z")), Repeat::New, "24 hours later");
    }

    #[test]
    fn unkeyed_receipts_replay_the_same_body_for_ten_minutes() {
        let body = BodyHash::from_bytes([1; 32]);
        let receipt = receipt_of(body);
        assert_eq!(receipt.judge_body(body, at("2026-05-21T12:09:59Z")), Repeat::Replay(receipt.trade_id));
        assert_eq!(receipt.judge_body(body, at("2026-05-21T12:10:00Z")), Repeat::New);
        assert_eq!(receipt.judge_body(BodyHash::from_bytes([2; 32]), at("2026-05-21T12:00:01Z")), Repeat::New);
    }

    #[test]
    fn idempotency_keys_are_printable_ascii_up_to_255() {
        assert!(IdempotencyKey::parse("tv-2026-05-21T12:00:00Z long+short/1").is_ok());
        assert_eq!(IdempotencyKey::parse(""), Err(ValueError::Empty));
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("tab\tkey").is_err());
        assert!(IdempotencyKey::parse("clé").is_err());
    }

    #[test]
    fn targets_key_references_apart_from_symbols() {
        let reference = SignalTarget::Reference(ExternalReference::parse("ES1!").expect("valid"));
        let symbol = SignalTarget::Symbol(Symbol::parse("ES1!").expect("valid"));
        assert_ne!(reference.key(), symbol.key());
    }
}
