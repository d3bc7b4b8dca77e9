//! The OpenAPI document of the public routes, generated from the registry: operations from the routes, components
//! from the schemas they name, the error-code enum and the API description from [`ErrorCode`].

mod fixups;
mod responses;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ComponentsBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, RefOr, Required, ResponseBuilder, Schema,
};
use utoipa::{PartialSchema, ToSchema};

use crate::body::Media;
use crate::error::ErrorEnvelope;
use crate::error_code::ErrorCode;
use crate::registry;
use crate::route::{Data, Param, ParamKind, RouteSpec};
use crate::text_schema::symbol_pattern;
use quantarya_ports::{CURSOR_PATTERN, KeyAccess, PageLimit};
use responses::{envelope, error_responses, schema_ref};

/// The headers of a 429 (every answer a budget was checked for carries the last two as well).
const RATE_LIMIT_HEADERS: [(&str, Type, &str); 3] = [
    ("Retry-After", Type::Integer, "Seconds until the request would fit its budgets."),
    (
        "RateLimit-Policy",
        Type::String,
        "The budgets that apply (draft-ietf-httpapi-ratelimit-headers): `\"key\";q=600;w=60, \"user\";q=1200;w=60`.",
    ),
    ("RateLimit", Type::String, "What is left of each: `\"key\";r=0;t=60, \"user\";r=1187;t=1`."),
];

/// The groups of the reference, in its order.
const TAGS: [&str; 6] = ["API Keys", "Webhooks", "Strategies", "Trades", "User", "Profiles"];

fn api_description() -> String {
    let codes = ErrorCode::names().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
    format!(
        "Quantarya keeps an honest, tamper-evident record of each trade's life. Every success body is \
         `{{\"message\", \"data\"}}` (lists with a page add `next_cursor`); every error body is \
         `{{\"message\", \"error\": {{\"code\", \"details\"}}}}`. Error codes: {codes}."
    )
}

/// The schema of a parameter's value.
fn parameter_schema(kind: ParamKind) -> ObjectBuilder {
    match kind {
        ParamKind::Text => ObjectBuilder::new().schema_type(Type::String),
        ParamKind::Symbol => ObjectBuilder::new().schema_type(Type::String).pattern(Some(symbol_pattern())),
        ParamKind::Cursor => ObjectBuilder::new().schema_type(Type::String).pattern(Some(CURSOR_PATTERN)),
        ParamKind::PageSize => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(PageLimit::MAX))
            .default(Some(serde_json::json!(PageLimit::DEFAULT.get()))),
        ParamKind::OneOf(values) => {
            ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values.iter().copied()))
        }
        ParamKind::Time => ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        ParamKind::Positive => {
            ObjectBuilder::new().schema_type(Type::Number).exclusive_minimum(Some(0)).maximum(Some(1e12))
        }
        ParamKind::IdempotencyKey => ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!(r"^[\x20-\x7E]{{1,{}}}$", quantarya_domain::IdempotencyKey::MAX_CHARS))),
    }
}

