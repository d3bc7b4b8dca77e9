//! What statistics read of a closed trade (its return, R, money, holding time and excursions), and the figures they
//! report of a set of trades.

use crate::ids::TradeId;
use crate::strategy::Tags;
use crate::time::Timestamp;
use crate::trade::{Price, Side, Status, Symbol, Trade};

use super::excursion::{Excursion, risk};

/// What statistics read of a closed trade.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedTrade {
    /// The trade.
    pub id: TradeId,
    /// Its instrument.
    pub symbol: Symbol,
    /// Its direction.
    pub side: Side,
    /// Its entry price, if known.
    pub entry: Option<Price>,
    /// The stop loss its R is measured by: the trade's first stop (`initial_stop_loss`), if it had one.
    pub stop_loss: Option<Price>,
    /// Its exit price, if known.
    pub close_price: Option<Price>,
    /// When it opened.
    pub opened_at: Timestamp,
    /// When it closed.
    pub closed_at: Timestamp,
    /// Its tags.
    pub tags: Tags,
    /// What it made in money, fees taken off (`realized_pnl`); `None` for a trade without a size.
    pub pnl: Option<f64>,
    /// What it cost in fees; `None` for a trade without a size.
    pub fees: Option<f64>,
    /// The most favourable price it reached, if known.
    pub max_favorable_price: Option<Price>,
    /// The most adverse price it reached, if known.
    pub max_adverse_price: Option<Price>,
    /// Whether it counts in the live record.
    pub live: bool,
}

impl ClosedTrade {
    /// The closed-trade view of `trade`; `None` unless it is `CLOSED`.
    pub fn of(trade: &Trade) -> Option<Self> {
        match (trade.status, trade.closed_at) {
            (Status::Closed, Some(closed_at)) => Some(Self {
                id: trade.id,
                symbol: trade.symbol.clone(),
                side: trade.side,
                entry: trade.entry,
                stop_loss: trade.initial_stop_loss,
                close_price: trade.close_price,
                opened_at: trade.opened_at,
                closed_at,
                tags: trade.tags.clone(),
                pnl: trade.realized_pnl(),
                fees: trade.is_sized().then(|| trade.fees.to_f64()),
                max_favorable_price: trade.max_favorable_price,
                max_adverse_price: trade.max_adverse_price,
                live: trade.live,
            }),
            _ => None,
        }
    }

    /// The close order: time, then id.
    pub(super) fn order_key(&self) -> (Timestamp, TradeId) {
        (self.closed_at, self.id)
    }

    /// The distance in price that one R stands for, where a stop was set away from the entry.
    fn risk(&self) -> Option<f64> {
        risk(self.entry?, self.stop_loss)
    }

    /// The return and, where a stop was set away from the entry, the R multiple; `None` without both prices (or
    /// when prices so far apart make the return overflow, which only absurd prices can).
    pub fn outcome(&self) -> Option<(f64, Option<f64>)> {
        let (entry, close) = (self.entry?.get(), self.close_price?.get());
        let direction = self.side.direction();
        let ret = direction * (close - entry) / entry;
        if !ret.is_finite() {
            return None;
        }
        let r = self.risk().map(|risk| direction * (close - entry) / risk).filter(|r| r.is_finite());
        Some((ret, r))
    }

    /// How far it ran in its favour and against it, in percent and R; `None` unless it has an entry and both
    /// excursion prices.
    pub fn excursion(&self) -> Option<Excursion> {
        Excursion::of(self.side, self.entry?, self.risk(), self.max_favorable_price?, self.max_adverse_price?)
    }

    /// How long it was open, in seconds.
    pub fn holding_seconds(&self) -> f64 {
        (self.closed_at.unix_micros() - self.opened_at.unix_micros()) as f64 * 1e-6
    }
}

/// A trade's return, to name the best and worst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradeReturn {
    /// The trade.
    pub trade_id: TradeId,
    /// Its return.
    pub ret: f64,
}

