//! Identifiers: prefixed, time-ordered ids for what Quantarya creates, and the user id it is given.

use std::fmt;
use std::str::FromStr;

use compact_str::CompactString;

use thiserror::Error;
use uuid::Uuid;

use crate::value::{ValueError, bounded};

/// A text that is not an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("is not a valid {kind} id")]
pub struct IdError {
    /// What kind of id was expected (`strategy`, `trade`, …).
    pub kind: &'static str,
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        ///
        /// Written as the prefix and the 32 lowercase hex digits of a UUIDv7, so ids sort in creation order.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// The text every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// Wraps a UUID (a UUIDv7 from the id source, or one read back from storage).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID underneath.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses the prefixed form; anything else is an [`IdError`].
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                let error = IdError { kind: $kind };
                let hex = raw.strip_prefix(Self::PREFIX).ok_or(error.clone())?;
                if hex.len() != 32 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return Err(error);
                }
                Uuid::try_parse(hex).map(Self).map_err(|_| error)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Two strings, without the formatting machinery's `write!`: ids are written into every answer.
                f.write_str(Self::PREFIX)?;
                f.write_str(self.0.simple().encode_lower(&mut Uuid::encode_buffer()))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(raw: &str) -> Result<Self, IdError> {
                Self::parse(raw)
            }
        }
    };
}

prefixed_id!(
    /// Identifies a strategy: `strat_…`.
    StrategyId,
    "strat_",
    "strategy"
);
prefixed_id!(
    /// Identifies a trade: `trd_…`.
    TradeId,
    "trd_",
    "trade"
);
prefixed_id!(
    /// Identifies an API key (never the key itself): `key_…`.
    ApiKeyId,
    "key_",
    "API key"
);
prefixed_id!(
    /// Identifies one entry of a trade's history: `evt_…`.
    EventId,
    "evt_",
    "event"
);
prefixed_id!(
    /// Identifies one entry of a strategy's signal log: `sig_…`.
    SignalId,
    "sig_",
    "signal"
);

prefixed_id!(
    /// Identifies an import of a file into a strategy: `imp_…`.
    ImportId,
    "imp_",
    "import"
);

prefixed_id!(
    /// Identifies a webhook subscription: `wh_…`.
    WebhookId,
    "wh_",
    "webhook"
);

/// The identity provider's subject (`sub`) of a user: 1–255 characters, no control characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(CompactString);

impl UserId {
    /// The most characters a subject may have.
    pub const MAX_CHARS: usize = 255;

    /// Accepts a subject as the identity provider wrote it (not trimmed: subjects are opaque).
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        bounded(raw, 1, Self::MAX_CHARS)?;
        if raw.chars().any(char::is_control) {
            return Err(ValueError::Format("must not contain control characters"));
        }
        Ok(Self(CompactString::new(raw)))
    }

    /// The subject.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "0192f0c1-7a4b-7cde-8f01-23456789abcd";

    #[test]
    fn ids_round_trip_through_their_prefixed_text() {
        let id = TradeId::from_uuid(Uuid::parse_str(UUID).expect("uuid"));
        let text = id.to_string();
        assert_eq!(text, "trd_0192f0c17a4b7cde8f0123456789abcd");
        assert_eq!(TradeId::parse(&text), Ok(id));
    }

    #[test]
    fn ids_refuse_other_prefixes_and_shapes() {
        let trade = TradeId::from_uuid(Uuid::parse_str(UUID).expect("uuid")).to_string();
        assert!(StrategyId::parse(&trade).is_err());
        assert!(TradeId::parse("trd_").is_err());
        assert!(TradeId::parse("trd_0192F0C17A4B7CDE8F0123456789ABCD").is_err());
        assert!(TradeId::parse("trd_0192f0c1-7a4b-7cde-8f01-23456789abcd").is_err());
        assert!(TradeId::parse("trd_0192f0c17a4b7cde8f0123456789abcd0").is_err());
    }

    #[test]
    fn user_ids_are_opaque_but_bounded() {
        assert!(UserId::parse("auth0|abc 123").is_ok());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse(&"x".repeat(256)).is_err());
        assert!(UserId::parse("a\nb").is_err());
    }
}
