//! Performance statistics of a strategy's closed trades: the numbers a trader keeps a journal for.
//!
//! A trade's return is `(close_price - entry) / entry`, negated for a `SELL`; its R is the same move over
//! `|entry - stop_loss|`. Returns are fractions (`0.0125` is +1.25 %). Only `CLOSED` trades with both an entry and
//! a close price count; closed trades missing either are left out and counted in [`Statistics::excluded`].
//!
//! Trades are taken in close order (`closed_at`, then id): streaks and the equity curve depend on it. Feed a
//! [`StatsBuilder`] in that order (stores can stream their rows into it), or hand [`Statistics::from_trades`] a
//! slice in any order and it sorts it in place. One pass, no allocation per trade: the groups allocate per symbol,
//! and the curve keeps a bounded number of points ([`CurveSampler`]) whatever the number of trades.
//!
//! Edge cases: with no trade, counts are 0, the total return and drawdown 0, and every average, rate and ratio is
//! `None`. With no loss, the profit factor is `None` (it would be infinite). A `0` return is a break-even: it
//! counts in the trades, in neither wins nor losses, and ends both streaks.

use std::collections::BTreeMap;

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
    /// Its stop loss, if set.
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
                stop_loss: trade.stop_loss,
                close_price: trade.close_price,
                closed_at,
            }),
            _ => None,
        }
    }

    /// The close order: time, then id.
    fn order_key(&self) -> (Timestamp, TradeId) {
        (self.closed_at, self.id)
    }

    /// The return and, where a stop was set away from the entry, the R multiple; `None` without both prices (or
    /// when prices so far apart make the return overflow, which only absurd prices can).
    pub fn outcome(&self) -> Option<(f64, Option<f64>)> {
        let (entry, close) = (self.entry?.get(), self.close_price?.get());
        let direction = match self.side {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        };
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

/// Running sums of one set of trades.
#[derive(Debug, Clone)]
struct Accumulator {
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

/// A point of the curve with its position in it.
type Indexed = (u64, CurvePoint);

/// Where the curve's largest drawdown begins and ends, by position in the curve.
#[derive(Debug, Clone, Copy, Default)]
struct DrawdownPoints {
    /// The highest point so far; `None` while the curve has not reached its start (1) again.
    peak: Option<Indexed>,
    /// The peak (if a point) and the trough of the largest fall so far.
    worst: Option<(Option<Indexed>, Indexed)>,
    /// The largest fall so far, as a fraction of its peak.
    fall: f64,
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

    fn figures(&self) -> Figures {
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

/// A point of the equity curve: the compounded equity (starting at 1) after the trade that closed at `at`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    /// When the trade closed.
    pub at: Timestamp,
    /// Equity after it, 1 being the start.
    pub equity: f64,
}

/// One stretch of the curve: its lowest and highest points, in the order they came.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    low: (u64, CurvePoint),
    high: (u64, CurvePoint),
}

/// Keeps at most a fixed number of points of a curve of any length, such that its first and last points and,
/// within every stretch, the lowest and highest survive: the curve's extremes (and so its peaks and troughs) are
/// never sampled away. Memory is proportional to the points kept.
#[derive(Debug, Clone)]
pub struct CurveSampler {
    max_points: usize,
    stretch: u64,
    seen: u64,
    first: Option<CurvePoint>,
    last: Option<(u64, CurvePoint)>,
    buckets: Vec<Bucket>,
}

impl CurveSampler {
    /// A sampler that keeps at most `max_points` points (at least 4: first, last, and one stretch's extremes).
    pub fn new(max_points: usize) -> Self {
        Self { max_points: max_points.max(4), stretch: 1, seen: 0, first: None, last: None, buckets: Vec::new() }
    }

    fn max_buckets(&self) -> usize {
        (self.max_points - 2) / 2
    }

    /// Adds the next point.
    pub fn push(&mut self, point: CurvePoint) {
        let index = self.seen;
        self.seen += 1;
        if self.first.is_none() {
            self.first = Some(point);
        }
        self.last = Some((index, point));
        let starts_bucket = index % self.stretch == 0;
        match self.buckets.last_mut() {
            Some(bucket) if !starts_bucket => {
                if point.equity < bucket.low.1.equity {
                    bucket.low = (index, point);
                }
                if point.equity > bucket.high.1.equity {
                    bucket.high = (index, point);
                }
            }
            _ => self.buckets.push(Bucket { low: (index, point), high: (index, point) }),
        }
        if self.buckets.len() > self.max_buckets() {
            self.merge();
        }
    }

    /// Halves the number of stretches by joining neighbours.
    fn merge(&mut self) {
        let merged: Vec<Bucket> = self
            .buckets
            .chunks(2)
            .map(|pair| {
                let mut bucket = pair[0];
                for other in &pair[1..] {
                    if other.low.1.equity < bucket.low.1.equity {
                        bucket.low = other.low;
                    }
                    if other.high.1.equity > bucket.high.1.equity {
                        bucket.high = other.high;
                    }
                }
                bucket
            })
            .collect();
        self.buckets = merged;
        self.stretch *= 2;
    }

    /// The kept points, in curve order, without repeats.
    pub fn points(&self) -> Vec<CurvePoint> {
        self.points_with(&[])
    }

    /// The kept points and `pinned` ones (given with their position in the curve), in curve order, without repeats.
    fn points_with(&self, pinned: &[(u64, CurvePoint)]) -> Vec<CurvePoint> {
        let mut indexed: Vec<(u64, CurvePoint)> = Vec::with_capacity(self.max_points + pinned.len());
        indexed.extend_from_slice(pinned);
        if let Some(first) = self.first {
            indexed.push((0, first));
        }
        for bucket in &self.buckets {
            let (a, b) =
                if bucket.low.0 <= bucket.high.0 { (bucket.low, bucket.high) } else { (bucket.high, bucket.low) };
            indexed.push(a);
            indexed.push(b);
        }
        if let Some(last) = self.last {
            indexed.push(last);
        }
        indexed.sort_by_key(|(index, _)| *index);
        indexed.dedup_by_key(|(index, _)| *index);
        indexed.into_iter().map(|(_, point)| point).collect()
    }
}

/// Statistics of a strategy: overall, per symbol and per side, with the equity curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    /// Every counted trade.
    pub overall: Figures,
    /// Per symbol, in symbol order.
    pub by_symbol: Vec<(Symbol, Figures)>,
    /// Long trades.
    pub buys: Figures,
    /// Short trades.
    pub sells: Figures,
    /// The compounded equity curve, sampled to at most the points asked for, extremes kept.
    pub curve: Vec<CurvePoint>,
    /// Closed trades left out: for want of an entry or close price (or prices so far apart that the return
    /// overflows).
    pub excluded: u64,
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
        self.track_drawdown(index, point);
        self.curve.push(point);
    }

    /// Follows the running peak and the deepest fall from one, by curve position. Before the first new high the
    /// peak is the start (equity 1), which is no point of the curve.
    fn track_drawdown(&mut self, index: u64, point: CurvePoint) {
        let peak_equity = self.drawdown.peak.map_or(1.0, |(_, peak)| peak.equity);
        if point.equity >= peak_equity {
            self.drawdown.peak = Some((index, point));
            return;
        }
        // The peak is at least the starting 1, so the division is safe; the formula is the accumulator's.
        let fall = (peak_equity - point.equity) / peak_equity;
        if fall > self.drawdown.fall {
            self.drawdown.fall = fall;
            self.drawdown.worst = Some((self.drawdown.peak, (index, point)));
        }
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
            curve: {
                let pinned: Vec<(u64, CurvePoint)> = self
                    .drawdown
                    .worst
                    .map(|(peak, trough)| peak.into_iter().chain([trough]).collect())
                    .unwrap_or_default();
                self.curve.points_with(&pinned)
            },
            excluded: self.excluded,
        })
    }
}

