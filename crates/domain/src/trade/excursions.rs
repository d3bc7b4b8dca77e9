//! A trade's excursions: the most favourable and the most adverse price it reached while open.
//!
//! Both are prices the trader (an update signal, a `PATCH`, an imported list) tells us; the one rule we add is that
//! an excursion is never worse than the trade's own prices allow. Every fill's price and the close price were
//! reached while the trade was open, so the best price is at least as good as each of them and the worst at least
//! as bad. A price given inside that range is read as "at least this far" and widened to the range. An update signal
//! can only push an excursion further out (a later, milder price does not undo one already reached); a `PATCH`
//! sets it as given, or clears it with `null`.

use super::TradeRecord;
use super::fields::{Price, Side};

impl Side {
    /// The more favourable of two prices for a position on this side: the higher for a long, the lower for a short.
    ///
    /// ```
    /// use quantarya_domain::{Price, Side};
    /// let (low, high) = (Price::new(99.0)?, Price::new(101.0)?);
    /// assert_eq!(Side::Buy.better(low, high), high);
    /// assert_eq!(Side::Sell.better(low, high), low);
    /// # Ok::<(), quantarya_domain::ValueError>(())
    /// ```
    pub fn better(self, a: Price, b: Price) -> Price {
        match self {
            Self::Buy if b.get() > a.get() => b,
            Self::Sell if b.get() < a.get() => b,
            _ => a,
        }
    }

    /// The more adverse of two prices for a position on this side: the lower for a long, the higher for a short.
    ///
    /// ```
    /// use quantarya_domain::{Price, Side};
    /// let (low, high) = (Price::new(99.0)?, Price::new(101.0)?);
    /// assert_eq!(Side::Buy.worse(low, high), low);
    /// assert_eq!(Side::Sell.worse(low, high), high);
    /// # Ok::<(), quantarya_domain::ValueError>(())
    /// ```
    pub fn worse(self, a: Price, b: Price) -> Price {
        if self.better(a, b) == a && a != b { b } else { a }
    }
}

impl TradeRecord {
    /// The prices the trade is known to have reached: its fills' prices, its entry and its close price.
    fn reached_prices(&self) -> impl Iterator<Item = Price> + '_ {
        self.fills.iter().filter_map(|fill| fill.price).chain(self.entry).chain(self.close_price)
    }

    /// The excursions widened so that neither is worse than a price the trade reached (an unset one stays unset).
    ///
    /// ```
    /// # use quantarya_domain::*;
    /// # use quantarya_domain::uuid::Uuid;
    /// # let at = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z")?;
    /// # let stamp = Stamp { event_id: EventId::from_uuid(Uuid::from_u128(9)), at, by: CredentialKind::ApiKey };
    /// # let ids = (TradeId::from_uuid(Uuid::from_u128(1)), StrategyId::from_uuid(Uuid::from_u128(2)));
    /// let new = NewTrade { entry: Some(Price::new(100.0)?), ..NewTrade::open(Symbol::parse("AAPL")?, Side::Buy) };
    /// let mut trade = Trade::open(ids.0, ids.1, UserId::parse("u_1")?, new, stamp)?.trade.into_record();
    /// // A long from 100 told that its best price was 99 and its worst 98: the entry itself was better than 99.
    /// trade.max_favorable_price = Some(Price::new(99.0)?);
    /// trade.max_adverse_price = Some(Price::new(98.0)?);
    /// trade.bound_excursions();
    /// assert_eq!(trade.max_favorable_price, Some(Price::new(100.0)?));
    /// assert_eq!(trade.max_adverse_price, Some(Price::new(98.0)?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bound_excursions(&mut self) {
        let side = self.side;
        let (mut best, mut worst) = (self.max_favorable_price, self.max_adverse_price);
        for price in self.reached_prices() {
            best = best.map(|b| side.better(b, price));
            worst = worst.map(|w| side.worse(w, price));
        }
        self.max_favorable_price = best;
        self.max_adverse_price = worst;
    }

    /// The excursions after an update signal reported `favorable` and `adverse`: each the more extreme of what was
    /// known and what is reported.
    pub(super) fn extend_excursions(&mut self, favorable: Option<Price>, adverse: Option<Price>) {
        let side = self.side;
        if let Some(price) = favorable {
            self.max_favorable_price = Some(self.max_favorable_price.map_or(price, |b| side.better(b, price)));
        }
        if let Some(price) = adverse {
            self.max_adverse_price = Some(self.max_adverse_price.map_or(price, |w| side.worse(w, price)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn better_and_worse_are_opposites_on_each_side() {
        let p = |v| Price::new(v).expect("valid");
        for side in [Side::Buy, Side::Sell] {
            for (a, b) in [(p(1.0), p(2.0)), (p(2.0), p(1.0)), (p(3.0), p(3.0))] {
                let (better, worse) = (side.better(a, b), side.worse(a, b));
                assert_eq!(side.better(better, worse), better, "{side:?} {a:?} {b:?}");
                assert!([a, b].contains(&better) && [a, b].contains(&worse));
                if a != b {
                    assert_ne!(better, worse);
                }
            }
        }
    }
}
