//! A trade as a position: its size, its fills, its fees and what it made (contract section 5a).
//!
//! Sizes and fees are exact decimals, so that scaling in `0.1` and `0.2` and taking off `0.3` leaves nothing open;
//! prices stay binary floating point, as everywhere else, and money is computed from them.

use std::fmt;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value};

use crate::time::Timestamp;
use crate::value::ValueError;

use super::TradeRecord;
use super::fields::{Price, Status};

/// The decimal places a size or a fee keeps; what a sender's number carries beyond is rounded away
/// (`0.30000000000000004` from a float sum is `0.3`).
pub const DECIMAL_PLACES: u32 = 12;

/// The most fills (entries and exits) one trade holds.
pub const MAX_FILLS: usize = 500;

/// The largest size or amount of fees, for one fill and for a whole trade: 1e12.
const MAX_AMOUNT: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);

/// Whether `value` is at most [`MAX_AMOUNT`] and exact to [`DECIMAL_PLACES`].
fn in_bounds(value: Decimal) -> bool {
    value <= MAX_AMOUNT && value.scale() <= DECIMAL_PLACES
}

/// Reads a sender's number as the decimal it spells, rounded to [`DECIMAL_PLACES`]; `None` when it is not finite.
fn decimal(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    if value.abs() < 1e-13 {
        return Some(Decimal::ZERO);
    }
    Decimal::from_f64_retain(value).map(|d| d.round_dp(DECIMAL_PLACES).normalize())
}

/// A decimal as the nearest JSON number.
fn number(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(f64::NAN)
}

/// A size: units entered or taken off (shares, contracts, lots, coins). Greater than 0 and at most 1e12, exact to
/// [`DECIMAL_PLACES`].
///
/// ```
/// use quantarya_domain::Quantity;
/// let sum = Quantity::new(0.1)?.get() + Quantity::new(0.2)?.get();
/// assert_eq!(sum, Quantity::new(0.3)?.get());
/// assert!(Quantity::new(0.0).is_err() && Quantity::new(2e12).is_err());
/// # Ok::<(), quantarya_domain::ValueError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(Decimal);

impl Quantity {
    /// The largest size accepted, for one fill and for a whole trade.
    pub const MAX: f64 = 1e12;

    /// Accepts `value` when it is greater than 0 (after rounding) and at most [`Quantity::MAX`].
    pub fn new(value: f64) -> Result<Self, ValueError> {
        if value > Self::MAX {
            return Err(ValueError::Quantity);
        }
        decimal(value).ok_or(ValueError::Quantity).and_then(Self::from_decimal)
    }

    /// Accepts an exact decimal under the rules of [`Quantity::new`].
    pub fn from_decimal(value: Decimal) -> Result<Self, ValueError> {
        if value > Decimal::ZERO && in_bounds(value) { Ok(Self(value.normalize())) } else { Err(ValueError::Quantity) }
    }

    /// The exact size.
    pub const fn get(self) -> Decimal {
        self.0
    }

