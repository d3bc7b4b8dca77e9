//! What the budgets said of one request, and the headers that say it: `RateLimit-Policy` (the budgets that apply,
//! made once for each set of them), `RateLimit` (what is left) and, when refused, `Retry-After`.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use smallvec::SmallVec;

use super::WINDOW_SECONDS;
use crate::error::ApiError;
use crate::error_code::ErrorCode;

/// `RateLimit-Policy`: the budgets that apply.
pub const RATE_LIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`: what is left of them.
pub const RATE_LIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Where one budget stands after a request spent from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub(super) policy: &'static str,
    pub(super) quota: u32,
    pub(super) remaining: u32,
    /// When refused: how long until one more request fits.
    pub(super) retry_after: Option<Duration>,
}

impl Standing {
    /// Seconds until the budget is whole again (the draft's `t`).
    fn full_in(&self) -> u64 {
        let missing = u64::from(self.quota.saturating_sub(self.remaining));
        (missing * WINDOW_SECONDS).div_ceil(u64::from(self.quota.max(1)))
    }
}

/// What the budgets said of one request: where each budget it spent from stands (two at most, kept inline), and
/// the `RateLimit-Policy` of that set of budgets, made when the budgets were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub(super) spent: SmallVec<[Standing; 2]>,
    pub(super) policy: Option<HeaderValue>,
}

impl Verdict {
    /// Whether a budget refused it.
    pub fn refused(&self) -> bool {
        self.spent.iter().any(|standing| standing.retry_after.is_some())
    }

    /// Seconds until the request would fit every budget, rounded up (at least 1) when refused.
    pub fn retry_after(&self) -> Option<u64> {
        let wait = self.spent.iter().filter_map(|standing| standing.retry_after).max()?;
        Some((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
    }

    /// The answer's 429, if refused.
    pub fn refusal(&self) -> Option<ApiError> {
        let seconds = self.retry_after()?;
        Some(ApiError::new(
            ErrorCode::RateLimited,
            format!("Too many requests; retry in {seconds} s. Budgets refill evenly over a minute."),
        ))
    }

    /// The whole 429 answer, with its headers, if refused.
    pub fn refused_answer(&self) -> Option<actix_web::HttpResponse> {
        let refusal = self.refusal()?;
        let mut response = actix_web::ResponseError::error_response(&refusal);
        self.write(response.headers_mut());
        Some(response)
    }

    /// Writes `RateLimit-Policy`, `RateLimit` and (when refused) `Retry-After`. This runs on every signal: the
    /// policy is the one made with the budgets (its copy allocates nothing and counts no reference), and the state's
    /// bytes are written in place (numbers by `itoa`, not the formatting machinery) and become its value without a
    /// copy.
    pub fn write(&self, headers: &mut HeaderMap) {
        if self.spent.is_empty() {
            return;
        }
        let mut state = Vec::with_capacity(48);
        for (i, standing) in self.spent.iter().enumerate() {
            let Standing { policy: name, remaining, .. } = standing;
            item(&mut state, i == 0, name, [("r", u64::from(*remaining)), ("t", standing.full_in())]);
        }
        if let Some(policy) = &self.policy {
            headers.insert(RATE_LIMIT_POLICY, policy.clone());
        }
        if let Ok(value) = HeaderValue::from_maybe_shared(actix_web::web::Bytes::from(state)) {
            headers.insert(RATE_LIMIT, value);
        }
        if let Some(seconds) = self.retry_after() {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
}

/// Appends one budget's item of a structured-field list to `out`: `"name";k=v;k=v`, after `, ` unless `first`.
fn item(out: &mut Vec<u8>, first: bool, name: &str, parameters: [(&str, u64); 2]) {
    if !first {
        out.extend_from_slice(b", ");
    }
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.push(b'"');
    let mut number = itoa::Buffer::new();
    for (key, value) in parameters {
        out.push(b';');
        out.extend_from_slice(key.as_bytes());
        out.push(b'=');
        out.extend_from_slice(number.format(value).as_bytes());
    }
}

/// The `RateLimit-Policy` of each set of budgets a request can spend from, made once with the budgets.
#[derive(Debug, Default)]
pub(super) struct Policies {
    pub(super) key: Option<HeaderValue>,
    pub(super) key_and_user: Option<HeaderValue>,
    pub(super) user: Option<HeaderValue>,
    pub(super) address: Option<HeaderValue>,
}

impl Policies {
    /// The policies of the budgets that are on, each given as its name and size.
    pub(super) fn new(
        key: Option<(&'static str, u32)>,
        user: Option<(&'static str, u32)>,
        address: Option<(&'static str, u32)>,
    ) -> Self {
        Self {
            key: policy(&[key]),
            key_and_user: policy(&[key, user]),
            user: policy(&[user]),
            address: policy(&[address]),
        }
    }
}

/// The `RateLimit-Policy` of `budgets` (each a name and a size), in order: `"name";q=size;w=60` each, separated by
/// `, `; none when a budget is off.
fn policy(budgets: &[Option<(&'static str, u32)>]) -> Option<HeaderValue> {
    let mut text = Vec::with_capacity(48);
    for budget in budgets {
        let (name, quota) = (*budget)?;
        let first = text.is_empty();
        item(&mut text, first, name, [("q", u64::from(quota)), ("w", WINDOW_SECONDS)]);
    }
    lasting(text)
}

/// A header value made of `text` that lasts as long as the process, made once for each distinct text: a copy of it
/// is then a copy of a pointer, where a copy of a shared value counts a reference every worker writes to. Only the
/// budgets' policies are made so, a few for each setting of the budgets.
fn lasting(text: Vec<u8>) -> Option<HeaderValue> {
    static MADE: LazyLock<Mutex<HashSet<&'static [u8]>>> = LazyLock::new(Mutex::default);
    let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
    let text = match made.get(text.as_slice()) {
        Some(text) => *text,
        None => {
            let text: &'static [u8] = Box::leak(text.into_boxed_slice());
            made.insert(text);
            text
        }
    };
    HeaderValue::from_maybe_shared(actix_web::web::Bytes::from_static(text)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headers_list_every_budget_spent_in_order() {
        let standing = |policy, quota, remaining| Standing { policy, quota, remaining, retry_after: None };
        let spent = [standing("key", 600, 599), standing("user", 1_200, 1_187), standing("address", 7, 7)];
        let policy = policy(&spent.iter().map(|s| Some((s.policy, s.quota))).collect::<Vec<_>>());
        let verdict = Verdict { spent: spent.into_iter().collect(), policy };
        let mut headers = HeaderMap::new();
        verdict.write(&mut headers);
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        assert_eq!(
            header("ratelimit-policy").as_deref(),
            Some(r#""key";q=600;w=60, "user";q=1200;w=60, "address";q=7;w=60"#)
        );
        // t: the seconds until whole again, rounded up (one of 600 back every 0.1 s, 13 of 1200 in 0.65 s).
        assert_eq!(header("ratelimit").as_deref(), Some(r#""key";r=599;t=1, "user";r=1187;t=1, "address";r=7;t=0"#));
        assert_eq!(header("retry-after"), None, "nothing was refused");
    }
}
