//! The documented answers of a route: its success envelopes, and the error responses it can give with the codes
//! each status carries, derived from what the route declares.

use quantarya_ports::KeyAccess;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr, Schema};

use crate::auth_kind::Auth;
use crate::error_code::ErrorCode;
use crate::route::{Data, RouteSpec};

/// A reference to the component `name`.
pub fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

/// The success envelope of `data`: `message`, `data`, and `next_cursor` on a page.
pub fn envelope(data: Data) -> RefOr<Schema> {
    let data_schema: RefOr<Schema> = match data {
        Data::One(schema) => schema_ref(&schema.name()),
        Data::Many(schema) | Data::Page(schema) => ArrayBuilder::new().items(schema_ref(&schema.name())).into(),
        Data::Status => ObjectBuilder::new().schema_type(Type::Object).into(),
        // A file is no envelope (the operation documents it as its own content).
        Data::Csv(schema) => schema_ref(&schema.name()),
    };
    let mut object = ObjectBuilder::new()
        .property("message", ObjectBuilder::new().schema_type(Type::String))
        .required("message")
        .property("data", data_schema)
        .required("data");
    if let Data::Page(_) = data {
        let cursor = ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .description(Some("Pass as `cursor` for the next page; null on the last page."));
        object = object.property("next_cursor", cursor).required("next_cursor");
    }
    object.into()
}

/// `(code)` text of a list of codes: "`a`, `b`".
fn quoted(codes: &[ErrorCode]) -> String {
    codes.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
}

/// The error responses `spec` can give, with the codes each status carries.
pub fn error_responses(spec: &RouteSpec) -> Vec<(u16, String)> {
    use ErrorCode as C;
    let mut errors = Vec::new();
    if spec.body.is_some() {
        errors.push((
            400,
            format!(
                "The body is not JSON or not UTF-8 ({}), or could not be read ({}).",
                quoted(&[C::InvalidJson]),
                quoted(&[C::InvalidBody])
            ),
        ));
    }
    if spec.auth != Auth::None {
        errors.push((
            401,
            format!(
                "Credentials missing, malformed, expired, revoked or wrongly signed ({}).",
                quoted(&[C::Unauthorized])
            ),
        ));
    }
    let profile = format!("the user has no profile yet ({})", quoted(&[C::ProfileRequired]));
    let profile = if spec.needs_profile { format!(", or {profile}") } else { String::new() };
    match spec.auth.key_access() {
        Some(KeyAccess::Refused) => {
            errors.push((403, format!("An API key was used ({}){profile}.", quoted(&[C::ApiKeyNotAllowed]))))
        }
        Some(KeyAccess::Scope(scope)) => errors.push((
            403,
            format!(
                "The API key lacks the `{}` scope, is confined to other strategies, or the trade was entered by \
                 hand or imported ({}){profile}.",
                scope.as_str(),
                quoted(&[C::ApiKeyScope])
            ),
        )),
        None => {}
    }
    if !spec.path_params.is_empty() || spec.not_found {
        errors.push((404, format!("No such resource, or it belongs to someone else ({}).", quoted(&[C::NotFound]))));
    }
    if !spec.conflicts.is_empty() {
        errors.push((409, format!("The request conflicts with the current state ({}).", quoted(spec.conflicts))));
    }
    if let Some(body) = spec.body {
        let (seconds, kib) = (body.media.timeout().as_secs(), body.media.limit() / 1024);
        errors.push((
            408,
            format!("The body took longer than {seconds} s to arrive ({}).", quoted(&[C::RequestTimeout])),
        ));
        errors.push((413, format!("The body is over {kib} KiB ({}).", quoted(&[C::PayloadTooLarge]))));
        errors.push((
            415,
            format!("The body's media type is not one this route takes ({}).", quoted(&[C::UnsupportedMediaType])),
        ));
    }
    if spec.body.is_some() || !spec.query.is_empty() {
        let mut text = format!(
            "A field breaks its rule ({}) or is not one this route takes ({}); `error.details` names each.",
            quoted(&[C::ValidationFailed]),
            quoted(&[C::UnknownField])
        );
        if !spec.refusals.is_empty() {
            text.push_str(&format!(" Or the request is refused for what it means ({}).", quoted(spec.refusals)));
        }
        errors.push((422, text));
    }
    if spec.auth != Auth::None || !crate::rate_limit::FREE_PATHS.contains(&spec.path) {
        errors.push((
            429,
            format!(
                "Over a rate limit ({}): the budget of the API key, the user, or the client address; `Retry-After` \
                 says in how many seconds to retry.",
                quoted(&[C::RateLimited])
            ),
        ));
    }
    if spec.uses_storage {
        errors.push((
            503,
            format!("Storage is unreachable; nothing was written ({}).", quoted(&[C::StorageUnavailable])),
        ));
    }
    errors
}
