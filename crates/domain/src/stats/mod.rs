//! Performance statistics of a strategy's closed trades: the numbers a trader keeps a journal for.
//!
//! A trade's return is `(close_price - entry) / entry`, negated for a `SELL`; its R is the same move over
//! `|entry - stop_loss|`. Returns are fractions (`0.0125` is +1.25 %). Only `CLOSED` trades with both an entry and
//! a close price count; closed trades missing either are left out and counted in [`Statistics::excluded`].
//!
//! Every answer has two sets, [`Statistics::all`] and [`Statistics::live`] (the trades the live record counts, see
//! [`crate::live_from_history`]), each with its figures ([`Figures`]: percent and R, money over the sized trades,
//! risk-adjusted ratios, excursions), its [`Breakdowns`] and its two curves.
//!
//! Trades are taken in close order (`closed_at`, then id): streaks and the curves depend on it. Feed a
//! [`StatsBuilder`] in that order (stores stream their rows into it), or hand [`Statistics::from_trades`] a slice in
//! any order and it sorts it in place. One pass, no allocation per trade: the breakdowns allocate per symbol and
//! per tag, and each curve keeps a bounded number of points ([`CurveSampler`]) whatever the number of trades.
//!
//! Edge cases: with no trade, counts are 0, the total return and drawdown 0, and every average, rate and ratio is
//! `None`. With no loss, the profit factor is `None` (it would be infinite). A `0` return is a break-even: it
//! counts in the trades, in neither wins nor losses, and ends both streaks.
//!
//! Three trades, without any store:
//!
//! ```
//! use quantarya_domain::{ClosedTrade, Price, Side, Statistics, Symbol, Tags, Timestamp, TradeId, uuid::Uuid};
//! let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid");
//! let trade = |n: u128, side, entry, close, pnl: Option<f64>| ClosedTrade {
//!     id: TradeId::from_uuid(Uuid::from_u128(n)),
//!     symbol: Symbol::parse("ES1!").expect("valid"),
//!     side,
//!     entry: Some(Price::new(entry).expect("valid")),
//!     stop_loss: Some(Price::new(if side == Side::Buy { entry - 10.0 } else { entry + 10.0 }).expect("valid")),
//!     close_price: Some(Price::new(close).expect("valid")),
//!     opened_at: at("2026-05-18T14:00:00Z"),
//!     closed_at: at(&format!("2026-05-18T14:{:02}:00Z", 10 * n)),
//!     tags: Tags::default(),
//!     pnl,
//!     fees: pnl.map(|_| 4.0),
//!     max_favorable_price: None,
//!     max_adverse_price: None,
//!     live: n != 2,
//! };
//! let mut trades = vec![
//!     trade(1, Side::Buy, 5000.0, 5020.0, Some(996.0)),  // +2 R, one contract of 50 a point, 4 in fees
//!     trade(2, Side::Sell, 5020.0, 5030.0, Some(-504.0)), // -1 R
//!     trade(3, Side::Buy, 5030.0, 5035.0, None),          // +0.5 R, a signal without a size
//! ];
//! let stats = Statistics::from_trades(&mut trades, 100);
//! let all = &stats.all.overall;
//! assert_eq!((all.count, all.wins, all.losses, all.sized_count), (3, 2, 1, 2));
//! assert_eq!(all.average_r, Some(0.5));
//! assert_eq!((all.net_pnl, all.fees, all.largest_loss_amount), (Some(492.0), Some(8.0), Some(-504.0)));
//! assert_eq!(all.max_drawdown_amount, Some(504.0));
//! assert!(all.sqn.is_some() && all.sharpe.is_some());
//! assert_eq!(stats.live.overall.count, 2, "trade 2 was not live");
//! assert_eq!(stats.all.breakdowns.by_side.len(), 2);
//! ```

mod accumulator;
mod breakdown;
mod builder;
mod curve;
mod excursion;
mod figures;
mod keys;
mod performance;
mod statistics;

#[cfg(test)]
mod fixtures;

pub use breakdown::{Breakdowns, HoldingTime};
pub use builder::{OutOfOrder, StatsBuilder};
pub use curve::{CurvePoint, CurveSampler};
pub use excursion::Excursion;
pub use figures::{ClosedTrade, Figures, TradeReturn};
pub use performance::Performance;
pub use statistics::Statistics;
