//! What a trade and its history look like on the wire.

use quantarya_domain::{
    CredentialKind, EventKind, Excursion, ExtensionSlot, ExternalReference, Fill, FillKind, JsonObject, Origin,
    Quantity, Side, SignalEvent, Source, Status, StrategyId, Symbol, Timeframe, Trade, TradeEvent, TradeId, UserId,
    rust_decimal::prelude::ToPrimitive,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use crate::dto::{AsText, number, time};

/// A trade's direction.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SideView {
    /// Long.
    Buy,
    /// Short.
    Sell,
}

/// Where a trade is in its life.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum StatusView {
    /// Open.
    Open,
    /// Closed (terminal).
    Closed,
    /// Cancelled (terminal).
    Cancelled,
}

/// The signal that last moved a trade.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SignalEventView {
    /// Opened.
    Entry,
    /// Levels or notes changed while open.
    Update,
    /// Closed or cancelled.
    Exit,
}

/// How a trade came to exist.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OriginView {
    /// Created with a user JWT; can be deleted.
    Manual,
    /// Created with an API key; can be cancelled, never deleted.
    ApiKey,
    /// Brought in by an import; leaves only with its whole import.
    Import,
}

/// A trade.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "trade_id": "trd_0192f0c17a4b7cde8f0123456789abcd",
    "strategy_id": "strat_0192f0c17a4b7cde8f0123456789abce",
    "user_id": "user_123",
    "symbol": "EURUSD",
    "side": "BUY",
    "status": "OPEN",
    "event": "entry",
    "entry": 1.0825,
    "stop_loss": 1.0785,
    "take_profit": 1.0905,
    "close_price": null,
    "max_favorable_price": null,
    "max_adverse_price": null,
    "opened_at": "2026-05-21T12:00:00Z",
    "closed_at": null,
    "signal_time": "2026-05-21T12:00:00Z",
    "timeframe": "4h",
    "source": "tradingview",
    "external_reference": "tv-eurusd-001",
    "tags": ["breakout"],
    "quantity": 2.0,
    "open_quantity": 2.0,
    "point_value": 1.0,
    "fees": 1.5,
    "realized_pnl": -1.5,
    "fills": [{"kind": "entry", "price": 1.0825, "quantity": 2.0, "fees": 1.5, "at": "2026-05-21T12:00:00Z"}],
    "signal": null,
    "market": null,
    "risk": null,
    "context": null,
    "meta": null,
    "origin": "api_key",
    "live": true,
    "excursion": null,
    "created_at": "2026-05-21T12:00:00Z",
    "updated_at": "2026-05-21T12:00:00Z"
}))]
pub struct TradeView {
    /// Its id.
    #[schema(value_type = String)]
    pub trade_id: AsText<TradeId>,
    /// Its strategy.
    #[schema(value_type = String)]
    pub strategy_id: AsText<StrategyId>,
    /// The strategy's owner.
    #[schema(value_type = String)]
    pub user_id: AsText<UserId>,
    /// The instrument, uppercase.
    #[schema(value_type = String)]
    pub symbol: AsText<Symbol>,
    /// The direction.
    pub side: SideView,
    /// Where it is in its life.
    pub status: StatusView,
    /// The signal that last moved it.
    pub event: SignalEventView,
    /// The entry price.
    #[schema(required = true)]
    pub entry: Option<f64>,
    /// The stop loss.
    #[schema(required = true)]
    pub stop_loss: Option<f64>,
    /// The take profit.
    #[schema(required = true)]
    pub take_profit: Option<f64>,
    /// The exit price of a closed trade.
    #[schema(required = true)]
    pub close_price: Option<f64>,
    /// The most favourable price the trade reached (the highest for a long, the lowest for a short), when known.
    #[schema(required = true)]
    pub max_favorable_price: Option<f64>,
    /// The most adverse price the trade reached (the lowest for a long, the highest for a short), when known.
    #[schema(required = true)]
    pub max_adverse_price: Option<f64>,
    /// When it opened: the signal time, else the time of receipt.
    #[schema(format = DateTime)]
    pub opened_at: String,
    /// When it closed or was cancelled; never before `opened_at`.
    #[schema(required = true, format = DateTime)]
    pub closed_at: Option<String>,
    /// The sender's time of the entry.
    #[schema(required = true, format = DateTime)]
    pub signal_time: Option<String>,
    /// The signal's timeframe.
    #[schema(required = true, value_type = Option<String>)]
    pub timeframe: Option<AsText<Timeframe>>,
    /// Where the signal came from.
    #[schema(required = true, value_type = Option<String>)]
    pub source: Option<AsText<Source>>,
    /// The sender's id for it.
    #[schema(required = true, value_type = Option<String>)]
    pub external_reference: Option<AsText<ExternalReference>>,
    /// Its tags, lowercase, in the order given: the setups and mistakes a trader reviews by.
    pub tags: Vec<String>,
    /// All that was entered (the opening entry and every scale-in); `null` for a trade opened without a size.
    #[schema(required = true)]
    pub quantity: Option<f64>,
    /// What is still open: entered less taken off; 0 once closed or cancelled; `null` without a size.
    #[schema(required = true)]
    pub open_quantity: Option<f64>,
    /// Currency per unit per point of price.
    pub point_value: f64,
    /// The trade's commissions and fees, in the strategy's currency: the sum of its fills' fees unless a PATCH
    /// corrected the total.
    pub fees: f64,
    /// What its exits so far made, in the strategy's currency: the sum over exit fills of
    /// `(exit price - entry) * quantity * point_value`, negated for `SELL`, less `fees`. `null` without a size, or
    /// when the entry or an exit has no price.
    #[schema(required = true)]
    pub realized_pnl: Option<f64>,
    /// Every entry and exit fill, oldest first (in the order applied among equal times). `entry` is the
    /// quantity-weighted average of the entry fills, and a closed trade's `close_price` that of the exit fills.
    pub fills: Vec<FillView>,
    /// Free-form: what the signal said.
    #[schema(required = true, value_type = Option<Object>)]
    pub signal: Option<JsonObject>,
    /// Free-form: market conditions.
    #[schema(required = true, value_type = Option<Object>)]
    pub market: Option<JsonObject>,
    /// Free-form: sizing and risk.
    #[schema(required = true, value_type = Option<Object>)]
    pub risk: Option<JsonObject>,
    /// Free-form: anything else the sender knows.
    #[schema(required = true, value_type = Option<Object>)]
    pub context: Option<JsonObject>,
    /// Free-form: the trader's notes.
    #[schema(required = true, value_type = Option<Object>)]
    pub meta: Option<JsonObject>,
    /// `manual` (user JWT), `api_key` (an integration) or `import` (a file).
    pub origin: OriginView,
    /// Whether it counts in the live record: its entry came through an API key within 5 minutes of its signal
    /// time, it was not back-filled or imported, and no number of it was corrected since (the correcting event
    /// in its history sets `live` to false).
    pub live: bool,
    /// How far it ran for and against it, when both excursion prices and the entry are known.
    #[schema(required = true)]
    pub excursion: Option<ExcursionView>,
    /// When Quantarya recorded it.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A trade's maximum favourable and adverse excursions (MFE and MAE), magnitudes measured from its entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExcursionView {
    /// The MFE as a fraction of the entry (`0.02` is 2 %).
    pub mfe: f64,
    /// The MAE as a fraction of the entry, 0 or more.
    pub mae: f64,
    /// The MFE in R (over `|entry - first stop|`), where the trade had a stop.
    #[schema(required = true)]
    pub mfe_r: Option<f64>,
    /// The MAE in R.
    #[schema(required = true)]
    pub mae_r: Option<f64>,
}

