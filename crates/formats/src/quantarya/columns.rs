//! The columns of a Quantarya export: every field of a trade, named as the API names it, each written and read
//! here and nowhere else. `quantity`, `open_quantity` and `realized_pnl` are written for whoever reads the file
//! in a spreadsheet; they follow from the fills, so reading ignores them.

use std::str::FromStr;

use quantarya_domain::serde_json::{self, Value};
use quantarya_domain::{
    ExtensionSlot, ExternalReference, Fees, Fill, JsonObject, Origin, PointValue, Price, Side, SignalEvent, Source,
    Status, StrategyId, Symbol, Tags, Timeframe, Timestamp, TradeId, TradeRecord, UserId,
};
use rust_decimal::Decimal;

/// One column of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `trade_id`.
    TradeId,
    /// `strategy_id`.
    StrategyId,
    /// `user_id`.
    UserId,
    /// `symbol`.
    Symbol,
    /// `side`.
    Side,
    /// `status`.
    Status,
    /// `event`.
    Event,
    /// `entry`.
    Entry,
    /// `stop_loss`.
    StopLoss,
    /// `initial_stop_loss`: the stop the trade's R is measured by.
    InitialStopLoss,
    /// `take_profit`.
    TakeProfit,
    /// `close_price`.
    ClosePrice,
    /// `max_favorable_price`.
    MaxFavorablePrice,
    /// `max_adverse_price`.
    MaxAdversePrice,
    /// `opened_at`.
    OpenedAt,
    /// `closed_at`.
    ClosedAt,
    /// `signal_time`.
    SignalTime,
    /// `timeframe`.
    Timeframe,
    /// `source`.
    Source,
    /// `external_reference`.
    ExternalReference,
    /// `tags`, as a JSON array.
    Tags,
    /// `quantity` (written, not read).
    Quantity,
    /// `open_quantity` (written, not read).
    OpenQuantity,
    /// `point_value`.
    PointValue,
    /// `fees`, as an exact decimal.
    Fees,
    /// `realized_pnl` (written, not read).
    RealizedPnl,
    /// `fills`, as a JSON array with sizes and fees as exact decimals.
    Fills,
    /// One of the extension objects, as JSON.
    Extension(ExtensionSlot),
    /// `origin`.
    Origin,
    /// `created_at`.
    CreatedAt,
    /// `updated_at`.
    UpdatedAt,
    /// `version`.
    Version,
}

/// A cell's text or why it does not read.
type Read<T> = Result<T, String>;

impl Column {
    /// Every column, in the file's order.
    pub const ALL: [Self; 36] = [
        Self::TradeId,
        Self::StrategyId,
        Self::UserId,
        Self::Symbol,
        Self::Side,
        Self::Status,
        Self::Event,
        Self::Entry,
        Self::StopLoss,
        Self::InitialStopLoss,
        Self::TakeProfit,
        Self::ClosePrice,
        Self::MaxFavorablePrice,
        Self::MaxAdversePrice,
        Self::OpenedAt,
        Self::ClosedAt,
        Self::SignalTime,
        Self::Timeframe,
        Self::Source,
        Self::ExternalReference,
        Self::Tags,
        Self::Quantity,
        Self::OpenQuantity,
        Self::PointValue,
        Self::Fees,
        Self::RealizedPnl,
        Self::Fills,
        Self::Extension(ExtensionSlot::Signal),
        Self::Extension(ExtensionSlot::Market),
        Self::Extension(ExtensionSlot::Risk),
        Self::Extension(ExtensionSlot::Context),
        Self::Extension(ExtensionSlot::Meta),
        Self::Origin,
        Self::CreatedAt,
        Self::UpdatedAt,
        Self::Version,
    ];

