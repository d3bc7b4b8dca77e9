//! Time and randomness, behind traits so the use cases can be tested deterministically.

use quantarya_domain::Timestamp;
use rand::Rng;
use rand::distr::Alphanumeric;
use uuid::Uuid;

/// The current time.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, to the microsecond.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_datetime(chrono::Utc::now())
    }
}

/// Fresh ids and secrets.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait IdSource: Send + Sync {
    /// A new UUIDv7: unique, and ordered by creation time.
    fn uuid(&self) -> Uuid;
    /// 32 base62 characters from a cryptographically secure generator: the random body of an API key.
    fn api_key_body(&self) -> String;
    /// 32 bytes from a cryptographically secure generator: a webhook's signing key.
    fn webhook_key(&self) -> [u8; 32];
}

/// UUIDv7s from the system clock and the operating system's CSPRNG (through `rand`'s thread-local generator,
/// a ChaCha CSPRNG seeded and reseeded from the OS).
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn uuid(&self) -> Uuid {
        Uuid::now_v7()
    }

    fn api_key_body(&self) -> String {
        rand::rng().sample_iter(Alphanumeric).take(quantarya_domain::RawApiKey::BODY_CHARS).map(char::from).collect()
    }

    fn webhook_key(&self) -> [u8; 32] {
        rand::rng().random()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quantarya_domain::RawApiKey;

    #[test]
    fn random_bodies_make_valid_distinct_keys() {
        let a = RawApiKey::from_random_body(&RandomIds.api_key_body()).expect("valid body");
        let b = RawApiKey::from_random_body(&RandomIds.api_key_body()).expect("valid body");
        assert_ne!(a, b);
        assert!(RawApiKey::parse(a.expose()).is_ok());
    }

    #[test]
    fn uuids_are_v7_and_increase() {
        let a = RandomIds.uuid();
        let b = RandomIds.uuid();
        assert_eq!(a.get_version_num(), 7);
        assert!(b > a);
    }
}
