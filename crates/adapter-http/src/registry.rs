//! The route registry: every route declared once, with its method, path, handler, auth kind, docs and a
//! `public` flag. The actix configuration and the OpenAPI document are both generated from it, so a route
//! cannot exist undocumented or be documented without existing.

use std::collections::BTreeMap;

use actix_web::{Route, web};
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ComponentsBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required, ResponseBuilder, Schema,
};

use crate::dto::api_key::{ApiKeyRevocationView, ApiKeyView, CreateApiKeyRequest, IssuedApiKeyView};
use crate::dto::profile::{AccountDeletionView, ProfileRequest, ProfileView, PublicProfileView};
use crate::dto::stats::{
    CurvePointView, FiguresView, PerformanceSummaryView, SideFiguresView, StatsView, SymbolFiguresView, TradeReturnView,
};
use crate::dto::strategy::{
    CreateStrategyRequest, PublicStrategyView, StrategyDeletionView, StrategyView, UpdateStrategyRequest,
};
use crate::dto::trade::{
    CloseTradeRequest, CreateTradeRequest, CredentialView, EventKindView, OriginView, SideInput, SideView,
    SignalEventInput, SignalEventView, StatusInput, StatusView, TradeEventView, TradeView, UpdateTradeRequest,
};
use crate::error::{ApiError, ErrorDetail, ErrorEnvelope, ErrorInfo};
use crate::routes::{api_keys, health, profile, strategies, trades};
use quantarya_ports::PageLimit;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone.
    None,
    /// A user JWT; an API key gets 403 `api_key_not_allowed`.
    UserJwt,
    /// An API key or a user JWT.
    ApiKeyOrJwt,
}

impl Auth {
    /// How the reference labels it.
    pub const fn label(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::UserJwt => "Bearer user JWT",
            Self::ApiKeyOrJwt => "Bearer API key or user JWT",
        }
    }
}

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
    fn route(self) -> Route {
        match self {
            Self::Get => web::get(),
            Self::Post => web::post(),
            Self::Patch => web::patch(),
            Self::Delete => web::delete(),
        }
    }

    fn openapi(self) -> HttpMethod {
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

/// What a parameter's value is.
#[derive(Debug, Clone, Copy)]
pub enum ParamKind {
    /// Any text.
    Text,
    /// A `next_cursor` handed out by an earlier page.
    Cursor,
    /// A page size, 1–500.
    PageSize,
    /// One of these texts.
    OneOf(&'static [&'static str]),
    /// An RFC 3339 time.
    Time,
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
    /// The component schema's name.
    pub schema: &'static str,
    /// Whether the body must be sent.
    pub required: bool,
    /// Whether `text/plain` holding JSON is accepted too.
    pub text_plain: bool,
}