impl From<Excursion> for ExcursionView {
    fn from(e: Excursion) -> Self {
        Self { mfe: e.mfe, mae: e.mae, mfe_r: e.mfe_r, mae_r: e.mae_r }
    }
}

/// `entry` or `exit`, derived from the domain's list of fill kinds.
fn fill_kind_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(FillKind::ALL.map(FillKind::as_str)))
        .description(Some(
            "An entry (the opening fill, or a scale-in) or an exit (partial, or the one that closed it).",
        ))
        .build()
}

/// One fill of a position.
#[derive(Debug, Serialize, ToSchema)]
pub struct FillView {
    /// An entry or an exit.
    #[schema(schema_with = fill_kind_schema)]
    pub kind: &'static str,
    /// Its price, if known.
    #[schema(required = true)]
    pub price: Option<f64>,
    /// Its size; `null` on a trade opened without one.
    #[schema(required = true)]
    pub quantity: Option<f64>,
    /// What it cost.
    pub fees: f64,
    /// When it happened.
    #[schema(format = DateTime)]
    pub at: String,
}

/// The fills' views by time, applied order among equal times (the sort is stable); fills applied in time order, as
/// almost all are, are not copied to be sorted.
fn oldest_first(fills: &[Fill]) -> Vec<FillView> {
    if fills.is_sorted_by_key(|fill| fill.at) {
        return fills.iter().map(FillView::from).collect();
    }
    let mut sorted: Vec<&Fill> = fills.iter().collect();
    sorted.sort_by_key(|fill| fill.at);
    sorted.into_iter().map(FillView::from).collect()
}

