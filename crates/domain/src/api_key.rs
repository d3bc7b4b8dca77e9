//! API keys: the `qk_` secret shown once, and what is kept of it (a SHA-256 hash and a short prefix).

use std::fmt;

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::api_key_grant::KeyGrant;
use crate::ids::{ApiKeyId, UserId};
use crate::time::Timestamp;
use crate::value::bounded_text;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a text is not an API key. Detected without touching storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ApiKeyFormatError {
    /// Not `qk_` followed by 38 base62 characters.
    #[error("is not a Quantarya API key")]
    Malformed,
    /// The shape is right but the checksum does not match: a typo or a made-up key.
    #[error("has a wrong checksum")]
    Checksum,
}

/// A raw API key: `qk_`, 32 random base62 characters, then the 6-character base62 CRC32 of those 32.
///
/// It is a secret: `Debug` redacts it and it has no `Display`; [`RawApiKey::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct RawApiKey(String);

impl RawApiKey {
    /// What every API key starts with.
    pub const PREFIX: &'static str = "qk_";
    /// The number of random characters.
    pub const BODY_CHARS: usize = 32;
    /// The number of checksum characters.
    pub const CHECKSUM_CHARS: usize = 6;
    /// The full length of a key.
    pub const LEN: usize = Self::PREFIX.len() + Self::BODY_CHARS + Self::CHECKSUM_CHARS;

    /// Builds a key from its 32 random base62 characters (drawn by the caller from a CSPRNG).
    pub fn from_random_body(body: &str) -> Result<Self, ApiKeyFormatError> {
        if body.len() != Self::BODY_CHARS || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ApiKeyFormatError::Malformed);
        }
        let mut key = String::with_capacity(Self::LEN);
        key.push_str(Self::PREFIX);
        key.push_str(body);
        key.extend(checksum(body).iter().map(|&digit| char::from(digit)));
        Ok(Self(key))
    }

    /// Parses a presented key, refusing a wrong shape or checksum.
    pub fn parse(raw: &str) -> Result<Self, ApiKeyFormatError> {
        let rest = raw.strip_prefix(Self::PREFIX).ok_or(ApiKeyFormatError::Malformed)?;
        if rest.len() != Self::BODY_CHARS + Self::CHECKSUM_CHARS || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ApiKeyFormatError::Malformed);
        }
        let (body, sum) = rest.split_at(Self::BODY_CHARS);
        if checksum(body).as_slice() != sum.as_bytes() {
            return Err(ApiKeyFormatError::Checksum);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for the one response that shows it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 of the key, which is all that is stored.
    pub fn hash(&self) -> ApiKeyHash {
        ApiKeyHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// The first 7 characters (`qk_` and 4 more), shown in lists so a user can tell keys apart.
    pub fn prefix(&self) -> KeyPrefix {
        KeyPrefix(self.0[..KeyPrefix::LEN].to_owned())
    }
}

impl fmt::Debug for RawApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawApiKey(<redacted>)")
    }
}

/// The 6-character base62 CRC32 of a key body, zero-padded.
fn checksum(body: &str) -> [u8; RawApiKey::CHECKSUM_CHARS] {
    let mut value = u64::from(crc32fast::hash(body.as_bytes()));
    let mut digits = [b'0'; RawApiKey::CHECKSUM_CHARS];
    for digit in digits.iter_mut().rev() {
        // `value % 62` is below 62, so the index is in bounds.
        *digit = BASE62[(value % 62) as usize];
        value /= 62;
    }
    digits
}

/// The SHA-256 of a raw API key: how a key is stored and looked up.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiKeyHash([u8; 32]);

impl ApiKeyHash {
    /// Wraps a hash read back from storage.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The hash bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ApiKeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeyHash(..)")
    }
}

/// The first 7 characters of a raw key, safe to show.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyPrefix(String);

impl KeyPrefix {
    /// How many characters of the key the prefix keeps.
    pub const LEN: usize = 7;

    /// Accepts a stored prefix: `qk_` and 4 base62 characters.
    pub fn parse(raw: &str) -> Result<Self, ApiKeyFormatError> {
        let ok = raw.len() == Self::LEN
            && raw.starts_with(RawApiKey::PREFIX)
            && raw.bytes().skip(RawApiKey::PREFIX.len()).all(|b| b.is_ascii_alphanumeric());
        if ok { Ok(Self(raw.to_owned())) } else { Err(ApiKeyFormatError::Malformed) }
    }