/// What `data` holds in a success envelope.
#[derive(Debug, Clone, Copy)]
pub enum Data {
    /// One object of the named schema.
    One(&'static str),
    /// An array of the named schema.
    Many(&'static str),
    /// An array of the named schema, with `next_cursor`.
    Page(&'static str),
    /// A free-form status object.
    Status,
}

/// A link from a response to another operation that takes a value of it (OpenAPI links), so that clients and
/// stateful fuzzers can chain calls.
#[derive(Debug, Clone, Copy)]
pub struct LinkSpec {
    /// The operation the response leads to.
    pub operation_id: &'static str,
    /// Its parameters, as runtime expressions into the response.
    pub parameters: &'static [(&'static str, &'static str)],
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
    /// Operations its values lead to.
    pub links: &'static [LinkSpec],
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
    /// Path parameters.
    pub path_params: &'static [Param],
    /// Query parameters.
    pub query: &'static [Param],
    /// The request body.
    pub body: Option<Body>,
    /// Success responses.
    pub success: &'static [Success],
    /// Whether it can answer 404 without path parameters (`GET /me` before a profile exists).
    pub not_found: bool,
    /// The `error.code`s of its 409 answers.
    pub conflicts: &'static [&'static str],
    /// Attaches the handler to the method's route.
    pub handler: fn(Route) -> Route,
}

const STRATEGY_ID: Param = Param {
    name: "strategy_id",
    description: "The target strategy identifier inside the Quantarya workspace.",
    kind: ParamKind::Text,
};
const TRADE_ID: Param =
    Param { name: "trade_id", description: "The trade identifier inside the target strategy.", kind: ParamKind::Text };
const API_KEY_ID: Param =
    Param { name: "api_key_id", description: "The API key identifier to revoke.", kind: ParamKind::Text };
const USER_NAME: Param = Param { name: "user_name", description: "Public Quantarya username.", kind: ParamKind::Text };
const TRADE_IDS: &[Param] = &[STRATEGY_ID, TRADE_ID];
const TRADE_QUERY: &[Param] = &[
    Param { name: "limit", description: "Page size, 1–500 (default 100).", kind: ParamKind::PageSize },
    Param { name: "cursor", description: "The `next_cursor` of the previous page.", kind: ParamKind::Cursor },
    Param {
        name: "status",
        description: "Only trades with this status.",
        kind: ParamKind::OneOf(&["OPEN", "CLOSED", "CANCELLED"]),
    },
    Param { name: "symbol", description: "Only trades of this symbol.", kind: ParamKind::Text },
    Param { name: "side", description: "Only trades of this side.", kind: ParamKind::OneOf(&["BUY", "SELL"]) },
    Param { name: "from", description: "Only trades opened at or after this time (RFC 3339).", kind: ParamKind::Time },
    Param { name: "to", description: "Only trades opened at or before this time (RFC 3339).", kind: ParamKind::Time },
];

const CLOSE_RANGE: &[Param] = &[
    Param { name: "from", description: "Only trades closed at or after this time (RFC 3339).", kind: ParamKind::Time },
    Param { name: "to", description: "Only trades closed at or before this time (RFC 3339).", kind: ParamKind::Time },
];

const fn json(schema: &'static str) -> Option<Body> {
    Some(Body { schema, required: true, text_plain: false })
}

const fn ok(description: &'static str, data: Data) -> Success {
    Success { status: 200, description, data, links: &[] }
}

const fn created(description: &'static str, data: Data) -> Success {
    Success { status: 201, description, data, links: &[] }
}

/// `success` with links to the operations its values lead to.
const fn linked(success: Success, links: &'static [LinkSpec]) -> Success {
    Success { links, ..success }
}

const STRATEGY_FROM_BODY: &[(&str, &str)] = &[("strategy_id", "$response.body#/data/strategy_id")];
const TRADE_FROM_BODY: &[(&str, &str)] =
    &[("strategy_id", "$response.body#/data/strategy_id"), ("trade_id", "$response.body#/data/trade_id")];
const STRATEGY_LINKS: &[LinkSpec] = &[
    LinkSpec { operation_id: "get_strategy", parameters: STRATEGY_FROM_BODY },
    LinkSpec { operation_id: "update_strategy", parameters: STRATEGY_FROM_BODY },
    LinkSpec { operation_id: "delete_strategy", parameters: STRATEGY_FROM_BODY },
    LinkSpec { operation_id: "list_trades", parameters: STRATEGY_FROM_BODY },
    LinkSpec { operation_id: "create_trade", parameters: STRATEGY_FROM_BODY },
];
const TRADE_LINKS: &[LinkSpec] = &[
    LinkSpec { operation_id: "get_trade", parameters: TRADE_FROM_BODY },
    LinkSpec { operation_id: "update_trade", parameters: TRADE_FROM_BODY },
    LinkSpec { operation_id: "close_trade", parameters: TRADE_FROM_BODY },
    LinkSpec { operation_id: "list_trade_events", parameters: TRADE_FROM_BODY },
    LinkSpec { operation_id: "delete_trade", parameters: TRADE_FROM_BODY },
];
const KEY_LINKS: &[LinkSpec] =
    &[LinkSpec { operation_id: "revoke_api_key", parameters: &[("api_key_id", "$response.body#/data/api_key_id")] }];

/// A route with the common defaults: public, no parameters, no body, no 409s.
#[expect(clippy::too_many_arguments, reason = "a table row: each argument is one column of the registry")]
const fn route(
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
        path_params: &[],
        query: &[],
        body: None,
        success: &[],
        not_found: false,
        conflicts: &[],
        handler,
    }
}

/// Every route of the service, in the reference's order.
pub fn routes() -> &'static [RouteSpec] {
    ROUTES
}

use Auth::{ApiKeyOrJwt, None as Anyone, UserJwt};
use Verb::{Delete, Get, Patch, Post};

