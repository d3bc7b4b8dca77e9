//! A trade's history: one event per accepted change, never edited.

use serde_json::Value;

use crate::ValueError;
use crate::credential::CredentialKind;
use crate::ids::{EventId, TradeId};
use crate::strategy::Tags;
use crate::time::Timestamp;

use super::TradeRecord;
use super::extensions::{ExtensionSlot, JsonObject};
use super::fields::{ExternalReference, Price, Side, Source, Status, Symbol, Timeframe};
use super::position::{Fees, Fill, PointValue, Quantity};

/// What happened to a trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// It was created (by an entry signal, or by hand).
    Entry,
    /// An entry with a size added to the open position (a scale-in).
    Add,
    /// An open trade's levels or context changed.
    Update,
    /// Part of the position was taken off; it stays open.
    Reduce,
    /// An exit signal closed it.
    Exit,
    /// It was closed by hand (the close route, or `PATCH` to `CLOSED`).
    Close,
    /// It was cancelled.
    Cancel,
    /// A terminal trade's recorded values were corrected.
    Correct,
}

impl EventKind {
    /// Every kind, in the order the contract lists them.
    pub const ALL: [Self; 8] =
        [Self::Entry, Self::Add, Self::Update, Self::Reduce, Self::Exit, Self::Close, Self::Cancel, Self::Correct];

    /// `entry`, `add`, `update`, `reduce`, `exit`, `close`, `cancel` or `correct`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Entry => "entry",
            Self::Add => "add",
            Self::Update => "update",
            Self::Reduce => "reduce",
            Self::Exit => "exit",
            Self::Close => "close",
            Self::Cancel => "cancel",
            Self::Correct => "correct",
        }
    }

    /// Parses the text of [`EventKind::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// One field a change set, with its new value (`None` where it was cleared).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldChange {
    /// `status`.
    Status(Status),
    /// `symbol` (set at entry only).
    Symbol(Symbol),
    /// `side` (set at entry only).
    Side(Side),
    /// `entry`.
    Entry(Option<Price>),
    /// `stop_loss`.
    StopLoss(Option<Price>),
    /// `take_profit`.
    TakeProfit(Option<Price>),
    /// `close_price`.
    ClosePrice(Option<Price>),
    /// `max_favorable_price`.
    MaxFavorablePrice(Option<Price>),
    /// `max_adverse_price`.
    MaxAdversePrice(Option<Price>),
    /// `opened_at`.
    OpenedAt(Timestamp),
    /// `closed_at`.
    ClosedAt(Option<Timestamp>),
    /// `signal_time`.
    SignalTime(Option<Timestamp>),
    /// `timeframe`.
    Timeframe(Option<Timeframe>),
    /// `source`.
    Source(Option<Source>),
    /// `external_reference`.
    ExternalReference(Option<ExternalReference>),
    /// `tags`.
    Tags(Tags),
    /// `quantity`: all that was entered.
    Quantity(Option<Quantity>),
    /// `point_value`.
    PointValue(PointValue),
    /// `fees`: the trade's total.
    Fees(Fees),
    /// `fills`: the fills the change added to the position, oldest first.
    Fills(Vec<Fill>),
    /// One of the extension objects.
    Extension(ExtensionSlot, Option<JsonObject>),
    /// `live`: whether the trade counts in the live record (set at entry; cleared, for good, by a correction).
    Live(bool),
}

