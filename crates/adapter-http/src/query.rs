//! Reading a route's query string: the parameters it takes are the ones its route documents, so a parameter
//! cannot be taken undocumented or documented without being read. Every broken or unknown parameter is named.

use quantarya_domain::Timestamp;
use quantarya_ports::FieldError;

use crate::error::ApiError;
use crate::route::Param;

/// Reads typed parameters out of a query string, collecting every error.
#[derive(Debug)]
pub struct QueryReader {
    pairs: Vec<(String, String)>,
    documented: &'static [Param],
    read: Vec<&'static str>,
    /// Each error with the position of its parameter, so they are reported in the query's order.
    errors: Vec<(usize, FieldError)>,
    unknown: bool,
}

impl QueryReader {
    /// A reader of `raw` for a route that documents `documented`; any other parameter is an error.
    pub fn new(raw: &str, documented: &'static [Param]) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
            .map_err(|_| ApiError::invalid(vec![FieldError::new("query", "is not a valid query string")], false))?;
        let errors: Vec<(usize, FieldError)> = pairs
            .iter()
            .enumerate()
            .filter(|(_, (name, _))| !documented.iter().any(|p| p.name == name))
            .map(|(at, (name, _))| (at, FieldError::new(name.as_str(), "is not a parameter of this route")))
            .collect();
        let unknown = !errors.is_empty();
        Ok(Self { pairs, documented, read: Vec::new(), errors, unknown })
    }

    /// The parameter `name` parsed by `parse` (the last one when it is given more than once); `None` when it is
    /// absent or broken (then it is blamed).
    pub fn get<T>(&mut self, name: &'static str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        self.read.push(name);
        let mut found = None;
        for (at, (_, value)) in self.pairs.iter().enumerate().filter(|(_, (n, _))| n == name) {
            match parse(value) {
                Ok(parsed) => found = Some(parsed),
                Err(message) => self.errors.push((at, FieldError::new(name, message))),
            }
        }
        found
    }

    /// `Ok` when every parameter parsed, else a 422 naming each. A documented parameter the handler never read is
    /// a bug of ours, answered 500 and logged, so a test of the route finds it.
    pub fn finish(mut self) -> Result<(), ApiError> {
        if let Some(unread) = self.documented.iter().find(|p| !self.read.contains(&p.name)) {
            return Err(ApiError::internal(&format!("query parameter {} is documented but never read", unread.name)));
        }
        if self.errors.is_empty() {
            return Ok(());
        }
        self.errors.sort_by_key(|(at, _)| *at);
        Err(ApiError::invalid(self.errors.into_iter().map(|(_, error)| error).collect(), self.unknown))
    }
}

/// An RFC 3339 time.
pub fn time(value: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(value).map_err(|error| error.to_string())
}

/// An IANA time zone name (`UTC`, `America/New_York`, in any case).
pub fn time_zone(value: &str) -> Result<quantarya_formats::time_zone::Tz, String> {
    quantarya_formats::time_zone::parse_time_zone(value)
        .ok_or_else(|| "must be an IANA time zone name, such as UTC or America/New_York".to_owned())
}

/// Reads a page size (`limit`): a whole number within [`quantarya_ports::PageLimit`]'s bounds.
pub fn page_limit(value: &str) -> Result<quantarya_ports::PageLimit, String> {
    value
        .parse::<i64>()
        .ok()
        .and_then(|n| quantarya_ports::PageLimit::new(n).ok())
        .ok_or_else(|| format!("must be a whole number between 1 and {}", quantarya_ports::PageLimit::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::ParamKind;

    const PARAMS: &[Param] = &[
        Param { name: "from", description: "From.", kind: ParamKind::Time },
        Param { name: "to", description: "To.", kind: ParamKind::Time },
    ];

    #[test]
    fn parameters_parse_and_every_bad_or_unknown_one_is_named() {
        let mut reader = QueryReader::new("from=2026-05-01T00:00:00Z&to=nope&colour=red", PARAMS).expect("a query");
        assert!(reader.get("from", time).is_some());
        assert_eq!(reader.get("to", time), None);
        let envelope = reader.finish().expect_err("two problems").envelope();
        assert_eq!(envelope.error.code, "unknown_field");
        let fields: Vec<&str> = envelope.error.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["to", "colour"], "in the query's order");
    }

    #[test]
    fn a_documented_parameter_never_read_is_caught() {
        let mut reader = QueryReader::new("", PARAMS).expect("a query");
        assert_eq!(reader.get("from", time), None);
        let error = reader.finish().expect_err("`to` was never read");
        assert_eq!(error.status().as_u16(), 500);
    }
}
