//! Breakdowns: the figures of a set of trades split by symbol, side, weekday and hour of the opening (in a time
//! zone), holding time and tag. Each row keeps its own running sums; memory grows with the rows, never with the
//! trades.

use std::collections::BTreeMap;

use chrono::{Datelike, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;

use crate::trade::{Side, Symbol};

use super::accumulator::{Accumulator, Counted};
use super::figures::{ClosedTrade, Figures};

/// How long a trade was open, in the buckets a breakdown groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HoldingTime {
    /// Under 5 minutes.
    UnderFiveMinutes,
    /// From 5 minutes to under an hour.
    UnderOneHour,
    /// From an hour to under a day.
    UnderOneDay,
    /// From a day to under a week.
    UnderOneWeek,
    /// A week or more.
    Longer,
}

impl HoldingTime {
    /// Every bucket, shortest first.
    pub const ALL: [Self; 5] =
        [Self::UnderFiveMinutes, Self::UnderOneHour, Self::UnderOneDay, Self::UnderOneWeek, Self::Longer];

    /// The bucket of a trade open for `seconds`.
    ///
    /// ```
    /// use quantarya_domain::HoldingTime;
    /// assert_eq!(HoldingTime::of(299.0), HoldingTime::UnderFiveMinutes);
    /// assert_eq!(HoldingTime::of(300.0), HoldingTime::UnderOneHour);
    /// assert_eq!(HoldingTime::of(7.0 * 86_400.0), HoldingTime::Longer);
    /// ```
    pub fn of(seconds: f64) -> Self {
        const LIMITS: [f64; 4] = [300.0, 3_600.0, 86_400.0, 604_800.0];
        Self::ALL.into_iter().zip(LIMITS).find(|(_, limit)| seconds < *limit).map_or(Self::Longer, |(bucket, _)| bucket)
    }

    /// `under_5m`, `under_1h`, `under_1d`, `under_1w` or `longer`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UnderFiveMinutes => "under_5m",
            Self::UnderOneHour => "under_1h",
            Self::UnderOneDay => "under_1d",
            Self::UnderOneWeek => "under_1w",
            Self::Longer => "longer",
        }
    }
}

/// The breakdown rows of one set of trades, each row's key with its figures; only rows with trades are listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdowns {
    /// Per symbol, in symbol order.
    pub by_symbol: Vec<(Symbol, Figures)>,
    /// Per side, `BUY` first.
    pub by_side: Vec<(Side, Figures)>,
    /// Per weekday of the opening, Monday first.
    pub by_weekday: Vec<(Weekday, Figures)>,
    /// Per hour of the opening (0–23).
    pub by_hour: Vec<(u8, Figures)>,
    /// Per holding time, shortest first.
    pub by_holding_time: Vec<(HoldingTime, Figures)>,
    /// Per tag, in tag order, with a trade under each of its tags; `None` is the row of the trades without a tag.
    pub by_tag: Vec<(Option<String>, Figures)>,
}

/// The running rows of one set of trades.
#[derive(Debug, Clone)]
pub(super) struct Rows {
    zone: Tz,
    by_symbol: BTreeMap<Symbol, Accumulator>,
    by_side: [Accumulator; 2],
    by_weekday: [Accumulator; 7],
    by_hour: [Accumulator; 24],
    by_holding_time: [Accumulator; 5],
    by_tag: BTreeMap<String, Accumulator>,
    untagged: Accumulator,
}

impl Rows {
    /// No rows yet; weekdays and hours are read in `zone`.
    pub(super) fn new(zone: Tz) -> Self {
        Self {
            zone,
            by_symbol: BTreeMap::new(),
            by_side: Default::default(),
            by_weekday: Default::default(),
            by_hour: Default::default(),
            by_holding_time: Default::default(),
            by_tag: BTreeMap::new(),
            untagged: Accumulator::default(),
        }
    }

    /// Adds `counted`, the figures' view of `trade`, to every row it belongs to.
    pub(super) fn push(&mut self, trade: &ClosedTrade, counted: &Counted) {
        match self.by_symbol.get_mut(&trade.symbol) {
            Some(row) => row.push(counted),
            None => {
                let mut row = Accumulator::default();
                row.push(counted);
                self.by_symbol.insert(trade.symbol.clone(), row);
            }
        }
        self.by_side[usize::from(trade.side == Side::Sell)].push(counted);
        let (weekday, hour) = self.weekday_and_hour(trade);
        self.by_weekday[weekday.num_days_from_monday() as usize].push(counted);
        self.by_hour[usize::from(hour)].push(counted);
        self.by_holding_time[HoldingTime::of(counted.holding_seconds) as usize].push(counted);
        if trade.tags.as_slice().is_empty() {
            self.untagged.push(counted);
        }
        for tag in trade.tags.as_slice() {
            match self.by_tag.get_mut(tag) {
                Some(row) => row.push(counted),
                None => {
                    let mut row = Accumulator::default();
                    row.push(counted);
                    self.by_tag.insert(tag.clone(), row);
                }
            }
        }
    }

    /// The weekday and hour of the trade's opening in the zone (UTC without a table look-up).
    fn weekday_and_hour(&self, trade: &ClosedTrade) -> (Weekday, u8) {
        let at = trade.opened_at.as_datetime();
        if self.zone == Tz::UTC {
            return (at.weekday(), at.hour() as u8);
        }
        let local = self.zone.from_utc_datetime(&at.naive_utc());
        (local.weekday(), local.hour() as u8)
    }

    /// The rows with trades, with their figures.
    pub(super) fn breakdowns(&self) -> Breakdowns {
        fn listed<K: Copy>(keys: impl IntoIterator<Item = K>, rows: &[Accumulator]) -> Vec<(K, Figures)> {
            keys.into_iter()
                .zip(rows)
                .filter(|(_, row)| !row.is_empty())
                .map(|(key, row)| (key, row.figures()))
                .collect()
        }
        let weekdays =
            [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
        let mut by_tag: Vec<(Option<String>, Figures)> =
            self.by_tag.iter().map(|(tag, row)| (Some(tag.clone()), row.figures())).collect();
        if !self.untagged.is_empty() {
            by_tag.push((None, self.untagged.figures()));
        }
        Breakdowns {
            by_symbol: self.by_symbol.iter().map(|(symbol, row)| (symbol.clone(), row.figures())).collect(),
            by_side: listed([Side::Buy, Side::Sell], &self.by_side),
            by_weekday: listed(weekdays, &self.by_weekday),
            by_hour: listed(0..24u8, &self.by_hour),
            by_holding_time: listed(HoldingTime::ALL, &self.by_holding_time),
            by_tag,
        }
    }
}