    /// The prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

bounded_text!(
    /// The label a user gives a key: 1–100 characters, trimmed.
    KeyName,
    1,
    100
);

/// What Quantarya keeps of an API key: never the key, only its hash and prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    /// Its id.
    pub id: ApiKeyId,
    /// Whose key it is; the key acts for this user on the trade routes.
    pub user_id: UserId,
    /// The user's label.
    pub name: KeyName,
    /// The first 7 characters of the raw key.
    pub prefix: KeyPrefix,
    /// The SHA-256 of the raw key.
    pub hash: ApiKeyHash,
    /// What it may do, fixed when it was made.
    pub grant: KeyGrant,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last authenticated a request, if ever.
    pub last_used_at: Option<Timestamp>,
}

impl ApiKey {
    /// How many live keys one user may have.
    pub const LIMIT_PER_USER: usize = 20;

    /// The stored form of a freshly issued `raw` key.
    pub fn issue(id: ApiKeyId, user_id: UserId, new: NewApiKey, raw: &RawApiKey, now: Timestamp) -> Self {
        let NewApiKey { name, grant } = new;
        Self { id, user_id, name, prefix: raw.prefix(), hash: raw.hash(), grant, created_at: now, last_used_at: None }
    }
}

/// What a key is made from (`POST /api-keys`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewApiKey {
    /// The user's label.
    pub name: KeyName,
    /// What it may do; [`KeyGrant::default`] for everything, as the reference's keys.
    pub grant: KeyGrant,
}

impl NewApiKey {
    /// A key named `name` that may do everything, as the reference's keys.
    ///
    /// ```
    /// use quantarya_domain::{KeyGrant, KeyName, NewApiKey};
    /// let new = NewApiKey::new(KeyName::parse("bot")?);
    /// assert_eq!(new.grant, KeyGrant::default());
    /// # Ok::<(), quantarya_domain::ValueError>(())
    /// ```
    pub fn new(name: KeyName) -> Self {
        Self { name, grant: KeyGrant::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "abcdefghijABCDEFGHIJ0123456789xy";

    #[test]
    fn a_key_from_a_body_parses_back() {
        let key = RawApiKey::from_random_body(BODY).expect("valid body");
        // The checksum is the body's CRC32 in six base62 digits: keys issued before stay valid.
        assert_eq!(key.expose(), "qk_abcdefghijABCDEFGHIJ0123456789xy1aMCzY");
        assert_eq!(key.expose().len(), RawApiKey::LEN);
        assert!(key.expose().starts_with("qk_abcd"));
        assert_eq!(RawApiKey::parse(key.expose()), Ok(key.clone()));
        assert_eq!(key.prefix().as_str(), "qk_abcd");
        assert_eq!(KeyPrefix::parse("qk_abcd"), Ok(key.prefix()));
    }

    #[test]
    fn a_typo_fails_the_checksum() {
        let key = RawApiKey::from_random_body(BODY).expect("valid body");
        let mut typo = key.expose().to_owned();
        typo.replace_range(5..6, "X");
        assert_eq!(RawApiKey::parse(&typo), Err(ApiKeyFormatError::Checksum));
    }

    #[test]
    fn wrong_shapes_are_malformed() {
        for bad in [
            "",
            "qk_",
            "qk_short",
            "pk_abcdefghijABCDEFGHIJ0123456789xy000000",
            "qk_abcdefghijABCDEFGHIJ0123456789x-000000",
        ] {
            assert_eq!(RawApiKey::parse(bad), Err(ApiKeyFormatError::Malformed), "{bad}");
        }
        assert!(RawApiKey::from_random_body("short").is_err());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = RawApiKey::from_random_body(BODY).expect("valid body");
        assert!(!format!("{key:?}").contains(BODY));
    }

    #[test]
    fn hashes_are_sha256_of_the_whole_key() {
        let a = RawApiKey::from_random_body(BODY).expect("valid body");
        let b = RawApiKey::from_random_body("bbcdefghijABCDEFGHIJ0123456789xy").expect("valid body");
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.hash(), RawApiKey::parse(a.expose()).expect("valid").hash());
    }
}
