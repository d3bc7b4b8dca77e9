//! Times written without an offset, as a chart shows them, read in a named time zone (the IANA database, through
//! `chrono-tz`). A local time a daylight-saving change skips does not exist and is refused; one it repeats (the
//! hour clocks go back) stands for two instants, and which of the two a trade means is decided by its entry and
//! exit together ([`LocalTime::not_before`]).

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone};
pub use chrono_tz::Tz;
use quantarya_domain::Timestamp;

/// The local time formats accepted, with and without seconds, with a space or a `T` (TradingView writes
/// `2024-03-10 09:30`).
const FORMATS: [&str; 4] = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"];

/// Reads an IANA time zone name (`UTC`, `America/New_York`, any case).
///
/// ```
/// use quantarya_formats::time_zone::parse_time_zone;
/// assert_eq!(parse_time_zone("america/new_york").map(|tz| tz.name()), Some("America/New_York"));
/// assert!(parse_time_zone("Mars/Olympus").is_none());
/// ```
pub fn parse_time_zone(name: &str) -> Option<Tz> {
    Tz::from_str_insensitive(name.trim()).ok()
}

/// The instants a written time stands for: one, or two where clocks went back and the hour repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    earliest: Timestamp,
    latest: Timestamp,
}

impl LocalTime {
    /// Reads `text` as a local time in `zone`, or as an RFC 3339 time when it carries its own offset.
    ///
    /// # Errors
    ///
    /// A sentence saying why: not a time in an accepted format, or a time the zone skips.
    ///
    /// ```
    /// use quantarya_domain::Timestamp;
    /// use quantarya_formats::time_zone::{LocalTime, parse_time_zone};
    /// let new_york = parse_time_zone("America/New_York").expect("known");
    /// let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid");
    /// // Clocks went back at 02:00 on 2024-11-03: 01:30 happened twice.
    /// let twice = LocalTime::read("2024-11-03 01:30", new_york)?;
    /// assert_eq!(twice.earliest(), at("2024-11-03T05:30:00Z"));
    /// assert_eq!(twice.not_before(at("2024-11-03T05:45:00Z")), Some(at("2024-11-03T06:30:00Z")));
    /// // Clocks went forward at 02:00 on 2024-03-10: 02:30 never happened.
    /// assert!(LocalTime::read("2024-03-10 02:30", new_york).is_err());
    /// // A journal keeps 1970 to 9999 (in UTC).
    /// assert!(LocalTime::read("9999-12-31 23:00", new_york).is_err());
    /// assert!(LocalTime::read("1969-12-31 23:59", parse_time_zone("UTC").expect("known")).is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn read(text: &str, zone: Tz) -> Result<Self, String> {
        let text = text.trim();
        // The instants a journal keeps: 1970 to 9999, in UTC.
        let kept = |instant: DateTime<chrono::Utc>| {
            Timestamp::from_unix_micros(instant.timestamp_micros())
                .ok_or_else(|| format!("{} is not between 1970 and 9999", shown(text)))
        };
        if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
            let at = kept(instant.to_utc())?;
            return Ok(Self { earliest: at, latest: at });
        }
        let naive = FORMATS
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .ok_or_else(|| format!("'{}' is not a date and time such as 2024-03-08 14:30", shown(text)))?;
        let utc = |local: DateTime<Tz>| kept(local.to_utc());
        match zone.from_local_datetime(&naive) {
            LocalResult::Single(at) => Ok(Self { earliest: utc(at)?, latest: utc(at)? }),
            LocalResult::Ambiguous(first, second) => Ok(Self { earliest: utc(first)?, latest: utc(second)? }),
            LocalResult::None => {
                Err(format!("{text} does not exist in {} (clocks skipped it for daylight saving time)", zone.name()))
            }
        }
    }

    /// The first instant it stands for: the one an entry is taken at.
    pub fn earliest(&self) -> Timestamp {
        self.earliest
    }

    /// The first instant it stands for that is not before `start` (an exit written in the repeated hour after an
    /// entry in it, say); `None` when both are before.
    pub fn not_before(&self, start: Timestamp) -> Option<Timestamp> {
        [self.earliest, self.latest].into_iter().find(|at| *at >= start)
    }
}

/// At most 40 characters of a value, to quote it in a message.
pub(crate) fn shown(text: &str) -> String {
    let mut shown: String = text.chars().take(40).collect();
    if text.chars().nth(40).is_some() {
        shown.push('…');
    }
    shown
}
