//! What the signal route writes in a strategy's signal log, and when: the body as received without its API key,
//! and the answer it was given. A body that is not JSON may still carry its owner's key as `api_key` (a template's
//! typo on TradingView); [`body_key`] finds it, so that the owner can read in the log why the alert did nothing.
//!
//! What is logged of whom: a key's signals only in the strategies its grant reaches (a leaked key confined to one
//! strategy writes nothing into its owner's others), and of a user's refusals for being over budget, the first of
//! each minute (a flood of them must not push everything else out of the log).

use std::borrow::Cow;
use std::sync::LazyLock;

use actix_web::http::StatusCode;
use memchr::memmem::Finder;
use quantarya_domain::{
    JsonObject, LoggedBody, LoggedDetail, LoggedOutcome, SignalId, SignalLogEntry, StrategyId, TradeId,
};
use quantarya_ports::{Credential, Principal, SignalReport};
use regex::Regex;
use serde_json::Value;

use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::state::AppState;

/// The text of `json` without its `api_key` members that hold a string without escapes, each with the comma that
/// separates it from its neighbour (the one before it when there is one, else the one after), so that what is
/// left is still the JSON object it was, less the member. A plain search, not a pattern: it runs on every signal.
fn without_key_members(json: &str) -> Cow<'_, str> {
    let find = |text: &str| KEY_MEMBER_FINDER.find(text.as_bytes());
    let Some(mut at) = find(json) else {
        return Cow::Borrowed(json);
    };
    let mut kept = String::with_capacity(json.len());
    let mut rest = json;
    loop {
        // A member's name follows `{` or `,`; anything else (`x\"api_key"` inside a longer name, a value) is not one.
        let before = rest[..at].trim_end();
        let previous = if before.is_empty() { kept.trim_end().chars().last() } else { before.chars().last() };
        let member = matches!(previous, Some('{' | ','));
        let end = string_member_end(&rest[at + KEY_MEMBER.len()..]).filter(|_| member);
        if let Some(end) = end.map(|len| at + KEY_MEMBER.len() + len) {
            rest = cut_member(&mut kept, rest, at, end);
        } else {
            kept.push_str(&rest[..at + KEY_MEMBER.len()]);
            rest = &rest[at + KEY_MEMBER.len()..];
        }
        match find(rest) {
            Some(next) => at = next,
            None => break,
        }
    }
    kept.push_str(rest);
    Cow::Owned(kept)
}

/// Appends to `kept` what of `rest` comes before the member at `at..end`, less the comma that separates it from
/// its neighbour; returns what is left after it.
fn cut_member<'a>(kept: &mut String, rest: &'a str, at: usize, end: usize) -> &'a str {
    let before = rest[..at].trim_end();
    if let Some(before) = before.strip_suffix(',') {
        // A member before it: the comma between them goes.
        kept.push_str(before);
        &rest[end..]
    } else {
        // The first member: the comma after it goes.
        kept.push_str(&rest[..at]);
        let after = rest[end..].trim_start();
        after.strip_prefix(',').map_or(after, str::trim_start)
    }
}

/// The length of `: "…"` (white space allowed around the colon) at the start of `text`, when the string holds no
/// escape.
fn string_member_end(text: &str) -> Option<usize> {
    let value = text.trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let close = value.find(['"', '\\']).filter(|&i| value.as_bytes()[i] == b'"')?;
    Some(text.len() - value.len() + close + 1)
}

/// The name of the member that carries a key, quoted as JSON writes it.
const KEY_MEMBER: &str = "\"api_key\"";

/// Searchers for [`KEY_MEMBER`] and for a `\u` escape, built once: every signal's body is searched for both.
static KEY_MEMBER_FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(KEY_MEMBER));
static ESCAPE_FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("\\u"));

/// A JSON `\u` escape and the letters and digits after it: in a body that is not JSON, it could spell part of a
/// key that no pattern would see, so the whole run goes.
static ESCAPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\\u[0-9a-fA-F]{4}[A-Za-z0-9_]*").expect("a valid pattern"));

/// The `api_key` of a body that did not parse.
static BODY_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""api_key"\s*:\s*"(qk_[A-Za-z0-9]+)""#).expect("a valid pattern"));

