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

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::TimeDelta;
use memchr::memmem::Finder;

use crate::api_key::RawApiKey;
use crate::ids::{ApiKeyId, SignalId, StrategyId, TradeId};
use crate::time::Timestamp;
use crate::trade::SignalEvent;

/// What replaces anything shaped like a raw API key in logged text.
pub const KEY_REMOVED: &str = "[api key removed]";

/// The fewest letters and digits after `qk_` that make a text look like a raw API key.
const KEY_SHAPE_CHARS: usize = 8;

/// Text as the log keeps it: anything shaped like a raw API key (`qk_` and eight or more letters, digits or
/// underscores) is
/// [`KEY_REMOVED`], and NUL, which no store keeps, is U+FFFD. Text that needs neither is not copied.
///
/// ```
/// use quantarya_domain::{KEY_REMOVED, logged_text};
/// let key = "qk_abcdefghijklmnopqrstuvwxyz012345ABCDEF";
/// assert_eq!(logged_text(&format!("sent {key}!")), format!("sent {KEY_REMOVED}!"));
/// assert_eq!(logged_text("qk_short and a\0nul"), "qk_short and a\u{fffd}nul");
/// assert_eq!(logged_text("plain"), "plain");
/// ```
pub fn logged_text(text: &str) -> Cow<'_, str> {
    // Every signal's body is searched so: by SIMD searchers (the key's prefix with one built once), not `str`'s.
    static KEY_PREFIX: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(RawApiKey::PREFIX));
    if memchr::memchr(0, text.as_bytes()).is_none() && KEY_PREFIX.find(text.as_bytes()).is_none() {
        return Cow::Borrowed(text);
    }
    let mut kept = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(RawApiKey::PREFIX) {
        let after = &rest[at + RawApiKey::PREFIX.len()..];
        // Underscores too: a key written right after another must not leave the second's body behind.
        let run = after.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
        if run >= KEY_SHAPE_CHARS {
            kept.push_str(&rest[..at]);
            kept.push_str(KEY_REMOVED);
            rest = &after[run..];
        } else {
            kept.push_str(&rest[..at + RawApiKey::PREFIX.len()]);
            rest = after;
        }
    }
    kept.push_str(rest);
    Cow::Owned(kept.replace('\0', "\u{fffd}"))
}

/// Whether a signal was applied: the filter of the log and the reading of an outcome's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalResult {
    /// Answered with a success status (2xx): applied, or recognised as a repeat.
    Accepted,
    /// Answered with anything else: refused, nothing changed.
    Refused,
}

impl SignalResult {
    /// The statuses of an accepted signal (a store filtering by result reads them here).
    pub const ACCEPTED: std::ops::RangeInclusive<u16> = 200..=299;

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
        if status >= *Self::ACCEPTED.start() && status <= *Self::ACCEPTED.end() {
            Self::Accepted
        } else {
            Self::Refused
        }
    }

    /// The API's name for it: `accepted` or `refused`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Refused => "refused",
        }
    }

    /// Reads the API's name, in any case (as the API's other filters are read).
    ///
    /// ```
    /// use quantarya_domain::SignalResult;
    /// assert_eq!(SignalResult::parse("refused"), Some(SignalResult::Refused));
    /// assert_eq!(SignalResult::parse("Accepted"), Some(SignalResult::Accepted));
    /// assert_eq!(SignalResult::parse("maybe"), None);
    /// ```
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(raw))
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

impl LoggedDetail {
    /// The most characters of a field name or a message a detail keeps.
    pub const MAX_CHARS: usize = 100;

    /// A detail as the log keeps it: each text as [`logged_text`] keeps it (a field name or a message may quote
    /// what was sent), cut to [`Self::MAX_CHARS`] characters.
    ///
    /// ```
    /// use quantarya_domain::LoggedDetail;
    /// let long = LoggedDetail::new(&"f".repeat(500), "is unknown");
    /// assert_eq!((long.field.chars().count(), long.message.as_str()), (LoggedDetail::MAX_CHARS, "is unknown"));
    /// ```
    pub fn new(field: &str, message: &str) -> Self {
        let kept = |text: &str| logged_text(text).chars().take(Self::MAX_CHARS).collect();
        Self { field: kept(field), message: kept(message) }
    }
}

/// What the service answered a signal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoggedOutcome {
    /// The HTTP status.
    pub status: u16,
    /// The answer's `message`: borrowed when it is one of the service's own fixed answers (every accepted signal's
    /// is), so that the entry of an accepted signal owns no text but its body.
    pub message: Cow<'static, str>,
    /// For a refusal, the `error.code`.
    pub code: Option<String>,
    /// For a refusal, the field details (at most as many as an error answer lists).
    pub details: Vec<LoggedDetail>,
}