/// The registry itself.
const ROUTES: &[RouteSpec] = &[
    RouteSpec {
        body: json("CreateApiKeyRequest"),
        success: &[linked(
            created("API key created; `raw_api_key` is shown only in this response.", Data::One("IssuedApiKeyView")),
            KEY_LINKS,
        )],
        conflicts: &["api_key_limit"],
        ..route(
            Post,
            "/api-keys",
            "create_api_key",
            "API Keys",
            "Create API key",
            "Create a new API key for external integrations. At most 20 live keys per user.",
            UserJwt,
            |r| r.to(api_keys::create),
        )
    },
    RouteSpec {
        success: &[ok("API key collection, oldest first.", Data::Many("ApiKeyView"))],
        ..route(
            Get,
            "/api-keys",
            "list_api_keys",
            "API Keys",
            "List API keys",
            "List API keys belonging to the authenticated user.",
            UserJwt,
            |r| r.to(api_keys::list),
        )
    },
    RouteSpec {
        path_params: &[API_KEY_ID],
        success: &[ok("API key revoked.", Data::One("ApiKeyRevocationView"))],
        ..route(
            Delete,
            "/api-keys/{api_key_id}",
            "revoke_api_key",
            "API Keys",
            "Revoke API key",
            "Revoke one API key belonging to the authenticated user; it fails with 401 at once.",
            UserJwt,
            |r| r.to(api_keys::revoke),
        )
    },
    RouteSpec {
        success: &[ok("Strategy collection, newest first.", Data::Many("StrategyView"))],
        ..route(
            Get,
            "/strategies",
            "list_strategies",
            "Strategies",
            "List strategies",
            "List all strategies belonging to the authenticated user.",
            UserJwt,
            |r| r.to(strategies::list),
        )
    },
    RouteSpec {
        body: json("CreateStrategyRequest"),
        success: &[linked(created("Strategy created.", Data::One("StrategyView")), STRATEGY_LINKS)],
        ..route(
            Post,
            "/strategies",
            "create_strategy",
            "Strategies",
            "Create strategy",
            "Create a new strategy workspace for the authenticated user.",
            UserJwt,
            |r| r.to(strategies::create),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID],
        success: &[ok("Strategy found.", Data::One("StrategyView"))],
        ..route(
            Get,
            "/strategies/{strategy_id}",
            "get_strategy",
            "Strategies",
            "Get strategy",
            "Return one strategy belonging to the authenticated user.",
            UserJwt,
            |r| r.to(strategies::get),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID],
        body: json("UpdateStrategyRequest"),
        success: &[ok("Strategy updated.", Data::One("StrategyView"))],
        conflicts: &["concurrent_update"],
        ..route(
            Patch,
            "/strategies/{strategy_id}",
            "update_strategy",
            "Strategies",
            "Update strategy",
            "Change a strategy's title, description, tags or visibility; omitted fields keep their value.",
            UserJwt,
            |r| r.to(strategies::update),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID],
        success: &[ok("Strategy deleted with its trades.", Data::One("StrategyDeletionView"))],
        ..route(
            Delete,
            "/strategies/{strategy_id}",
            "delete_strategy",
            "Strategies",
            "Delete strategy",
            "Delete one strategy belonging to the authenticated user, with all its trades.",
            UserJwt,
            |r| r.to(strategies::delete),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID],
        query: CLOSE_RANGE,
        success: &[ok("The strategy's performance.", Data::One("StatsView"))],
        ..route(
            Get,
            "/strategies/{strategy_id}/stats",
            "get_strategy_stats",
            "Strategies",
            "Get strategy performance",
            "Performance over the strategy's CLOSED trades with an entry and a close price, closed within `from`–`to`: \
             counts, win rate, average win and loss, profit factor, expectancy, average R, best and worst trade, \
             streaks, the compounded equity curve and its maximum drawdown, per symbol and per side too. Returns \
             are fractions (0.0125 is +1.25 %).",
            UserJwt,
            |r| r.to(strategies::stats),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID],
        query: TRADE_QUERY,
        success: &[ok("Trade collection, newest first by opened_at.", Data::Page("TradeView"))],
        ..route(
            Get,
            "/strategies/{strategy_id}/trades",
            "list_trades",
            "Trades",
            "List trades",
            "List the trades stored under one strategy, newest first, a page at a time.",
            ApiKeyOrJwt,
            |r| r.to(trades::list),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID],
        body: Some(Body { schema: "CreateTradeRequest", required: true, text_plain: true }),
        success: &[
            linked(
                created(
                    "Trade created (an entry, or a back-filled closed or cancelled trade).",
                    Data::One("TradeView"),
                ),
                TRADE_LINKS,
            ),
            linked(
                ok(
                    "An update or exit applied, or a repeated entry or exit answered with its trade unchanged.",
                    Data::One("TradeView"),
                ),
                TRADE_LINKS,
            ),
        ],
        conflicts: &["ambiguous_trade", "symbol_mismatch", "side_mismatch", "invalid_transition", "concurrent_update"],
        ..route(
            Post,
            "/strategies/{strategy_id}/trades",
            "create_trade",
            "Trades",
            "Create trade",
            "Create a new trade or signal record for a target strategy: an `entry` opens a trade, an `update` \
                 changes an open one, an `exit` closes or cancels it. Webhook retries are harmless. Senders that \
                 cannot set headers (TradingView) may send `text/plain` holding JSON, with the API key as `api_key`.",
            ApiKeyOrJwt,
            |r| r.to(trades::create),
        )
    },
    RouteSpec {
        path_params: TRADE_IDS,
        success: &[ok("Trade found.", Data::One("TradeView"))],
        ..route(
            Get,
            "/strategies/{strategy_id}/trades/{trade_id}",
            "get_trade",
            "Trades",
            "Get trade",
            "Return one stored trade from a strategy.",
            ApiKeyOrJwt,
            |r| r.to(trades::get),
        )
    },
    RouteSpec {
        path_params: TRADE_IDS,
        body: json("UpdateTradeRequest"),
        success: &[ok("Trade updated.", Data::One("TradeView"))],
        conflicts: &["invalid_transition", "concurrent_update"],
        ..route(
            Patch,
            "/strategies/{strategy_id}/trades/{trade_id}",
            "update_trade",
            "Trades",
            "Update trade",
            "Apply a partial update to an existing trade: close or cancel an open trade, correct a closed one, or \
                 change its stop loss, take profit or notes.",
            ApiKeyOrJwt,
            |r| r.to(trades::patch),
        )
    },
    RouteSpec {
        path_params: TRADE_IDS,
        success: &[ok("Trade deleted, with its history.", Data::One("TradeView"))],
        conflicts: &["trade_not_manual"],
        ..route(
            Delete,
            "/strategies/{strategy_id}/trades/{trade_id}",
            "delete_trade",
            "Trades",
            "Delete manual trade",
            "Delete an existing trade only when it was created manually; a trade that arrived through an API key \
                 can be cancelled, never erased.",
            ApiKeyOrJwt,
            |r| r.to(trades::delete),
        )
    },
    RouteSpec {
        path_params: TRADE_IDS,
        body: Some(Body { schema: "CloseTradeRequest", required: false, text_plain: false }),
        success: &[ok("Trade closed.", Data::One("TradeView"))],
        conflicts: &["invalid_transition", "concurrent_update"],
        ..route(
            Post,
            "/strategies/{strategy_id}/trades/{trade_id}/close",
            "close_trade",
            "Trades",
            "Close trade",
            "Close an existing trade and optionally store the final price.",
            ApiKeyOrJwt,
            |r| r.to(trades::close),
        )
    },
    RouteSpec {
        path_params: TRADE_IDS,
        success: &[ok("The trade's history, oldest first.", Data::Many("TradeEventView"))],
        ..route(
            Get,
            "/strategies/{strategy_id}/trades/{trade_id}/events",
            "list_trade_events",
            "Trades",
            "List trade history",
            "Every change of the trade, oldest first: what happened, when, by which kind of \
                 credential, and the fields it set.",
            UserJwt,
            |r| r.to(trades::history),
        )
    },
    RouteSpec {
        success: &[ok("Authenticated user profile.", Data::One("ProfileView"))],
        not_found: true,
        ..route(
            Get,
            "/me",
            "get_profile",
            "User",
            "Get current user profile",
            "Return the authenticated user's Quantarya profile (404 before it is created).",
            UserJwt,
            |r| r.to(profile::get_me),
        )
    },
    RouteSpec {
        body: json("ProfileRequest"),
        success: &[
            created("User profile created.", Data::One("ProfileView")),
            ok("User profile updated.", Data::One("ProfileView")),
        ],
        conflicts: &["user_name_taken", "concurrent_update"],
        ..route(
            Post,
            "/me",
            "save_profile",
            "User",
            "Create or update current user profile",
            "Create the current user profile or update it; an update keeps the fields it omits.",
            UserJwt,
            |r| r.to(profile::save_me),
        )
    },
    RouteSpec {
        success: &[ok("Workspace profile deleted.", Data::One("AccountDeletionView"))],
        not_found: true,
        ..route(
            Delete,
            "/me",
            "delete_profile",
            "User",
            "Delete workspace profile",
            "Delete the current Quantarya workspace profile and its dependent data: strategies, trades and API keys.",
            UserJwt,
            |r| r.to(profile::delete_me),
        )
    },
    RouteSpec {
        path_params: &[USER_NAME],
        success: &[ok("Public profile found.", Data::One("PublicProfileView"))],
        ..route(
            Get,
            "/profiles/{user_name}",
            "get_public_profile",
            "Profiles",
            "Get public profile",
            "Return a public Quantarya profile when the user has enabled sharing.",
            Anyone,
            |r| r.to(profile::public_profile),
        )
    },
    RouteSpec {
        public: false,
        success: &[ok("The process is alive.", Data::Status)],
        ..route(Get, "/healthz", "healthz", "Health", "Liveness", "Answers while the process lives.", Anyone, |r| {
            r.to(health::healthz)
        })
    },
    RouteSpec {
        public: false,
        success: &[ok("Storage answers.", Data::Status)],
        ..route(
            Get,
            "/readyz",
            "readyz",
            "Health",
            "Readiness",
            "Answers 200 only while storage answers.",
            Anyone,
            |r| r.to(health::readyz),
        )
    },
    RouteSpec {
        public: false,
        ..route(
            Get,
            "/docs",
            "docs",
            "Health",
            "API reference page",
            "The API reference, rendered from the OpenAPI document.",
            Anyone,
            |r| r.to(health::docs),
        )
    },
    RouteSpec {
        public: false,
        ..route(
            Get,
            "/openapi.json",
            "openapi",
            "Health",
            "OpenAPI document",
            "The OpenAPI document of the public routes.",
            Anyone,
            |r| r.to(health::openapi),
        )
    },
];

