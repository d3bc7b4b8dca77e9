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

mod builder;
mod curve;
mod figures;
mod statistics;

#[cfg(test)]
mod fixtures;

pub use builder::{OutOfOrder, StatsBuilder};
pub use curve::{CurvePoint, CurveSampler};
pub use figures::{ClosedTrade, Figures, TradeReturn};
pub use statistics::Statistics;