/// The API key a body that is not a JSON object names as `api_key`, if any.
pub(crate) fn body_key(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    BODY_KEY.captures(text).and_then(|c| c.get(1)).map(|key| key.as_str().to_owned())
}

/// What the log keeps of a request's body, noted before the body is parsed into a signal.
#[derive(Debug)]
pub(crate) struct SentBody<'a> {
    bytes: &'a [u8],
    /// The object, kept only when its text holds `\u` escapes (rare): the text itself cannot be trusted to show
    /// its key to a pattern, so the object is written out again.
    escaped: Option<JsonObject>,
    /// The body's `event`, if it sent one as a string.
    event: Option<Cow<'static, str>>,
    /// Whether it parsed (as JSON, its text is UTF-8, and it holds no `\u` unless `escaped` holds the object).
    parsed: bool,
}

impl<'a> SentBody<'a> {
    /// A body that parsed as `object`.
    pub(crate) fn parsed(bytes: &'a [u8], object: &JsonObject) -> Self {
        let escaped = ESCAPE_FINDER.find(bytes).is_some().then(|| object.clone());
        let event = object.get("event").and_then(Value::as_str).map(SignalLogEntry::event_of);
        Self { bytes, escaped, event, parsed: true }
    }

    /// A body that did not parse.
    pub(crate) fn unparsed(bytes: &'a [u8]) -> Self {
        Self { bytes, escaped: None, event: None, parsed: false }
    }

    /// The text as received (invalid UTF-8 replaced), without its `api_key` member; the domain removes anything
    /// else shaped like a key and cuts it to [`LoggedBody::MAX_BYTES`].
    fn logged(self) -> LoggedBody {
        if let Some(mut object) = self.escaped {
            object.remove("api_key");
            return LoggedBody::new(Value::Object(object).to_string());
        }
        let text = std::str::from_utf8(self.bytes).map_or_else(|_| String::from_utf8_lossy(self.bytes), Cow::Borrowed);
        let text = match without_key_members(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(kept) => Cow::Owned(kept),
        };
        // Only a body that did not parse can still hold escapes here.
        let text = if !self.parsed && ESCAPE_FINDER.find(text.as_bytes()).is_some() {
            Cow::Owned(ESCAPE.replace_all(&text, "\u{fffd}").into_owned())
        } else {
            text
        };
        LoggedBody::new(text)
    }
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
    let details = envelope.error.details.iter().map(|d| LoggedDetail::new(&d.field, &d.message));
    LoggedOutcome::refused(error.status().as_u16(), &envelope.message, &envelope.error.code, details)
}

/// Whether the answer to `principal` on `strategy` goes to the log (see the module's rules).
fn worth_logging(
    state: &AppState,
    principal: &Principal,
    strategy: StrategyId,
    answer: Result<&Applied, &ApiError>,
) -> bool {
    if let Credential::ApiKey { grant, .. } = &principal.credential
        && !grant.reaches(strategy)
    {
        return false;
    }
    !matches!(answer, Err(error) if error.code() == ErrorCode::RateLimited) || state.limits.log_refusal(principal)
}

/// Records what became of a signal in its strategy's log, when it goes there. A failure to record is logged, never
/// answered: the signal's answer does not depend on it.
pub(crate) fn record(
    state: &AppState,
    principal: &Principal,
    strategy: StrategyId,
    mut sent: SentBody<'_>,
    answer: Result<&Applied, &ApiError>,
) {
    if !worth_logging(state, principal, strategy, answer) {
        return;
    }
    let (outcome, trade_id, repeat) = match answer {
        Ok(applied) => {
            (LoggedOutcome::accepted(applied.status.as_u16(), applied.message), Some(applied.trade_id), applied.repeat)
        }
        Err(error) => (refused(error), None, false),
    };
    let event = sent.event.take();
    // The entry is named by its request's id: the answer's `x-request-id` finds it in the log.
    let id = crate::request_id::current().map(SignalId::from_uuid);
    let report = SignalReport { id, event, outcome, trade_id, repeat, body: sent.logged() };
    if let Err(error) = state.journal.record_signal(principal, strategy, report) {
        tracing::debug!(error = %crate::error::cause_chain(&error), %strategy, "a signal was not logged");
    }
}

