//! A trade's maximum favourable and adverse excursions (MFE and MAE): how far it ran in its favour and against it,
//! measured from its entry in percent and in R.

use crate::trade::{Price, Side, TradeRecord};

/// How far a trade ran for and against it. Both are magnitudes (0 or more): with excursions that are never worse
/// than the trade's own prices allow, `-mae <= return <= mfe`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Excursion {
    /// The maximum favourable excursion, as a fraction of the entry (`0.02` is 2 %).
    pub mfe: f64,
    /// The maximum adverse excursion, as a fraction of the entry.
    pub mae: f64,
    /// The MFE in R (over `|entry - initial stop|`), where the trade had a stop away from its entry.
    pub mfe_r: Option<f64>,
    /// The MAE in R.
    pub mae_r: Option<f64>,
}

impl Excursion {
    /// The excursions of a trade on `side` entered at `entry`, whose one R is `risk` in price, that reached
    /// `favorable` at best and `adverse` at worst; `None` if a figure would not be a finite number.
    ///
    /// ```
    /// use quantarya_domain::{Excursion, Price, Side};
    /// let price = |p| Price::new(p).expect("valid");
    /// // Long from 100 with a stop at 98 (one R is 2): it reached 104 and dipped to 99.
    /// let e = Excursion::of(Side::Buy, price(100.0), Some(2.0), price(104.0), price(99.0)).expect("finite");
    /// assert_eq!((e.mfe, e.mae), (0.04, 0.01));
    /// assert_eq!((e.mfe_r, e.mae_r), (Some(2.0), Some(0.5)));
    /// ```
    pub fn of(side: Side, entry: Price, risk: Option<f64>, favorable: Price, adverse: Price) -> Option<Self> {
        let direction = side.direction();
        let entry = entry.get();
        let ran_for = (direction * (favorable.get() - entry)).max(0.0);
        let ran_against = (direction * (entry - adverse.get())).max(0.0);
        let (mfe, mae) = (ran_for / entry, ran_against / entry);
        if !(mfe.is_finite() && mae.is_finite()) {
            return None;
        }
        let in_r = |distance: f64| risk.map(|risk| distance / risk).filter(|r| r.is_finite());
        Some(Self { mfe, mae, mfe_r: in_r(ran_for), mae_r: in_r(ran_against) })
    }
}

/// The distance in price one R stands for: `|entry - stop|`, where a stop was set away from the entry.
pub(super) fn risk(entry: Price, stop: Option<Price>) -> Option<f64> {
    stop.map(|stop| (entry.get() - stop.get()).abs()).filter(|risk| *risk > 0.0)
}

impl TradeRecord {
    /// The trade's excursions so far, measured in R by its first stop; `None` without an entry and both excursion
    /// prices.
    ///
    /// ```
    /// # use quantarya_domain::*;
    /// # use quantarya_domain::uuid::Uuid;
    /// # let at = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z")?;
    /// # let stamp = Stamp { event_id: EventId::from_uuid(Uuid::from_u128(9)), at, by: CredentialKind::ApiKey };
    /// # let ids = (TradeId::from_uuid(Uuid::from_u128(1)), StrategyId::from_uuid(Uuid::from_u128(2)));
    /// let new = NewTrade {
    ///     entry: Some(Price::new(100.0)?),
    ///     stop_loss: Some(Price::new(95.0)?),
    ///     ..NewTrade::open(Symbol::parse("AAPL")?, Side::Buy)
    /// };
    /// let mut trade = Trade::open(ids.0, ids.1, UserId::parse("u_1")?, new, stamp)?.trade.into_record();
    /// assert_eq!(trade.excursion(), None, "no excursion reported yet");
    /// trade.max_favorable_price = Some(Price::new(110.0)?);
    /// trade.max_adverse_price = Some(Price::new(97.5)?);
    /// let excursion = trade.excursion().expect("both known");
    /// assert_eq!((excursion.mfe_r, excursion.mae_r), (Some(2.0), Some(0.5)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn excursion(&self) -> Option<Excursion> {
        let entry = self.entry?;
        Excursion::of(
            self.side,
            entry,
            risk(entry, self.initial_stop_loss),
            self.max_favorable_price?,
            self.max_adverse_price?,
        )
    }
}
