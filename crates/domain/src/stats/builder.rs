//! [`StatsBuilder`]: closed trades streamed in close order into running sums, overall, per symbol and per side.

use std::collections::BTreeMap;

use crate::ids::TradeId;
use crate::time::Timestamp;
use crate::trade::{Side, Symbol};

use super::curve::{CurvePoint, CurveSampler, DrawdownPoints};
use super::figures::{ClosedTrade, Figures, TradeReturn};
use super::statistics::Statistics;

/// Running sums of one set of trades.
#[derive(Debug, Clone)]
pub(super) struct Accumulator {
    count: u64,
    wins: u64,
    losses: u64,
    break_evens: u64,
    gross_profit: f64,
    gross_loss: f64,
    sum_r: f64,
    r_count: u64,
    best: Option<TradeReturn>,
    worst: Option<TradeReturn>,
    win_streak: u64,
    loss_streak: u64,
    longest_win_streak: u64,
    longest_loss_streak: u64,
    equity: f64,
    peak: f64,
    max_drawdown: f64,
}

impl Default for Accumulator {
    fn default() -> Self {
        Self {
            count: 0,
            wins: 0,
            losses: 0,
            break_evens: 0,
            gross_profit: 0.0,
            gross_loss: 0.0,
            sum_r: 0.0,
            r_count: 0,
            best: None,
            worst: None,
            win_streak: 0,
            loss_streak: 0,
            longest_win_streak: 0,
            longest_loss_streak: 0,
            equity: 1.0,
            peak: 1.0,
            max_drawdown: 0.0,
        }
    }
}

impl Accumulator {
    fn push(&mut self, trade_id: TradeId, ret: f64, r: Option<f64>) {
        self.count += 1;
        // Sums saturate instead of overflowing, so every figure stays a finite number.
        if ret > 0.0 {
            self.wins += 1;
            self.gross_profit = (self.gross_profit + ret).min(f64::MAX);
            self.win_streak += 1;
            self.loss_streak = 0;
        } else if ret < 0.0 {
            self.losses += 1;
            self.gross_loss = (self.gross_loss - ret).min(f64::MAX);
            self.loss_streak += 1;
            self.win_streak = 0;
        } else {
            self.break_evens += 1;
            self.win_streak = 0;
            self.loss_streak = 0;
        }
        self.longest_win_streak = self.longest_win_streak.max(self.win_streak);
        self.longest_loss_streak = self.longest_loss_streak.max(self.loss_streak);
        if let Some(r) = r {
            self.sum_r = (self.sum_r + r).clamp(f64::MIN, f64::MAX);
            self.r_count += 1;
        }
        let this = TradeReturn { trade_id, ret };
        if self.best.is_none_or(|best| ret > best.ret) {
            self.best = Some(this);
        }
        if self.worst.is_none_or(|worst| ret < worst.ret) {
            self.worst = Some(this);
        }
        // A SELL can lose more than everything (a return below -1); equity then floors at 0 and stays there.
        self.equity = (self.equity * (1.0 + ret)).clamp(0.0, f64::MAX);
        self.peak = self.peak.max(self.equity);
        if self.peak > 0.0 {
            self.max_drawdown = self.max_drawdown.max((self.peak - self.equity) / self.peak);
        }
    }

    pub(super) fn figures(&self) -> Figures {
        let mean = |sum: f64, n: u64| (n > 0).then(|| sum / n as f64);
        Figures {
            count: self.count,
            wins: self.wins,
            losses: self.losses,
            break_evens: self.break_evens,
            win_rate: mean(self.wins as f64, self.count),
            average_win: mean(self.gross_profit, self.wins),
            average_loss: mean(-self.gross_loss, self.losses),
            profit_factor: (self.gross_loss > 0.0).then(|| self.gross_profit / self.gross_loss),
            expectancy: mean(self.gross_profit - self.gross_loss, self.count),
            average_r: mean(self.sum_r, self.r_count),
            r_count: self.r_count,
            best: self.best,
            worst: self.worst,
            longest_win_streak: self.longest_win_streak,
            longest_loss_streak: self.longest_loss_streak,
            total_return: self.equity - 1.0,
            // A total loss is a drawdown of 1; the interval is [0, 1) for any curve that keeps some equity.
            max_drawdown: self.max_drawdown.min(1.0),
        }
    }
}

/// Builds [`Statistics`] from closed trades given in close order (`closed_at`, then id), one at a time.
#[derive(Debug, Clone)]
pub struct StatsBuilder {
    overall: Accumulator,
    by_symbol: BTreeMap<Symbol, Accumulator>,
    buys: Accumulator,
    sells: Accumulator,
    curve: CurveSampler,
    drawdown: DrawdownPoints,
    excluded: u64,
    last_key: Option<(Timestamp, TradeId)>,
    out_of_order: bool,
}

