//! Breakdowns: the figures of a set of trades split by symbol, side, weekday and hour of the opening (in a time
//! zone), holding time and tag. Each row keeps its own running sums; memory grows with the rows, never with the
//! trades.

use chrono::Weekday;

use crate::trade::{Side, Symbol};

use super::accumulator::{Accumulator, Counted};
use super::figures::Figures;
use super::keys::{Keys, TradeKeys};

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

/// The running rows of one set of trades, by the numbers [`Keys`] gives symbols and tags.
#[derive(Debug, Clone, Default)]
pub(super) struct Rows {
    by_symbol: Vec<Accumulator>,
    by_side: [Accumulator; 2],
    by_weekday: [Accumulator; 7],
    by_hour: [Accumulator; 24],
    by_holding_time: [Accumulator; 5],
    by_tag: Vec<Accumulator>,
    untagged: Accumulator,
}

/// The row numbered `n` of `rows`, made (with any before it this set has not met yet) if missing.
fn row(rows: &mut Vec<Accumulator>, n: usize) -> &mut Accumulator {
    if rows.len() <= n {
        rows.resize_with(n + 1, Accumulator::default);
    }
    &mut rows[n]
}

impl Rows {
    /// Adds `counted` to every row `keys` names.
    pub(super) fn push(&mut self, keys: &TradeKeys, counted: &Counted) {
        row(&mut self.by_symbol, keys.symbol).push(counted);
        self.by_side[keys.side].push(counted);
        self.by_weekday[keys.weekday].push(counted);
        self.by_hour[keys.hour].push(counted);
        self.by_holding_time[keys.holding].push(counted);
        if keys.tag_count == 0 {
            self.untagged.push(counted);
        }
        for tag in &keys.tags[..keys.tag_count] {
            row(&mut self.by_tag, *tag).push(counted);
        }
    }

    /// The rows with trades, with their figures, symbols and tags in text order.
    pub(super) fn breakdowns(&self, keys: &Keys) -> Breakdowns {
        fn listed<K: Copy>(keys: impl IntoIterator<Item = K>, rows: &[Accumulator]) -> Vec<(K, Figures)> {
            keys.into_iter()
                .zip(rows)
                .filter(|(_, row)| !row.is_empty())
                .map(|(key, row)| (key, row.figures()))
                .collect()
        }
        let weekdays =
            [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
        let mut by_symbol: Vec<(Symbol, Figures)> = (0..self.by_symbol.len())
            .filter(|n| !self.by_symbol[*n].is_empty())
            .filter_map(|n| keys.symbol(n).map(|symbol| (symbol.clone(), self.by_symbol[n].figures())))
            .collect();
        by_symbol.sort_by(|a, b| a.0.cmp(&b.0));
        let mut by_tag: Vec<(Option<String>, Figures)> = (0..self.by_tag.len())
            .filter(|n| !self.by_tag[*n].is_empty())
            .filter_map(|n| keys.tag(n).map(|tag| (Some(tag.clone()), self.by_tag[n].figures())))
            .collect();
        by_tag.sort_by(|a, b| a.0.cmp(&b.0));
        if !self.untagged.is_empty() {
            by_tag.push((None, self.untagged.figures()));
        }
        Breakdowns {
            by_symbol,
            by_side: listed([Side::Buy, Side::Sell], &self.by_side),
            by_weekday: listed(weekdays, &self.by_weekday),
            by_hour: listed(0..24u8, &self.by_hour),
            by_holding_time: listed(HoldingTime::ALL, &self.by_holding_time),
            by_tag,
        }
    }
}