impl FieldChange {
    /// The trade field's name.
    pub const fn field(&self) -> &'static str {
        match self {
            Self::Status(_) => "status",
            Self::Symbol(_) => "symbol",
            Self::Side(_) => "side",
            Self::Entry(_) => "entry",
            Self::StopLoss(_) => "stop_loss",
            Self::TakeProfit(_) => "take_profit",
            Self::ClosePrice(_) => "close_price",
            Self::MaxFavorablePrice(_) => "max_favorable_price",
            Self::MaxAdversePrice(_) => "max_adverse_price",
            Self::OpenedAt(_) => "opened_at",
            Self::ClosedAt(_) => "closed_at",
            Self::SignalTime(_) => "signal_time",
            Self::Timeframe(_) => "timeframe",
            Self::Source(_) => "source",
            Self::ExternalReference(_) => "external_reference",
            Self::Tags(_) => "tags",
            Self::Quantity(_) => "quantity",
            Self::PointValue(_) => "point_value",
            Self::Fees(_) => "fees",
            Self::Fills(_) => "fills",
            Self::Extension(slot, _) => slot.as_str(),
            Self::Live(_) => "live",
        }
    }

    /// The new value as JSON: prices as numbers, times as RFC 3339 strings, cleared fields as `null`. This is how
    /// history shows "the fields it set", on the wire and in storage.
    pub fn value(&self) -> Value {
        fn price(p: Option<Price>) -> Value {
            p.map_or(Value::Null, |p| Value::from(p.get()))
        }
        fn text(t: Option<String>) -> Value {
            t.map_or(Value::Null, Value::String)
        }
        match self {
            Self::Status(s) => Value::from(s.as_str()),
            Self::Symbol(s) => Value::from(s.as_str()),
            Self::Side(s) => Value::from(s.as_str()),
            Self::Entry(p)
            | Self::StopLoss(p)
            | Self::TakeProfit(p)
            | Self::ClosePrice(p)
            | Self::MaxFavorablePrice(p)
            | Self::MaxAdversePrice(p) => price(*p),
            Self::OpenedAt(t) => Value::from(t.to_string()),
            Self::ClosedAt(t) | Self::SignalTime(t) => text(t.map(|t| t.to_string())),
            Self::Timeframe(t) => text(t.as_ref().map(ToString::to_string)),
            Self::Source(s) => text(s.as_ref().map(ToString::to_string)),
            Self::ExternalReference(r) => text(r.as_ref().map(ToString::to_string)),
            Self::Tags(tags) => Value::from(tags.as_slice().to_vec()),
            Self::Quantity(q) => q.map_or(Value::Null, |q| Value::from(q.to_f64())),
            Self::PointValue(p) => Value::from(p.get()),
            Self::Fees(f) => Value::from(f.to_f64()),
            Self::Fills(fills) => Value::Array(fills.iter().map(Fill::to_json).collect()),
            Self::Extension(_, o) => o.clone().map_or(Value::Null, Value::Object),
            Self::Live(live) => Value::Bool(*live),
        }
    }

    /// Reads back a change written by [`FieldChange::value`].
    pub fn from_value(field: &str, value: &Value) -> Result<Self, ValueError> {
        let text = || value.as_str().ok_or(ValueError::Format("must be a string"));
        let optional_text = || match value {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.as_str())),
            _ => Err(ValueError::Format("must be a string or null")),
        };
        let price = || match value {
            Value::Null => Ok(None),
            _ => value.as_f64().ok_or(ValueError::Price).and_then(Price::new).map(Some),
        };
        let time = |raw: Option<&str>| raw.map(Timestamp::parse_rfc3339).transpose();
        Ok(match field {
            "status" => Self::Status(Status::parse(text()?)?),
            "symbol" => Self::Symbol(Symbol::parse(text()?)?),
            "side" => Self::Side(Side::parse(text()?)?),
            "entry" => Self::Entry(price()?),
            "stop_loss" => Self::StopLoss(price()?),
            "take_profit" => Self::TakeProfit(price()?),
            "close_price" => Self::ClosePrice(price()?),
            "max_favorable_price" => Self::MaxFavorablePrice(price()?),
            "max_adverse_price" => Self::MaxAdversePrice(price()?),
            "opened_at" => Self::OpenedAt(Timestamp::parse_rfc3339(text()?)?),
            "closed_at" => Self::ClosedAt(time(optional_text()?)?),
            "signal_time" => Self::SignalTime(time(optional_text()?)?),
            "timeframe" => Self::Timeframe(optional_text()?.map(Timeframe::parse).transpose()?),
            "source" => Self::Source(optional_text()?.map(Source::parse).transpose()?),
            "external_reference" => {
                Self::ExternalReference(optional_text()?.map(ExternalReference::parse).transpose()?)
            }
            "tags" => {
                let items = value.as_array().ok_or(ValueError::Format("must be an array of strings"))?;
                let texts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                if texts.len() != items.len() {
                    return Err(ValueError::Format("must be an array of strings"));
                }
                Self::Tags(Tags::parse(&texts).map_err(|(_, error)| error)?)
            }
            "quantity" => Self::Quantity(match value {
                Value::Null => None,
                _ => Some(value.as_f64().ok_or(ValueError::Quantity).and_then(Quantity::new)?),
            }),
            "point_value" => Self::PointValue(value.as_f64().ok_or(ValueError::PointValue).and_then(PointValue::new)?),
            "fees" => Self::Fees(value.as_f64().ok_or(ValueError::Fees).and_then(Fees::new)?),
            "live" => Self::Live(value.as_bool().ok_or(ValueError::Format("must be true or false"))?),
            "fills" => Self::Fills(
                value
                    .as_array()
                    .ok_or(ValueError::Format("must be an array of fills"))?
                    .iter()
                    .map(Fill::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            other => {
                let slot = ExtensionSlot::ALL
                    .into_iter()
                    .find(|slot| slot.as_str() == other)
                    .ok_or(ValueError::Format("is not a trade field"))?;
                let object = match value {
                    Value::Null => None,
                    Value::Object(object) => Some(object.clone()),
                    _ => return Err(ValueError::Format("must be a JSON object or null")),
                };
                Self::Extension(slot, object)
            }
        })
    }

    /// The fields that differ from `old` to `new`; with no `old` (a creation), every field that is set.
    pub fn between(old: Option<&TradeRecord>, new: &TradeRecord) -> Vec<Self> {
        // A webhook entry sets about ten.
        let mut changes = Vec::with_capacity(12);
        Self::each_between(old, new, &mut |change| changes.push(change()));
        changes
    }

    /// Whether `changes` are exactly [`FieldChange::between`] `old` and `new`, found without collecting them: so a
    /// store can keep an event it can write out again from the trade as less than the event.
    ///
    /// ```
    /// use quantarya_domain::{FieldChange, NewTrade, Side, Stamp, StrategyId, Symbol, Trade, TradeId, UserId};
    /// # use quantarya_domain::{CredentialKind, EventId, Timestamp, uuid::Uuid};
    /// # let at = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid");
    /// # let stamp = Stamp { event_id: EventId::from_uuid(Uuid::nil()), at, by: CredentialKind::ApiKey };
    /// let new = NewTrade::open(Symbol::parse("ES1!").expect("valid"), Side::Buy);
    /// let (id, strategy) = (TradeId::from_uuid(Uuid::nil()), StrategyId::from_uuid(Uuid::nil()));
    /// let opened = Trade::open(id, strategy, UserId::parse("u").expect("valid"), new, stamp).expect("valid");
    /// assert!(FieldChange::are_between(None, &opened.trade, &opened.event.changes));
    /// assert!(!FieldChange::are_between(None, &opened.trade, &opened.event.changes[1..]));
    /// ```
    pub fn are_between(old: Option<&TradeRecord>, new: &TradeRecord, changes: &[Self]) -> bool {
        let (mut next, mut same) = (0, true);
        Self::each_between(old, new, &mut |change| {
            same = same && changes.get(next).is_some_and(|expected| *expected == change());
            next += 1;
        });
        same && next == changes.len()
    }

    /// Hands `sink` each change from `old` to `new`, in order, as a maker: each is only made (its values cloned)
    /// when its field differs.
    fn each_between(old: Option<&TradeRecord>, new: &TradeRecord, sink: &mut dyn FnMut(&dyn Fn() -> FieldChange)) {
        let mut push = |differs: bool, change: &dyn Fn() -> FieldChange| {
            if differs {
                sink(change);
            }
        };
        match old {
            None => {
                push(true, &|| Self::Status(new.status));
                push(true, &|| Self::Symbol(new.symbol.clone()));
                push(true, &|| Self::Side(new.side));
                push(new.entry.is_some(), &|| Self::Entry(new.entry));
                push(new.stop_loss.is_some(), &|| Self::StopLoss(new.stop_loss));
                push(new.take_profit.is_some(), &|| Self::TakeProfit(new.take_profit));
                push(new.close_price.is_some(), &|| Self::ClosePrice(new.close_price));
                push(new.max_favorable_price.is_some(), &|| Self::MaxFavorablePrice(new.max_favorable_price));
                push(new.max_adverse_price.is_some(), &|| Self::MaxAdversePrice(new.max_adverse_price));
                push(true, &|| Self::OpenedAt(new.opened_at));
                push(new.closed_at.is_some(), &|| Self::ClosedAt(new.closed_at));
                push(new.signal_time.is_some(), &|| Self::SignalTime(new.signal_time));
                push(new.timeframe.is_some(), &|| Self::Timeframe(new.timeframe.clone()));
                push(new.source.is_some(), &|| Self::Source(new.source.clone()));
                push(new.external_reference.is_some(), &|| Self::ExternalReference(new.external_reference.clone()));
                push(!new.tags.as_slice().is_empty(), &|| Self::Tags(new.tags.clone()));
                push(new.quantity().is_some(), &|| Self::Quantity(new.quantity()));
                push(new.point_value != PointValue::default(), &|| Self::PointValue(new.point_value));
                push(new.fees != Fees::ZERO, &|| Self::Fees(new.fees));
                // A trade without a size records its fills as entry and close_price, as it always did.
                push(new.is_sized(), &|| Self::Fills(new.fills.clone()));
                for slot in ExtensionSlot::ALL {
                    let value = new.extensions.get(slot);
                    push(value.is_some(), &|| Self::Extension(slot, value.cloned()));
                }
                push(new.live, &|| Self::Live(new.live));
            }
            Some(old) => {
                push(old.status != new.status, &|| Self::Status(new.status));
                push(old.symbol != new.symbol, &|| Self::Symbol(new.symbol.clone()));
                push(old.side != new.side, &|| Self::Side(new.side));
                push(old.entry != new.entry, &|| Self::Entry(new.entry));
                push(old.stop_loss != new.stop_loss, &|| Self::StopLoss(new.stop_loss));
                push(old.take_profit != new.take_profit, &|| Self::TakeProfit(new.take_profit));
                push(old.close_price != new.close_price, &|| Self::ClosePrice(new.close_price));
                push(old.max_favorable_price != new.max_favorable_price, &|| {
                    Self::MaxFavorablePrice(new.max_favorable_price)
                });
                push(old.max_adverse_price != new.max_adverse_price, &|| Self::MaxAdversePrice(new.max_adverse_price));
                push(old.opened_at != new.opened_at, &|| Self::OpenedAt(new.opened_at));
                push(old.closed_at != new.closed_at, &|| Self::ClosedAt(new.closed_at));
                push(old.signal_time != new.signal_time, &|| Self::SignalTime(new.signal_time));
                push(old.timeframe != new.timeframe, &|| Self::Timeframe(new.timeframe.clone()));
                push(old.source != new.source, &|| Self::Source(new.source.clone()));
                push(old.external_reference != new.external_reference, &|| {
                    Self::ExternalReference(new.external_reference.clone())
                });
                push(old.tags != new.tags, &|| Self::Tags(new.tags.clone()));
                push(old.quantity() != new.quantity(), &|| Self::Quantity(new.quantity()));
                push(old.point_value != new.point_value, &|| Self::PointValue(new.point_value));
                push(old.fees != new.fees, &|| Self::Fees(new.fees));
                // Fills are only ever appended; a corrected price or time shows as close_price or closed_at.
                let added = new.fills.get(old.fills.len()..).unwrap_or_default();
                push(new.is_sized() && !added.is_empty(), &|| Self::Fills(added.to_vec()));
                for slot in ExtensionSlot::ALL {
                    let value = new.extensions.get(slot);
                    push(old.extensions.get(slot) != value, &|| Self::Extension(slot, value.cloned()));
                }
                push(old.live != new.live, &|| Self::Live(new.live));
            }
        }
    }
}