impl Statistics {
    /// The statistics of `trades` in any order: sorts them in place into close order, then one pass.
    pub fn from_trades(trades: &mut [ClosedTrade], curve_points: usize) -> Self {
        trades.sort_unstable_by_key(ClosedTrade::order_key);
        let mut builder = StatsBuilder::new(curve_points);
        for trade in trades.iter() {
            builder.push(trade);
        }
        // Sorted just above, so never out of order.
        builder.finish().unwrap_or_else(|OutOfOrder| Statistics::empty())
    }

    /// The statistics of no trade at all.
    pub fn empty() -> Self {
        let figures = Accumulator::default().figures();
        Self {
            overall: figures.clone(),
            by_symbol: Vec::new(),
            buys: figures.clone(),
            sells: figures,
            curve: Vec::new(),
            excluded: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_unix_micros(1_780_000_000_000_000 + minutes * 60_000_000).expect("in range")
    }

    fn trade(n: u128, side: Side, entry: f64, close: f64, stop: Option<f64>) -> ClosedTrade {
        ClosedTrade {
            id: TradeId::from_uuid(Uuid::from_u128(n)),
            symbol: Symbol::parse(if n % 2 == 0 { "EURUSD" } else { "BTCUSD" }).expect("valid"),
            side,
            entry: Some(Price::new(entry).expect("valid")),
            stop_loss: stop.map(|s| Price::new(s).expect("valid")),
            close_price: Some(Price::new(close).expect("valid")),
            closed_at: at(i64::try_from(n).expect("small")),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn a_hand_checked_journal() {
        // +10 % (R 2), -5 % (R -1), +0 %, short +20 % (no stop), -10 % .
        let mut trades = vec![
            trade(1, Side::Buy, 100.0, 110.0, Some(95.0)),
            trade(2, Side::Buy, 100.0, 95.0, Some(95.0)),
            trade(3, Side::Buy, 50.0, 50.0, None),
            trade(4, Side::Sell, 100.0, 80.0, None),
            trade(5, Side::Buy, 200.0, 180.0, None),
        ];
        trades.reverse();
        let stats = Statistics::from_trades(&mut trades, 200);
        let f = &stats.overall;
        assert_eq!((f.count, f.wins, f.losses, f.break_evens), (5, 2, 2, 1));
        assert!(close(f.win_rate.expect("some"), 0.4));
        assert!(close(f.average_win.expect("some"), 0.15));
        assert!(close(f.average_loss.expect("some"), -0.075));
        assert!(close(f.profit_factor.expect("some"), 0.30 / 0.15));
        assert!(close(f.expectancy.expect("some"), 0.15 / 5.0));
        assert!(close(f.average_r.expect("some"), (2.0 - 1.0) / 2.0));
        assert_eq!(f.r_count, 2);
        assert_eq!(f.best.map(|b| b.trade_id), Some(TradeId::from_uuid(Uuid::from_u128(4))));
        assert_eq!(f.worst.map(|w| w.trade_id), Some(TradeId::from_uuid(Uuid::from_u128(5))));
        assert_eq!((f.longest_win_streak, f.longest_loss_streak), (1, 1));
        let equity = 1.10 * 0.95 * 1.0 * 1.20 * 0.90;
        assert!(close(f.total_return, equity - 1.0));
        // Peak 1.10 × 0.95 × 1.2 = 1.254, then × 0.9: a 10 % drawdown; the earlier fall 1.10 → 1.045 is 5 %.
        assert!(close(f.max_drawdown, 0.10));
        assert_eq!(stats.curve.len(), 5, "a point after every trade (the curve starts at 1 before the first)");
        assert!(close(stats.curve.last().map(|p| p.equity).unwrap_or_default(), equity));
        assert_eq!(stats.buys.count, 4);
        assert_eq!(stats.sells.count, 1);
        assert_eq!(
            stats.by_symbol.iter().map(|(s, f)| (s.as_str(), f.count)).collect::<Vec<_>>(),
            [("BTCUSD", 3), ("EURUSD", 2)]
        );
    }

    #[test]
    fn edge_cases_answer_sensibly() {
        let empty = Statistics::from_trades(&mut [], 200);
        assert_eq!(empty, Statistics::empty());
        assert_eq!(
            (empty.overall.win_rate, empty.overall.profit_factor, empty.overall.total_return),
            (None, None, 0.0)
        );

        let mut only_wins = vec![trade(1, Side::Buy, 100.0, 101.0, None), trade(2, Side::Buy, 100.0, 102.0, None)];
        let stats = Statistics::from_trades(&mut only_wins, 200);
        assert_eq!(stats.overall.profit_factor, None, "no losses: no finite profit factor");
        assert_eq!(stats.overall.longest_win_streak, 2);
        assert_eq!(stats.overall.max_drawdown, 0.0);

        let mut missing = vec![trade(1, Side::Buy, 100.0, 101.0, None)];
        missing.push(ClosedTrade { entry: None, ..trade(2, Side::Buy, 1.0, 1.0, None) });
        missing.push(ClosedTrade { close_price: None, ..trade(3, Side::Buy, 1.0, 1.0, None) });
        let stats = Statistics::from_trades(&mut missing, 200);
        assert_eq!((stats.overall.count, stats.excluded), (1, 2));

        let mut wipeout = vec![trade(1, Side::Sell, 100.0, 250.0, None), trade(2, Side::Buy, 100.0, 200.0, None)];
        let stats = Statistics::from_trades(&mut wipeout, 200);
        assert_eq!(stats.overall.total_return, -1.0, "a short that loses more than everything leaves nothing");
        assert_eq!(stats.overall.max_drawdown, 1.0);
    }

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
    fn a_small_curve_still_shows_the_largest_drawdown() {
        // Up 5 % ten times, down 5 % five times (the largest drawdown, mid-curve), then up 2 % a hundred times:
        // neither its peak nor its trough is an extreme of the curve, yet both must be kept.
        let mut builder = StatsBuilder::new(6);
        let closes =
            std::iter::repeat_n(105.0, 10).chain(std::iter::repeat_n(95.0, 5)).chain(std::iter::repeat_n(102.0, 100));
        let mut equity = Vec::new();
        for (n, close) in (1u128..).zip(closes) {
            builder.push(&trade(n, Side::Buy, 100.0, close, None));
            equity.push(equity.last().copied().unwrap_or(1.0) * close / 100.0);
        }
        let stats = builder.finish().expect("in order");
        assert!(stats.curve.len() <= 6, "{}", stats.curve.len());
        let (peak, trough) = (equity[9], equity[14]);
        assert!(close(stats.overall.max_drawdown, (peak - trough) / peak));
        assert!(stats.curve.iter().any(|p| close(p.equity, peak)), "the peak is kept: {:?}", stats.curve);
        assert!(stats.curve.iter().any(|p| close(p.equity, trough)), "the trough is kept: {:?}", stats.curve);
    }

    #[test]
    fn a_drawdown_from_the_start_keeps_its_trough() {
        let mut builder = StatsBuilder::new(6);
        let closes = [90.0, 80.0].into_iter().chain(std::iter::repeat_n(101.0, 200));
        for (n, close) in (1u128..).zip(closes) {
            builder.push(&trade(n, Side::Buy, 100.0, close, None));
        }
        let stats = builder.finish().expect("in order");
        assert!(close(stats.overall.max_drawdown, 1.0 - 0.9 * 0.8));
        assert!(stats.curve.iter().any(|p| close(p.equity, 0.9 * 0.8)));
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

    #[test]
    fn the_sampler_keeps_extremes_ends_and_its_budget() {
        let mut sampler = CurveSampler::new(20);
        let mut all = Vec::new();
        for i in 0..10_000i64 {
            let equity = 1.0 + ((i * 7919) % 1000) as f64 / 1000.0 + if i == 4321 { 5.0 } else { 0.0 }
                - if i == 777 { 1.5 } else { 0.0 };
            let point = CurvePoint { at: at(i), equity };
            sampler.push(point);
            all.push(point);
        }
        let kept = sampler.points();
        assert!(kept.len() <= 20, "{}", kept.len());
        assert_eq!(kept.first(), all.first());
        assert_eq!(kept.last(), all.last());
        let max = all.iter().map(|p| p.equity).fold(f64::MIN, f64::max);
        let min = all.iter().map(|p| p.equity).fold(f64::MAX, f64::min);
        assert!(kept.iter().any(|p| p.equity == max) && kept.iter().any(|p| p.equity == min));
        assert!(kept.windows(2).all(|w| w[0].at < w[1].at), "in curve order, no repeats");
    }
}