impl From<&Fill> for FillView {
    fn from(fill: &Fill) -> Self {
        Self {
            kind: fill.kind.as_str(),
            price: number(fill.price),
            quantity: fill.quantity.map(Quantity::to_f64),
            fees: fill.fees.to_f64(),
            at: time(fill.at),
        }
    }
}

impl From<Side> for SideView {
    fn from(side: Side) -> Self {
        match side {
            Side::Buy => Self::Buy,
            Side::Sell => Self::Sell,
        }
    }
}

impl From<Status> for StatusView {
    fn from(status: Status) -> Self {
        match status {
            Status::Open => Self::Open,
            Status::Closed => Self::Closed,
            Status::Cancelled => Self::Cancelled,
        }
    }
}

impl From<Trade> for TradeView {
    fn from(trade: Trade) -> Self {
        let (quantity, open_quantity, realized_pnl) = (trade.quantity(), trade.open_quantity(), trade.realized_pnl());
        let t = trade.into_record();
        let excursion = t.excursion().map(ExcursionView::from);
        let ext = |slot| t.extensions.get(slot).cloned();
        Self {
            trade_id: AsText(t.id),
            strategy_id: AsText(t.strategy_id),
            user_id: AsText(t.user_id),
            symbol: AsText(t.symbol),
            side: t.side.into(),
            status: t.status.into(),
            event: match t.event {
                SignalEvent::Entry => SignalEventView::Entry,
                SignalEvent::Update => SignalEventView::Update,
                SignalEvent::Exit => SignalEventView::Exit,
            },
            entry: number(t.entry),
            stop_loss: number(t.stop_loss),
            take_profit: number(t.take_profit),
            close_price: number(t.close_price),
            max_favorable_price: number(t.max_favorable_price),
            max_adverse_price: number(t.max_adverse_price),
            opened_at: time(t.opened_at),
            closed_at: t.closed_at.map(time),
            signal_time: t.signal_time.map(time),
            timeframe: t.timeframe.map(AsText),
            source: t.source.map(AsText),
            external_reference: t.external_reference.map(AsText),
            tags: t.tags.as_slice().to_vec(),
            quantity: quantity.map(Quantity::to_f64),
            open_quantity: open_quantity.and_then(|open| open.to_f64()),
            point_value: t.point_value.get(),
            fees: t.fees.to_f64(),
            realized_pnl,
            fills: oldest_first(&t.fills),
            signal: ext(ExtensionSlot::Signal),
            market: ext(ExtensionSlot::Market),
            risk: ext(ExtensionSlot::Risk),
            context: ext(ExtensionSlot::Context),
            meta: ext(ExtensionSlot::Meta),
            origin: match t.origin {
                Origin::Manual => OriginView::Manual,
                Origin::ApiKey => OriginView::ApiKey,
                Origin::Import => OriginView::Import,
            },
            live: t.live,
            excursion,
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
        }
    }
}

