//! [`Performance`]: the figures of one set of trades (all of a strategy's, or its live ones), its breakdowns and its
//! two curves, and the running state that builds it.

use chrono_tz::Tz;

use super::accumulator::{Accumulator, Counted};
use super::breakdown::{Breakdowns, Rows};
use super::curve::{Curve, CurvePoint, DrawdownPoints, Fall};
use super::figures::{ClosedTrade, Figures};
use super::keys::{Keys, TradeKeys};

/// The performance of one set of trades.
#[derive(Debug, Clone, PartialEq)]
pub struct Performance {
    /// Every trade of the set.
    pub overall: Figures,
    /// The set split by symbol, side, weekday, hour, holding time and tag.
    pub breakdowns: Breakdowns,
    /// The compounded equity curve (1 before the first trade), sampled, its extremes and largest drawdown kept.
    pub curve: Vec<CurvePoint>,
    /// The cumulative P&L of the sized trades in money (0 before the first), sampled the same way.
    pub pnl_curve: Vec<CurvePoint>,
    /// The set's trades cancelled in the range: they count in no figure, and are shown so that a record cannot
    /// quietly drop a losing trade by cancelling it before its exit. A store counts them
    /// ([`StatsBuilder`](super::StatsBuilder) sees only closed trades).
    pub cancelled: u64,
}

impl Performance {
    /// The performance of no trade at all.
    pub fn empty() -> Self {
        SetBuilder::new(2).finish(&Keys::new(Tz::UTC))
    }

    /// Where the equity curve's largest drawdown lies: its peak (`None` when the fall starts from the start, before
    /// the first trade) and its trough; `None` when the curve never falls. A sampled curve keeps both points, so
    /// this is the drawdown of every trade, `overall.max_drawdown`.
    ///
    /// ```
    /// # use quantarya_domain::{ClosedTrade, Price, Side, Statistics, Symbol, Tags, Timestamp, TradeId, uuid::Uuid};
    /// # let trade = |n: u128, close: f64| ClosedTrade {
    /// #     id: TradeId::from_uuid(Uuid::from_u128(n)), symbol: Symbol::parse("ES1!").expect("valid"), side: Side::Buy,
    /// #     entry: Some(Price::new(100.0).expect("valid")), stop_loss: None,
    /// #     close_price: Some(Price::new(close).expect("valid")),
    /// #     opened_at: Timestamp::from_unix_micros(n as i64 * 1_000_000).expect("valid"),
    /// #     closed_at: Timestamp::from_unix_micros(n as i64 * 1_000_000).expect("valid"), tags: Tags::default(),
    /// #     pnl: None, fees: None, max_favorable_price: None, max_adverse_price: None, live: false,
    /// # };
    /// // Up 10 %, down 20 %, up 50 %: the fall runs from the first point to the second.
    /// let mut trades = vec![trade(1, 110.0), trade(2, 80.0), trade(3, 150.0)];
    /// let all = Statistics::from_trades(&mut trades, 100).all;
    /// let (peak, trough) = all.largest_drawdown().expect("it fell");
    /// assert_eq!((peak, trough), (Some(all.curve[0]), all.curve[1]));
    /// ```
    pub fn largest_drawdown(&self) -> Option<(Option<CurvePoint>, CurvePoint)> {
        let mut drawdown = DrawdownPoints::new(Fall::Relative);
        for (index, point) in (0u64..).zip(&self.curve) {
            drawdown.track(index, *point);
        }
        drawdown.largest()
    }
}

/// Builds one set's [`Performance`] from its trades in close order.
#[derive(Debug, Clone)]
pub(super) struct SetBuilder {
    overall: Accumulator,
    rows: Rows,
    curve: Curve,
    pnl_curve: Curve,
}

impl SetBuilder {
    /// Curves of at most `curve_points` points.
    pub(super) fn new(curve_points: usize) -> Self {
        Self {
            overall: Accumulator::default(),
            rows: Rows::default(),
            curve: Curve::new(curve_points, Fall::Relative),
            pnl_curve: Curve::new(curve_points, Fall::Absolute),
        }
    }

    /// Adds the next trade of the set, with the keys of its rows.
    pub(super) fn push(&mut self, trade: &ClosedTrade, keys: &TradeKeys, counted: &Counted) {
        self.overall.push(counted);
        self.rows.push(keys, counted);
        self.curve.push(CurvePoint { at: trade.closed_at, value: self.overall.equity() });
        if counted.money.is_some() {
            self.pnl_curve.push(CurvePoint { at: trade.closed_at, value: self.overall.net_pnl() });
        }
    }

    /// The set's performance, its rows named by `keys`.
    pub(super) fn finish(&self, keys: &Keys) -> Performance {
        Performance {
            overall: self.overall.figures(),
            breakdowns: self.rows.breakdowns(keys),
            curve: self.curve.points(),
            pnl_curve: self.pnl_curve.points(),
            cancelled: 0,
        }
    }
}
