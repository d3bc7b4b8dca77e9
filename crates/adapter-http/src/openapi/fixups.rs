//! Corrections of what utoipa 5 writes, applied to the serialised document. Remove each when utoipa fixes it:
//! the freshness and validation tests will tell.

use serde_json::Value;

/// Applies every correction.
pub fn apply(document: &mut Value) {
    camel_case_links(document);
    min_properties(document);
}

/// utoipa 5 writes `#[schema(min_properties = …)]` as `maxProperties`; no schema here wants a maximum, so every
/// one is put back as the minimum it was declared as.
fn min_properties(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(count) = map.remove("maxProperties") {
                map.insert("minProperties".to_owned(), count);
            }
            map.values_mut().for_each(min_properties);
        }
        Value::Array(items) => items.iter_mut().for_each(min_properties),
        _ => {}
    }
}

/// utoipa 5 writes a link's fields in snake case (`operation_id`); OpenAPI spells them `operationId`,
/// `operationRef` and `requestBody`, and tools ignore the link otherwise.
fn camel_case_links(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let operations = paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut());
    let responses = operations.filter_map(|op| op.get_mut("responses")?.as_object_mut()).flat_map(|r| r.values_mut());
    for links in responses.filter_map(|response| response.get_mut("links")?.as_object_mut()) {
        for link in links.values_mut().filter_map(Value::as_object_mut) {
            for (snake, camel) in
                [("operation_id", "operationId"), ("operation_ref", "operationRef"), ("request_body", "requestBody")]
            {
                if let Some(value) = link.remove(snake) {
                    link.insert(camel.to_owned(), value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn links_are_camel_cased_and_minimums_restored() {
        let mut document = json!({
            "paths": { "/a": { "get": { "responses": { "200": { "links": { "x": { "operation_id": "b" } } } } } } },
            "components": { "schemas": { "P": { "maxProperties": 1 } } }
        });
        apply(&mut document);
        assert_eq!(document["paths"]["/a"]["get"]["responses"]["200"]["links"]["x"], json!({ "operationId": "b" }));
        assert_eq!(document["components"]["schemas"]["P"], json!({ "minProperties": 1 }));
    }
}
