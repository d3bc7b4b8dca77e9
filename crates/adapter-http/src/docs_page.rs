//! `GET /docs`: the API reference as one self-contained HTML page (no script, no CDN, no network), rendered once
//! from the same OpenAPI document `quantarya openapi` prints: grouped by tag like the reference, each endpoint with
//! its method, path, auth, parameters, body fields with types and required marks, example and responses.

use std::fmt::Write;

use serde_json::Value;

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders `code` spans (backticks) in already escaped text.
fn inline_code(escaped: &str) -> String {
    let mut out = String::new();
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn prose(text: &str) -> String {
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", inline_code(&esc(&p.replace('\n', " ")))))
        .collect()
}

fn ref_name(schema: &Value) -> Option<&str> {
    schema["$ref"].as_str().and_then(|r| r.rsplit('/').next())
}

/// A schema's type in words: `string (date-time)`, `TradeView`, `array of string`, `number | null`.
fn type_of(schema: &Value) -> String {
    if let Some(name) = ref_name(schema) {
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    if let Some(options) = schema["oneOf"].as_array() {
        return options.iter().map(type_of).collect::<Vec<_>>().join(" | ");
    }
    let types: Vec<String> = match &schema["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect(),
        _ => vec!["any".to_owned()],
    };
    types
        .iter()
        .map(|t| match t.as_str() {
            "array" => format!("array of {}", type_of(&schema["items"])),
            "string" => match schema["format"].as_str() {
                Some(format) => format!("string ({})", esc(format)),
                None => "string".to_owned(),
            },
            other => esc(other),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// A schema's limits in words.
fn limits(schema: &Value) -> String {
    let mut parts = Vec::new();
    let number = |key: &str| schema[key].as_f64().map(|n| format!("{n}"));
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values.iter().map(|v| format!("<code>{}</code>", esc(&v.to_string()))).collect();
        parts.push(format!("one of {}", values.join(", ")));
    }
    for (key, label) in [
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("maxItems", "at most items:"),
        ("minProperties", "at least fields:"),
    ] {
        if let Some(n) = number(key) {
            parts.push(format!("{label} {n}"));
        }
    }
    if let Some(pattern) = schema["pattern"].as_str() {
        parts.push(format!("pattern <code>{}</code>", esc(pattern)));
    }
    parts.join("; ")
}

/// The schema `schema` refers to, or `schema` itself.
fn resolved<'d>(document: &'d Value, schema: &'d Value) -> &'d Value {
    match ref_name(schema) {
        Some(name) => &document["components"]["schemas"][name],
        None => schema,
    }
}

/// An object schema's fields, in order, and the names it requires.
pub(crate) struct ObjectFields<'d> {
    /// Each field's name and schema.
    pub fields: Vec<(&'d str, &'d Value)>,
    /// The names of the required fields.
    pub required: Vec<&'d str>,
}

/// The fields of an object schema, read through `$ref` and `allOf` (a view that flattens another, as the views of a
/// new key or subscription flatten the listed one, is documented as `allOf` of the other's reference and its own
/// fields); `None` for a schema that is not an object of fields.
pub(crate) fn object_fields<'d>(document: &'d Value, schema: &'d Value) -> Option<ObjectFields<'d>> {
    let schema = resolved(document, schema);
    if let Some(parts) = schema["allOf"].as_array() {
        let mut all = ObjectFields { fields: Vec::new(), required: Vec::new() };
        for part in parts {
            let more = object_fields(document, part)?;
            all.fields.extend(more.fields);
            all.required.extend(more.required);
        }
        return Some(all);
    }
    let properties = schema["properties"].as_object()?;
    let required = schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect());
    Some(ObjectFields {
        fields: properties.iter().map(|(name, field)| (name.as_str(), field)).collect(),
        required: required.unwrap_or_default(),
    })
}

/// A table of an object schema's fields.
fn fields_table(ObjectFields { fields, required }: ObjectFields<'_>) -> String {
    let mut html = String::from(
        "<table class=\"fields\"><thead><tr><th>field</th><th>type</th><th>required</th><th>limits</th>\
         <th>description</th></tr></thead><tbody>",
    );
    for (name, field) in fields {
        let described = field["description"].as_str().or_else(|| field["oneOf"][1]["description"].as_str());
        let _ = write!(
            html,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            type_of(field),
            if required.contains(&name) { "<span class=\"required\">required</span>" } else { "" },
            limits(field),
            inline_code(&esc(described.unwrap_or(""))),
        );
    }
    html.push_str("</tbody></table>");
    html
}

fn auth_label(operation: &Value) -> String {
    let requirements = operation["security"].as_array().map(Vec::as_slice).unwrap_or_default();
    let roles = |scheme: &str| requirements.iter().find_map(|r| r.get(scheme)?.as_array().cloned());
    match (roles("user_jwt"), roles("api_key")) {
        (Some(_), Some(scopes)) => {
            let scopes: Vec<String> =
                scopes.iter().filter_map(Value::as_str).map(|s| format!("<code>{}</code>", esc(s))).collect();
            format!("Bearer API key (scope {}) or user JWT", scopes.join(", "))
        }
        (Some(_), None) => "Bearer user JWT".to_owned(),
        _ => "None".to_owned(),
    }
}

fn endpoint(document: &Value, method: &str, path: &str, operation: &Value) -> String {
    let mut html = String::new();
    let id = operation["operationId"].as_str().unwrap_or_default();
    let _ = write!(
        html,
        "<section class=\"endpoint\" id=\"op-{id}\" data-endpoint=\"{method} {path}\">\
         <h3><span class=\"method {lower}\">{method}</span> <code class=\"path\">{path}</code></h3>\
         <p class=\"summary\">{summary}</p><p class=\"auth\">Auth: <strong>{auth}</strong></p>",
        id = esc(id),
        method = esc(method),
        lower = esc(&method.to_lowercase()),
        path = esc(path),
        summary = esc(operation["summary"].as_str().unwrap_or_default()),
        auth = auth_label(operation),
    );
    let description = operation["description"].as_str().unwrap_or_default();
    html.push_str(&prose(description.split("\n\nAuth:").next().unwrap_or(description)));
    if let Some(parameters) = operation["parameters"].as_array().filter(|p| !p.is_empty()) {
        html.push_str(
            "<h4>Parameters</h4><table class=\"fields\"><thead><tr><th>name</th><th>in</th><th>type</th>\
             <th>required</th><th>limits</th><th>description</th></tr></thead><tbody>",
        );
        for p in parameters {
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(p["name"].as_str().unwrap_or_default()),
                esc(p["in"].as_str().unwrap_or_default()),
                type_of(&p["schema"]),
                if p["required"].as_bool() == Some(true) { "<span class=\"required\">required</span>" } else { "" },
                limits(&p["schema"]),
                inline_code(&esc(p["description"].as_str().unwrap_or_default())),
            );
        }
        html.push_str("</tbody></table>");
    }
    if let Some(content) = operation["requestBody"]["content"].as_object() {
        let required = operation["requestBody"]["required"].as_bool() == Some(true);
        let types: Vec<String> = content.keys().map(|k| format!("<code>{}</code>", esc(k))).collect();
        let _ = write!(
            html,
            "<h4>Request body{}</h4><p class=\"media\">{}</p>",
            if required { " <span class=\"required\">required</span>" } else { " (optional)" },
            types.join(", ")
        );
        if let Some(json) = content.get("application/json") {
            let schema = resolved(document, &json["schema"]);
            html.push_str(&match object_fields(document, schema) {
                Some(object) => fields_table(object),
                None => format!("<p class=\"type\">{}</p>", type_of(schema)),
            });
            if let Some(example) = schema.get("example") {
                let pretty = serde_json::to_string_pretty(example).unwrap_or_default();
                let _ = write!(html, "<h4>Example</h4><pre class=\"example\">{}</pre>", esc(&pretty));
            }
        }
    }
    html.push_str("<h4>Responses</h4><table class=\"responses\"><tbody>");
    if let Some(responses) = operation["responses"].as_object() {
        for (status, response) in responses {
            let schema = &response["content"]["application/json"]["schema"];
            let body = match (ref_name(schema), &schema["properties"]["data"]) {
                (Some(name), _) => type_of(&serde_json::json!({ "$ref": format!("#/components/schemas/{name}") })),
                (None, data) if !data.is_null() => format!("envelope, <code>data</code>: {}", type_of(data)),
                _ => String::new(),
            };
            let class = if status.starts_with('2') { "ok" } else { "error" };
            let _ = write!(
                html,
                "<tr><td class=\"status {class}\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(status),
                inline_code(&esc(response["description"].as_str().unwrap_or_default())),
                body
            );
        }
    }
    html.push_str("</tbody></table></section>");
    html
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7fb}\
header{background:#13203a;color:#fff;padding:24px 40px}header h1{margin:0 0 4px}header p{max-width:980px;opacity:.85}\
nav{padding:12px 40px;background:#fff;border-bottom:1px solid #dde1ea}nav a{margin-right:18px;color:#2451c7;\
text-decoration:none;font-weight:600}main{padding:8px 40px 40px;max-width:1200px}h2{margin-top:36px;\
border-bottom:2px solid #13203a;padding-bottom:4px}.endpoint{background:#fff;border:1px solid #dde1ea;\
border-radius:8px;padding:8px 20px 16px;margin:16px 0}.endpoint h3{margin:10px 0 4px}.method{display:inline-block;\
min-width:64px;text-align:center;border-radius:4px;color:#fff;font-size:13px;padding:2px 6px}.get{background:#1f8a4c}\
.post{background:#2451c7}.patch{background:#b26b00}.delete{background:#b3261e}.summary{margin:2px 0;font-weight:600}\
.auth{margin:2px 0;color:#4a5468}table{border-collapse:collapse;width:100%;margin:6px 0;font-size:14px}\
th,td{border-bottom:1px solid #e6e9f0;text-align:left;padding:4px 8px;vertical-align:top}th{background:#f0f2f7}\
.required{color:#b3261e;font-weight:600}.status{font-weight:700;width:60px}.status.ok{color:#1f8a4c}\
.status.error{color:#b3261e}pre.example{background:#13203a;color:#e8ecf5;padding:12px;border-radius:6px;\
overflow:auto}code{font-family:ui-monospace,monospace;font-size:13px}.schema{background:#fff;border:1px solid #dde1ea;\
border-radius:8px;padding:4px 20px 12px;margin:12px 0}";

/// The page for `document` (the OpenAPI document as JSON).
pub fn render(document: &Value) -> String {
    let info = &document["info"];
    let tags: Vec<&str> =
        document["tags"].as_array().map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect()).unwrap_or_default();
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} reference</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head><body>\
         <header><h1>{title}</h1><p>Version {version}. {description}</p></header><nav>",
        title = esc(info["title"].as_str().unwrap_or("API")),
        version = esc(info["version"].as_str().unwrap_or_default()),
        description = inline_code(&esc(info["description"].as_str().unwrap_or_default())),
    );
    for tag in &tags {
        let _ = write!(html, "<a href=\"#tag-{0}\">{1}</a>", esc(&tag.replace(' ', "-")), esc(tag));
    }
    html.push_str("<a href=\"#schemas\">Schemas</a></nav><main>");
    let paths = document["paths"].as_object();
    for tag in &tags {
        let _ = write!(html, "<h2 id=\"tag-{}\">{}</h2>", esc(&tag.replace(' ', "-")), esc(tag));
        for (path, item) in paths.into_iter().flatten() {
            for method in ["get", "post", "patch", "delete"] {
                let operation = &item[method];
                let tagged = operation["tags"].as_array().is_some_and(|t| t.iter().any(|t| t.as_str() == Some(tag)));
                if tagged {
                    html.push_str(&endpoint(document, &method.to_uppercase(), path, operation));
                }
            }
        }
    }
    html.push_str("<h2 id=\"schemas\">Schemas</h2>");
    if let Some(schemas) = document["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let _ = write!(
                html,
                "<section class=\"schema\" id=\"schema-{0}\"><h3>{0}</h3>{1}{2}</section>",
                esc(name),
                prose(schema["description"].as_str().unwrap_or_default()),
                match object_fields(document, schema) {
                    Some(object) => fields_table(object),
                    None => format!("<p>{} {}</p>", type_of(schema), limits(schema)),
                },
            );
        }
    }
    html.push_str("</main></body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_that_flattens_another_lists_both_its_fields_and_the_others() {
        let document: Value = serde_json::from_str(&crate::openapi::json()).expect("valid JSON");
        let page = render(&document);
        for (schema, own, listed) in
            [("IssuedApiKeyView", "raw_api_key", "api_key_id"), ("CreatedWebhookView", "secret", "webhook_id")]
        {
            let start = page.find(&format!("id=\"schema-{schema}\"")).expect("a section");
            let section = &page[start..start + page[start..].find("</section>").expect("closed")];
            for field in [own, listed] {
                assert!(section.contains(&format!("<code>{field}</code>")), "{schema} does not list {field}");
            }
        }
    }

    #[test]
    fn every_public_endpoint_is_on_the_page_and_text_is_escaped() {
        let document: Value = serde_json::from_str(&crate::openapi::json()).expect("valid JSON");
        let page = render(&document);
        for route in crate::registry::routes().iter().filter(|r| r.public) {
            let marker = format!("data-endpoint=\"{} {}\"", route.verb.as_str(), route.path);
            assert!(page.contains(&marker), "{marker} is missing");
        }
        assert!(!page.contains("data-endpoint=\"GET /healthz\""));
        assert!(
            page.contains("Bearer API key (scope <code>signals</code>) or user JWT")
                && page.contains("Bearer user JWT")
        );
        assert!(!page.contains("<script"), "no script: the page works without any network or JavaScript");
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
