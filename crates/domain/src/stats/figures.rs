//! What statistics read of a closed trade (its return and R), and the figures they report of a set of trades.

use crate::ids::TradeId;
use crate::time::Timestamp;
use crate::trade::{Price, Side, Status, Symbol, Trade};

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
    /// When it closed.
    pub closed_at: Timestamp,
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
                closed_at,
            }),
            _ => None,
        }
    }

    /// The close order: time, then id.
    pub(super) fn order_key(&self) -> (Timestamp, TradeId) {
        (self.closed_at, self.id)
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
        let r = self
            .stop_loss
            .map(|stop| (entry - stop.get()).abs())
            .filter(|risk| *risk > 0.0)
            .map(|risk| direction * (close - entry) / risk)
            .filter(|r| r.is_finite());
        Some((ret, r))
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

/// The figures of a set of trades.
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
    /// The largest fall of the compounded equity from a previous peak, as a fraction of that peak, in [0, 1).
    pub max_drawdown: f64,
}