    /// The size as the nearest floating-point number, for arithmetic with prices and for the wire.
    pub fn to_f64(self) -> f64 {
        number(self.0)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Commissions and fees, in the strategy's currency: at least 0 and at most 1e12, exact to [`DECIMAL_PLACES`].
///
/// ```
/// use quantarya_domain::Fees;
/// let total = Fees::new(1.25)?.plus(Fees::new(0.75)?)?;
/// assert_eq!(total, Fees::new(2.0)?);
/// assert!(Fees::new(-0.01).is_err());
/// # Ok::<(), quantarya_domain::ValueError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fees(Decimal);

impl Fees {
    /// The largest amount accepted, for one fill and for a whole trade.
    pub const MAX: f64 = 1e12;

    /// No fees.
    pub const ZERO: Self = Self(Decimal::ZERO);

    /// Accepts `value` when it is at least 0 and at most [`Fees::MAX`].
    pub fn new(value: f64) -> Result<Self, ValueError> {
        if !(0.0..=Self::MAX).contains(&value) {
            return Err(ValueError::Fees);
        }
        decimal(value).ok_or(ValueError::Fees).and_then(Self::from_decimal)
    }

    /// Accepts an exact decimal under the rules of [`Fees::new`].
    pub fn from_decimal(value: Decimal) -> Result<Self, ValueError> {
        if value >= Decimal::ZERO && in_bounds(value) { Ok(Self(value.normalize())) } else { Err(ValueError::Fees) }
    }

    /// Both amounts together, refused when the sum is over [`Fees::MAX`].
    pub fn plus(self, other: Self) -> Result<Self, ValueError> {
        self.0.checked_add(other.0).ok_or(ValueError::Fees).and_then(Self::from_decimal)
    }

    /// The exact amount.
    pub const fn get(self) -> Decimal {
        self.0
    }

    /// The amount as the nearest floating-point number.
    pub fn to_f64(self) -> f64 {
        number(self.0)
    }
}

/// Currency per unit per point of price: a futures multiplier (ES is 50). Greater than 0 and at most 1e12; 1 unless
/// the entry says otherwise.
///
/// ```
/// use quantarya_domain::PointValue;
/// assert_eq!(PointValue::default().get(), 1.0);
/// assert_eq!(PointValue::new(50.0)?.get(), 50.0);
/// assert!(PointValue::new(0.0).is_err());
/// # Ok::<(), quantarya_domain::ValueError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct PointValue(f64);

impl PointValue {
    /// Accepts `value` when it is finite, positive and at most 1e12.
    pub fn new(value: f64) -> Result<Self, ValueError> {
        if value.is_finite() && value > 0.0 && value <= 1e12 { Ok(Self(value)) } else { Err(ValueError::PointValue) }
    }

    /// The multiplier.
    pub const fn get(self) -> f64 {
        self.0
    }
}

impl Default for PointValue {
    fn default() -> Self {
        Self(1.0)
    }
}

/// Whether a fill added to the position or took some off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FillKind {
    /// An entry: the opening fill, or a scale-in.
    Entry,
    /// An exit: a partial exit, or the one that closed the trade.
    Exit,
}

impl FillKind {
    /// Both kinds.
    pub const ALL: [Self; 2] = [Self::Entry, Self::Exit];

    /// `entry` or `exit`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Entry => "entry",
            Self::Exit => "exit",
        }
    }
}

/// One entry or exit of a position, as it happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fill {
    /// An entry or an exit.
    pub kind: FillKind,
    /// Its price, if the sender gave one.
    pub price: Option<Price>,
    /// Its size; `None` for every fill of a trade opened without a size.
    pub quantity: Option<Quantity>,
    /// What it cost.
    pub fees: Fees,
    /// When it happened: the sender's time, else the time of receipt.
    pub at: Timestamp,
}

impl Fill {
    /// The fill as JSON, as the wire and the stores show it: `{"kind", "price", "quantity", "fees", "at"}`.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("kind".into(), Value::from(self.kind.as_str()));
        object.insert("price".into(), self.price.map_or(Value::Null, |p| Value::from(p.get())));
        object.insert("quantity".into(), self.quantity.map_or(Value::Null, |q| Value::from(q.to_f64())));
        object.insert("fees".into(), Value::from(self.fees.to_f64()));
        object.insert("at".into(), Value::from(self.at.to_string()));
        Value::Object(object)
    }

    /// Reads back a fill written by [`Fill::to_json`]. Sizes and fees may also be decimal strings, which keep
    /// every digit (stores write them so).
    pub fn from_json(value: &Value) -> Result<Self, ValueError> {
        let field = |name: &str| value.get(name).unwrap_or(&Value::Null);
        let amount = |name: &str| -> Result<Option<Decimal>, ValueError> {
            match field(name) {
                Value::Null => Ok(None),
                Value::String(text) => text.parse::<Decimal>().map(Some).map_err(|_| ValueError::Format("bad decimal")),
                other => other.as_f64().and_then(decimal).map(Some).ok_or(ValueError::Format("bad number")),
            }
        };
        let kind = match field("kind").as_str() {
            Some("entry") => FillKind::Entry,
            Some("exit") => FillKind::Exit,
            _ => return Err(ValueError::Format("a fill's kind is entry or exit")),
        };
        let price = match field("price") {
            Value::Null => None,
            other => Some(other.as_f64().ok_or(ValueError::Price).and_then(Price::new)?),
        };
        let quantity = amount("quantity")?.map(Quantity::from_decimal).transpose()?;
        let fees = amount("fees")?.map(Fees::from_decimal).transpose()?.unwrap_or_default();
        let at = Timestamp::parse_rfc3339(field("at").as_str().ok_or(ValueError::Format("a fill has a time"))?)?;
        Ok(Self { kind, price, quantity, fees, at })
    }

    /// The fill as stores keep it: like [`Fill::to_json`], with sizes and fees as exact decimal strings.
    pub fn to_stored_json(&self) -> Value {
        let mut value = self.to_json();
        if let Value::Object(object) = &mut value {
            object.insert("quantity".into(), self.quantity.map_or(Value::Null, |q| Value::from(q.to_string())));
            object.insert("fees".into(), Value::from(self.fees.get().to_string()));
        }
        value
    }
}

