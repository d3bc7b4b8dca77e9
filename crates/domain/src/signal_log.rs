//! The signal log: what reached a strategy's signal route and what became of it, accepted or refused, so that a
//! trader whose TradingView alert did nothing can read why (TradingView never shows the answer).
//!
//! A strategy keeps the entries of the last [`SignalLogEntry::RETENTION`], at most
//! [`SignalLogEntry::KEPT_PER_STRATEGY`] of them, newest first; each keeps the first
//! [`LoggedBody::MAX_BYTES`] of the body as received, without the API key.
//!
//! ```
//! use quantarya_domain::{LoggedBody, LoggedOutcome, SignalLogEntry, SignalResult, Timestamp};
//! let refused = LoggedOutcome { status: 422, code: Some("signal_stale".to_owned()), ..LoggedOutcome::default() };
//! assert_eq!(refused.result(), SignalResult::Refused);
//! let now = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z")?;
//! assert_eq!(SignalLogEntry::kept_since(now), Timestamp::parse_rfc3339("2026-05-14T12:00:00Z")?);
//! let body = LoggedBody::new(&"x".repeat(5000));
//! assert!(body.truncated() && body.as_str().len() == LoggedBody::MAX_BYTES);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::TimeDelta;

use crate::ids::{ApiKeyId, SignalId, StrategyId, TradeId};
use crate::time::Timestamp;

/// Whether a signal was applied: the filter of the log and the reading of an outcome's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalResult {
    /// Answered with a success status (2xx): applied, or recognised as a repeat.
    Accepted,
    /// Answered with anything else: refused, nothing changed.
    Refused,
}

impl SignalResult {
    /// Every result, in the order the API lists them.
    pub const ALL: [Self; 2] = [Self::Accepted, Self::Refused];

    /// The result an answer with HTTP status `status` stands for.
    ///
    /// ```
    /// use quantarya_domain::SignalResult;
    /// assert_eq!(SignalResult::of_status(201), SignalResult::Accepted);
    /// assert_eq!(SignalResult::of_status(429), SignalResult::Refused);
    /// ```
    pub const fn of_status(status: u16) -> Self {
        if status >= 200 && status < 300 { Self::Accepted } else { Self::Refused }
    }

    /// The API's name for it: `accepted` or `refused`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Refused => "refused",
        }
    }

    /// Reads the API's name (exactly, lowercase).
    ///
    /// ```
    /// use quantarya_domain::SignalResult;
    /// assert_eq!(SignalResult::parse("refused"), Some(SignalResult::Refused));
    /// assert_eq!(SignalResult::parse("maybe"), None);
    /// ```
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// One field the answer blamed, as the error envelope's `details` named it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoggedDetail {
    /// The field.
    pub field: String,
    /// Why.
    pub message: String,
}

/// What the service answered a signal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoggedOutcome {
    /// The HTTP status.
    pub status: u16,
    /// The answer's `message`.
    pub message: String,
    /// For a refusal, the `error.code`.
    pub code: Option<String>,
    /// For a refusal, the field details (at most as many as an error answer lists).
    pub details: Vec<LoggedDetail>,
}

impl LoggedOutcome {
    /// Whether the signal was accepted.
    pub const fn result(&self) -> SignalResult {
        SignalResult::of_status(self.status)
    }
}

/// The first [`LoggedBody::MAX_BYTES`] of a signal's body as received. The caller removes the API key first: a
/// logged body never holds a credential.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoggedBody {
    text: String,
    truncated: bool,
}

impl LoggedBody {
    /// The most bytes of a body the log keeps.
    pub const MAX_BYTES: usize = 4096;

    /// Keeps the first [`Self::MAX_BYTES`] of `text`, cut at a character boundary.
    pub fn new(text: &str) -> Self {
        if text.len() <= Self::MAX_BYTES {
            return Self { text: text.to_owned(), truncated: false };
        }
        let end = (0..=Self::MAX_BYTES).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        Self { text: text[..end].to_owned(), truncated: true }
    }

    /// A body as stored (already cut).
    pub fn from_stored(text: String, truncated: bool) -> Self {
        Self { text, truncated }
    }

    /// The text kept.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the body was longer than what is kept.
    pub const fn truncated(&self) -> bool {
        self.truncated
    }
}

/// One signal that reached a strategy, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalLogEntry {
    /// The entry's id (a UUIDv7 of its arrival).
    pub id: SignalId,
    /// The strategy it was sent to.
    pub strategy_id: StrategyId,
    /// When it arrived.
    pub received_at: Timestamp,
    /// The body's `event` as sent (`entry`, `update`, `exit`, or whatever it said), if it had one.
    pub event: Option<String>,
    /// The answer.
    pub outcome: LoggedOutcome,
    /// The trade it created or touched, if any.
    pub trade_id: Option<TradeId>,
    /// True when it repeated a signal already applied (answered from its receipt).
    pub repeat: bool,
    /// The API key that sent it; `None` for a user JWT.
    pub api_key_id: Option<ApiKeyId>,
    /// The body, without the API key.
    pub body: LoggedBody,
}

impl SignalLogEntry {
    /// How long entries are kept.
    pub const RETENTION: TimeDelta = TimeDelta::days(7);
    /// How many entries a strategy keeps at most (the newest).
    pub const KEPT_PER_STRATEGY: usize = 1000;
    /// The longest `event` kept, in characters.
    pub const MAX_EVENT_CHARS: usize = 32;

    /// The oldest arrival still kept at `now`.
    pub fn kept_since(now: Timestamp) -> Timestamp {
        Timestamp::from_datetime(now.as_datetime() - Self::RETENTION)
    }

    /// The `event` to log from what the body sent: its first [`Self::MAX_EVENT_CHARS`] characters.
    ///
    /// ```
    /// use quantarya_domain::SignalLogEntry;
    /// assert_eq!(SignalLogEntry::event_of("entry"), "entry");
    /// assert_eq!(SignalLogEntry::event_of(&"e".repeat(40)).len(), SignalLogEntry::MAX_EVENT_CHARS);
    /// ```
    pub fn event_of(sent: &str) -> String {
        sent.chars().take(Self::MAX_EVENT_CHARS).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_cut_at_a_character_boundary() {
        let text = format!("{}é", "a".repeat(LoggedBody::MAX_BYTES - 1));
        let body = LoggedBody::new(&text);
        assert!(body.truncated());
        assert_eq!(body.as_str().len(), LoggedBody::MAX_BYTES - 1);
        let short = LoggedBody::new("{\"event\":\"entry\"}");
        assert!(!short.truncated());
        assert_eq!(short.as_str(), "{\"event\":\"entry\"}");
    }

    #[test]
    fn only_success_statuses_are_accepted() {
        for (status, result) in
            [(200, SignalResult::Accepted), (201, SignalResult::Accepted), (199, SignalResult::Refused)]
        {
            assert_eq!(SignalResult::of_status(status), result);
        }
        for status in [400, 401, 403, 404, 409, 422, 429, 503] {
            assert_eq!(SignalResult::of_status(status), SignalResult::Refused);
        }
        for result in SignalResult::ALL {
            assert_eq!(SignalResult::parse(result.as_str()), Some(result));
        }
    }
}