    /// Its name in the header: the trade object's field name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::TradeId => "trade_id",
            Self::StrategyId => "strategy_id",
            Self::UserId => "user_id",
            Self::Symbol => "symbol",
            Self::Side => "side",
            Self::Status => "status",
            Self::Event => "event",
            Self::Entry => "entry",
            Self::StopLoss => "stop_loss",
            Self::InitialStopLoss => "initial_stop_loss",
            Self::TakeProfit => "take_profit",
            Self::ClosePrice => "close_price",
            Self::MaxFavorablePrice => "max_favorable_price",
            Self::MaxAdversePrice => "max_adverse_price",
            Self::OpenedAt => "opened_at",
            Self::ClosedAt => "closed_at",
            Self::SignalTime => "signal_time",
            Self::Timeframe => "timeframe",
            Self::Source => "source",
            Self::ExternalReference => "external_reference",
            Self::Tags => "tags",
            Self::Quantity => "quantity",
            Self::OpenQuantity => "open_quantity",
            Self::PointValue => "point_value",
            Self::Fees => "fees",
            Self::RealizedPnl => "realized_pnl",
            Self::Fills => "fills",
            Self::Extension(slot) => slot.as_str(),
            Self::Origin => "origin",
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::Version => "version",
        }
    }

    /// Whether reading needs it (the others follow from the fills).
    pub const fn is_read(self) -> bool {
        !matches!(self, Self::Quantity | Self::OpenQuantity | Self::RealizedPnl)
    }

    /// The cell of `trade` in this column; empty for a field that is not set.
    pub fn write(self, trade: &TradeRecord) -> String {
        let text = |value: Option<&dyn ToString>| value.map_or_else(String::new, |v| v.to_string());
        let price = |price: Option<Price>| price.map_or_else(String::new, |p| p.get().to_string());
        let time = |at: Option<Timestamp>| at.map_or_else(String::new, |at| at.to_rfc3339());
        match self {
            Self::TradeId => trade.id.to_string(),
            Self::StrategyId => trade.strategy_id.to_string(),
            Self::UserId => trade.user_id.as_str().to_owned(),
            Self::Symbol => trade.symbol.as_str().to_owned(),
            Self::Side => trade.side.as_str().to_owned(),
            Self::Status => trade.status.as_str().to_owned(),
            Self::Event => trade.event.as_str().to_owned(),
            Self::Entry => price(trade.entry),
            Self::StopLoss => price(trade.stop_loss),
            Self::InitialStopLoss => price(trade.initial_stop_loss),
            Self::TakeProfit => price(trade.take_profit),
            Self::ClosePrice => price(trade.close_price),
            Self::MaxFavorablePrice => price(trade.max_favorable_price),
            Self::MaxAdversePrice => price(trade.max_adverse_price),
            Self::OpenedAt => time(Some(trade.opened_at)),
            Self::ClosedAt => time(trade.closed_at),
            Self::SignalTime => time(trade.signal_time),
            Self::Timeframe => text(trade.timeframe.as_ref().map(|v| v as &dyn ToString)),
            Self::Source => text(trade.source.as_ref().map(|v| v as &dyn ToString)),
            Self::ExternalReference => text(trade.external_reference.as_ref().map(|v| v as &dyn ToString)),
            Self::Tags => Value::from(trade.tags.as_slice().to_vec()).to_string(),
            Self::Quantity => text(trade.quantity().as_ref().map(|v| v as &dyn ToString)),
            Self::OpenQuantity => text(trade.open_quantity().as_ref().map(|v| v as &dyn ToString)),
            Self::PointValue => trade.point_value.get().to_string(),
            Self::Fees => trade.fees.get().to_string(),
            Self::RealizedPnl => text(trade.realized_pnl().as_ref().map(|v| v as &dyn ToString)),
            Self::Fills => Value::Array(trade.fills.iter().map(Fill::to_stored_json).collect()).to_string(),
            Self::Extension(slot) => trade
                .extensions
                .get(slot)
                .map_or_else(String::new, |object| serde_json::to_string(object).unwrap_or_default()),
            Self::Origin => trade.origin.as_str().to_owned(),
            Self::CreatedAt => time(Some(trade.created_at)),
            Self::UpdatedAt => time(Some(trade.updated_at)),
            Self::Version => trade.version.to_string(),
        }
    }
}

/// Reads the cells of one row (each read column's text, by column) into a trade record.
pub(crate) struct Cells<'a> {
    pub texts: Vec<(Column, &'a str)>,
    pub problems: Vec<String>,
}

