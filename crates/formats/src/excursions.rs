//! The best and worst prices a trade reached, from how far it ran in its favour (run-up) and against it
//! (drawdown), in currency, as TradingView's list of trades reports them: the amount over the position's size
//! times its point value is the distance in price from the entry. A price so found is never worse than the entry
//! and exit prices allow (the best is at least as good as both, the worst at least as bad): TradingView rounds
//! the amounts to cents, which can put a price a hair inside the trade's own range.

use quantarya_domain::{PointValue, Price, Quantity, Side};

/// A trade's extremes: the most favourable and the most adverse price it reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Excursions {
    /// The best price reached (the highest for a long, the lowest for a short).
    pub max_favorable_price: Option<Price>,
    /// The worst price reached (the lowest for a long, the highest for a short).
    pub max_adverse_price: Option<Price>,
}

/// What a trade is measured by: its side, entry, exit (if closed), size and point value.
#[derive(Debug, Clone, Copy)]
pub struct Position {
    /// The direction.
    pub side: Side,
    /// The entry price.
    pub entry: Price,
    /// The exit price, when closed.
    pub exit: Option<Price>,
    /// The size.
    pub quantity: Quantity,
    /// Currency per unit per point of price.
    pub point_value: PointValue,
}

impl Position {
    /// The prices `run_up` and `drawdown` (in currency, either sign: their size is what counts) stand for.
    ///
    /// # Errors
    ///
    /// A sentence when an amount is not a finite number, or would put a price at or below zero (more than the
    /// position could have moved).
    ///
    /// ```
    /// use quantarya_domain::{PointValue, Price, Quantity, Side};
    /// use quantarya_formats::excursions::Position;
    /// let price = |p| Price::new(p).expect("valid");
    /// // Two E-mini contracts (50 a point) long from 5000, out at 5010: 3000 of run-up is 30 points, 500 of
    /// // drawdown 5 points.
    /// let long = Position {
    ///     side: Side::Buy,
    ///     entry: price(5000.0),
    ///     exit: Some(price(5010.0)),
    ///     quantity: Quantity::new(2.0)?,
    ///     point_value: PointValue::new(50.0)?,
    /// };
    /// let reached = long.excursions(Some(3000.0), Some(-500.0))?;
    /// assert_eq!(reached.max_favorable_price, Some(price(5030.0)));
    /// assert_eq!(reached.max_adverse_price, Some(price(4995.0)));
    /// // A short: the signs swap.
    /// let short = Position { side: Side::Sell, exit: Some(price(4990.0)), ..long };
    /// let reached = short.excursions(Some(3000.0), Some(500.0))?;
    /// assert_eq!((reached.max_favorable_price, reached.max_adverse_price), (Some(price(4970.0)), Some(price(5005.0))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn excursions(&self, run_up: Option<f64>, drawdown: Option<f64>) -> Result<Excursions, String> {
        let per_point = self.quantity.to_f64() * self.point_value.get();
        let (side, entry) = (self.side, self.entry);
        let exit = self.exit.unwrap_or(entry);
        let reached = |amount: Option<f64>, sign: f64, name: &str| -> Result<Option<Price>, String> {
            let Some(amount) = amount else {
                return Ok(None);
            };
            if !amount.is_finite() {
                return Err(format!("{name} must be a finite number"));
            }
            let price = entry.get() + sign * side.direction() * amount.abs() / per_point;
            let price = Price::new(price).map_err(|_| {
                format!("{name} of {amount} is more than a position of this size could have moved from {}", entry.get())
            })?;
            // The domain's rule: the best price is at least as good as the entry and the exit, the worst at least
            // as bad.
            Ok(Some(if sign > 0.0 {
                side.better(side.better(price, entry), exit)
            } else {
                side.worse(side.worse(price, entry), exit)
            }))
        };
        Ok(Excursions {
            max_favorable_price: reached(run_up, 1.0, "run-up")?,
            max_adverse_price: reached(drawdown, -1.0, "drawdown")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(p: f64) -> Price {
        Price::new(p).expect("valid")
    }

    fn position(side: Side, entry: f64, exit: Option<f64>, quantity: f64) -> Position {
        Position {
            side,
            entry: price(entry),
            exit: exit.map(price),
            quantity: Quantity::new(quantity).expect("valid"),
            point_value: PointValue::default(),
        }
    }

    #[test]
    fn no_amount_no_price_and_zero_is_the_entry_or_the_exit() {
        let open = position(Side::Buy, 100.0, None, 1.0);
        let none = open.excursions(None, None).expect("read");
        assert_eq!((none.max_favorable_price, none.max_adverse_price), (None, None));
        let zero = open.excursions(Some(0.0), Some(0.0)).expect("read");
        assert_eq!((zero.max_favorable_price, zero.max_adverse_price), (Some(price(100.0)), Some(price(100.0))));
        // A winner with no run-up reported reached at least its exit.
        let won = position(Side::Buy, 100.0, Some(104.0), 1.0).excursions(Some(0.0), Some(0.0)).expect("read");
        assert_eq!((won.max_favorable_price, won.max_adverse_price), (Some(price(104.0)), Some(price(100.0))));
        let short_lost = position(Side::Sell, 100.0, Some(104.0), 1.0).excursions(Some(0.0), Some(0.0)).expect("read");
        assert_eq!(
            (short_lost.max_favorable_price, short_lost.max_adverse_price),
            (Some(price(100.0)), Some(price(104.0)))
        );
    }

    #[test]
    fn amounts_are_shared_over_the_size() {
        // 0.5 BTC long from 60 000: 1 000 of run-up is 2 000 in price, 250 of drawdown 500.
        let reached = position(Side::Buy, 60_000.0, None, 0.5).excursions(Some(1_000.0), Some(-250.0)).expect("read");
        assert_eq!(reached.max_favorable_price, Some(price(62_000.0)));
        assert_eq!(reached.max_adverse_price, Some(price(59_500.0)));
    }

    #[test]
    fn a_rounded_amount_never_puts_a_price_inside_the_trade() {
        // Out at 110.004 with a run-up rounded down to 10.00: the best price is the exit, not 110.
        let reached = position(Side::Buy, 100.0, Some(110.004), 1.0).excursions(Some(10.0), None).expect("read");
        assert_eq!(reached.max_favorable_price, Some(price(110.004)));
    }

    #[test]
    fn more_than_a_position_could_move_is_refused() {
        let long = position(Side::Buy, 10.0, None, 1.0);
        let error = long.excursions(None, Some(-10.0)).expect_err("to zero");
        assert!(error.contains("drawdown"), "{error}");
        assert!(long.excursions(Some(f64::NAN), None).is_err());
        let short = position(Side::Sell, 10.0, None, 2.0);
        assert!(short.excursions(Some(25.0), None).is_err());
        assert!(short.excursions(Some(19.0), None).is_ok());
    }
}
