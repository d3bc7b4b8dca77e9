//! `/api-keys`.

use quantarya_domain::{
    ApiKey, ApiKeyScope, ApiKeyScopes, JsonObject, KeyGrant, KeyName, KeyStrategies, NewApiKey, StrategyId,
};
use quantarya_ports::IssuedApiKey;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};

use super::time;
use crate::error::ApiError;
use crate::fields::{FieldReader, present, strings, text, timestamp};
use crate::text_schema::{string, trimmed_pattern};

/// An API key's metadata; never the key or its hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// Its id.
    #[schema(example = "key_0192f0c17a4b7cde8f0123456789abcd")]
    pub api_key_id: String,
    /// The label it was given.
    pub key_name: String,
    /// The first 7 characters of the key, to tell keys apart.
    #[schema(example = "qk_7Fh2")]
    pub prefix: String,
    /// What it may do: `signals`, `read`, `manage`.
    #[schema(example = json!(["signals"]))]
    pub scopes: Vec<String>,
    /// The strategies it is confined to; `null` for all of the user's.
    #[schema(required = true)]
    pub strategy_ids: Option<Vec<String>>,
    /// When it stops working (then it fails with 401, as a revoked key), or `null` for never.
    #[schema(required = true, format = DateTime)]
    pub expires_at: Option<String>,
    /// When it was created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last authenticated a request (updated at most once a minute).
    #[schema(required = true, format = DateTime)]
    pub last_used_at: Option<String>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(key: ApiKey) -> Self {
        Self {
            api_key_id: key.id.to_string(),
            key_name: key.name.to_string(),
            prefix: key.prefix.as_str().to_owned(),
            scopes: scope_names(&key.grant),
            strategy_ids: strategy_names(&key.grant),
            expires_at: key.grant.expires_at.map(time),
            created_at: time(key.created_at),
            last_used_at: key.last_used_at.map(time),
        }
    }
}

/// A new API key, with the raw key: shown this once, never again.
// `Debug` is written by hand below, to hide the raw key.
#[derive(Serialize, ToSchema)]
pub struct IssuedApiKeyView {
    /// The key, as it is listed (never used yet).
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The secret: `qk_` and 38 base62 characters. Store it now; it is returned only once.
    #[schema(example = "qk_7Fh2kLm9Qx0Zr4Tb8Yw1Vn6Ps3Dc5Gj2aB3c4D")]
    pub raw_api_key: String,
}

impl std::fmt::Debug for IssuedApiKeyView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedApiKeyView").field("key", &self.key).field("raw_api_key", &"<redacted>").finish()
    }
}

impl From<IssuedApiKey> for IssuedApiKeyView {
    fn from(issued: IssuedApiKey) -> Self {
        let raw_api_key = issued.raw.expose().to_owned();
        Self { key: ApiKeyView::from(issued.key), raw_api_key }
    }
}

/// The revoked key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyRevocationView {
    /// The revoked key's id; it fails with 401 from now on.
    pub api_key_id: String,
}

/// The scopes of a grant, as the API names them.
fn scope_names(grant: &KeyGrant) -> Vec<String> {
    grant.scopes.iter().map(|scope| scope.as_str().to_owned()).collect()
}

/// The strategies of a grant, as the API writes ids; `None` for all.
fn strategy_names(grant: &KeyGrant) -> Option<Vec<String>> {
    grant.strategies.as_ref().map(|only| only.as_slice().iter().map(ToString::to_string).collect())
}

/// Create an API key for an integration. A TradingView webhook needs only `signals`, on the strategy it feeds.
#[derive(Debug, ToSchema)]
#[schema(example = json!({
    "key_name": "TradingView webhook",
    "scopes": ["signals"],
    "strategy_ids": ["strat_0192f0c17a4b7cde8f0123456789abcd"],
    "expires_at": "2027-06-01T00:00:00Z"
}))]
#[allow(dead_code)]
pub struct CreateApiKeyRequest {
    #[schema(schema_with = key_name_schema)]
    key_name: String,
    #[schema(schema_with = scopes_schema)]
    scopes: Option<Vec<String>>,
    #[schema(schema_with = strategy_ids_schema)]
    strategy_ids: Option<Vec<String>>,
    /// When the key stops working: in the future, at most 2 years ahead. Omitted or `null`: never.
    #[schema(format = DateTime)]
    expires_at: Option<String>,
}

fn key_name_schema() -> Object {
    string(trimmed_pattern(KeyName::MIN_CHARS, KeyName::MAX_CHARS), false, "A label, 1–100 characters, trimmed.")
}

fn scopes_schema() -> Array {
    let scope = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ApiKeyScope::ALL.map(ApiKeyScope::as_str)))
        .build();
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(scope)
        .min_items(Some(1))
        .max_items(Some(ApiKeyScope::ALL.len()))
        .description(Some(
            "What the key may do: `signals` (send signals), `read` (read trades), `manage` (change, close and delete \
             trades). Omitted or `null`: all three.",
        ))
        .build()
}

fn strategy_ids_schema() -> Array {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(ObjectBuilder::new().schema_type(Type::String).description(Some("A strategy id of yours.")).build())
        .min_items(Some(1))
        .max_items(Some(KeyStrategies::MAX))
        .description(Some(
            "The strategies the key is confined to, 1–100 of your own (repeats dropped). Omitted or `null`: all of \
             them, including those made later.",
        ))
        .build()
}

/// Parses a `POST /api-keys` body.
pub fn parse_new_api_key(object: JsonObject) -> Result<NewApiKey, ApiError> {
    let mut r = FieldReader::new::<CreateApiKeyRequest>(object);
    let name = r.required("key_name", text(KeyName::parse));
    let scopes = r.optional("scopes", |value| {
        let names = strings(value)?;
        let scopes = names.iter().map(|name| {
            ApiKeyScope::parse(name).ok_or_else(|| format!("holds {name:?}; a scope is signals, read or manage"))
        });
        ApiKeyScopes::new(scopes.collect::<Result<Vec<_>, _>>()?).map_err(|error| error.to_string())
    });
    let strategies = r.optional("strategy_ids", |value| {
        let ids = strings(value)?;
        let ids = ids.iter().map(|id| StrategyId::parse(id).map_err(|_| format!("holds {id:?}, not a strategy id")));
        KeyStrategies::new(ids.collect::<Result<Vec<_>, _>>()?).map_err(|error| error.to_string())
    });
    let expires_at = r.optional("expires_at", timestamp);
    r.finish()?;
    let grant = KeyGrant { scopes: scopes.unwrap_or(ApiKeyScopes::ALL), strategies, expires_at };
    Ok(NewApiKey { name: present(name, "key_name")?, grant })
}

crate::fields::request_schemas!(CreateApiKeyRequest);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_raw_key() {
        let view = IssuedApiKeyView {
            key: ApiKeyView {
                api_key_id: "key_1".to_owned(),
                key_name: "tradingview".to_owned(),
                prefix: "qk_7Fh2".to_owned(),
                scopes: vec!["signals".to_owned()],
                strategy_ids: None,
                expires_at: None,
                created_at: "2026-11-26T00:00:00Z".to_owned(),
                last_used_at: None,
            },
            raw_api_key: "qk_7Fh2kLm9Qx0Zr4Tb8Yw1Vn6Ps3Dc5Gj2aB3c4D".to_owned(),
        };
        let shown = format!("{view:?}");
        assert!(!shown.contains("kLm9Qx0Zr4"), "{shown}");
        assert!(shown.contains("<redacted>") && shown.contains("tradingview"));
    }
}
