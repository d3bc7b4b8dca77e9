//! What crosses the wire: response views built from domain values, request schemas (documented, and the
//! single list of fields each route takes), and the parsing of requests into domain values.

pub mod api_key;
pub mod profile;
pub mod stats;
pub mod strategy;
pub mod trade;

use quantarya_domain::{Price, Timestamp};

/// RFC 3339 in UTC with `Z`.
pub(crate) fn time(t: Timestamp) -> String {
    t.to_string()
}

/// A price as a JSON number.
pub(crate) fn number(p: Option<Price>) -> Option<f64> {
    p.map(Price::get)
}
