//! The running sums of one set of trades (the whole strategy, or one row of a breakdown), from which its
//! [`Figures`] are read: constant memory, one update per trade.

use crate::ids::TradeId;

use super::figures::{Figures, TradeReturn};

/// What one counted trade adds to the sums, worked out once per trade and added to every set it belongs to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Counted {
    /// The trade.
    pub(super) id: TradeId,
    /// Its return.
    pub(super) ret: f64,
    /// Its R, where it had a stop.
    pub(super) r: Option<f64>,
    /// Its P&L and fees, where it had a size.
    pub(super) money: Option<(f64, f64)>,
    /// How long it was open, in seconds.
    pub(super) holding_seconds: f64,
    /// Its MFE and MAE in percent, where it had both excursions.
    pub(super) excursion: Option<(f64, f64)>,
}

/// A running mean and standard deviation in one pass, from sums of the values' distances to the first value (a
/// shift that keeps the sums small where the values are close together, so the variance does not lose its digits to
/// cancellation; and no division per value).
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    n: u64,
    shift: f64,
    sum: f64,
    squares: f64,
}

impl Moments {
    fn push(&mut self, x: f64) {
        if self.n == 0 {
            self.shift = x;
        }
        self.n += 1;
        let d = x - self.shift;
        self.sum += d;
        self.squares += d * d;
    }

    /// The mean; `None` without values.
    fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.shift + self.sum / self.n as f64)
    }

    /// The sample standard deviation; `None` under 2 values.
    fn stdev(&self) -> Option<f64> {
        let n = self.n as f64;
        (self.n >= 2).then(|| ((self.squares - self.sum * self.sum / n) / (n - 1.0)).max(0.0).sqrt())
    }
}

/// A finite number or nothing. Only absurd prices (a return of 1e20) could take a running sum past `f64::MAX`; every
/// figure read off a sum goes through this, so such a sum shows as a figure without a value, never as infinity.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Running sums of one set of trades.
#[derive(Debug, Clone)]
pub(super) struct Accumulator {
    wins: u64,
    losses: u64,
    break_evens: u64,
    gross_profit: f64,
    gross_loss: f64,
    returns: Moments,
    /// The sum of the squares of the negative returns.
    downside: f64,
    r: Moments,
    best: Option<TradeReturn>,
    worst: Option<TradeReturn>,
    win_streak: u64,
    loss_streak: u64,
    longest_win_streak: u64,
    longest_loss_streak: u64,
    equity: f64,
    peak: f64,
    max_drawdown: f64,
    holding_seconds: f64,
    money: Money,
    excursions: (u64, f64, f64),
}

/// The money sums of the sized trades.
#[derive(Debug, Clone, Copy, Default)]
struct Money {
    count: u64,
    wins: u64,
    losses: u64,
    net: f64,
    gross_profit: f64,
    gross_loss: f64,
    fees: f64,
    largest_win: Option<f64>,
    largest_loss: Option<f64>,
    peak: f64,
    max_drawdown: f64,
}

impl Money {
    fn push(&mut self, pnl: f64, fees: f64) {
        self.count += 1;
        if pnl > 0.0 {
            self.wins += 1;
            self.gross_profit += pnl;
            self.largest_win = Some(self.largest_win.map_or(pnl, |w| w.max(pnl)));
        } else if pnl < 0.0 {
            self.losses += 1;
            self.gross_loss += pnl;
            self.largest_loss = Some(self.largest_loss.map_or(pnl, |l| l.min(pnl)));
        }
        self.fees += fees;
        self.net += pnl;
        self.peak = self.peak.max(self.net);
        self.max_drawdown = self.max_drawdown.max(self.peak - self.net);
    }
}

impl Default for Accumulator {
    fn default() -> Self {
        Self {
            wins: 0,
            losses: 0,
            break_evens: 0,
            gross_profit: 0.0,
            gross_loss: 0.0,
            returns: Moments::default(),
            downside: 0.0,
            r: Moments::default(),
            best: None,
            worst: None,
            win_streak: 0,
            loss_streak: 0,
            longest_win_streak: 0,
            longest_loss_streak: 0,
            equity: 1.0,
            peak: 1.0,
            max_drawdown: 0.0,
            holding_seconds: 0.0,
            money: Money::default(),
            excursions: (0, 0.0, 0.0),
        }
    }
}

impl Accumulator {
    /// The compounded equity after the trades so far (1 at the start).
    pub(super) fn equity(&self) -> f64 {
        self.equity
    }

    /// The cumulative P&L of the sized trades so far.
    pub(super) fn net_pnl(&self) -> f64 {
        self.money.net
    }

