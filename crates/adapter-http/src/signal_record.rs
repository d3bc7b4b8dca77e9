//! What the signal route writes in a strategy's signal log, and how: the body as received without its API key,
//! and the answer it was given. A body that is not JSON may still carry its owner's key as `api_key` (a template's
//! typo on TradingView); [`body_key`] finds it, so that the owner can read in the log why the alert did nothing.

use std::borrow::Cow;
use std::sync::LazyLock;

use actix_web::http::StatusCode;
use quantarya_domain::{LoggedBody, LoggedDetail, LoggedOutcome, RawApiKey, StrategyId, TradeId};
use quantarya_ports::{Journal, Principal, SignalReport};
use regex::Regex;

use crate::error::ApiError;

/// An `api_key` member holding a string, with the comma that separates it from its neighbour (the one before it
/// when there is one, else the one after), so that what is left is still the JSON object it was, less the member.
static KEY_MEMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#",\s*"api_key"\s*:\s*"[^"\\]*"|"api_key"\s*:\s*"[^"\\]*"\s*(?:,\s*)?"#).expect("a valid pattern")
});

/// Anything shaped like a raw API key, wherever it is in the body.
static KEY_TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"qk_[A-Za-z0-9]{8,}").expect("a valid pattern"));

/// The `api_key` of a body that did not parse.
static BODY_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""api_key"\s*:\s*"(qk_[A-Za-z0-9]+)""#).expect("a valid pattern"));

/// What replaces a key found elsewhere than in `api_key`.
const REMOVED: &str = "[api key removed]";

/// The body as the log keeps it: the text as received (invalid UTF-8 replaced), without its `api_key` member and
/// without anything shaped like a key, cut to [`LoggedBody::MAX_BYTES`].
pub(crate) fn logged_body(bytes: &[u8]) -> LoggedBody {
    let text = String::from_utf8_lossy(bytes);
    let text =
        if text.contains("\"api_key\"") { Cow::Owned(KEY_MEMBER.replace_all(&text, "").into_owned()) } else { text };
    let text = if text.contains(RawApiKey::PREFIX) {
        Cow::Owned(KEY_TOKEN.replace_all(&text, REMOVED).into_owned())
    } else {
        text
    };
    LoggedBody::new(&text)
}

/// The API key a body that is not a JSON object names as `api_key`, if any.
pub(crate) fn body_key(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    BODY_KEY.captures(text).and_then(|c| c.get(1)).map(|key| key.as_str().to_owned())
}

/// A signal the route applied: the status and message it answered, and the trade.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Applied {
    /// The answer's status.
    pub status: StatusCode,
    /// The answer's message.
    pub message: &'static str,
    /// The trade it acted on.
    pub trade_id: TradeId,
    /// Whether it repeated one already applied.
    pub repeat: bool,
}

/// The outcome of a refusal, as its error answer said it.
fn refused(error: &ApiError) -> LoggedOutcome {
    let envelope = error.envelope();
    LoggedOutcome {
        status: error.status().as_u16(),
        message: envelope.message,
        code: Some(envelope.error.code),
        details: envelope
            .error
            .details
            .into_iter()
            .map(|d| LoggedDetail { field: d.field, message: d.message })
            .collect(),
    }
}

/// Records what became of a signal in its strategy's log. A failure to record is logged, never answered: the
/// signal's answer does not depend on it.
pub(crate) async fn record(
    journal: &dyn Journal,
    principal: &Principal,
    strategy: StrategyId,
    event: Option<String>,
    bytes: &[u8],
    answer: Result<&Applied, &ApiError>,
) {
    let (outcome, trade_id, repeat) = match answer {
        Ok(applied) => (
            LoggedOutcome {
                status: applied.status.as_u16(),
                message: applied.message.to_owned(),
                ..LoggedOutcome::default()
            },
            Some(applied.trade_id),
            applied.repeat,
        ),
        Err(error) => (refused(error), None, false),
    };
    let report = SignalReport { event, outcome, trade_id, repeat, body: logged_body(bytes) };
    if let Err(error) = journal.record_signal(principal, strategy, report).await {
        tracing::debug!(error = %crate::error::cause_chain(&error), %strategy, "a signal was not logged");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "qk_abcdefghijklmnopqrstuvwxyz012345ABCD";

    #[test]
    fn the_key_member_goes_wherever_it_stands() {
        for (sent, kept) in [
            (format!(r#"{{"api_key":"{KEY}","event":"entry"}}"#), r#"{"event":"entry"}"#),
            (format!(r#"{{"api_key": "{KEY}", "event": "entry"}}"#), r#"{"event": "entry"}"#),
            (format!(r#"{{"event":"entry", "api_key" : "{KEY}"}}"#), r#"{"event":"entry"}"#),
            (format!(r#"{{"a":1,"api_key":"{KEY}","b":2}}"#), r#"{"a":1,"b":2}"#),
            (format!(r#"{{"api_key":"{KEY}"}}"#), r#"{}"#),
        ] {
            let body = logged_body(sent.as_bytes());
            assert_eq!(body.as_str(), kept, "{sent}");
            assert!(serde_json::from_str::<serde_json::Value>(body.as_str()).is_ok(), "{sent}");
        }
    }

    #[test]
    fn a_key_anywhere_else_is_removed_too() {
        let sent = format!(r#"{{"event":"entry","notes":"key {KEY}", "api_key": 12}}"#);
        let body = logged_body(sent.as_bytes());
        assert!(!body.as_str().contains(KEY), "{}", body.as_str());
        assert!(body.as_str().contains(REMOVED));
        let broken = format!(r#"{{"event":"entry" "api_key":"{KEY}"#);
        assert!(!logged_body(broken.as_bytes()).as_str().contains("qk_abc"));
    }

    #[test]
    fn a_broken_body_still_names_its_key() {
        let broken = format!(r#"{{"event":"entry", "symbol": "BTCUSD" "api_key": "{KEY}"}}"#);
        assert_eq!(body_key(broken.as_bytes()).as_deref(), Some(KEY));
        assert_eq!(body_key(br#"{"event":"entry""#), None);
        assert_eq!(body_key(b"\xff\xfe"), None);
    }

    #[test]
    fn invalid_utf8_is_kept_as_replacement_characters() {
        let body = logged_body(b"{\"event\":\"\xffentry\"}");
        assert!(body.as_str().contains('\u{fffd}'));
    }
}
