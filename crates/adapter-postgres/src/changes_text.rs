//! A history event's changes as the JSON text `trade_events.changes` keeps (`[{"field", "value"}, …]`), written
//! straight from the changes: no JSON tree is built and no extension object copied on the way, which an import of
//! a hundred thousand trades feels.

use std::io::Write;

use diesel::pg::Pg;
use diesel::serialize::{IsNull, Output, ToSql};
use diesel::sql_types::Json;
use quantarya_domain::FieldChange;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// JSON text bound to a `JSON` column as it is.
#[derive(Debug, diesel::expression::AsExpression)]
#[diesel(sql_type = Json)]
pub(crate) struct JsonText(pub String);

impl ToSql<Json, Pg> for JsonText {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
        out.write_all(self.0.as_bytes())?;
        Ok(IsNull::No)
    }
}

/// The changes of one event, serialised as the stores keep them.
pub(crate) struct Changes<'a>(pub &'a [FieldChange]);

impl Changes<'_> {
    /// The JSON text.
    pub(crate) fn text(&self) -> JsonText {
        JsonText(serde_json::to_string(self).unwrap_or_else(|_| "[]".to_owned()))
    }
}

impl Serialize for Changes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for change in self.0 {
            seq.serialize_element(&Change(change))?;
        }
        seq.end()
    }
}

struct Change<'a>(&'a FieldChange);

impl Serialize for Change<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("field", self.0.field())?;
        match self.0 {
            // The object itself, not a copy.
            FieldChange::Extension(_, object) => map.serialize_entry("value", object)?,
            other => map.serialize_entry("value", &other.value())?,
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use quantarya_domain::{ExtensionSlot, JsonObject, Price, Status};
    use serde_json::Value;

    use super::*;

    #[test]
    fn the_text_is_what_the_json_tree_would_be() {
        let mut notes = JsonObject::new();
        notes.insert("why".to_owned(), Value::from("a \"clean\" retest"));
        let changes = [
            FieldChange::Status(Status::Closed),
            FieldChange::ClosePrice(Some(Price::new(1.5).expect("valid"))),
            FieldChange::Extension(ExtensionSlot::Meta, Some(notes)),
            FieldChange::Extension(ExtensionSlot::Signal, None),
        ];
        let text = Changes(&changes).text().0;
        assert_eq!(serde_json::from_str::<Value>(&text).expect("JSON"), crate::rows::changes_json(&changes));
    }
}