#[cfg(test)]
mod tests {
    use quantarya_domain::KEY_REMOVED;

    use super::*;

    const KEY: &str = "qk_abcdefghijklmnopqrstuvwxyz012345ABCD";

    fn logged_as_sent(text: &str) -> LoggedBody {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => SentBody::parsed(text.as_bytes(), &object).logged(),
            _ => SentBody::unparsed(text.as_bytes()).logged(),
        }
    }

    #[test]
    fn the_key_member_goes_wherever_it_stands() {
        for (sent, kept) in [
            (format!(r#"{{"api_key":"{KEY}","event":"entry"}}"#), r#"{"event":"entry"}"#),
            (format!(r#"{{"api_key": "{KEY}", "event": "entry"}}"#), r#"{"event": "entry"}"#),
            (format!(r#"{{"event":"entry", "api_key" : "{KEY}"}}"#), r#"{"event":"entry"}"#),
            (format!(r#"{{"a":1,"api_key":"{KEY}","b":2}}"#), r#"{"a":1,"b":2}"#),
            (format!(r#"{{"api_key":"{KEY}"}}"#), r#"{}"#),
            (format!(r#"{{ "api_key" :"{KEY}" , "a" : {{"api_key": "{KEY}"}} }}"#), r#"{ "a" : {} }"#),
            (r#"{"api_key": 12, "b": "\"api_key\""}"#.to_owned(), r#"{"api_key": 12, "b": "\"api_key\""}"#),
            (r#"{"x\"api_key":"v","b":1}"#.to_owned(), r#"{"x\"api_key":"v","b":1}"#),
            (r#"{"b": "x","api_key":"y"}"#.to_owned(), r#"{"b": "x"}"#),
        ] {
            let body = logged_as_sent(&sent);
            assert_eq!(body.as_str(), kept, "{sent}");
            assert!(serde_json::from_str::<Value>(body.as_str()).is_ok(), "{sent}");
        }
    }

    #[test]
    fn a_key_anywhere_else_is_removed_too() {
        let sent = format!(r#"{{"event":"entry","notes":"key {KEY}", "api_key": 12}}"#);
        let body = logged_as_sent(&sent);
        assert!(!body.as_str().contains(KEY), "{}", body.as_str());
        assert!(body.as_str().contains(KEY_REMOVED));
        let broken = format!(r#"{{"event":"entry" "api_key":"{KEY}"#);
        assert!(!logged_as_sent(&broken).as_str().contains("qk_abc"));
    }

    #[test]
    fn a_key_spelled_with_escapes_is_removed_too() {
        let escaped = KEY.replacen('q', "\\u0071", 1);
        for sent in [
            format!(r#"{{"api_key":"{escaped}","event":"entry"}}"#),
            format!(r#"{{"api_key":"{KEY}","notes":"{escaped}"}}"#),
            format!(r#"{{"api_key":"{KEY}","{escaped}":1}}"#),
        ] {
            let body = logged_as_sent(&sent);
            let decoded: Value = serde_json::from_str(body.as_str()).expect("written out as JSON");
            assert!(!decoded.to_string().contains(&KEY[3..]), "{sent} kept as {}", body.as_str());
            assert!(decoded.get("api_key").is_none(), "{}", body.as_str());
        }
        let broken = format!(r#"{{"api_key":"{KEY}" "notes":"{escaped}"#);
        let body = logged_as_sent(&broken);
        assert!(!body.as_str().contains(&KEY[3..]) && !body.as_str().contains("\\u0071"), "{}", body.as_str());
    }

    #[test]
    fn a_broken_body_still_names_its_key() {
        let broken = format!(r#"{{"event":"entry", "symbol": "BTCUSD" "api_key": "{KEY}"}}"#);
        assert_eq!(body_key(broken.as_bytes()).as_deref(), Some(KEY));
        assert_eq!(body_key(br#"{"event":"entry""#), None);
        assert_eq!(body_key(b"\xff\xfe"), None);
    }

    #[test]
    fn invalid_utf8_and_nul_are_kept_as_replacement_characters() {
        let body = SentBody::unparsed(b"{\"event\":\"\xffentry\0\"}").logged();
        assert_eq!(body.as_str(), "{\"event\":\"\u{fffd}entry\u{fffd}\"}");
    }
}
