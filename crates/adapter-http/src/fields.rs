//! Parsing a JSON object into domain values at the edge, field by field, so that every broken field is
//! reported at once and a field the route does not document is named.

use quantarya_domain::{Fees, JsonObject, PointValue, Price, Quantity, Tags, Timestamp, ValueError};
use quantarya_ports::FieldError;
use serde_json::Value;
use utoipa::PartialSchema;
use utoipa::openapi::{RefOr, Schema};

use crate::error::ApiError;

/// A documented request body's field names, each with a key: its length and its first eight bytes, in one
/// integer. A lookup (about thirty a signal: one per field the body sends, one per field the parser asks for) is a
/// binary search of the keys, then a comparison of the bytes of the name whose key is equal, so bytes are compared
/// about once. A walk comparing names met every other name of the same length (`symbol`, `source`, `signal`,
/// `status` and `market` share theirs), and a walk comparing keys met half the names on average.
#[derive(Debug)]
pub struct FieldNames {
    names: Vec<String>,
    /// Each name's key with its place among `names`, in the keys' order.
    by_key: Vec<(u128, usize)>,
}

impl FieldNames {
    /// The property names of a documented request schema: the only fields its route takes.
    pub fn of<T: PartialSchema>() -> Self {
        let names: Vec<String> = match T::schema() {
            RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
            _ => Vec::new(),
        };
        Self::named(names)
    }

    fn named(names: Vec<String>) -> Self {
        let mut by_key: Vec<(u128, usize)> = names.iter().enumerate().map(|(at, name)| (key(name), at)).collect();
        by_key.sort_unstable();
        Self { names, by_key }
    }

    /// Where `name` is among the names.
    fn place(&self, name: &str) -> Option<usize> {
        let key = key(name);
        let first = self.by_key.partition_point(|(k, _)| *k < key);
        // Names longer than eight bytes may share a key: the bytes decide among them.
        let mut equal = self.by_key.iter().skip(first).take_while(|(k, _)| *k == key);
        equal.find(|(_, at)| self.names.get(*at).is_some_and(|field| field == name)).map(|(_, at)| *at)
    }

    /// How many names.
    fn len(&self) -> usize {
        self.names.len()
    }
}

/// A name's length and first eight bytes (zeros past its end), packed.
fn key(name: &str) -> u128 {
    let mut head = [0_u8; 8];
    let shown = name.len().min(head.len());
    head[..shown].copy_from_slice(&name.as_bytes()[..shown]);
    ((name.len() as u128) << 64) | u128::from(u64::from_le_bytes(head))
}

/// A documented request body: its field names, read once from its schema.
pub trait RequestSchema: PartialSchema {
    /// The fields the route takes.
    fn fields() -> &'static FieldNames;
}

/// Implements [`RequestSchema`] for request types, each with its own lazily built field list.
macro_rules! request_schemas {
    ($($request:ty),+ $(,)?) => {
        $(
            impl $crate::fields::RequestSchema for $request {
                fn fields() -> &'static $crate::fields::FieldNames {
                    static FIELDS: std::sync::LazyLock<$crate::fields::FieldNames> =
                        std::sync::LazyLock::new($crate::fields::FieldNames::of::<$request>);
                    &FIELDS
                }
            }
        )+
    };
}
pub(crate) use request_schemas;

/// Reads typed fields out of a request object, collecting every error. The fields it takes are the ones of the
/// request's documented schema: one it does not document is refused, and one it documents but the parser never
/// reads is a bug of ours, caught at [`FieldReader::finish`].
#[derive(Debug)]
pub struct FieldReader {
    /// Each of `documented` at its place: the object's value until the parser takes it (taking one is an index, not
    /// a search of the object's map: this runs for every field of every signal), and whether the parser read it.
    slots: Vec<Slot>,
    documented: &'static FieldNames,
    errors: Vec<FieldError>,
    unknown: bool,
}

/// One documented field of a [`FieldReader`].
#[derive(Debug, Clone, Default)]
struct Slot {
    value: Option<Value>,
    read: bool,
}

impl FieldReader {
    /// A reader of `object` for a route that takes exactly the fields of `T`'s schema; other fields are errors.
    pub fn new<T: RequestSchema>(object: JsonObject) -> Self {
        let documented = T::fields();
        let mut slots = vec![Slot::default(); documented.len()];
        let mut errors = Vec::new();
        for (key, value) in object {
            match documented.place(&key).and_then(|at| slots.get_mut(at)) {
                Some(slot) => slot.value = Some(value),
                None => errors.push(FieldError::new(key.as_str(), "is not a field of this request")),
            }
        }
        let unknown = !errors.is_empty();
        Self { slots, documented, errors, unknown }
    }