/// The quantity-weighted average price of `fills`, or their one price when they carry no size; `None` when there
/// are none or one lacks a price.
pub(super) fn average_price<'f>(fills: impl Iterator<Item = &'f Fill>) -> Option<Price> {
    let (mut weighted, mut weight, mut count) = (0.0, 0.0, 0_usize);
    let (mut low, mut high) = (f64::INFINITY, 0.0_f64);
    for fill in fills {
        let price = fill.price?.get();
        let quantity = fill.quantity.map_or(1.0, Quantity::to_f64);
        weighted += price * quantity;
        weight += quantity;
        count += 1;
        low = low.min(price);
        high = high.max(price);
    }
    if count == 0 {
        return None;
    }
    // Rounding may step a hair outside the prices averaged; an average never does.
    Price::new((weighted / weight).clamp(low, high)).ok()
}

impl TradeRecord {
    /// The entry fills, oldest first.
    pub fn entry_fills(&self) -> impl Iterator<Item = &Fill> {
        self.fills.iter().filter(|f| f.kind == FillKind::Entry)
    }

    /// The exit fills, oldest first.
    pub fn exit_fills(&self) -> impl Iterator<Item = &Fill> {
        self.fills.iter().filter(|f| f.kind == FillKind::Exit)
    }

    /// Whether the trade was opened with a size: only then do its fills carry quantities and money.
    pub fn is_sized(&self) -> bool {
        self.fills.first().is_some_and(|f| f.quantity.is_some())
    }

    fn total(&self, kind: FillKind) -> Decimal {
        self.fills.iter().filter(|f| f.kind == kind).filter_map(|f| f.quantity).map(Quantity::get).sum()
    }