/// The figures of a set of trades. Every average, rate and ratio is `None` where its sample is too small (or it
/// would be infinite); money figures are `None` where no trade of the set has a size.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Trades counted.
    pub count: u64,
    /// Trades with a positive return.
    pub wins: u64,
    /// Trades with a negative return.
    pub losses: u64,
    /// Trades with a zero return.
    pub break_evens: u64,
    /// `wins / count`, in [0, 1].
    pub win_rate: Option<f64>,
    /// Mean return of the wins.
    pub average_win: Option<f64>,
    /// Mean return of the losses (negative).
    pub average_loss: Option<f64>,
    /// Sum of wins over the magnitude of the sum of losses; `None` without losses.
    pub profit_factor: Option<f64>,
    /// Mean return per trade.
    pub expectancy: Option<f64>,
    /// Mean R multiple of the trades with a stop loss.
    pub average_r: Option<f64>,
    /// How many trades had an R (a stop loss away from the entry).
    pub r_count: u64,
    /// The highest return.
    pub best: Option<TradeReturn>,
    /// The lowest return.
    pub worst: Option<TradeReturn>,
    /// Most wins in a row.
    pub longest_win_streak: u64,
    /// Most losses in a row.
    pub longest_loss_streak: u64,
    /// The compounded return: the product of `(1 + return)`, minus 1.
    pub total_return: f64,
    /// The largest fall of the compounded equity from a previous peak, as a fraction of that peak, in [0, 1].
    pub max_drawdown: f64,
    /// Trades with a size: the money figures are theirs.
    pub sized_count: u64,
    /// The sum of their P&L, fees taken off.
    pub net_pnl: Option<f64>,
    /// The sum of their positive P&Ls.
    pub gross_profit: Option<f64>,
    /// The sum of their negative P&Ls (negative).
    pub gross_loss: Option<f64>,
    /// The sum of their fees.
    pub fees: Option<f64>,
    /// Gross profit over the magnitude of gross loss; `None` without a loss in money.
    pub profit_factor_money: Option<f64>,
    /// Mean P&L of the sized trades that made money.
    pub average_win_amount: Option<f64>,
    /// Mean P&L of the sized trades that lost money (negative).
    pub average_loss_amount: Option<f64>,
    /// The largest P&L made.
    pub largest_win_amount: Option<f64>,
    /// The largest P&L lost (negative).
    pub largest_loss_amount: Option<f64>,
    /// The largest fall of the cumulative P&L from a previous peak (starting at 0), in money.
    pub max_drawdown_amount: Option<f64>,
    /// The sample standard deviation of the returns; `None` under 2 trades.
    pub return_stdev: Option<f64>,
    /// Mean return over its standard deviation, per trade and not annualised; `None` under 2 trades.
    pub sharpe: Option<f64>,
    /// Mean return over the downside deviation (the root mean square of the negative returns, over every trade);
    /// `None` under 2 trades or without a loss.
    pub sortino: Option<f64>,
    /// System quality number: `sqrt(n) * mean(R) / stdev(R)` over the trades with an R; `None` under 2.
    pub sqn: Option<f64>,
    /// The Kelly fraction `W - (1 - W) / (average win / |average loss|)`; `None` without both wins and losses.
    pub kelly: Option<f64>,
    /// The mean time from opening to closing, in seconds.
    pub average_holding_seconds: Option<f64>,
    /// Trades with both excursions: the excursion figures are theirs.
    pub mfe_count: u64,
    /// Their mean maximum favourable excursion, as a fraction of the entry.
    pub average_mfe: Option<f64>,
    /// Their mean maximum adverse excursion, as a fraction of the entry (a magnitude, 0 or more).
    pub average_mae: Option<f64>,
    /// Average MFE over average MAE; `None` when the average MAE is 0.
    pub edge_ratio: Option<f64>,
}
