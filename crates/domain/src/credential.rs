//! The kind of credential a request was made with: a user JWT or an API key.

/// The kind of credential a request was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// A user JWT.
    User,
    /// An API key.
    ApiKey,
}

impl CredentialKind {
    /// Parses the text of [`CredentialKind::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::User, Self::ApiKey].into_iter().find(|kind| kind.as_str() == raw)
    }

    /// `user` or `api_key`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::ApiKey => "api_key",
        }
    }
}
