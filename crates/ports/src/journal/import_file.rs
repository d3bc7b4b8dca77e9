//! A file of trades to import, as the use case takes it: its format, its bytes, and what the format leaves for the
//! caller to say.

use quantarya_domain::{ImportFormat, PointValue, Symbol};
use quantarya_formats::time_zone::Tz;

/// A file to import into a strategy (`POST /strategies/{id}/imports`).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportFile {
    /// Its format.
    pub format: ImportFormat,
    /// Its bytes, as sent.
    pub bytes: Vec<u8>,
    /// The instrument of every trade of a TradingView list (the list does not name it; required for that format).
    pub symbol: Option<Symbol>,
    /// The time zone a TradingView list's times are written in (the chart's; UTC when not given).
    pub time_zone: Option<Tz>,
    /// The instrument's point value for a TradingView list (1 when not given).
    pub point_value: Option<PointValue>,
}
