//! `/strategies/{strategy_id}/stats`, and the performance each public strategy shows on a profile: two sets (every
//! counted trade, and the live ones), each with its figures, breakdown rows and curves.

use quantarya_domain::{CurvePoint, Figures, HoldingTime, Performance, Side, Statistics, TradeReturn};
use serde::Serialize;
use utoipa::ToSchema;

use super::time;

/// A trade's return, naming the trade.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradeReturnView {
    /// The trade.
    pub trade_id: String,
    /// Its return as a fraction (`0.0125` is +1.25 %).
    #[serde(rename = "return")]
    #[schema(rename = "return")]
    pub ret: f64,
}

impl From<TradeReturn> for TradeReturnView {
    fn from(t: TradeReturn) -> Self {
        Self { trade_id: t.trade_id.to_string(), ret: t.ret }
    }
}

/// The figures of a set of closed trades. Returns are fractions (`0.0125` is +1.25 %).
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresView {
    /// Trades counted: `CLOSED`, with an entry and a close price.
    pub count: u64,
    /// Trades with a positive return.
    pub wins: u64,
    /// Trades with a negative return.
    pub losses: u64,
    /// Trades with a zero return.
    pub break_evens: u64,
    /// `wins / count`, in [0, 1]; null without trades.
    #[schema(required = true, minimum = 0, maximum = 1)]
    pub win_rate: Option<f64>,
    /// Mean return of the wins.
    #[schema(required = true)]
    pub average_win: Option<f64>,
    /// Mean return of the losses (negative).
    #[schema(required = true)]
    pub average_loss: Option<f64>,
    /// Sum of winning returns over the magnitude of the sum of losing ones; null without losses.
    #[schema(required = true)]
    pub profit_factor: Option<f64>,
    /// Mean return per trade.
    #[schema(required = true)]
    pub expectancy: Option<f64>,
    /// Mean R multiple (the move over `|entry - stop_loss|`) of the trades with a stop loss.
    #[schema(required = true)]
    pub average_r: Option<f64>,
    /// How many trades had a stop loss away from their entry, and so an R.
    pub r_count: u64,
    /// The highest return.
    #[schema(required = true)]
    pub best_trade: Option<TradeReturnView>,
    /// The lowest return.
    #[schema(required = true)]
    pub worst_trade: Option<TradeReturnView>,
    /// Most wins in a row (in close order; a break-even ends a streak).
    pub longest_win_streak: u64,
    /// Most losses in a row.
    pub longest_loss_streak: u64,
    /// The compounded return: the product of `(1 + return)`, minus 1.
    pub total_return: f64,
    /// The largest fall of the compounded equity from a previous peak, as a fraction of it, in [0, 1].
    #[schema(minimum = 0, maximum = 1)]
    pub max_drawdown: f64,
    /// Trades with a size: the money figures below are theirs, in the strategy's currency.
    pub sized_count: u64,
    /// Their P&L, fees taken off; null without a sized trade.
    #[schema(required = true)]
    pub net_pnl: Option<f64>,
    /// The sum of their winning P&Ls.
    #[schema(required = true)]
    pub gross_profit: Option<f64>,
    /// The sum of their losing P&Ls (negative).
    #[schema(required = true)]
    pub gross_loss: Option<f64>,
    /// Their fees.
    #[schema(required = true)]
    pub fees: Option<f64>,
    /// Gross profit over the magnitude of gross loss; null without a loss in money.
    #[schema(required = true)]
    pub profit_factor_money: Option<f64>,
    /// Mean P&L of the sized trades that made money.
    #[schema(required = true)]
    pub average_win_amount: Option<f64>,
    /// Mean P&L of the sized trades that lost money (negative).
    #[schema(required = true)]
    pub average_loss_amount: Option<f64>,
    /// The largest P&L made.
    #[schema(required = true)]
    pub largest_win_amount: Option<f64>,
    /// The largest P&L lost (negative).
    #[schema(required = true)]
    pub largest_loss_amount: Option<f64>,
    /// The largest fall of the cumulative P&L from a previous peak, in money.
    #[schema(required = true)]
    pub max_drawdown_amount: Option<f64>,
    /// The sample standard deviation of the returns; null under 2 trades.
    #[schema(required = true)]
    pub return_stdev: Option<f64>,
    /// Mean return over its standard deviation, per trade, not annualised; null under 2 trades.
    #[schema(required = true)]
    pub sharpe: Option<f64>,
    /// Mean return over the downside deviation; null under 2 trades or without a loss.
    #[schema(required = true)]
    pub sortino: Option<f64>,
    /// `sqrt(n) * mean(R) / stdev(R)` over the trades with an R; null under 2.
    #[schema(required = true)]
    pub sqn: Option<f64>,
    /// The Kelly fraction `W - (1 - W) / (average win / |average loss|)`; null without wins and losses.
    #[schema(required = true)]
    pub kelly: Option<f64>,
    /// Mean time from opening to closing, in seconds.
    #[schema(required = true)]
    pub average_holding_seconds: Option<f64>,
    /// Trades with both excursion prices: the excursion figures below are theirs.
    pub mfe_count: u64,
    /// Their mean maximum favourable excursion, as a fraction of the entry.
    #[schema(required = true)]
    pub average_mfe: Option<f64>,
    /// Their mean maximum adverse excursion, as a fraction of the entry (0 or more).
    #[schema(required = true)]
    pub average_mae: Option<f64>,
    /// Average MFE over average MAE; null when the average MAE is 0.
    #[schema(required = true)]
    pub edge_ratio: Option<f64>,
}

