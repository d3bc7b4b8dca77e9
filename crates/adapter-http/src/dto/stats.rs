//! `/strategies/{strategy_id}/stats`, and the performance each public strategy shows on a profile.

use quantarya_domain::{CurvePoint, Figures, Statistics, TradeReturn};
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
        }
    }
}

/// The figures of one symbol's trades.
#[derive(Debug, Serialize, ToSchema)]
pub struct SymbolFiguresView {
    /// The symbol.
    pub symbol: String,
    /// Its figures.
    pub figures: FiguresView,
}

/// The figures of long and of short trades.
#[derive(Debug, Serialize, ToSchema)]
pub struct SideFiguresView {
    /// Long trades.
    pub buy: FiguresView,
    /// Short trades.
    pub sell: FiguresView,
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
        Self { at: time(p.at), equity: p.equity }
    }
}

/// A strategy's performance.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsView {
    /// Every counted trade.
    pub overall: FiguresView,
    /// Per symbol, in symbol order.
    pub by_symbol: Vec<SymbolFiguresView>,
    /// Per side.
    pub by_side: SideFiguresView,
    /// The compounded equity curve in close order, sampled to at most 1000 points (its first and last points and
    /// its extremes are kept).
    pub equity_curve: Vec<CurvePointView>,
    /// Closed trades left out for want of an entry or close price.
    pub excluded_trades: u64,
}

impl From<&Statistics> for StatsView {
    fn from(s: &Statistics) -> Self {
        Self {
            overall: FiguresView::from(&s.overall),
            by_symbol: s
                .by_symbol
                .iter()
                .map(|(symbol, figures)| SymbolFiguresView { symbol: symbol.to_string(), figures: figures.into() })
                .collect(),
            by_side: SideFiguresView { buy: (&s.buys).into(), sell: (&s.sells).into() },
            equity_curve: s.curve.iter().map(CurvePointView::from).collect(),
            excluded_trades: s.excluded,
        }
    }
}

/// What a public profile shows of a strategy's performance.
#[derive(Debug, Serialize, ToSchema)]
pub struct PerformanceSummaryView {
    /// Trades counted.
    pub count: u64,
    /// `wins / count`; null without trades.
    #[schema(required = true, minimum = 0, maximum = 1)]
    pub win_rate: Option<f64>,
    /// The compounded return.
    pub total_return: f64,
    /// The largest fall from a peak, as a fraction of it.
    #[schema(minimum = 0, maximum = 1)]
    pub max_drawdown: f64,
    /// Winning over losing returns; null without losses.
    #[schema(required = true)]
    pub profit_factor: Option<f64>,
    /// The compounded equity curve, at most 200 points, extremes kept.
    pub equity_curve: Vec<CurvePointView>,
}

impl From<&Statistics> for PerformanceSummaryView {
    fn from(s: &Statistics) -> Self {
        Self {
            count: s.overall.count,
            win_rate: s.overall.win_rate,
            total_return: s.overall.total_return,
            max_drawdown: s.overall.max_drawdown,
            profit_factor: s.overall.profit_factor,
            equity_curve: s.curve.iter().map(CurvePointView::from).collect(),
        }
    }
}