/// Trades were not given in close order, so streaks and the curve would be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("closed trades must be given in close order (closed_at, then id)")]
pub struct OutOfOrder;

impl StatsBuilder {
    /// A builder whose curve keeps at most `curve_points` points (at least 6), among them the peak and trough of
    /// the largest drawdown, so that the curve shows it.
    pub fn new(curve_points: usize) -> Self {
        Self {
            overall: Accumulator::default(),
            by_symbol: BTreeMap::new(),
            buys: Accumulator::default(),
            sells: Accumulator::default(),
            curve: CurveSampler::new(curve_points.max(6) - 2),
            drawdown: DrawdownPoints::default(),
            excluded: 0,
            last_key: None,
            out_of_order: false,
        }
    }

    /// Adds the next closed trade.
    pub fn push(&mut self, trade: &ClosedTrade) {
        let key = trade.order_key();
        if self.last_key.is_some_and(|last| key <= last) {
            self.out_of_order = true;
        }
        self.last_key = Some(key);
        let Some((ret, r)) = trade.outcome() else {
            self.excluded += 1;
            return;
        };
        self.overall.push(trade.id, ret, r);
        match self.by_symbol.get_mut(&trade.symbol) {
            Some(group) => group.push(trade.id, ret, r),
            None => {
                let mut group = Accumulator::default();
                group.push(trade.id, ret, r);
                self.by_symbol.insert(trade.symbol.clone(), group);
            }
        }
        match trade.side {
            Side::Buy => self.buys.push(trade.id, ret, r),
            Side::Sell => self.sells.push(trade.id, ret, r),
        }
        let point = CurvePoint { at: trade.closed_at, equity: self.overall.equity };
        let index = self.overall.count - 1;
        self.drawdown.track(index, point);
        self.curve.push(point);
    }

    /// The statistics of the trades pushed, or [`OutOfOrder`] if they did not come in close order.
    pub fn finish(self) -> Result<Statistics, OutOfOrder> {
        if self.out_of_order {
            return Err(OutOfOrder);
        }
        Ok(Statistics {
            overall: self.overall.figures(),
            by_symbol: self.by_symbol.iter().map(|(symbol, group)| (symbol.clone(), group.figures())).collect(),
            buys: self.buys.figures(),
            sells: self.sells.figures(),
            curve: self.curve.points_with(&self.drawdown.pinned()),
            excluded: self.excluded,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::fixtures::trade;

    #[test]
    fn absurd_prices_keep_every_figure_finite() {
        let mut trades = vec![
            trade(1, Side::Buy, 1e-300, 1e12, Some(1e-300 * 0.5)),
            trade(2, Side::Buy, 1e-300, 1e12, None),
            trade(3, Side::Buy, 1e-10, 1e12, Some(2e-10)),
            trade(4, Side::Buy, 1e-10, 1e12, None),
        ];
        let stats = Statistics::from_trades(&mut trades, 200);
        let f = &stats.overall;
        assert_eq!(stats.excluded, 2, "returns that overflow are left out");
        for value in [f.total_return, f.max_drawdown, f.average_win.unwrap_or(0.0), f.expectancy.unwrap_or(0.0)] {
            assert!(value.is_finite(), "{value}");
        }
        assert!(stats.curve.iter().all(|p| p.equity.is_finite()));
    }

    #[test]
    fn streaks_are_broken_by_break_evens_and_count_at_the_end() {
        // W W B W L L B L L L W W W: wins in a row at most 3 (at the end), losses 3, never across a break-even.
        let closes = [110.0, 110.0, 100.0, 110.0, 90.0, 90.0, 100.0, 90.0, 90.0, 90.0, 110.0, 110.0, 110.0];
        let mut trades: Vec<ClosedTrade> =
            (1u128..).zip(closes).map(|(n, close)| trade(n, Side::Buy, 100.0, close, None)).collect();
        let f = Statistics::from_trades(&mut trades, 200).overall;
        assert_eq!((f.longest_win_streak, f.longest_loss_streak), (3, 3));
        let mut trades: Vec<ClosedTrade> = (1u128..)
            .zip([110.0, 110.0, 100.0, 110.0])
            .map(|(n, close)| trade(n, Side::Buy, 100.0, close, None))
            .collect();
        assert_eq!(Statistics::from_trades(&mut trades, 200).overall.longest_win_streak, 2);
    }

    #[test]
    fn out_of_order_input_to_the_builder_is_refused() {
        let mut builder = StatsBuilder::new(200);
        builder.push(&trade(2, Side::Buy, 1.0, 2.0, None));
        builder.push(&trade(1, Side::Buy, 1.0, 2.0, None));
        assert_eq!(builder.finish(), Err(OutOfOrder));
    }
}