/// Registers every route, one actix resource per path, with a 405 in the error envelope for other methods.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut by_path: BTreeMap<&'static str, Vec<RouteSpec>> = BTreeMap::new();
    for spec in routes() {
        by_path.entry(spec.path).or_default().push(*spec);
    }
    for (path, specs) in by_path {
        let allowed: Vec<&'static str> = specs.iter().map(|s| s.verb.as_str()).collect();
        // Every route of a path shares its auth kind (a test checks it), so the extractor can read it per resource.
        let auth = specs.first().map_or(Auth::UserJwt, |s| s.auth);
        let mut resource = web::resource(path).app_data(auth).default_service(web::to(move || {
            let allowed = allowed.join(", ");
            async move {
                let error = ApiError::new(
                    actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    format!("This path takes {allowed}."),
                );
                let mut response = crate::reply::json(error.status(), &error.envelope());
                if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allowed) {
                    response.headers_mut().insert(actix_web::http::header::ALLOW, value);
                }
                response
            }
        }));
        for spec in specs {
            resource = resource.route((spec.handler)(spec.verb.route()));
        }
        cfg.service(resource);
    }
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn string_schema() -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).into()
}

fn envelope(data: Data) -> RefOr<Schema> {
    let (data_schema, paged): (RefOr<Schema>, bool) = match data {
        Data::One(name) => (schema_ref(name), false),
        Data::Many(name) => (ArrayBuilder::new().items(schema_ref(name)).into(), false),
        Data::Page(name) => (ArrayBuilder::new().items(schema_ref(name)).into(), true),
        Data::Status => (ObjectBuilder::new().schema_type(Type::Object).into(), false),
    };
    let mut object = ObjectBuilder::new()
        .property("message", string_schema())
        .required("message")
        .property("data", data_schema)
        .required("data");
    if paged {
        let cursor = ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]))
            .description(Some("Pass as `cursor` for the next page; null on the last page."));
        object = object.property("next_cursor", cursor).required("next_cursor");
    }
    object.into()
}

