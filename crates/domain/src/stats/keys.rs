//! The rows a trade belongs to, worked out once per trade for both sets: its symbol and tags as small numbers (each
//! distinct symbol and tag numbered in the order first seen, through a hash map), and the weekday, hour and holding
//! bucket of its opening.

use std::collections::HashMap;

use chrono::{Offset, TimeZone};
use chrono_tz::Tz;

use crate::strategy::Tags;
use crate::trade::Symbol;

use super::breakdown::HoldingTime;
use super::figures::ClosedTrade;

/// A hash map keyed by text, with a fast hash seeded at random (the keys are a user's symbols and tags).
type Numbered<K> = HashMap<K, usize, foldhash::fast::RandomState>;

/// The row keys of one trade.
#[derive(Debug, Clone, Copy)]
pub(super) struct TradeKeys {
    /// Its symbol's number.
    pub(super) symbol: usize,
    /// Its tags' numbers (the first `tag_count`).
    pub(super) tags: [usize; Tags::MAX_TAGS],
    /// How many tags it has.
    pub(super) tag_count: usize,
    /// 0 for `BUY`, 1 for `SELL`.
    pub(super) side: usize,
    /// The weekday of its opening, 0 for Monday.
    pub(super) weekday: usize,
    /// The hour of its opening, 0–23.
    pub(super) hour: usize,
    /// Its holding time's bucket, in [`HoldingTime::ALL`].
    pub(super) holding: usize,
}

/// The symbols and tags seen, numbered, and the zone weekdays and hours are read in.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    zone: Tz,
    symbols: Numbered<Symbol>,
    symbol_names: Vec<Symbol>,
    tags: Numbered<String>,
    tag_names: Vec<String>,
}

impl Keys {
    /// No key yet; weekdays and hours read in `zone`.
    pub(super) fn new(zone: Tz) -> Self {
        Self {
            zone,
            symbols: Numbered::default(),
            symbol_names: Vec::new(),
            tags: Numbered::default(),
            tag_names: Vec::new(),
        }
    }

    /// The row keys of `trade`, held `holding_seconds`.
    pub(super) fn of(&mut self, trade: &ClosedTrade, holding_seconds: f64) -> TradeKeys {
        let symbol = match self.symbols.get(&trade.symbol) {
            Some(n) => *n,
            None => {
                let n = self.symbol_names.len();
                self.symbols.insert(trade.symbol.clone(), n);
                self.symbol_names.push(trade.symbol.clone());
                n
            }
        };
        let mut tags = [0; Tags::MAX_TAGS];
        let tag_count = trade.tags.as_slice().len().min(Tags::MAX_TAGS);
        for (slot, tag) in tags.iter_mut().zip(trade.tags.as_slice()) {
            *slot = match self.tags.get(tag.as_str()) {
                Some(n) => *n,
                None => {
                    let n = self.tag_names.len();
                    self.tags.insert(tag.clone(), n);
                    self.tag_names.push(tag.clone());
                    n
                }
            };
        }
        let (weekday, hour) = self.weekday_and_hour(trade);
        TradeKeys {
            symbol,
            tags,
            tag_count,
            side: usize::from(trade.side == crate::trade::Side::Sell),
            weekday,
            hour,
            holding: HoldingTime::of(holding_seconds) as usize,
        }
    }

    /// The symbol numbered `n`.
    pub(super) fn symbol(&self, n: usize) -> Option<&Symbol> {
        self.symbol_names.get(n)
    }

    /// The tag numbered `n`.
    pub(super) fn tag(&self, n: usize) -> Option<&String> {
        self.tag_names.get(n)
    }

    /// The weekday (0 for Monday) and hour of the trade's opening in the zone: the zone's offset at that instant
    /// (none for UTC, without a look-up) added, then whole days and hours counted from the epoch, a Thursday.
    pub(super) fn weekday_and_hour(&self, trade: &ClosedTrade) -> (usize, usize) {
        const DAY: i64 = 86_400;
        let mut seconds = trade.opened_at.unix_micros().div_euclid(1_000_000);
        if self.zone != Tz::UTC {
            let at = trade.opened_at.as_datetime().naive_utc();
            seconds += i64::from(self.zone.offset_from_utc_datetime(&at).fix().local_minus_utc());
        }
        let (days, second_of_day) = (seconds.div_euclid(DAY), seconds.rem_euclid(DAY));
        ((days + 3).rem_euclid(7) as usize, (second_of_day / 3_600) as usize)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, Timelike};

    use super::*;
    use crate::stats::fixtures::trade;
    use crate::time::Timestamp;
    use crate::trade::Side;

    #[test]
    fn weekdays_and_hours_are_the_zones_calendar() {
        let zones = [Tz::UTC, Tz::America__New_York, Tz::Asia__Kolkata, Tz::Pacific__Chatham, Tz::Europe__London];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Any microsecond from 1970 to about 2100, DST changes included.
            let micros = (state % 4_102_444_800_000_000) as i64;
            let opened_at = Timestamp::from_unix_micros(micros).expect("in range");
            let trade = ClosedTrade { opened_at, ..trade(1, Side::Buy, 1.0, 1.0, None) };
            for zone in zones {
                let local = zone.from_utc_datetime(&opened_at.as_datetime().naive_utc());
                let expected = (local.weekday().num_days_from_monday() as usize, local.hour() as usize);
                assert_eq!(Keys::new(zone).weekday_and_hour(&trade), expected, "{opened_at} in {zone}");
            }
        }
    }

    #[test]
    fn symbols_and_tags_are_numbered_as_first_seen() {
        let mut keys = Keys::new(Tz::UTC);
        let tagged = |n, tags: &[&str]| ClosedTrade {
            tags: Tags::parse(tags).expect("valid"),
            ..trade(n, Side::Buy, 1.0, 1.0, None)
        };
        let first = keys.of(&tagged(1, &["fomo", "news"]), 60.0);
        let second = keys.of(&tagged(2, &["news"]), 60.0);
        let third = keys.of(&tagged(3, &["fomo"]), 60.0);
        assert_eq!((first.symbol, second.symbol, third.symbol), (0, 1, 0), "BTCUSD, EURUSD, BTCUSD");
        assert_eq!((&first.tags[..first.tag_count], &second.tags[..second.tag_count]), (&[0, 1][..], &[1][..]));
        assert_eq!(
            (keys.tag(0).map(String::as_str), keys.symbol(1).map(Symbol::as_str)),
            (Some("fomo"), Some("EURUSD"))
        );
        assert_eq!(third.side, 0);
    }
}