    /// All that was entered (the opening fill and every scale-in); `None` for a trade without a size.
    ///
    /// ```
    /// # use quantarya_domain::*;
    /// # use quantarya_domain::uuid::Uuid;
    /// let stamp = Stamp {
    ///     event_id: EventId::from_uuid(Uuid::from_u128(9)),
    ///     at: Timestamp::parse_rfc3339("2026-05-21T12:00:00Z")?,
    ///     by: CredentialKind::ApiKey,
    /// };
    /// let new = NewTrade {
    ///     entry: Some(Price::new(100.0)?),
    ///     quantity: Some(Quantity::new(3.0)?),
    ///     ..NewTrade::open(Symbol::parse("AAPL")?, Side::Buy)
    /// };
    /// let ids = (TradeId::from_uuid(Uuid::from_u128(1)), StrategyId::from_uuid(Uuid::from_u128(2)));
    /// let trade = Trade::open(ids.0, ids.1, UserId::parse("u_1")?, new, stamp)?.trade;
    /// assert_eq!(trade.quantity(), Some(Quantity::new(3.0)?));
    /// assert_eq!(trade.open_quantity(), Some(Quantity::new(3.0)?.get()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn quantity(&self) -> Option<Quantity> {
        if self.is_sized() { Quantity::from_decimal(self.total(FillKind::Entry)).ok() } else { None }
    }

    /// What is still open: entered less taken off, and 0 once the trade is closed or cancelled; `None` for a trade
    /// without a size.
    pub fn open_quantity(&self) -> Option<Decimal> {
        if !self.is_sized() {
            return None;
        }
        if self.status != Status::Open {
            return Some(Decimal::ZERO);
        }
        Some(self.total(FillKind::Entry) - self.total(FillKind::Exit))
    }

    /// What the exits so far made: the sum over exit fills of `(exit price - entry) * quantity * point_value`,
    /// negated for a short, less the trade's fees. `None` for a trade without a size, or when the entry price or
    /// an exit's price is unknown.
    pub fn realized_pnl(&self) -> Option<f64> {
        if !self.is_sized() {
            return None;
        }
        let entry = self.entry?.get();
        let direction = self.side.direction();
        let mut pnl = 0.0;
        for fill in self.exit_fills() {
            pnl += direction * (fill.price?.get() - entry) * fill.quantity?.to_f64() * self.point_value.get();
        }
        Some(pnl - self.fees.to_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_is_1e12() {
        assert_eq!(MAX_AMOUNT, Decimal::from(1_000_000_000_000_u64));
    }

    #[test]
    fn sizes_are_exact_decimals_of_what_was_sent() {
        let q = |v: f64| Quantity::new(v).expect("valid");
        assert_eq!(q(0.1).get() + q(0.2).get(), q(0.3).get());
        assert_eq!(q(0.1 + 0.2), q(0.3), "a float sum's last bits are rounded away");
        assert_eq!(q(1e12).to_f64(), 1e12);
        assert_eq!(q(0.000_000_000_001).to_string(), "0.000000000001");
        for bad in [0.0, -1.0, 1e12 + 1.0, f64::NAN, f64::INFINITY, 1e-13] {
            assert_eq!(Quantity::new(bad), Err(ValueError::Quantity), "{bad}");
        }
        assert!(Fees::new(0.0).is_ok() && Fees::new(-0.0).is_ok());
        assert_eq!(Fees::new(-1e-9), Err(ValueError::Fees));
        assert_eq!(Fees::new(6e11).and_then(|f| f.plus(Fees::new(6e11)?)), Err(ValueError::Fees));
    }

    #[test]
    fn fills_read_back_from_the_wire_and_from_storage() {
        let fill = Fill {
            kind: FillKind::Exit,
            price: Some(Price::new(150.25).expect("valid")),
            quantity: Some(Quantity::from_decimal("123456789012.123456789012".parse().expect("valid")).expect("valid")),
            fees: Fees::new(1.5).expect("valid"),
            at: Timestamp::parse_rfc3339("2026-05-21T12:00:00.5Z").expect("valid"),
        };
        assert_eq!(Fill::from_json(&fill.to_stored_json()), Ok(fill), "stored fills keep every digit");
        let small = Fill { quantity: Some(Quantity::new(2.5).expect("valid")), ..fill };
        assert_eq!(Fill::from_json(&small.to_json()), Ok(small));
        let without_size = Fill { kind: FillKind::Entry, price: None, quantity: None, ..fill };
        assert_eq!(Fill::from_json(&without_size.to_json()), Ok(without_size));
        assert!(Fill::from_json(&serde_json::json!({"kind": "add"})).is_err());
    }

    #[test]
    fn an_average_stays_within_the_prices_averaged() {
        let at = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid");
        let fill = |price: f64, quantity: f64| Fill {
            kind: FillKind::Entry,
            price: Some(Price::new(price).expect("valid")),
            quantity: Some(Quantity::new(quantity).expect("valid")),
            fees: Fees::ZERO,
            at,
        };
        let fills = [fill(150.1, 1.0), fill(150.2, 3.0)];
        let average = average_price(fills.iter()).expect("priced").get();
        assert!((average - 150.175).abs() < 1e-9, "{average}");
        let top = [fill(1e12, 0.3), fill(1e12, 0.7)];
        assert_eq!(average_price(top.iter()).map(Price::get), Some(1e12));
        let unpriced = [fill(1.0, 1.0), Fill { price: None, ..fill(1.0, 1.0) }];
        assert_eq!(average_price(unpriced.iter()), None);
    }
}