    /// Adds the next trade in close order.
    pub(super) fn push(&mut self, trade: &Counted) {
        let ret = trade.ret;
        if ret > 0.0 {
            self.wins += 1;
            self.gross_profit += ret;
            self.win_streak += 1;
            self.loss_streak = 0;
        } else if ret < 0.0 {
            self.losses += 1;
            self.gross_loss += -ret;
            self.downside += ret * ret;
            self.loss_streak += 1;
            self.win_streak = 0;
        } else {
            self.break_evens += 1;
            self.win_streak = 0;
            self.loss_streak = 0;
        }
        self.longest_win_streak = self.longest_win_streak.max(self.win_streak);
        self.longest_loss_streak = self.longest_loss_streak.max(self.loss_streak);
        self.returns.push(ret);
        if let Some(r) = trade.r {
            self.r.push(r);
        }
        if self.best.is_none_or(|best| ret > best.ret) {
            self.best = Some(TradeReturn { trade_id: trade.id, ret });
        }
        if self.worst.is_none_or(|worst| ret < worst.ret) {
            self.worst = Some(TradeReturn { trade_id: trade.id, ret });
        }
        // A SELL can lose more than everything (a return below -1); equity then floors at 0 and stays there.
        self.equity = (self.equity * (1.0 + ret)).clamp(0.0, f64::MAX);
        self.peak = self.peak.max(self.equity);
        // Divides only when the fall may be a new largest one: most trades are not.
        if self.peak > 0.0 && self.equity < self.peak * (1.0 - self.max_drawdown) {
            self.max_drawdown = self.max_drawdown.max((self.peak - self.equity) / self.peak);
        }
        self.holding_seconds += trade.holding_seconds;
        if let Some((pnl, fees)) = trade.money {
            self.money.push(pnl, fees);
        }
        if let Some((mfe, mae)) = trade.excursion {
            let (n, sum_mfe, sum_mae) = self.excursions;
            self.excursions = (n + 1, sum_mfe + mfe, sum_mae + mae);
        }
    }

    /// Whether no trade was added.
    pub(super) fn is_empty(&self) -> bool {
        self.returns.n == 0
    }

    /// The figures of the trades added.
    pub(super) fn figures(&self) -> Figures {
        let mean = |sum: f64, n: u64| (n > 0).then(|| sum / n as f64).and_then(finite);
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b).and_then(finite);
        let average_win = mean(self.gross_profit, self.wins);
        let average_loss = mean(-self.gross_loss, self.losses);
        let win_rate = mean(self.wins as f64, self.returns.n);
        let return_stdev = self.returns.stdev().and_then(finite);
        let average_r = self.r.mean().and_then(finite);
        let money = &self.money;
        let sized = money.count > 0;
        let (n_excursions, sum_mfe, sum_mae) = self.excursions;
        let (average_mfe, average_mae) = (mean(sum_mfe, n_excursions), mean(sum_mae, n_excursions));
        Figures {
            count: self.returns.n,
            wins: self.wins,
            losses: self.losses,
            break_evens: self.break_evens,
            win_rate,
            average_win,
            average_loss,
            profit_factor: ratio(self.gross_profit, self.gross_loss),
            expectancy: mean(self.gross_profit - self.gross_loss, self.returns.n),
            average_r,
            r_count: self.r.n,
            best: self.best,
            worst: self.worst,
            longest_win_streak: self.longest_win_streak,
            longest_loss_streak: self.longest_loss_streak,
            total_return: self.equity - 1.0,
            // A total loss is a drawdown of 1; the interval is [0, 1) for any curve that keeps some equity.
            max_drawdown: self.max_drawdown.min(1.0),
            sized_count: money.count,
            net_pnl: sized.then_some(money.net).and_then(finite),
            gross_profit: sized.then_some(money.gross_profit).and_then(finite),
            gross_loss: sized.then_some(money.gross_loss).and_then(finite),
            fees: sized.then_some(money.fees).and_then(finite),
            profit_factor_money: ratio(money.gross_profit, -money.gross_loss),
            average_win_amount: mean(money.gross_profit, money.wins),
            average_loss_amount: mean(money.gross_loss, money.losses),
            largest_win_amount: money.largest_win,
            largest_loss_amount: money.largest_loss,
            max_drawdown_amount: sized.then_some(money.max_drawdown).and_then(finite),
            return_stdev,
            sharpe: return_stdev.zip(self.returns.mean()).and_then(|(stdev, mean)| ratio(mean, stdev)),
            sortino: (self.returns.n >= 2)
                .then(|| (self.downside / self.returns.n as f64).sqrt())
                .zip(self.returns.mean())
                .and_then(|(downside, mean)| ratio(mean, downside)),
            sqn: self
                .r
                .stdev()
                .zip(self.r.mean())
                .and_then(|(stdev, mean)| ratio(mean, stdev))
                .and_then(|x| finite((self.r.n as f64).sqrt() * x)),
            kelly: match (win_rate, average_win, average_loss) {
                (Some(w), Some(win), Some(loss)) if loss < 0.0 => finite(w - (1.0 - w) / (win / -loss)),
                _ => None,
            },
            average_holding_seconds: mean(self.holding_seconds, self.returns.n),
            mfe_count: n_excursions,
            average_mfe,
            average_mae,
            edge_ratio: average_mfe.zip(average_mae).and_then(|(mfe, mae)| ratio(mfe, mae)),
        }
    }
}