impl<'a> Cells<'a> {
    fn text(&self, column: Column) -> &'a str {
        self.texts.iter().find(|(c, _)| *c == column).map_or("", |(_, text)| text.trim())
    }

    /// The value of `column` read with `read`, noting why when it does not read.
    fn get<T>(&mut self, column: Column, read: impl FnOnce(&str) -> Read<T>) -> Option<T> {
        let text = self.text(column);
        read(text).map_err(|why| self.problems.push(format!("{} {why}", column.name()))).ok()
    }

    /// An optional value: an empty cell is `None`.
    fn optional<T>(&mut self, column: Column, read: impl FnOnce(&str) -> Read<T>) -> Option<Option<T>> {
        self.get(column, |text| if text.is_empty() { Ok(None) } else { read(text).map(Some) })
    }

    /// The record the cells spell, or every problem found.
    pub(crate) fn record(mut self) -> Result<TradeRecord, Vec<String>> {
        let shown = |e: &dyn std::fmt::Display| e.to_string();
        let price = |text: &str| {
            text.parse::<f64>()
                .map_err(|_| "is not a number".to_owned())
                .and_then(|p| Price::new(p).map_err(|e| shown(&e)))
        };
        let time = |text: &str| Timestamp::parse_rfc3339(text).map_err(|e| shown(&e));
        let json = |text: &str| serde_json::from_str::<Value>(text).map_err(|_| "is not JSON".to_owned());
        let object = move |text: &str| match json(text)? {
            Value::Object(object) => Ok::<JsonObject, String>(object),
            _ => Err("is not a JSON object".to_owned()),
        };
        let id = self.get(Column::TradeId, |t| TradeId::parse(t).map_err(|e| shown(&e)));
        let strategy_id = self.get(Column::StrategyId, |t| StrategyId::parse(t).map_err(|e| shown(&e)));
        let user_id = self.get(Column::UserId, |t| UserId::parse(t).map_err(|e| shown(&e)));
        let symbol = self.get(Column::Symbol, |t| Symbol::parse(t).map_err(|e| shown(&e)));
        let side = self.get(Column::Side, |t| Side::parse(t).map_err(|e| shown(&e)));
        let status = self.get(Column::Status, |t| Status::parse(t).map_err(|e| shown(&e)));
        let event = self.get(Column::Event, |t| SignalEvent::parse(t).map_err(|e| shown(&e)));
        let entry = self.optional(Column::Entry, price);
        let stop_loss = self.optional(Column::StopLoss, price);
        let initial_stop_loss = self.optional(Column::InitialStopLoss, price);
        let take_profit = self.optional(Column::TakeProfit, price);
        let close_price = self.optional(Column::ClosePrice, price);
        let max_favorable_price = self.optional(Column::MaxFavorablePrice, price);
        let max_adverse_price = self.optional(Column::MaxAdversePrice, price);
        let opened_at = self.get(Column::OpenedAt, time);
        let closed_at = self.optional(Column::ClosedAt, time);
        let signal_time = self.optional(Column::SignalTime, time);
        let timeframe = self.optional(Column::Timeframe, |t| Timeframe::parse(t).map_err(|e| shown(&e)));
        let source = self.optional(Column::Source, |t| Source::parse(t).map_err(|e| shown(&e)));
        let external_reference =
            self.optional(Column::ExternalReference, |t| ExternalReference::parse(t).map_err(|e| shown(&e)));
        let tags = self.get(Column::Tags, |t| {
            let tags: Vec<String> = serde_json::from_str(t).map_err(|_| "is not a JSON array of texts".to_owned())?;
            Tags::parse(&tags).map_err(|(_, e)| shown(&e))
        });
        let point_value = self.get(Column::PointValue, |t| {
            t.parse::<f64>()
                .map_err(|_| "is not a number".to_owned())
                .and_then(|v| PointValue::new(v).map_err(|e| shown(&e)))
        });
        let fees = self.get(Column::Fees, |t| {
            Decimal::from_str(t)
                .map_err(|_| "is not a number".to_owned())
                .and_then(|d| Fees::from_decimal(d).map_err(|e| shown(&e)))
        });
        let fills = self.get(Column::Fills, |t| match json(t)? {
            Value::Array(fills) => fills.iter().map(|f| Fill::from_json(f).map_err(|e| shown(&e))).collect(),
            _ => Err("is not a JSON array".to_owned()),
        });
        let mut objects = ExtensionSlot::ALL.map(|slot| self.optional(Column::Extension(slot), object));
        let extensions = match &mut objects {
            [Some(signal), Some(market), Some(risk), Some(context), Some(meta)] => quantarya_domain::Extensions::new(
                signal.take(),
                market.take(),
                risk.take(),
                context.take(),
                meta.take(),
            )
            .map_err(|e| self.problems.push(format!("the extension objects {e}")))
            .ok(),
            _ => None,
        };
        let origin = self.get(Column::Origin, |t| Origin::parse(t).ok_or_else(|| "is not a known origin".to_owned()));
        let created_at = self.get(Column::CreatedAt, time);
        let updated_at = self.get(Column::UpdatedAt, time);
        let version = self.get(Column::Version, |t| t.parse::<u64>().map_err(|_| "is not a whole number".to_owned()));
        // Every cell was read (each bad one noted): the record, if none was bad.
        let record = || {
            Some(TradeRecord {
                id: id?,
                strategy_id: strategy_id?,
                user_id: user_id?,
                symbol: symbol?,
                side: side?,
                status: status?,
                event: event?,
                entry: entry?,
                stop_loss: stop_loss?,
                initial_stop_loss: initial_stop_loss?,
                take_profit: take_profit?,
                close_price: close_price?,
                max_favorable_price: max_favorable_price?,
                max_adverse_price: max_adverse_price?,
                opened_at: opened_at?,
                closed_at: closed_at?,
                signal_time: signal_time?,
                timeframe: timeframe?,
                source: source?,
                external_reference: external_reference?,
                tags: tags?,
                extensions: extensions?,
                point_value: point_value?,
                fees: fees?,
                fills: fills?,
                origin: origin?,
                live: false,
                created_at: created_at?,
                updated_at: updated_at?,
                version: version?,
            })
        };
        match record() {
            Some(record) if self.problems.is_empty() => Ok(record),
            _ => Err(self.problems),
        }
    }
}
