//! A trader's profile: the public user name and what the public profile shows.

use std::fmt;

use crate::ids::UserId;
use crate::time::Timestamp;
use crate::value::{ValueError, bounded, bounded_text};

/// A public user name: 3–32 characters of `a-z 0-9 _ -`, starting and ending with a letter or digit.
///
/// Input in any case is accepted and stored lowercase, so names are unique regardless of case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserName(String);

impl UserName {
    /// The fewest characters allowed.
    pub const MIN_CHARS: usize = 3;
    /// The most characters allowed.
    pub const MAX_CHARS: usize = 32;

    /// Trims and lowercases `raw`, then checks the rules.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let name = raw.trim().to_ascii_lowercase();
        bounded(&name, Self::MIN_CHARS, Self::MAX_CHARS)?;
        if !name.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-')) {
            return Err(ValueError::Format("may contain only a-z, 0-9, _ and -"));
        }
        let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
        if !alnum(name.bytes().next()) || !alnum(name.bytes().last()) {
            return Err(ValueError::Format("must start and end with a letter or digit"));
        }
        Ok(Self(name))
    }

    /// The name, lowercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address as the identity provider asserted it: 3–254 characters with an `@` inside.
///
/// Quantarya does not send mail; it only shows the address to its owner, so the check is a sanity check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Trims `raw` and checks that it looks like an address.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let email = raw.trim();
        bounded(email, 3, 254)?;
        match email.split_once('@') {
            Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !email.contains(char::is_whitespace) =>
            {
                Ok(Self(email.to_owned()))
            }
            _ => Err(ValueError::Format("must be an e-mail address")),
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

bounded_text!(
    /// The name shown on a public profile: up to 80 characters, trimmed.
    DisplayName,
    0,
    80
);

bounded_text!(
    /// A short public bio: up to 500 characters, trimmed.
    Bio,
    0,
    500
);

/// A user's Quantarya profile. It exists once the user has created it (`POST /me`).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The identity provider's subject.
    pub id: UserId,
    /// The e-mail of the user's most recent profile write; never shown publicly.
    pub email: Email,
    /// The unique public name.
    pub user_name: UserName,
    /// Optional name shown publicly.
    pub display_name: Option<DisplayName>,
    /// Optional public bio.
    pub bio: Option<Bio>,
    /// Whether `GET /profiles/{user_name}` shows this profile.
    pub public_profile_enabled: bool,
    /// When the profile was created.
    pub created_at: Timestamp,
    /// When the profile last changed.
    pub updated_at: Timestamp,
}

/// A profile write: every field optional, so that an update keeps what it omits.
///
/// `Some(None)` clears an optional field; `None` keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileChange {
    /// The new user name; required to create a profile.
    pub user_name: Option<UserName>,
    /// The new display name, or `Some(None)` to clear it.
    pub display_name: Option<Option<DisplayName>>,
    /// The new bio, or `Some(None)` to clear it.
    pub bio: Option<Option<Bio>>,
    /// Turn the public profile on or off.
    pub public_profile_enabled: Option<bool>,
}

/// Why a profile write was refused by the domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// Creating a profile needs a user name.
    #[error("a user name is required to create a profile")]
    UserNameRequired,
}

impl User {
    /// Creates a profile from its first write. Only `user_name` is required; `public_profile_enabled` defaults to false.
    pub fn create(id: UserId, email: Email, change: ProfileChange, now: Timestamp) -> Result<Self, ProfileError> {
        let user_name = change.user_name.ok_or(ProfileError::UserNameRequired)?;
        Ok(Self {
            id,
            email,
            user_name,
            display_name: change.display_name.flatten(),
            bio: change.bio.flatten(),
            public_profile_enabled: change.public_profile_enabled.unwrap_or(false),
            created_at: now,
            updated_at: now,
        })
    }

    /// Applies a partial update: fields the change omits keep their value; the e-mail follows the token.
    /// `updated_at` strictly increases, so stores can compare-and-swap on it.
    pub fn updated(&self, email: Email, change: ProfileChange, now: Timestamp) -> Self {
        Self {
            id: self.id.clone(),
            email,
            user_name: change.user_name.unwrap_or_else(|| self.user_name.clone()),
            display_name: change.display_name.unwrap_or_else(|| self.display_name.clone()),
            bio: change.bio.unwrap_or_else(|| self.bio.clone()),
            public_profile_enabled: change.public_profile_enabled.unwrap_or(self.public_profile_enabled),
            created_at: self.created_at,
            updated_at: now.strictly_after(self.updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid")
    }

    #[test]
    fn user_names_are_lowercased_and_checked() {
        assert_eq!(UserName::parse(" Systematic-Desk ").map(|n| n.0), Ok("systematic-desk".to_owned()));
        assert!(UserName::parse("ab").is_err());
        assert!(UserName::parse(&"a".repeat(33)).is_err());
        assert!(UserName::parse("-desk").is_err());
        assert!(UserName::parse("desk_").is_err());
        assert!(UserName::parse("de sk").is_err());
        assert!(UserName::parse("dësk").is_err());
        assert!(UserName::parse("a_b-9").is_ok());
    }

    #[test]
    fn emails_need_an_at_sign_between_two_parts() {
        assert!(Email::parse("trader@example.com").is_ok());
        assert!(Email::parse("trader.example.com").is_err());
        assert!(Email::parse("@example.com").is_err());
        assert!(Email::parse("a b@example.com").is_err());
    }

    #[test]
    fn create_needs_a_user_name_and_defaults_to_private() {
        let id = UserId::parse("u1").expect("valid");
        let email = Email::parse("a@b.c").expect("valid");
        assert_eq!(
            User::create(id.clone(), email.clone(), ProfileChange::default(), now()),
            Err(ProfileError::UserNameRequired)
        );
        let change = ProfileChange { user_name: Some(UserName::parse("desk").expect("valid")), ..Default::default() };
        let user = User::create(id, email, change, now()).expect("created");
        assert!(!user.public_profile_enabled);
        assert_eq!(user.display_name, None);
    }

    #[test]
    fn update_keeps_what_it_omits_and_clears_what_it_nulls() {
        let id = UserId::parse("u1").expect("valid");
        let email = Email::parse("a@b.c").expect("valid");
        let change = ProfileChange {
            user_name: Some(UserName::parse("desk").expect("valid")),
            display_name: Some(Some(DisplayName::parse("Desk").expect("valid"))),
            bio: Some(Some(Bio::parse("Bio").expect("valid"))),
            public_profile_enabled: Some(true),
        };
        let user = User::create(id, email.clone(), change, now()).expect("created");
        let updated = user.updated(email, ProfileChange { bio: Some(None), ..Default::default() }, now());
        assert_eq!(updated.user_name, user.user_name);
        assert_eq!(updated.display_name, user.display_name);
        assert_eq!(updated.bio, None);
        assert!(updated.public_profile_enabled);
    }
}