/// The error responses a route can give, with the codes each status carries.
fn error_responses(spec: &RouteSpec) -> Vec<(u16, String)> {
    let mut errors = Vec::new();
    if spec.body.is_some() {
        errors.push((
            400,
            "The body is not JSON or not UTF-8 (`invalid_json`), or could not be read (`invalid_body`).".to_owned(),
        ));
    }
    if spec.auth != Auth::None {
        errors.push((
            401,
            "Credentials missing, malformed, expired, revoked or wrongly signed (`unauthorized`).".to_owned(),
        ));
    }
    match spec.auth {
        Auth::UserJwt if spec.path == "/me" => {
            errors.push((403, "An API key was used (`api_key_not_allowed`).".to_owned()));
        }
        Auth::UserJwt => errors.push((
            403,
            "An API key was used (`api_key_not_allowed`), or the user has no profile yet (`profile_required`)."
                .to_owned(),
        )),
        Auth::ApiKeyOrJwt => errors.push((403, "The user has no profile yet (`profile_required`).".to_owned())),
        Auth::None => {}
    }
    if !spec.path_params.is_empty() || spec.not_found {
        errors.push((404, "No such resource, or it belongs to someone else (`not_found`).".to_owned()));
    }
    if !spec.conflicts.is_empty() {
        let codes: Vec<String> = spec.conflicts.iter().map(|c| format!("`{c}`")).collect();
        errors.push((409, format!("The request conflicts with the current state ({}).", codes.join(", "))));
    }
    if spec.body.is_some() {
        errors.push((408, "The body took longer than 15 s to arrive (`request_timeout`).".to_owned()));
        errors.push((413, "The body is over 64 KiB (`payload_too_large`).".to_owned()));
        errors.push((415, "The body's media type is not one this route takes (`unsupported_media_type`).".to_owned()));
    }
    if spec.body.is_some() || !spec.query.is_empty() {
        errors.push((422, "A field breaks its rule (`validation_failed`) or is not one this route takes (`unknown_field`); `error.details` names each.".to_owned()));
    }
    if spec.public && spec.operation_id != "openapi" && spec.path != "/healthz" {
        errors.push((503, "Storage is unreachable; nothing was written (`storage_unavailable`).".to_owned()));
    }
    errors
}

