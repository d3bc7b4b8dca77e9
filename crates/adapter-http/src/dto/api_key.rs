//! `/api-keys`.

use quantarya_domain::{ApiKey, JsonObject, KeyName};
use quantarya_ports::IssuedApiKey;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;

use super::time;
use crate::error::ApiError;
use crate::fields::{FieldReader, present, text};
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
            created_at: time(key.created_at),
            last_used_at: key.last_used_at.map(time),
        }
    }
}

/// A new API key, with the raw key: shown this once, never again.
// `Debug` is written by hand below, to hide the raw key.
#[derive(Serialize, ToSchema)]
pub struct IssuedApiKeyView {
    /// Its id.
    pub api_key_id: String,
    /// The label it was given.
    pub key_name: String,
    /// The first 7 characters of the key.
    pub prefix: String,
    /// When it was created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The secret: `qk_` and 38 base62 characters. Store it now; it is returned only once.
    #[schema(example = "qk_7Fh2kLm9Qx0Zr4Tb8Yw1Vn6Ps3Dc5Gj2aB3c4D")]
    pub raw_api_key: String,
}

impl std::fmt::Debug for IssuedApiKeyView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedApiKeyView")
            .field("api_key_id", &self.api_key_id)
            .field("key_name", &self.key_name)
            .field("prefix", &self.prefix)
            .field("created_at", &self.created_at)
            .field("raw_api_key", &"<redacted>")
            .finish()
    }
}

impl From<IssuedApiKey> for IssuedApiKeyView {
    fn from(issued: IssuedApiKey) -> Self {
        Self {
            api_key_id: issued.key.id.to_string(),
            key_name: issued.key.name.to_string(),
            prefix: issued.key.prefix.as_str().to_owned(),
            created_at: time(issued.key.created_at),
            raw_api_key: issued.raw.expose().to_owned(),
        }
    }
}

/// The revoked key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyRevocationView {
    /// The revoked key's id; it fails with 401 from now on.
    pub api_key_id: String,
}

/// Create an API key for an integration.
#[derive(Debug, ToSchema)]
#[schema(example = json!({ "key_name": "TradingView webhook" }))]
#[allow(dead_code)]
pub struct CreateApiKeyRequest {
    #[schema(schema_with = key_name_schema)]
    key_name: String,
}

fn key_name_schema() -> Object {
    string(trimmed_pattern(KeyName::MIN_CHARS, KeyName::MAX_CHARS), false, "A label, 1–100 characters, trimmed.")
}

/// Parses a `POST /api-keys` body.
pub fn parse_key_name(object: JsonObject) -> Result<KeyName, ApiError> {
    let mut r = FieldReader::new::<CreateApiKeyRequest>(object);
    let name = r.required("key_name", text(KeyName::parse));
    r.finish()?;
    present(name, "key_name")
}

crate::fields::request_schemas!(CreateApiKeyRequest);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_raw_key() {
        let view = IssuedApiKeyView {
            api_key_id: "key_1".to_owned(),
            key_name: "tradingview".to_owned(),
            prefix: "qk_7Fh2".to_owned(),
            created_at: "2026-11-26T00:00:00Z".to_owned(),
            raw_api_key: "qk_7Fh2kLm9Qx0Zr4Tb8Yw1Vn6Ps3Dc5Gj2aB3c4D".to_owned(),
        };
        let shown = format!("{view:?}");
        assert!(!shown.contains("kLm9Qx0Zr4"), "{shown}");
        assert!(shown.contains("<redacted>") && shown.contains("tradingview"));
    }
}
