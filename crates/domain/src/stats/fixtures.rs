//! Closed trades and times for the unit tests of the statistics.

use uuid::Uuid;

use crate::ids::TradeId;
use crate::strategy::Tags;
use crate::time::Timestamp;
use crate::trade::{Price, Side, Symbol};

use super::figures::ClosedTrade;

/// The time `minutes` after a fixed instant.
pub(super) fn at(minutes: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_780_000_000_000_000 + minutes * 60_000_000).expect("in range")
}

/// Trade `n`, closed at minute `n`, on `EURUSD` when `n` is even and on `BTCUSD` when it is odd.
pub(super) fn trade(n: u128, side: Side, entry: f64, close: f64, stop: Option<f64>) -> ClosedTrade {
    ClosedTrade {
        id: TradeId::from_uuid(Uuid::from_u128(n)),
        symbol: Symbol::parse(if n % 2 == 0 { "EURUSD" } else { "BTCUSD" }).expect("valid"),
        side,
        entry: Some(Price::new(entry).expect("valid")),
        stop_loss: stop.map(|s| Price::new(s).expect("valid")),
        close_price: Some(Price::new(close).expect("valid")),
        opened_at: at(i64::try_from(n).expect("small") - 1),
        closed_at: at(i64::try_from(n).expect("small")),
        tags: Tags::default(),
        pnl: None,
        fees: None,
        max_favorable_price: None,
        max_adverse_price: None,
        live: false,
    }
}

/// Whether two figures are equal but for rounding.
pub(super) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}