const API_DESCRIPTION: &str = "Quantarya keeps an honest, tamper-evident record of each trade's life. \
Every success body is `{\"message\", \"data\"}` (lists with a page add `next_cursor`); every error body is \
`{\"message\", \"error\": {\"code\", \"details\"}}`. Error codes: `invalid_json`, `unauthorized`, \
`api_key_not_allowed`, `profile_required`, `not_found`, `method_not_allowed`, `invalid_transition`, \
`trade_not_manual`, `user_name_taken`, `ambiguous_trade`, `api_key_limit`, `symbol_mismatch`, `side_mismatch`, \
`concurrent_update`, `invalid_body`, `request_timeout`, `payload_too_large`, `unsupported_media_type`, \
`validation_failed`, `unknown_field`, `storage_unavailable`, `internal_error`.";

/// The OpenAPI document of the public routes.
pub fn openapi() -> OpenApi {
    let mut paths = Paths::new();
    for spec in routes().iter().filter(|s| s.public) {
        let mut operation = OperationBuilder::new()
            .operation_id(Some(spec.operation_id))
            .tag(spec.tag)
            .summary(Some(spec.summary))
            .description(Some(format!("{}\n\nAuth: {}.", spec.description, spec.auth.label())));
        match spec.auth {
            Auth::None => {}
            Auth::UserJwt => operation = operation.security(SecurityRequirement::new("user_jwt", Vec::<String>::new())),
            Auth::ApiKeyOrJwt => {
                operation = operation
                    .security(SecurityRequirement::new("user_jwt", Vec::<String>::new()))
                    .security(SecurityRequirement::new("api_key", Vec::<String>::new()));
                if spec.body.is_some_and(|b| b.text_plain) {
                    // The API key may instead travel in the body as `api_key`.
                    operation = operation.security(SecurityRequirement::default());
                }
            }
        }
        let params = spec.path_params.iter().map(|p| (p, ParameterIn::Path, Required::True));
        let query = spec.query.iter().map(|p| (p, ParameterIn::Query, Required::False));
        for (param, location, required) in params.chain(query) {
            let schema = match param.kind {
                ParamKind::Text => ObjectBuilder::new().schema_type(Type::String),
                ParamKind::Cursor => {
                    ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^c1\.[0-9]+\.[0-9a-f]{32}$"))
                }
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
            };
            operation = operation.parameter(
                ParameterBuilder::new()
                    .name(param.name)
                    .parameter_in(location)
                    .required(required)
                    .description(Some(param.description))
                    .schema(Some(schema)),
            );
        }
        if let Some(body) = spec.body {
            let mut request = RequestBodyBuilder::new()
                .required(Some(if body.required { Required::True } else { Required::False }))
                .content("application/json", ContentBuilder::new().schema(Some(schema_ref(body.schema))).build());
            if body.text_plain {
                let text = ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(format!("The JSON text of a {}, as TradingView sends it.", body.schema)));
                request = request.content("text/plain", ContentBuilder::new().schema(Some(text)).build());
            }
            operation = operation.request_body(Some(request.build()));
        }
        for success in spec.success {
            let mut response = ResponseBuilder::new()
                .description(success.description)
                .content("application/json", ContentBuilder::new().schema(Some(envelope(success.data))).build());
            for link in success.links {
                let mut built = LinkBuilder::new().operation_id(link.operation_id);
                for (name, expression) in link.parameters {
                    built = built.parameter(*name, *expression);
                }
                response = response.link(link.operation_id, built.build());
            }
            operation = operation.response(success.status.to_string(), response);
        }
        for (status, description) in error_responses(spec) {
            operation = operation.response(
                status.to_string(),
                ResponseBuilder::new().description(description).content(
                    "application/json",
                    ContentBuilder::new().schema(Some(schema_ref("ErrorEnvelope"))).build(),
                ),
            );
        }
        paths.add_path_operation(spec.path, vec![spec.verb.openapi()], operation.build());
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
            bearer("An API key (`qk_…`) from POST /api-keys; accepted on the trade routes only.", "qk_ API key"),
        )
        .schema_from::<ErrorEnvelope>()
        .schema_from::<ErrorInfo>()
        .schema_from::<ErrorDetail>()
        .schema_from::<ProfileView>()
        .schema_from::<PublicProfileView>()
        .schema_from::<PublicStrategyView>()
        .schema_from::<AccountDeletionView>()
        .schema_from::<ProfileRequest>()
        .schema_from::<StrategyView>()
        .schema_from::<StrategyDeletionView>()
        .schema_from::<CreateStrategyRequest>()
        .schema_from::<UpdateStrategyRequest>()
        .schema_from::<ApiKeyView>()
        .schema_from::<IssuedApiKeyView>()
        .schema_from::<ApiKeyRevocationView>()
        .schema_from::<CreateApiKeyRequest>()
        .schema_from::<TradeView>()
        .schema_from::<SideView>()
        .schema_from::<StatusView>()
        .schema_from::<SignalEventView>()
        .schema_from::<OriginView>()
        .schema_from::<TradeEventView>()
        .schema_from::<EventKindView>()
        .schema_from::<CredentialView>()
        .schema_from::<CreateTradeRequest>()
        .schema_from::<SideInput>()
        .schema_from::<SignalEventInput>()
        .schema_from::<StatusInput>()
        .schema_from::<UpdateTradeRequest>()
        .schema_from::<CloseTradeRequest>()
        .schema_from::<StatsView>()
        .schema_from::<FiguresView>()
        .schema_from::<SymbolFiguresView>()
        .schema_from::<SideFiguresView>()
        .schema_from::<CurvePointView>()
        .schema_from::<TradeReturnView>()
        .schema_from::<PerformanceSummaryView>()
        .build();
    let tags =
        ["API Keys", "Strategies", "Trades", "User", "Profiles"].map(|name| TagBuilder::new().name(name).build());
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Quantarya API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(API_DESCRIPTION)),
        )
        .paths(paths)
        .components(Some(components))
        .tags(Some(tags))
        .build()
}