impl LoggedOutcome {
    /// The most field details an entry keeps (an error answer lists up to 50; the log keeps entries small).
    pub const MAX_DETAILS: usize = 20;

    /// An accepted signal's outcome, with one of the service's fixed answers as its message (no copy is made).
    ///
    /// ```
    /// use quantarya_domain::{LoggedOutcome, SignalResult};
    /// let created = LoggedOutcome::accepted(201, "Trade created");
    /// assert_eq!((created.result(), created.message.as_ref()), (SignalResult::Accepted, "Trade created"));
    /// ```
    pub fn accepted(status: u16, message: &'static str) -> Self {
        let message = match logged_text(message) {
            Cow::Borrowed(_) => Cow::Borrowed(message),
            Cow::Owned(cleaned) => Cow::Owned(cleaned),
        };
        Self { status, message, code: None, details: Vec::new() }
    }

    /// A refusal's outcome, its first [`Self::MAX_DETAILS`] details kept, every text as [`logged_text`] keeps it.
    ///
    /// ```
    /// use quantarya_domain::{LoggedDetail, LoggedOutcome, SignalResult};
    /// let many = (0..60).map(|n| LoggedDetail::new(&format!("f{n}"), "is unknown"));
    /// let refused = LoggedOutcome::refused(422, "Unknown fields.", "unknown_field", many);
    /// assert_eq!((refused.result(), refused.details.len()), (SignalResult::Refused, LoggedOutcome::MAX_DETAILS));
    /// ```
    pub fn refused(status: u16, message: &str, code: &str, details: impl IntoIterator<Item = LoggedDetail>) -> Self {
        Self {
            status,
            message: Cow::Owned(logged_text(message).into_owned()),
            code: Some(logged_text(code).into_owned()),
            details: details.into_iter().take(Self::MAX_DETAILS).collect(),
        }
    }

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

    /// Keeps the first [`Self::MAX_BYTES`] of `text` as [`logged_text`] keeps it, cut at a character boundary.
    pub fn new<'t>(text: impl Into<Cow<'t, str>>) -> Self {
        let text: Cow<'t, str> = text.into();
        // Text handed over owned, that needs nothing removed, is kept without a copy.
        let text = match logged_text(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(cleaned) => Cow::Owned(cleaned),
        };
        if text.len() <= Self::MAX_BYTES {
            return Self { text: text.into_owned(), truncated: false };
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
    /// The body's `event` as sent (`entry`, `update`, `exit`, or whatever it said), if it had one: borrowed when it
    /// is one of the three spelled as the API spells them, as nearly every signal's is.
    pub event: Option<Cow<'static, str>>,
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

    /// The `event` to log from what the body sent: its first [`Self::MAX_EVENT_CHARS`] characters, as
    /// [`logged_text`] keeps them; one of the API's own spellings is borrowed, not copied.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use quantarya_domain::SignalLogEntry;
    /// assert!(matches!(SignalLogEntry::event_of("entry"), Cow::Borrowed("entry")));
    /// assert_eq!(SignalLogEntry::event_of("Exit"), "Exit");
    /// assert_eq!(SignalLogEntry::event_of(&"e".repeat(40)).len(), SignalLogEntry::MAX_EVENT_CHARS);
    /// ```
    pub fn event_of(sent: &str) -> Cow<'static, str> {
        match SignalEvent::ALL.into_iter().find(|event| event.as_str() == sent) {
            Some(event) => Cow::Borrowed(event.as_str()),
            None => Cow::Owned(logged_text(sent).chars().take(Self::MAX_EVENT_CHARS).collect()),
        }
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
    fn key_shaped_text_and_nul_never_reach_the_log() {
        let key = "qk_abcdefghijklmnopqrstuvwxyz012345ABCDEF";
        let body = LoggedBody::new(format!("{{\"a\":\"{key}\",\"b\":\"x\u{0}y\",\"c\":\"qk_ok\"}}"));
        assert_eq!(body.as_str(), format!("{{\"a\":\"{KEY_REMOVED}\",\"b\":\"x\u{fffd}y\",\"c\":\"qk_ok\"}}"));
        assert_eq!(SignalLogEntry::event_of(&format!("{key}{key}")), KEY_REMOVED);
        assert_eq!(logged_text(&format!("{key} {key}")), format!("{KEY_REMOVED} {KEY_REMOVED}"));
        let detail = LoggedDetail::new(key, "\u{0}");
        assert_eq!((detail.field.as_str(), detail.message.as_str()), (KEY_REMOVED, "\u{fffd}"));
        // A NUL that grows into three bytes is cut with the rest.
        let grown = LoggedBody::new("\u{0}".repeat(LoggedBody::MAX_BYTES));
        assert!(grown.truncated() && grown.as_str().len() <= LoggedBody::MAX_BYTES);
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