    /// Takes a field out of the object, noting that the parser read it. Only a documented field can be there: any
    /// other was refused when the reader was made.
    fn remove(&mut self, name: &str) -> Option<Value> {
        let at = self.documented.place(name);
        debug_assert!(at.is_some(), "the parser reads {name}, which its request schema does not document");
        let slot = self.slots.get_mut(at?)?;
        slot.read = true;
        slot.value.take()
    }

    /// Takes a field out without parsing it (for a credential, which must not linger in the request).
    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.remove(name)
    }

    /// Blames `name` with `message`.
    pub fn blame(&mut self, name: &str, message: impl ToString) {
        self.errors.push(FieldError::new(name, message));
    }

    fn parse<T>(&mut self, name: &str, value: Value, parse: impl FnOnce(Value) -> Result<T, String>) -> Option<T> {
        match parse(value) {
            Ok(parsed) => Some(parsed),
            Err(message) => {
                self.blame(name, message);
                None
            }
        }
    }

    /// An optional field: absent and `null` both mean "not given".
    pub fn optional<T>(&mut self, name: &str, parse: impl FnOnce(Value) -> Result<T, String>) -> Option<T> {
        match self.remove(name) {
            None | Some(Value::Null) => None,
            Some(value) => self.parse(name, value, parse),
        }
    }

    /// A required field.
    pub fn required<T>(&mut self, name: &str, parse: impl FnOnce(Value) -> Result<T, String>) -> Option<T> {
        match self.remove(name) {
            None | Some(Value::Null) => {
                self.blame(name, "is required");
                None
            }
            Some(value) => self.parse(name, value, parse),
        }
    }

    /// A field a change may set but not clear: `None` when absent, an error for `null` (the schema says so, and a
    /// PATCH of nothing but nulls would otherwise change nothing silently).
    pub fn settable<T>(&mut self, name: &str, parse: impl FnOnce(Value) -> Result<T, String>) -> Option<T> {
        match self.remove(name) {
            None => None,
            Some(Value::Null) => {
                self.blame(name, "must not be null; omit it to keep the current value");
                None
            }
            Some(value) => self.parse(name, value, parse),
        }
    }

    /// A field that `null` clears: `None` when absent, `Some(None)` for `null`, `Some(Some(v))` for a value.
    pub fn clearable<T>(&mut self, name: &str, parse: impl FnOnce(Value) -> Result<T, String>) -> Option<Option<T>> {
        match self.remove(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(value) => self.parse(name, value, parse).map(Some),
        }
    }

    /// `Ok` when every field parsed, else a 422 listing them all. A documented field the parser never read is
    /// answered 500 and logged, so a test that parses any body of the request finds it.
    pub fn finish(self) -> Result<(), ApiError> {
        if let Some((unread, _)) = self.documented.names.iter().zip(&self.slots).find(|(_, slot)| !slot.read) {
            return Err(ApiError::internal(&format!("request field {unread} is documented but never read")));
        }
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(self.errors, self.unknown)) }
    }
}

/// A required field's value after [`FieldReader::finish`] succeeded (so it is there); a 422 if it is not.
pub fn present<T>(value: Option<T>, name: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::invalid(vec![FieldError::new(name, "is required")], false))
}

fn message(error: ValueError) -> String {
    error.to_string()
}

/// A JSON string, parsed by `parse`.
pub fn text<T>(parse: impl FnOnce(&str) -> Result<T, ValueError>) -> impl FnOnce(Value) -> Result<T, String> {
    move |value| match value {
        Value::String(text) => parse(&text).map_err(message),
        _ => Err("must be a string".to_owned()),
    }
}

/// A JSON number that is a valid price.
pub fn price(value: Value) -> Result<Price, String> {
    number(Price::new)(value)
}

/// A JSON number, parsed by `parse`.
fn number<T>(parse: impl FnOnce(f64) -> Result<T, ValueError>) -> impl FnOnce(Value) -> Result<T, String> {
    move |value| value.as_f64().ok_or_else(|| "must be a number".to_owned()).and_then(|n| parse(n).map_err(message))
}