impl From<&Figures> for FiguresView {
    fn from(f: &Figures) -> Self {
        Self {
            count: f.count,
            wins: f.wins,
            losses: f.losses,
            break_evens: f.break_evens,
            win_rate: f.win_rate,
            average_win: f.average_win,
            average_loss: f.average_loss,
            profit_factor: f.profit_factor,
            expectancy: f.expectancy,
            average_r: f.average_r,
            r_count: f.r_count,
            best_trade: f.best.map(TradeReturnView::from),
            worst_trade: f.worst.map(TradeReturnView::from),
            longest_win_streak: f.longest_win_streak,
            longest_loss_streak: f.longest_loss_streak,
            total_return: f.total_return,
            max_drawdown: f.max_drawdown,
            sized_count: f.sized_count,
            net_pnl: f.net_pnl,
            gross_profit: f.gross_profit,
            gross_loss: f.gross_loss,
            fees: f.fees,
            profit_factor_money: f.profit_factor_money,
            average_win_amount: f.average_win_amount,
            average_loss_amount: f.average_loss_amount,
            largest_win_amount: f.largest_win_amount,
            largest_loss_amount: f.largest_loss_amount,
            max_drawdown_amount: f.max_drawdown_amount,
            return_stdev: f.return_stdev,
            sharpe: f.sharpe,
            sortino: f.sortino,
            sqn: f.sqn,
            kelly: f.kelly,
            average_holding_seconds: f.average_holding_seconds,
            mfe_count: f.mfe_count,
            average_mfe: f.average_mfe,
            average_mae: f.average_mae,
            edge_ratio: f.edge_ratio,
        }
    }
}

/// A breakdown row: its key (one of `symbol`, `side`, `weekday`, `hour`, `holding_time`, `tag`) and the figures
/// of its trades.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowView<K: Serialize + ToSchema> {
    /// The row's key.
    #[serde(flatten)]
    pub key: K,
    /// Its figures.
    #[serde(flatten)]
    pub figures: FiguresView,
}

/// The key of a per-symbol row.
#[derive(Debug, Serialize, ToSchema)]
pub struct SymbolKey {
    /// The symbol.
    pub symbol: String,
}

/// The key of a per-side row.
#[derive(Debug, Serialize, ToSchema)]
pub struct SideKey {
    /// `BUY` or `SELL`.
    pub side: String,
}

/// The key of a per-weekday row.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekdayKey {
    /// The weekday of the opening, `monday` to `sunday`, in the asked time zone.
    pub weekday: String,
}

/// The key of a per-hour row.
#[derive(Debug, Serialize, ToSchema)]
pub struct HourKey {
    /// The hour of the opening, 0 to 23, in the asked time zone.
    #[schema(minimum = 0, maximum = 23)]
    pub hour: u8,
}

/// The key of a per-holding-time row.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldingTimeKey {
    /// `under_5m`, `under_1h`, `under_1d`, `under_1w` or `longer`.
    pub holding_time: String,
}

/// The key of a per-tag row.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagKey {
    /// The tag; null for the row of the trades without a tag. A trade with several tags counts in each.
    #[schema(required = true)]
    pub tag: Option<String>,
}

