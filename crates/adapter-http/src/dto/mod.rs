//! What crosses the wire: response views built from domain values, request schemas (documented, and the
//! single list of fields each route takes), and the parsing of requests into domain values.

pub mod api_key;
pub mod import;
pub mod profile;
pub mod signal_log;
pub mod stats;
pub mod strategy;
pub mod trade;
pub mod webhook;

use quantarya_domain::{Price, Timestamp};
use serde::{Serialize, Serializer};

/// A value written on the wire as its text, when the answer is serialised: an id or a short text of a view keeps
/// no `String` of its own (a trade's answer made seven of them).
#[derive(Debug, Clone)]
pub struct AsText<T>(pub T);

impl<T: std::fmt::Display> Serialize for AsText<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// RFC 3339 in UTC with `Z`.
pub(crate) fn time(t: Timestamp) -> String {
    t.to_rfc3339()
}

/// A price as a JSON number.
pub(crate) fn number(p: Option<Price>) -> Option<f64> {
    p.map(Price::get)
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::error::ApiError;
    use crate::fields::FieldReader;

    /// A parse that did not trip over a field the parser forgot (that is answered 500 at `finish`).
    fn read_every_field<T>(parsed: Result<T, ApiError>, what: &str) {
        if let Err(error) = parsed {
            assert_ne!(error.status().as_u16(), 500, "{what}: {error}");
        }
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(object) => object,
            _ => Map::new(),
        }
    }

    #[test]
    fn every_parser_reads_every_field_its_schema_documents() {
        read_every_field(api_key::parse_new_api_key(Map::new()), "POST /api-keys");
        read_every_field(profile::parse_profile(Map::new()), "POST /me");
        read_every_field(strategy::parse_new_strategy(Map::new()), "POST /strategies");
        read_every_field(strategy::parse_strategy_change(Map::new()), "PATCH /strategies/{id}");
        read_every_field(trade::parse_patch(Map::new()), "PATCH …/trades/{id}");
        read_every_field(trade::parse_close(Some(Map::new())), "POST …/close");
        for event in ["entry", "update", "exit"] {
            let mut reader = FieldReader::new::<trade::CreateTradeRequest>(object(json!({ "event": event })));
            // The handler takes the credential out before parsing, as here.
            let _ = reader.take("api_key");
            read_every_field(trade::parse_signal(reader), event);
        }
    }
}
