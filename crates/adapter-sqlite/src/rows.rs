//! Rows as SQLite keeps them, and their conversions to and from the domain: ids as text, times as microseconds,
//! lists as JSON text. A stored value the domain refuses is `Corrupt`, never a panic.

use diesel::prelude::*;
use quantarya_domain::{
    ApiKey, ApiKeyHash, ApiKeyId, ApiKeyScope, ApiKeyScopes, Bio, Currency, Description, DisplayName, Email, KeyGrant,
    KeyName, KeyPrefix, KeyStrategies, SignalAge, Strategy, StrategyId, StrategyTitle, Tags, Timestamp, User, UserId,
    UserName,
};
use quantarya_ports::StoreError;

use crate::schema::{api_keys, strategies, users};

/// A stored value the domain refuses.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// Reads a stored value with a domain parser.
pub(crate) fn read<T, E: std::fmt::Display>(column: &str, parsed: Result<T, E>) -> Result<T, StoreError> {
    parsed.map_err(|e| corrupt(format!("{column}: {e}")))
}

/// A time as stored: microseconds since the Unix epoch.
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.unix_micros()
}

/// A stored time.
pub(crate) fn stamp(column: &str, micros: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_unix_micros(micros).ok_or_else(|| corrupt(format!("{column}: {micros} is out of range")))
}

/// An id as stored: the UUID's hyphenated lowercase text, which sorts as the UUID does.
pub(crate) fn id_text(id: uuid::Uuid) -> String {
    id.hyphenated().to_string()
}

pub(crate) fn uuid(column: &str, text: &str) -> Result<uuid::Uuid, StoreError> {
    read(column, uuid::Uuid::parse_str(text))
}

/// A list as stored: a JSON array.
pub(crate) fn json_list<T: serde::Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// A stored JSON array.
pub(crate) fn list<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<Vec<T>, StoreError> {
    read(column, serde_json::from_str(text))
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, check_for_backend(diesel::sqlite::Sqlite), treat_none_as_null = true)]
pub(crate) struct UserRow {
    pub id: String,
    pub email: String,
    pub user_name: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub public_profile_enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.as_str().to_owned(),
            email: u.email.as_str().to_owned(),
            user_name: u.user_name.as_str().to_owned(),
            display_name: u.display_name.as_ref().map(ToString::to_string),
            bio: u.bio.as_ref().map(ToString::to_string),
            public_profile_enabled: u.public_profile_enabled,
            created_at: micros(u.created_at),
            updated_at: micros(u.updated_at),
        }
    }
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: read("users.id", UserId::parse(&r.id))?,
            email: read("users.email", Email::parse(&r.email))?,
            user_name: read("users.user_name", UserName::parse(&r.user_name))?,
            display_name: r.display_name.map(|d| read("users.display_name", DisplayName::parse(&d))).transpose()?,
            bio: r.bio.map(|b| read("users.bio", Bio::parse(&b))).transpose()?,
            public_profile_enabled: r.public_profile_enabled,
            created_at: stamp("users.created_at", r.created_at)?,
            updated_at: stamp("users.updated_at", r.updated_at)?,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = strategies, check_for_backend(diesel::sqlite::Sqlite), treat_none_as_null = true)]
pub(crate) struct StrategyRow {
    pub id: String,
    pub user_id: String,
    pub title: String,
    pub description: Option<String>,
    pub tags: String,
    pub is_public: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub currency: Option<String>,
    pub max_signal_age_seconds: Option<i32>,
}

impl From<&Strategy> for StrategyRow {
    fn from(s: &Strategy) -> Self {
        Self {
            id: id_text(s.id.as_uuid()),
            user_id: s.user_id.as_str().to_owned(),
            title: s.title.to_string(),
            description: s.description.as_ref().map(ToString::to_string),
            tags: json_list(s.tags.as_slice()),
            is_public: s.is_public,
            created_at: micros(s.created_at),
            updated_at: micros(s.updated_at),
            currency: s.currency.as_ref().map(ToString::to_string),
            // At most 86 400, so it fits.
            max_signal_age_seconds: s.max_signal_age.map(|age| i32::try_from(age.seconds()).unwrap_or(i32::MAX)),
        }
    }
}