/// Names of every schema a route refers to, for the test that each is a component.
#[cfg(test)]
fn referenced_schemas() -> Vec<&'static str> {
    let mut names = vec!["ErrorEnvelope"];
    for spec in routes() {
        names.extend(spec.body.map(|b| b.schema));
        for success in spec.success {
            match success.data {
                Data::One(n) | Data::Many(n) | Data::Page(n) => names.push(n),
                Data::Status => {}
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_document_has_exactly_the_public_routes() {
        let document = openapi();
        let mut documented = HashSet::new();
        for (path, item) in &document.paths.paths {
            for (method, operation) in
                [("GET", &item.get), ("POST", &item.post), ("PATCH", &item.patch), ("DELETE", &item.delete)]
            {
                if operation.is_some() {
                    documented.insert(format!("{method} {path}"));
                }
            }
        }
        let public: HashSet<String> =
            routes().iter().filter(|r| r.public).map(|r| format!("{} {}", r.verb.as_str(), r.path)).collect();
        assert_eq!(documented, public);
        assert_eq!(public.len(), 20, "the 17 reference routes, PATCH /strategies/{{id}}, trade history and stats");
        assert!(!documented.iter().any(|r| r.contains("healthz") || r.contains("readyz") || r.contains("openapi")));
    }

    /// The texts that quote a limit of the domain or the ports (they cannot be built from the constants) still
    /// quote its value.
    #[test]
    fn texts_quote_the_limits_in_force() {
        let document = crate::openapi_json();
        let (max, default) = (PageLimit::MAX, PageLimit::DEFAULT.get());
        for text in [
            format!("Page size, 1–{max} (default {default})."),
            format!("At most {} live keys per user.", quantarya_domain::ApiKey::LIMIT_PER_USER),
            format!("sampled to at most {} points", quantarya_ports::OWNER_CURVE_POINTS),
            format!("at most {} points, extremes kept", quantarya_ports::PUBLIC_CURVE_POINTS),
        ] {
            assert!(document.contains(&text), "the document no longer says {text:?}");
        }
    }

    #[test]
    fn every_referenced_schema_is_a_component() {
        let document = openapi();
        let components = document.components.expect("components");
        for name in referenced_schemas() {
            assert!(components.schemas.contains_key(name), "{name} is referenced but not a component");
        }
    }

    #[test]
    fn every_route_of_a_path_shares_its_auth_kind() {
        for spec in routes() {
            for other in routes().iter().filter(|o| o.path == spec.path) {
                assert_eq!(spec.auth, other.auth, "{} {}", spec.verb.as_str(), spec.path);
            }
        }
    }

    #[test]
    fn every_link_leads_to_a_public_operation_with_those_parameters() {
        for spec in routes() {
            for link in spec.success.iter().flat_map(|s| s.links) {
                let target = routes().iter().find(|r| r.operation_id == link.operation_id);
                let target = target.unwrap_or_else(|| panic!("no operation {}", link.operation_id));
                assert!(target.public);
                for (name, _) in link.parameters {
                    assert!(
                        target.path_params.iter().any(|p| p.name == *name),
                        "{} has no {name}",
                        target.operation_id
                    );
                }
            }
        }
    }

    #[test]
    fn patch_bodies_need_at_least_one_field_and_nothing_caps_fields() {
        let document: serde_json::Value = serde_json::from_str(&crate::openapi_json()).expect("valid JSON");
        assert!(!crate::openapi_json().contains("maxProperties"));
        for schema in ["UpdateTradeRequest", "UpdateStrategyRequest"] {
            assert_eq!(document["components"]["schemas"][schema]["minProperties"], serde_json::json!(1), "{schema}");
        }
    }

    #[test]
    fn error_codes_are_an_enum_clients_can_branch_on() {
        let document: serde_json::Value = serde_json::from_str(&crate::openapi_json()).expect("valid JSON");
        let codes = &document["components"]["schemas"]["ErrorInfo"]["properties"]["code"]["enum"];
        for code in ["unauthorized", "not_found", "invalid_transition", "storage_unavailable", "validation_failed"] {
            assert!(codes.as_array().is_some_and(|c| c.contains(&serde_json::json!(code))), "{code} in {codes}");
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let ids: Vec<&str> = routes().iter().map(|r| r.operation_id).collect();
        let unique: HashSet<&&str> = ids.iter().collect();
        assert_eq!(ids.len(), unique.len());
    }
}