/// What happened to a trade, derived from the domain's list of event kinds.
fn event_kind_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(EventKind::ALL.map(EventKind::as_str)))
        .description(Some(
            "entry (created), add (a scale-in), update (levels or notes of an open trade), reduce (part of the \
             position taken off), exit (closed by an exit signal), close (closed by hand), cancel, correct (a \
             terminal trade's values corrected).",
        ))
        .build()
}

/// Which kind of credential made a change.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialView {
    /// A user JWT.
    User,
    /// An API key.
    ApiKey,
}

/// One entry of a trade's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradeEventView {
    /// Its id.
    pub event_id: String,
    /// The trade.
    pub trade_id: String,
    /// The trade version it produced (1 for the entry).
    pub version: u64,
    /// What happened.
    #[schema(schema_with = event_kind_schema)]
    pub kind: &'static str,
    /// When it was recorded.
    #[schema(format = DateTime)]
    pub at: String,
    /// By which kind of credential.
    pub by: CredentialView,
    /// The fields it set, with their new values (`null` where cleared).
    #[schema(value_type = Object)]
    pub fields: JsonObject,
}

impl From<TradeEvent> for TradeEventView {
    fn from(event: TradeEvent) -> Self {
        Self {
            event_id: event.id.to_string(),
            trade_id: event.trade_id.to_string(),
            version: event.version,
            kind: event.kind.as_str(),
            at: time(event.at),
            by: match event.by {
                CredentialKind::User => CredentialView::User,
                CredentialKind::ApiKey => CredentialView::ApiKey,
            },
            fields: event.changes.iter().map(|c| (c.field().to_owned(), c.value())).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use quantarya_domain::uuid::Uuid;
    use quantarya_domain::{
        CredentialKind, EventId, NewTrade, Outcome, Price, Quantity, SignalExit, Stamp, StrategyId, Symbol, Timestamp,
        TradeCommand, TradeId, UserId,
    };

    use super::*;

    #[test]
    fn fills_are_shown_oldest_first_whatever_order_they_came_in() {
        let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid");
        let stamp = Stamp {
            event_id: EventId::from_uuid(Uuid::from_u128(9)),
            at: at("2026-05-21T13:00:00Z"),
            by: CredentialKind::ApiKey,
        };
        let new = NewTrade {
            entry: Some(Price::new(100.0).expect("valid")),
            quantity: Some(Quantity::new(2.0).expect("valid")),
            signal_time: Some(at("2026-05-21T12:00:00Z")),
            ..NewTrade::open(Symbol::parse("AAPL").expect("valid"), Side::Buy)
        };
        let ids = (TradeId::from_uuid(Uuid::from_u128(1)), StrategyId::from_uuid(Uuid::from_u128(2)));
        let trade = Trade::open(ids.0, ids.1, UserId::parse("u").expect("valid"), new, stamp).expect("opens").trade;
        // A scale-in dated 12:45, then a partial exit sent after it but dated 12:30.
        let scale_in = TradeCommand::Add(quantarya_domain::ScaleIn {
            price: Some(Price::new(102.0).expect("valid")),
            quantity: Quantity::new(1.0).expect("valid"),
            fees: None,
            signal_time: Some(at("2026-05-21T12:45:00Z")),
            levels: quantarya_domain::LevelsChange::default(),
        });
        let Ok(Outcome::Changed(added)) = trade.apply(scale_in, stamp) else { panic!("a scale-in applies") };
        let trade = added.trade;
        let exit = TradeCommand::Exit(SignalExit {
            close_price: Some(Price::new(101.0).expect("valid")),
            quantity: Some(Quantity::new(1.0).expect("valid")),
            closed_at: Some(at("2026-05-21T12:30:00Z")),
            ..SignalExit::default()
        });
        let later = Stamp { at: at("2026-05-21T13:05:00Z"), ..stamp };
        let Ok(Outcome::Changed(reduced)) = trade.apply(exit, later) else { panic!("a partial exit applies") };
        let shown: Vec<String> = TradeView::from(reduced.trade).fills.into_iter().map(|f| f.at).collect();
        assert_eq!(shown, ["2026-05-21T12:00:00Z", "2026-05-21T12:30:00Z", "2026-05-21T12:45:00Z"]);
    }
}