/// A point of the compounded equity curve, which starts at 1 before the first trade.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurvePointView {
    /// When the trade closed.
    #[schema(format = DateTime)]
    pub at: String,
    /// Equity after it.
    pub equity: f64,
}

impl From<&CurvePoint> for CurvePointView {
    fn from(p: &CurvePoint) -> Self {
        Self { at: time(p.at), equity: p.value }
    }
}

/// A point of the cumulative P&L curve of the sized trades, which starts at 0 before the first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PnlPointView {
    /// When the trade closed.
    #[schema(format = DateTime)]
    pub at: String,
    /// The P&L so far, in the strategy's currency.
    pub pnl: f64,
}

impl From<&CurvePoint> for PnlPointView {
    fn from(p: &CurvePoint) -> Self {
        Self { at: time(p.at), pnl: p.value }
    }
}

/// The performance of one set of trades. Breakdowns list only rows with trades.
#[derive(Debug, Serialize, ToSchema)]
pub struct PerformanceView {
    /// Every trade of the set.
    pub overall: FiguresView,
    /// Per symbol, in symbol order.
    pub by_symbol: Vec<RowView<SymbolKey>>,
    /// Per side.
    pub by_side: Vec<RowView<SideKey>>,
    /// Per weekday of the opening, Monday first.
    pub by_weekday: Vec<RowView<WeekdayKey>>,
    /// Per hour of the opening.
    pub by_hour: Vec<RowView<HourKey>>,
    /// Per holding time, shortest first.
    pub by_holding_time: Vec<RowView<HoldingTimeKey>>,
    /// Per tag, in tag order, the untagged trades last.
    pub by_tag: Vec<RowView<TagKey>>,
    /// The compounded equity curve in close order, sampled to at most 1000 points for the owner (on a public profile
    /// at most 200 points, extremes kept); its ends, extremes and largest drawdown are always kept.
    pub curve: Vec<CurvePointView>,
    /// The cumulative P&L of the sized trades in close order, sampled the same way.
    pub pnl_curve: Vec<PnlPointView>,
    /// The set's trades cancelled in the range (on their cancel time): they count in no figure, and are shown so
    /// that a losing trade cannot quietly leave the record by being cancelled.
    pub cancelled_trades: u64,
}

/// Rows of `K` from the domain's `(key, figures)` pairs.
fn rows<T, K: Serialize + ToSchema>(pairs: &[(T, Figures)], key: impl Fn(&T) -> K) -> Vec<RowView<K>> {
    pairs.iter().map(|(k, figures)| RowView { key: key(k), figures: figures.into() }).collect()
}

impl From<&Performance> for PerformanceView {
    fn from(p: &Performance) -> Self {
        let b = &p.breakdowns;
        Self {
            overall: FiguresView::from(&p.overall),
            by_symbol: rows(&b.by_symbol, |s| SymbolKey { symbol: s.to_string() }),
            by_side: rows(&b.by_side, |s: &Side| SideKey { side: s.as_str().to_owned() }),
            by_weekday: rows(&b.by_weekday, |d| WeekdayKey { weekday: weekday(*d).to_owned() }),
            by_hour: rows(&b.by_hour, |h| HourKey { hour: *h }),
            by_holding_time: rows(&b.by_holding_time, |h: &HoldingTime| HoldingTimeKey {
                holding_time: h.as_str().to_owned(),
            }),
            by_tag: rows(&b.by_tag, |t| TagKey { tag: t.clone() }),
            curve: p.curve.iter().map(CurvePointView::from).collect(),
            pnl_curve: p.pnl_curve.iter().map(PnlPointView::from).collect(),
            cancelled_trades: p.cancelled,
        }
    }
}

/// The weekday's name as the rows show it.
fn weekday(day: quantarya_domain::chrono::Weekday) -> &'static str {
    use quantarya_domain::chrono::Weekday;
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// A strategy's performance: over every counted trade, and over the live ones.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsView {
    /// Every counted trade (`CLOSED`, with an entry and a close price).
    pub all: PerformanceView,
    /// The live trades only: entered through an API key within 5 minutes of the signal, not back-filled or
    /// imported, never corrected.
    pub live: PerformanceView,
    /// Closed trades left out for want of an entry or close price.
    pub excluded_trades: u64,
}

impl From<&Statistics> for StatsView {
    fn from(s: &Statistics) -> Self {
        Self { all: (&s.all).into(), live: (&s.live).into(), excluded_trades: s.excluded }
    }
}