/// One entry of a trade's history: what happened, when, by which kind of credential, and the fields it set.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeEvent {
    /// Its id.
    pub id: EventId,
    /// The trade it belongs to.
    pub trade_id: TradeId,
    /// The trade version this event produced (1 for the entry).
    pub version: u64,
    /// What happened.
    pub kind: EventKind,
    /// When Quantarya recorded it.
    pub at: Timestamp,
    /// The kind of credential that made the change.
    pub by: CredentialKind,
    /// The fields it set, with their new values.
    pub changes: Vec<FieldChange>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_change_reads_back_from_its_json_value() {
        let at = Timestamp::parse_rfc3339("2026-05-21T12:00:00.123456Z").expect("valid");
        let mut notes = crate::JsonObject::new();
        notes.insert("setup".into(), json!("flag"));
        let changes = vec![
            FieldChange::Status(Status::Closed),
            FieldChange::Symbol(Symbol::parse("ES1!").expect("valid")),
            FieldChange::Side(Side::Sell),
            FieldChange::Entry(Some(Price::new(1.0825).expect("valid"))),
            FieldChange::StopLoss(None),
            FieldChange::TakeProfit(Some(Price::new(0.1 + 0.2).expect("valid"))),
            FieldChange::ClosePrice(Some(Price::new(1e12).expect("valid"))),
            FieldChange::OpenedAt(at),
            FieldChange::ClosedAt(Some(at)),
            FieldChange::SignalTime(None),
            FieldChange::Timeframe(Some(Timeframe::parse("4h").expect("valid"))),
            FieldChange::Source(None),
            FieldChange::ExternalReference(Some(ExternalReference::parse("Long").expect("valid"))),
            FieldChange::Quantity(Some(Quantity::new(2.5).expect("valid"))),
            FieldChange::Quantity(None),
            FieldChange::PointValue(PointValue::new(50.0).expect("valid")),
            FieldChange::Fees(Fees::new(1.25).expect("valid")),
            FieldChange::Fills(vec![Fill {
                kind: super::super::position::FillKind::Exit,
                price: Some(Price::new(150.2).expect("valid")),
                quantity: Some(Quantity::new(0.5).expect("valid")),
                fees: Fees::new(0.1).expect("valid"),
                at,
            }]),
            FieldChange::Extension(ExtensionSlot::Meta, Some(notes)),
            FieldChange::Extension(ExtensionSlot::Risk, None),
        ];
        for change in changes {
            let value = change.value();
            let text = value.to_string();
            let reparsed: Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(FieldChange::from_value(change.field(), &reparsed), Ok(change.clone()), "{text}");
        }
        assert!(FieldChange::from_value("colour", &json!("red")).is_err());
        assert!(FieldChange::from_value("entry", &json!("1.0")).is_err());
    }
}
