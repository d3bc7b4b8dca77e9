//! `/me` and `/profiles/{user_name}`.

use quantarya_domain::{Bio, DisplayName, JsonObject, ProfileChange, User, UserName};
use quantarya_ports::PublicProfile;
use quantarya_ports::outbound::AccountDeletion;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;

use super::strategy::PublicStrategyView;
use super::time;
use crate::error::ApiError;
use crate::fields::{FieldReader, boolean, text};
use crate::text_schema::{string, trimmed_pattern, user_name_pattern};

/// The caller's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView {
    /// The identity provider's subject.
    pub user_id: String,
    /// The e-mail of the caller's token; never shown publicly.
    pub email: String,
    /// The public user name, lowercase.
    #[schema(example = "systematic-desk")]
    pub user_name: String,
    /// The name shown on the public profile.
    #[schema(required = true)]
    pub display_name: Option<String>,
    /// The public bio.
    #[schema(required = true)]
    pub bio: Option<String>,
    /// Whether `GET /profiles/{user_name}` shows the profile.
    pub public_profile_enabled: bool,
    /// When the profile was created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<User> for ProfileView {
    fn from(user: User) -> Self {
        Self {
            user_id: user.id.to_string(),
            email: user.email.as_str().to_owned(),
            user_name: user.user_name.to_string(),
            display_name: user.display_name.map(|d| d.to_string()),
            bio: user.bio.map(|b| b.to_string()),
            public_profile_enabled: user.public_profile_enabled,
            created_at: time(user.created_at),
            updated_at: time(user.updated_at),
        }
    }
}

/// A public profile: never the e-mail, never a private strategy.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicProfileView {
    /// The public user name.
    pub user_name: String,
    /// The display name.
    #[schema(required = true)]
    pub display_name: Option<String>,
    /// The bio.
    #[schema(required = true)]
    pub bio: Option<String>,
    /// Always true: a disabled profile is not found.
    pub public_profile_enabled: bool,
    /// The public strategies, newest first.
    pub strategies: Vec<PublicStrategyView>,
}

impl From<PublicProfile> for PublicProfileView {
    fn from(profile: PublicProfile) -> Self {
        Self {
            user_name: profile.user.user_name.to_string(),
            display_name: profile.user.display_name.map(|d| d.to_string()),
            bio: profile.user.bio.map(|b| b.to_string()),
            public_profile_enabled: profile.user.public_profile_enabled,
            strategies: profile.strategies.into_iter().map(PublicStrategyView::from).collect(),
        }
    }
}

/// What `DELETE /me` removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDeletionView {
    /// The deleted user's id.
    pub user_id: String,
    /// Strategies removed.
    pub deleted_strategy_count: u64,
    /// Trades removed, with their history.
    pub deleted_trade_count: u64,
    /// API keys removed; they stop working at once.
    pub deleted_api_key_count: u64,
}

impl AccountDeletionView {
    /// The view of `deletion` for `user_id`.
    pub fn new(user_id: &quantarya_domain::UserId, deletion: AccountDeletion) -> Self {
        Self {
            user_id: user_id.to_string(),
            deleted_strategy_count: deletion.strategies,
            deleted_trade_count: deletion.trades,
            deleted_api_key_count: deletion.api_keys,
        }
    }
}

/// Create or update the caller's profile. `user_name` is required to create it; an update keeps omitted fields,
/// and `null` clears `display_name` or `bio`.
#[derive(Debug, ToSchema)]
#[schema(example = json!({
    "user_name": "systematic-desk",
    "display_name": "Systematic Desk",
    "bio": "Tracking clean signal workflows and repeatable execution.",
    "public_profile_enabled": true
}))]
#[allow(dead_code)]
pub struct ProfileRequest {
    #[schema(schema_with = user_name_schema)]
    user_name: Option<String>,
    #[schema(schema_with = display_name_schema)]
    display_name: Option<String>,
    #[schema(schema_with = bio_schema)]
    bio: Option<String>,
    /// Show the profile publicly (default false).
    public_profile_enabled: Option<bool>,
}

fn user_name_schema() -> Object {
    let description = "3–32 characters of `a-z 0-9 _ -`, starting and ending with a letter or digit; unique \
                       regardless of case, stored lowercase.";
    string(user_name_pattern(), true, description)
}

fn display_name_schema() -> Object {
    let bounds = (DisplayName::MIN_CHARS, DisplayName::MAX_CHARS);
    string(trimmed_pattern(bounds.0, bounds.1), true, "Up to 80 characters, trimmed; `null` clears it.")
}

fn bio_schema() -> Object {
    string(trimmed_pattern(Bio::MIN_CHARS, Bio::MAX_CHARS), true, "Up to 500 characters, trimmed; `null` clears it.")
}

/// Parses a `POST /me` body.
pub fn parse_profile(object: JsonObject) -> Result<ProfileChange, ApiError> {
    let mut r = FieldReader::new::<ProfileRequest>(object);
    let change = ProfileChange {
        user_name: r.optional("user_name", text(UserName::parse)),
        display_name: r.clearable("display_name", text(DisplayName::parse)),
        bio: r.clearable("bio", text(Bio::parse)),
        public_profile_enabled: r.optional("public_profile_enabled", boolean),
    };
    r.finish()?;
    Ok(change)
}

crate::fields::request_schemas!(ProfileRequest);
