//! The route model: what a route declares about itself (method, path, handler, auth kind, docs, public flag).
//! Each `routes/<aggregate>.rs` declares its routes with these types beside its handlers; the registry collects
//! them, and both the actix configuration and the OpenAPI document are generated from them. This file knows no
//! handler.

use std::borrow::Cow;

use actix_web::{Route, web};
use utoipa::ToSchema;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::{RefOr, Schema};

use crate::auth_kind::Auth;
use crate::body::Media;
use crate::error_code::ErrorCode;

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

impl Verb {
    /// The actix route of this method.
    pub fn route(self) -> Route {
        match self {
            Self::Get => web::get(),
            Self::Post => web::post(),
            Self::Patch => web::patch(),
            Self::Delete => web::delete(),
        }
    }

    /// The OpenAPI operation key of this method.
    pub fn openapi(self) -> HttpMethod {
        match self {
            Self::Get => HttpMethod::Get,
            Self::Post => HttpMethod::Post,
            Self::Patch => HttpMethod::Patch,
            Self::Delete => HttpMethod::Delete,
        }
    }

    /// The method's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// A documented schema, named by its type: the OpenAPI components are collected from the schemas the routes
/// name, so a schema cannot be referenced without being a component.
#[derive(Clone, Copy)]
pub struct SchemaRef {
    name: fn() -> Cow<'static, str>,
    collect: fn(&mut Vec<(String, RefOr<Schema>)>),
}

impl SchemaRef {
    /// The schema of `T`.
    pub const fn of<T: ToSchema>() -> Self {
        Self { name: T::name, collect: collect::<T> }
    }

    /// The component's name.
    pub fn name(&self) -> String {
        (self.name)().into_owned()
    }

    /// Adds this schema and every schema it refers to, to `schemas`.
    pub fn collect(&self, schemas: &mut Vec<(String, RefOr<Schema>)>) {
        (self.collect)(schemas);
    }
}

fn collect<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

impl std::fmt::Debug for SchemaRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SchemaRef").field(&self.name()).finish()
    }
}

/// What a parameter's value is.
#[derive(Debug, Clone, Copy)]
pub enum ParamKind {
    /// Any text.
    Text,
    /// An instrument symbol, as a trade's.
    Symbol,
    /// A `next_cursor` handed out by an earlier page.
    Cursor,
    /// A page size, 1–500.
    PageSize,
    /// One of these texts.
    OneOf(&'static [&'static str]),
    /// An RFC 3339 time.
    Time,
    /// An `Idempotency-Key`: 1–255 printable ASCII characters.
    IdempotencyKey,
    /// A number greater than 0 and at most 1e12 (a point value).
    Positive,
}

/// A path or query parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// What it means.
    pub description: &'static str,
    /// What its value is.
    pub kind: ParamKind,
}

/// A request body.
#[derive(Debug, Clone, Copy)]
pub struct Body {
    /// Its schema.
    pub schema: SchemaRef,
    /// Whether the body must be sent.
    pub required: bool,
    /// The media types it may have, and with them its size limit.
    pub media: Media,
}

/// What `data` holds in a success envelope.
#[derive(Debug, Clone, Copy)]
pub enum Data {
    /// One object of the schema.
    One(SchemaRef),
    /// An array of the schema.
    Many(SchemaRef),
    /// An array of the schema, with `next_cursor`.
    Page(SchemaRef),
    /// A free-form status object.
    Status,
    /// Not an envelope: a `text/csv` file of the schema (a string), streamed.
    Csv(SchemaRef),
}

impl Data {
    /// The schema it carries, if any.
    pub const fn schema(self) -> Option<SchemaRef> {
        match self {
            Self::One(schema) | Self::Many(schema) | Self::Page(schema) | Self::Csv(schema) => Some(schema),
            Self::Status => None,
        }
    }
}

/// A success response.
#[derive(Debug, Clone, Copy)]
pub struct Success {
    /// 200 or 201.
    pub status: u16,
    /// When it is answered.
    pub description: &'static str,
    /// What it carries.
    pub data: Data,
    /// The operations its values lead to (OpenAPI links, so that clients and stateful fuzzers can chain calls):
    /// each of their path parameters is the field of the same name in `data`.
    pub links: &'static [&'static str],
}

/// One route of the service.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// The method.
    pub verb: Verb,
    /// The path, with `{name}` parameters.
    pub path: &'static str,
    /// A unique, stable name.
    pub operation_id: &'static str,
    /// The reference's group.
    pub tag: &'static str,
    /// One line.
    pub summary: &'static str,
    /// What it does.
    pub description: &'static str,
    /// Who may call it.
    pub auth: Auth,
    /// Whether the public reference documents it.
    pub public: bool,
    /// Whether a user must have a profile first (403 `profile_required` otherwise).
    pub needs_profile: bool,
    /// Whether it reads or writes storage (503 `storage_unavailable` while storage is down).
    pub uses_storage: bool,
    /// Path parameters.
    pub path_params: &'static [Param],
    /// Query parameters: the only ones the route takes.
    pub query: &'static [Param],
    /// Request headers it reads (beyond `Authorization` and `Content-Type`).
    pub headers: &'static [Param],
    /// The request body.
    pub body: Option<Body>,
    /// Success responses.
    pub success: &'static [Success],
    /// Whether it can answer 404 without path parameters (`GET /me` before a profile exists).
    pub not_found: bool,
    /// The `error.code`s of its 409 answers.
    pub conflicts: &'static [ErrorCode],
    /// The `error.code`s of its 422 answers beyond `validation_failed` and `unknown_field`.
    pub refusals: &'static [ErrorCode],
    /// Attaches the handler to the method's route.
    pub handler: fn(Route) -> Route,
}

/// A JSON body that must be sent.
pub const fn json<T: ToSchema>() -> Option<Body> {
    Some(Body { schema: SchemaRef::of::<T>(), required: true, media: Media::Json })
}

/// A 200 answer.
pub const fn ok(description: &'static str, data: Data) -> Success {
    Success { status: 200, description, data, links: &[] }
}

/// A 201 answer.
pub const fn created(description: &'static str, data: Data) -> Success {
    Success { status: 201, description, data, links: &[] }
}

/// `success` with links to the operations its values lead to.
pub const fn linked(success: Success, links: &'static [&'static str]) -> Success {
    Success { links, ..success }
}

/// One object of `T`.
pub const fn one<T: ToSchema>() -> Data {
    Data::One(SchemaRef::of::<T>())
}

/// An array of `T`.
pub const fn many<T: ToSchema>() -> Data {
    Data::Many(SchemaRef::of::<T>())
}

/// A page of `T`.
pub const fn page<T: ToSchema>() -> Data {
    Data::Page(SchemaRef::of::<T>())
}

/// A route with the common defaults: public, behind a profile when it takes credentials, using storage, no
/// parameters, no body, no 409s. The auth kind has no default: every route states it.
#[expect(clippy::too_many_arguments, reason = "a table row: each argument is one column of the registry")]
pub const fn route(
    verb: Verb,
    path: &'static str,
    operation_id: &'static str,
    tag: &'static str,
    summary: &'static str,
    description: &'static str,
    auth: Auth,
    handler: fn(Route) -> Route,
) -> RouteSpec {
    RouteSpec {
        verb,
        path,
        operation_id,
        tag,
        summary,
        description,
        auth,
        public: true,
        needs_profile: !matches!(auth, Auth::None),
        uses_storage: true,
        path_params: &[],
        query: &[],
        headers: &[],
        body: None,
        success: &[],
        not_found: false,
        conflicts: &[],
        refusals: &[],
        handler,
    }
}