/// A JSON number that is a valid size (`> 0`, `<= 1e12`).
pub fn quantity(value: Value) -> Result<Quantity, String> {
    number(Quantity::new)(value)
}

/// A JSON number that is a valid amount of fees (`>= 0`, `<= 1e12`).
pub fn fees(value: Value) -> Result<Fees, String> {
    number(Fees::new)(value)
}

/// A JSON number that is a valid point value (`> 0`, `<= 1e12`).
pub fn point_value(value: Value) -> Result<PointValue, String> {
    number(PointValue::new)(value)
}

/// An RFC 3339 timestamp.
pub fn timestamp(value: Value) -> Result<Timestamp, String> {
    text(Timestamp::parse_rfc3339)(value)
}

/// A JSON boolean.
pub fn boolean(value: Value) -> Result<bool, String> {
    value.as_bool().ok_or_else(|| "must be true or false".to_owned())
}

/// A JSON object, kept as given.
pub fn object(value: Value) -> Result<JsonObject, String> {
    match value {
        Value::Object(object) => Ok(object),
        _ => Err("must be a JSON object".to_owned()),
    }
}

/// A JSON array of strings.
pub fn strings(value: Value) -> Result<Vec<String>, String> {
    let Value::Array(items) = value else {
        return Err("must be an array of strings".to_owned());
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(text) => Ok(text),
            _ => Err("must be an array of strings".to_owned()),
        })
        .collect()
}

/// Tags: a JSON array of strings, under the strategy tag rules.
pub fn tags(value: Value) -> Result<Tags, String> {
    let raw = strings(value)?;
    Tags::parse(&raw).map_err(|(index, error)| match index {
        Some(i) => format!("tag {i} {error}"),
        None => error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(utoipa::ToSchema)]
    #[allow(dead_code)]
    struct Example {
        name: String,
        price: Option<f64>,
        stop: Option<f64>,
    }

    request_schemas!(Example);

    fn reader(value: Value) -> FieldReader {
        let Value::Object(object) = value else { panic!("an object") };
        FieldReader::new::<Example>(object)
    }

    #[test]
    fn a_name_is_found_by_its_bytes_whatever_it_shares_with_others() {
        let names = [
            "signal",
            "source",
            "stop_loss",
            "stop_loss_at",
            "stop_lost",
            "external_reference",
            "external_referencf",
            "external_r",
        ];
        let fields = FieldNames::named(names.iter().map(|name| (*name).to_owned()).collect());
        for (at, name) in names.iter().enumerate() {
            assert_eq!(fields.place(name), Some(at), "{name}");
        }
        for stranger in ["", "s", "signax", "stop_losx", "stop_loss_a", "external_referencE", "external_re"] {
            assert_eq!(fields.place(stranger), None, "{stranger}");
        }
    }

    #[test]
    fn every_broken_field_is_reported_and_unknown_ones_are_named() {
        let mut r = reader(json!({ "price": "1.0", "stop": -1, "colour": "red" }));
        assert_eq!(r.required("name", text(|s| Ok::<_, ValueError>(s.to_owned()))), None);
        assert_eq!(r.optional("price", price), None);
        assert_eq!(r.clearable("stop", price), None);
        let error = r.finish().expect_err("four problems");
        let envelope = error.envelope();
        assert_eq!(envelope.error.code, "unknown_field");
        let fields: Vec<&str> = envelope.error.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["colour", "name", "price", "stop"]);
    }

    #[test]
    fn a_documented_field_the_parser_never_reads_is_caught() {
        let mut r = reader(json!({ "name": "x" }));
        assert!(r.required("name", text(|s| Ok::<_, ValueError>(s.to_owned()))).is_some());
        assert!(r.optional("price", price).is_none());
        // `stop` is in the schema, but this parser forgot it.
        let error = r.finish().expect_err("an unread field");
        assert_eq!(error.status().as_u16(), 500);
    }

    #[test]
    fn null_clears_only_clearable_fields() {
        let mut r = reader(json!({ "name": "x", "price": null, "stop": null }));
        assert!(r.required("name", text(|s| Ok::<_, ValueError>(s.to_owned()))).is_some());
        assert_eq!(r.optional("price", price), None);
        assert_eq!(r.clearable("stop", price), Some(None));
        assert!(r.finish().is_ok());
        let mut r = reader(json!({}));
        assert_eq!(r.clearable("stop", price), None);
    }
}