/// The operation of one route.
fn operation(spec: &RouteSpec) -> utoipa::openapi::path::Operation {
    let mut operation = OperationBuilder::new()
        .operation_id(Some(spec.operation_id))
        .tag(spec.tag)
        .summary(Some(spec.summary))
        .description(Some(format!("{}\n\nAuth: {}.", spec.description, spec.auth.label())));
    match spec.auth.key_access() {
        None => {}
        Some(KeyAccess::Refused) => {
            operation = operation.security(SecurityRequirement::new("user_jwt", Vec::<String>::new()))
        }
        Some(KeyAccess::Scope(scope)) => {
            // OpenAPI 3.1 lets a requirement of a non-OAuth scheme name the roles it needs: here the key's scope.
            operation = operation
                .security(SecurityRequirement::new("user_jwt", Vec::<String>::new()))
                .security(SecurityRequirement::new("api_key", [scope.as_str()]));
            if spec.body.is_some_and(|b| b.media == Media::JsonOrText) {
                // The API key may instead travel in the body as `api_key`.
                operation = operation.security(SecurityRequirement::default());
            }
        }
    }
    let params = spec.path_params.iter().map(|p| (p, ParameterIn::Path, Required::True));
    let query = spec.query.iter().map(|p| (p, ParameterIn::Query, Required::False));
    let headers = spec.headers.iter().map(|p| (p, ParameterIn::Header, Required::False));
    for (param, location, required) in params.chain(query).chain(headers) {
        let Param { name, description, kind } = *param;
        operation = operation.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(location)
                .required(required)
                .description(Some(description))
                .schema(Some(parameter_schema(kind))),
        );
    }
    if let Some(body) = spec.body {
        let name = body.schema.name();
        let media = if body.media == Media::Csv { "text/csv" } else { "application/json" };
        let mut request = RequestBodyBuilder::new()
            .required(Some(if body.required { Required::True } else { Required::False }))
            .content(media, ContentBuilder::new().schema(Some(schema_ref(&name))).build());
        if body.media == Media::JsonOrText {
            let text = ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(format!("The JSON text of a {name}, as TradingView sends it.")));
            request = request.content("text/plain", ContentBuilder::new().schema(Some(text)).build());
        }
        operation = operation.request_body(Some(request.build()));
    }
    for success in spec.success {
        let content = match success.data {
            Data::Csv(schema) => ("text/csv", schema_ref(&schema.name())),
            data => ("application/json", envelope(data)),
        };
        let mut response = ResponseBuilder::new()
            .description(success.description)
            .content(content.0, ContentBuilder::new().schema(Some(content.1)).build());
        for &target in success.links {
            let mut built = LinkBuilder::new().operation_id(target);
            let params = registry::routes().iter().filter(|r| r.operation_id == target).flat_map(|r| r.path_params);
            for param in params {
                built = built.parameter(param.name, format!("$response.body#/data/{}", param.name));
            }
            response = response.link(target, built.build());
        }
        operation = operation.response(success.status.to_string(), response);
    }
    for (status, description) in error_responses(spec) {
        let mut response = ResponseBuilder::new()
            .description(description)
            .content("application/json", ContentBuilder::new().schema(Some(schema_ref("ErrorEnvelope"))).build());
        if status == 429 {
            for (name, kind, text) in RATE_LIMIT_HEADERS {
                let header =
                    HeaderBuilder::new().schema(ObjectBuilder::new().schema_type(kind)).description(Some(text));
                response = response.header(name, header.build());
            }
        }
        operation = operation.response(status.to_string(), response);
    }
    operation.build()
}

/// The OpenAPI document of the public routes.
pub fn document() -> OpenApi {
    let public: Vec<&RouteSpec> = registry::routes().iter().filter(|s| s.public).collect();
    let mut paths = Paths::new();
    let mut schemas = Vec::new();
    ErrorEnvelope::schemas(&mut schemas);
    schemas.push((ErrorEnvelope::name().into_owned(), ErrorEnvelope::schema()));
    let mut bodies = Vec::new();
    for spec in &public {
        paths.add_path_operation(spec.path, vec![spec.verb.openapi()], operation(spec));
        // A file's schema is a string, not an object of fields.
        bodies.extend(spec.body.filter(|b| b.media != Media::Csv).map(|b| b.schema.name()));
        let named = spec.body.map(|b| b.schema).into_iter().chain(spec.success.iter().filter_map(|s| s.data.schema()));
        named.for_each(|schema| schema.collect(&mut schemas));
    }
    // The field reader refuses a field its request schema does not document (422 `unknown_field`); say so.
    for (_, schema) in schemas.iter_mut().filter(|(name, _)| bodies.contains(name)) {
        if let RefOr::T(Schema::Object(object)) = schema {
            object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
    }
    let bearer = |description: &str, format: &str| {
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some(format.to_owned());
        http.description = Some(description.to_owned());
        SecurityScheme::Http(http)
    };
    let components = ComponentsBuilder::new()
        .security_scheme("user_jwt", bearer("A user JWT from the identity provider.", "JWT"))
        .security_scheme(
            "api_key",
            bearer(
                "An API key (`qk_…`) from POST /api-keys; accepted on the trade routes only, each of which names the \
                 scope (`signals`, `read` or `manage`) a key needs there.",
                "qk_ API key",
            ),
        )
        .schemas_from_iter(schemas)
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Quantarya API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(api_description())),
        )
        .paths(paths)
        .components(Some(components))
        .tags(Some(TAGS.map(|name| TagBuilder::new().name(name).build())))
        .build()
}

/// The document, corrected and pretty-printed: what `/openapi.json` serves and `quantarya openapi` prints.
pub fn json() -> String {
    let mut document = serde_json::to_value(document()).unwrap_or_else(|error| {
        tracing::error!(%error, "the OpenAPI document does not serialise");
        serde_json::Value::Null
    });
    fixups::apply(&mut document);
    serde_json::to_string_pretty(&document).unwrap_or_else(|_| "{}".to_owned())
}
