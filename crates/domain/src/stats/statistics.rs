//! [`Statistics`]: a strategy's performance over all its counted trades and over its live ones.

use super::builder::{OutOfOrder, StatsBuilder};
use super::figures::ClosedTrade;
use super::performance::Performance;

/// Statistics of a strategy: every counted trade, and the live ones (section 7 of the contract).
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    /// Every counted trade.
    pub all: Performance,
    /// The live trades only: entries that came live through an API key and were never corrected.
    pub live: Performance,
    /// Closed trades left out: for want of an entry or close price (or prices so far apart that the return
    /// overflows).
    pub excluded: u64,
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
        Self { all: Performance::empty(), live: Performance::empty(), excluded: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TradeId;
    use crate::stats::fixtures::{close, trade};
    use crate::trade::Side;
    use uuid::Uuid;

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
        let f = &stats.all.overall;
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
        assert_eq!(stats.all.curve.len(), 5, "a point after every trade (the curve starts at 1 before the first)");
        assert!(close(stats.all.curve.last().map(|p| p.value).unwrap_or_default(), equity));
        let rows = &stats.all.breakdowns;
        assert_eq!(
            rows.by_side.iter().map(|(side, f)| (*side, f.count)).collect::<Vec<_>>(),
            [(Side::Buy, 4), (Side::Sell, 1)]
        );
        assert_eq!(
            rows.by_symbol.iter().map(|(s, f)| (s.as_str(), f.count)).collect::<Vec<_>>(),
            [("BTCUSD", 3), ("EURUSD", 2)]
        );
    }

    #[test]
    fn edge_cases_answer_sensibly() {
        let empty = Statistics::from_trades(&mut [], 200);
        assert_eq!(empty, Statistics::empty());
        assert_eq!(
            (empty.all.overall.win_rate, empty.all.overall.profit_factor, empty.all.overall.total_return),
            (None, None, 0.0)
        );

        let mut only_wins = vec![trade(1, Side::Buy, 100.0, 101.0, None), trade(2, Side::Buy, 100.0, 102.0, None)];
        let stats = Statistics::from_trades(&mut only_wins, 200);
        assert_eq!(stats.all.overall.profit_factor, None, "no losses: no finite profit factor");
        assert_eq!(stats.all.overall.longest_win_streak, 2);
        assert_eq!(stats.all.overall.max_drawdown, 0.0);

        let mut missing = vec![trade(1, Side::Buy, 100.0, 101.0, None)];
        missing.push(ClosedTrade { entry: None, ..trade(2, Side::Buy, 1.0, 1.0, None) });
        missing.push(ClosedTrade { close_price: None, ..trade(3, Side::Buy, 1.0, 1.0, None) });
        let stats = Statistics::from_trades(&mut missing, 200);
        assert_eq!((stats.all.overall.count, stats.excluded), (1, 2));

        let mut wipeout = vec![trade(1, Side::Sell, 100.0, 250.0, None), trade(2, Side::Buy, 100.0, 200.0, None)];
        let stats = Statistics::from_trades(&mut wipeout, 200);
        assert_eq!(stats.all.overall.total_return, -1.0, "a short that loses more than everything leaves nothing");
        assert_eq!(stats.all.overall.max_drawdown, 1.0);
    }
}
