//! [`StatsBuilder`]: closed trades streamed in close order into the running sums of two sets, every trade and the
//! live ones.

use chrono_tz::Tz;

use crate::ids::TradeId;
use crate::time::Timestamp;

use super::accumulator::Counted;
use super::figures::ClosedTrade;
use super::keys::Keys;
use super::performance::SetBuilder;
use super::statistics::Statistics;

/// Builds [`Statistics`] from closed trades given in close order (`closed_at`, then id), one at a time.
#[derive(Debug, Clone)]
pub struct StatsBuilder {
    keys: Keys,
    all: SetBuilder,
    live: SetBuilder,
    excluded: u64,
    last_key: Option<(Timestamp, TradeId)>,
    out_of_order: bool,
}

/// Trades were not given in close order, so streaks and the curve would be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("closed trades must be given in close order (closed_at, then id)")]
pub struct OutOfOrder;

impl StatsBuilder {
    /// A builder whose curves keep at most `curve_points` points (at least 6), among them the peak and trough of
    /// their largest drawdown, so that the curve shows it. Weekdays and hours are those of UTC.
    pub fn new(curve_points: usize) -> Self {
        Self::in_zone(curve_points, Tz::UTC)
    }

    /// A builder like [`StatsBuilder::new`] that reads the weekday and hour of each opening in `zone`.
    ///
    /// ```
    /// use quantarya_domain::chrono_tz::Tz;
    /// use quantarya_domain::{ClosedTrade, Price, Side, StatsBuilder, Symbol, Tags, Timestamp, TradeId, uuid::Uuid};
    /// let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid");
    /// let trade = ClosedTrade {
    ///     id: TradeId::from_uuid(Uuid::from_u128(1)),
    ///     symbol: Symbol::parse("ES1!")?,
    ///     side: Side::Buy,
    ///     entry: Some(Price::new(5000.0)?),
    ///     stop_loss: None,
    ///     close_price: Some(Price::new(5010.0)?),
    ///     // Monday 00:30 in UTC is Sunday 19:30 in New York (EST).
    ///     opened_at: at("2026-01-05T00:30:00Z"),
    ///     closed_at: at("2026-01-05T01:00:00Z"),
    ///     tags: Tags::default(),
    ///     pnl: None,
    ///     fees: None,
    ///     max_favorable_price: None,
    ///     max_adverse_price: None,
    ///     live: true,
    /// };
    /// let mut builder = StatsBuilder::in_zone(100, Tz::America__New_York);
    /// builder.push(&trade);
    /// let rows = builder.finish()?.all.breakdowns;
    /// assert_eq!(rows.by_hour.iter().map(|(hour, _)| *hour).collect::<Vec<_>>(), [19]);
    /// assert_eq!(rows.by_weekday[0].0, quantarya_domain::chrono::Weekday::Sun);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn in_zone(curve_points: usize, zone: Tz) -> Self {
        Self {
            keys: Keys::new(zone),
            all: SetBuilder::new(curve_points),
            live: SetBuilder::new(curve_points),
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
        let counted = Counted {
            id: trade.id,
            ret,
            r,
            money: trade.pnl.filter(|pnl| pnl.is_finite()).map(|pnl| (pnl, trade.fees.unwrap_or(0.0))),
            holding_seconds: trade.holding_seconds(),
            excursion: trade.excursion().map(|e| (e.mfe, e.mae)),
        };
        let keys = self.keys.of(trade, counted.holding_seconds);
        self.all.push(trade, &keys, &counted);
        if trade.live {
            self.live.push(trade, &keys, &counted);
        }
    }

    /// The statistics of the trades pushed, or [`OutOfOrder`] if they did not come in close order.
    pub fn finish(self) -> Result<Statistics, OutOfOrder> {
        if self.out_of_order {
            return Err(OutOfOrder);
        }
        Ok(Statistics { all: self.all.finish(&self.keys), live: self.live.finish(&self.keys), excluded: self.excluded })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::figures::ClosedTrade;
    use crate::stats::fixtures::trade;
    use crate::trade::Side;

    #[test]
    fn absurd_prices_keep_every_figure_finite() {
        let mut trades = vec![
            trade(1, Side::Buy, 1e-300, 1e12, Some(1e-300 * 0.5)),
            trade(2, Side::Buy, 1e-300, 1e12, None),
            trade(3, Side::Buy, 1e-10, 1e12, Some(2e-10)),
            trade(4, Side::Buy, 1e-10, 1e12, None),
        ];
        let stats = Statistics::from_trades(&mut trades, 200);
        let f = &stats.all.overall;
        assert_eq!(stats.excluded, 2, "returns that overflow are left out");
        for value in [f.total_return, f.max_drawdown, f.average_win.unwrap_or(0.0), f.expectancy.unwrap_or(0.0)] {
            assert!(value.is_finite(), "{value}");
        }
        assert!(stats.all.curve.iter().all(|p| p.value.is_finite()));
    }

    #[test]
    fn streaks_are_broken_by_break_evens_and_count_at_the_end() {
        // W W B W L L B L L L W W W: wins in a row at most 3 (at the end), losses 3, never across a break-even.
        let closes = [110.0, 110.0, 100.0, 110.0, 90.0, 90.0, 100.0, 90.0, 90.0, 90.0, 110.0, 110.0, 110.0];
        let mut trades: Vec<ClosedTrade> =
            (1u128..).zip(closes).map(|(n, close)| trade(n, Side::Buy, 100.0, close, None)).collect();
        let f = Statistics::from_trades(&mut trades, 200).all.overall;
        assert_eq!((f.longest_win_streak, f.longest_loss_streak), (3, 3));
        let mut trades: Vec<ClosedTrade> = (1u128..)
            .zip([110.0, 110.0, 100.0, 110.0])
            .map(|(n, close)| trade(n, Side::Buy, 100.0, close, None))
            .collect();
        assert_eq!(Statistics::from_trades(&mut trades, 200).all.overall.longest_win_streak, 2);
    }

    #[test]
    fn out_of_order_input_to_the_builder_is_refused() {
        let mut builder = StatsBuilder::new(200);
        builder.push(&trade(2, Side::Buy, 1.0, 2.0, None));
        builder.push(&trade(1, Side::Buy, 1.0, 2.0, None));
        assert_eq!(builder.finish(), Err(OutOfOrder));
    }
}
