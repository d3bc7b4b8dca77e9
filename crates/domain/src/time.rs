//! Instants as Quantarya records them: UTC, to the microsecond.

use std::fmt;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

/// An instant in UTC, truncated to whole microseconds so that every store keeps it exactly.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// How far ahead of the receiving clock a sender's time may be before it is refused as in the future.
    pub const MAX_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

    /// Truncates `instant` to whole microseconds. A leap second (`23:59:60.x`, which chrono parses and no store
    /// keeps) becomes the last microsecond before the next minute, `23:59:59.999999`: stores agree on it, and it
    /// keeps its order with every instant before and after it (PostgreSQL alone would move it to the next minute,
    /// past instants that really came after it).
    pub fn from_datetime(instant: DateTime<Utc>) -> Self {
        let instant = if instant.timestamp_subsec_nanos() >= 1_000_000_000 {
            chrono::Timelike::with_nanosecond(&instant, 999_999_999).unwrap_or(instant)
        } else {
            instant
        };
        let nanos = instant.timestamp_subsec_nanos();
        let truncated = instant - TimeDelta::nanoseconds(i64::from(nanos % 1_000));
        Self(truncated)
    }

    /// The instant `micros` microseconds after the Unix epoch, when it lies between 1970 and 9999 (the range every
    /// store keeps and every instant prints back as RFC 3339 in).
    pub fn from_unix_micros(micros: i64) -> Option<Self> {
        DateTime::from_timestamp_micros(micros).filter(|t| (1970..=9999).contains(&chrono::Datelike::year(t))).map(Self)
    }

    /// Parses an RFC 3339 text with any offset, between 1970 and 9999 (UTC): a journal holds nothing older, and
    /// every instant in that range prints back as RFC 3339.
    pub fn parse_rfc3339(raw: &str) -> Result<Self, crate::ValueError> {
        let instant = DateTime::parse_from_rfc3339(raw.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| crate::ValueError::Format("must be an RFC 3339 timestamp, such as 2026-05-21T12:00:00Z"))?;
        if !(1970..=9999).contains(&chrono::Datelike::year(&instant)) {
            return Err(crate::ValueError::Format("must be between the years 1970 and 9999"));
        }
        Ok(Self::from_datetime(instant))
    }

    /// The instant as a chrono value.
    pub const fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// Microseconds since the Unix epoch.
    pub fn unix_micros(&self) -> i64 {
        self.0.timestamp_micros()
    }

    /// This instant, or one microsecond after `previous` if this is not later: the `updated_at` of a change, so
    /// that every change of a row strictly increases it and stores can use it as a version.
    pub fn strictly_after(self, previous: Timestamp) -> Self {
        if self > previous { self } else { Self(previous.0 + TimeDelta::microseconds(1)) }
    }

    /// RFC 3339 in UTC with `Z`, with as many fraction digits as the instant needs (what `Display` writes), made
    /// once.
    ///
    /// ```
    /// use quantarya_domain::Timestamp;
    /// let at = Timestamp::parse_rfc3339("2026-05-21T14:00:00.250+02:00").expect("valid");
    /// assert_eq!(at.to_rfc3339(), "2026-05-21T12:00:00.250Z");
    /// assert_eq!(at.to_rfc3339(), at.to_string());
    /// ```
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    /// Whether this instant lies further ahead of `now` than [`Self::MAX_CLOCK_SKEW`] allows.
    pub fn is_in_future_of(&self, now: Timestamp) -> bool {
        self.0 > now.0 + Self::MAX_CLOCK_SKEW
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with `Z`, with as many fraction digits as the instant needs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Self::from_datetime(instant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_microseconds_and_drops_nanoseconds() {
        let t = Timestamp::parse_rfc3339("2026-05-21T14:00:00.123456789+02:00").expect("valid");
        assert_eq!(t.to_string(), "2026-05-21T12:00:00.123456Z");
        assert_eq!(Timestamp::from_unix_micros(t.unix_micros()), Some(t));
    }

    #[test]
    fn a_leap_second_is_the_last_microsecond_of_its_minute() {
        let leap = Timestamp::parse_rfc3339("2016-12-31T23:59:60.9Z").expect("a leap second is a time");
        assert_eq!(leap.to_string(), "2016-12-31T23:59:59.999999Z");
        assert_eq!(Timestamp::from_unix_micros(leap.unix_micros()), Some(leap), "every store can keep it");
        let before = Timestamp::parse_rfc3339("2016-12-31T23:59:59.5Z").expect("valid");
        let after = Timestamp::parse_rfc3339("2017-01-01T00:00:00.5Z").expect("valid");
        assert!(before < leap && leap < after, "it keeps its order");
        let offset = Timestamp::parse_rfc3339("2017-01-01T00:59:60.2+01:00").expect("the same leap second");
        assert_eq!(offset, leap);
    }

    #[test]
    fn whole_seconds_print_without_fraction() {
        let t = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid");
        assert_eq!(t.to_string(), "2026-05-21T12:00:00Z");
    }

    #[test]
    fn refuses_non_rfc3339_and_instants_outside_the_printable_range() {
        assert!(Timestamp::parse_rfc3339("2026-05-21 12:00").is_err());
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
        assert!(Timestamp::parse_rfc3339("0000-01-01T00:00:00+00:01").is_err());
        assert!(Timestamp::parse_rfc3339("1969-12-31T23:59:59Z").is_err());
        assert!(Timestamp::parse_rfc3339("9999-12-31T23:59:59-01:00").is_err(), "year 10000 in UTC");
        assert!(Timestamp::parse_rfc3339("1970-01-01T00:00:00Z").is_ok());
        assert_eq!(Timestamp::from_unix_micros(-1), None);
        assert_eq!(Timestamp::from_unix_micros(i64::MAX), None);
        assert!(Timestamp::from_unix_micros(0).is_some());
    }

    #[test]
    fn strictly_after_always_moves_forward() {
        let t = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid");
        let later = Timestamp::parse_rfc3339("2026-05-21T12:00:01Z").expect("valid");
        assert_eq!(later.strictly_after(t), later);
        assert_eq!(t.strictly_after(t).unix_micros(), t.unix_micros() + 1);
        assert_eq!(t.strictly_after(later).unix_micros(), later.unix_micros() + 1);
    }

    #[test]
    fn future_means_beyond_the_skew() {
        let now = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid");
        let soon = Timestamp::parse_rfc3339("2026-05-21T12:05:00Z").expect("valid");
        let later = Timestamp::parse_rfc3339("2026-05-21T12:05:01Z").expect("valid");
        assert!(!soon.is_in_future_of(now));
        assert!(later.is_in_future_of(now));
    }
}