impl TryFrom<StrategyRow> for Strategy {
    type Error = StoreError;
    fn try_from(r: StrategyRow) -> Result<Self, StoreError> {
        let tags: Vec<String> = list("strategies.tags", &r.tags)?;
        Ok(Strategy {
            id: StrategyId::from_uuid(uuid("strategies.id", &r.id)?),
            user_id: read("strategies.user_id", UserId::parse(&r.user_id))?,
            title: read("strategies.title", StrategyTitle::parse(&r.title))?,
            description: r.description.map(|d| read("strategies.description", Description::parse(&d))).transpose()?,
            tags: read("strategies.tags", Tags::parse(&tags).map_err(|(_, e)| e))?,
            is_public: r.is_public,
            currency: r.currency.map(|c| read("strategies.currency", Currency::parse(&c))).transpose()?,
            max_signal_age: r
                .max_signal_age_seconds
                .map(|seconds| {
                    let seconds = u64::try_from(seconds).unwrap_or(0);
                    read("strategies.max_signal_age_seconds", SignalAge::new(seconds))
                })
                .transpose()?,
            created_at: stamp("strategies.created_at", r.created_at)?,
            updated_at: stamp("strategies.updated_at", r.updated_at)?,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct ApiKeyRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub hash: Vec<u8>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub scopes: String,
    pub strategy_ids: Option<String>,
    pub expires_at: Option<i64>,
}

impl From<&ApiKey> for ApiKeyRow {
    fn from(k: &ApiKey) -> Self {
        let scopes: Vec<&str> = k.grant.scopes.iter().map(ApiKeyScope::as_str).collect();
        let only = k.grant.strategies.as_ref().map(|only| {
            let ids: Vec<String> = only.as_slice().iter().map(|id| id_text(id.as_uuid())).collect();
            json_list(&ids)
        });
        Self {
            id: id_text(k.id.as_uuid()),
            user_id: k.user_id.as_str().to_owned(),
            name: k.name.to_string(),
            prefix: k.prefix.as_str().to_owned(),
            hash: k.hash.as_bytes().to_vec(),
            created_at: micros(k.created_at),
            last_used_at: k.last_used_at.map(micros),
            scopes: json_list(&scopes),
            strategy_ids: only,
            expires_at: k.grant.expires_at.map(micros),
        }
    }
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;
    fn try_from(r: ApiKeyRow) -> Result<Self, StoreError> {
        let hash: [u8; 32] = r.hash.try_into().map_err(|_| corrupt("api_keys.hash is not 32 bytes"))?;
        let scopes = list::<String>("api_keys.scopes", &r.scopes)?
            .iter()
            .map(|scope| ApiKeyScope::parse(scope).ok_or_else(|| corrupt(format!("api_keys.scopes holds {scope}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let strategies = r
            .strategy_ids
            .map(|text| {
                let ids = list::<String>("api_keys.strategy_ids", &text)?
                    .iter()
                    .map(|id| uuid("api_keys.strategy_ids", id).map(StrategyId::from_uuid))
                    .collect::<Result<Vec<_>, _>>()?;
                read("api_keys.strategy_ids", KeyStrategies::new(ids))
            })
            .transpose()?;
        Ok(ApiKey {
            id: ApiKeyId::from_uuid(uuid("api_keys.id", &r.id)?),
            user_id: read("api_keys.user_id", UserId::parse(&r.user_id))?,
            name: read("api_keys.name", KeyName::parse(&r.name))?,
            prefix: read("api_keys.prefix", KeyPrefix::parse(&r.prefix))?,
            hash: ApiKeyHash::from_bytes(hash),
            grant: KeyGrant {
                scopes: read("api_keys.scopes", ApiKeyScopes::new(scopes))?,
                strategies,
                expires_at: r.expires_at.map(|t| stamp("api_keys.expires_at", t)).transpose()?,
            },
            created_at: stamp("api_keys.created_at", r.created_at)?,
            last_used_at: r.last_used_at.map(|t| stamp("api_keys.last_used_at", t)).transpose()?,
        })
    }
}
