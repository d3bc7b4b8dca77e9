//! A subscription's signing secret: `whsec_` and 32 random bytes in standard, padded base64.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::value::ValueError;

/// The secret deliveries are signed with (HMAC-SHA256, as Standard Webhooks says).
///
/// It is shown once, when the subscription is made, and kept to sign every delivery. `Debug` redacts it;
/// [`WebhookSecret::expose`] is the one way to read it.
///
/// ```
/// use quantarya_domain::WebhookSecret;
/// let secret = WebhookSecret::from_random([7; 32]);
/// assert!(secret.expose().starts_with("whsec_"));
/// assert_eq!(secret.expose().len(), 6 + 44);
/// assert_eq!(WebhookSecret::parse(secret.expose())?.key(), [7; 32]);
/// assert_eq!(format!("{secret:?}"), "WebhookSecret(…)");
/// # Ok::<(), quantarya_domain::ValueError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    text: String,
    key: [u8; Self::KEY_BYTES],
}

impl WebhookSecret {
    /// What every secret starts with.
    pub const PREFIX: &'static str = "whsec_";
    /// How many random bytes the key holds.
    pub const KEY_BYTES: usize = 32;

    /// The secret of `key` (drawn by the caller from a CSPRNG).
    pub fn from_random(key: [u8; Self::KEY_BYTES]) -> Self {
        Self { text: format!("{}{}", Self::PREFIX, STANDARD.encode(key)), key }
    }

    /// Reads a stored secret back.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let encoded = raw.strip_prefix(Self::PREFIX).ok_or(ValueError::Format("is not a webhook secret"))?;
        let bytes = STANDARD.decode(encoded).map_err(|_| ValueError::Format("is not a webhook secret"))?;
        let key =
            <[u8; Self::KEY_BYTES]>::try_from(bytes).map_err(|_| ValueError::Format("is not a webhook secret"))?;
        Ok(Self::from_random(key))
    }

    /// The secret as the subscriber is given it.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The HMAC key.
    pub fn key(&self) -> [u8; Self::KEY_BYTES] {
        self.key
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whsec_and_32_bytes_read_back() {
        for bad in ["", "whsec_", "whsec_AAAA", "wh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "whsec_!!!"] {
            assert!(WebhookSecret::parse(bad).is_err(), "{bad}");
        }
        let secret = WebhookSecret::from_random(std::array::from_fn(|i| i as u8));
        assert_eq!(WebhookSecret::parse(secret.expose()), Ok(secret));
    }
}
