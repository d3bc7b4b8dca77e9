//! The HTTP client that delivers: signs with the `standardwebhooks` crate, posts with `reqwest`, and connects only
//! to addresses the guard allows.

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use quantarya_domain::chrono::{DateTime, TimeDelta, Utc};
use quantarya_ports::outbound::{OutgoingWebhook, SendResult, WebhookSender};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};

use crate::DELIVERY_TIMEOUT;
use crate::guard::{Endpoints, resolve};

/// The client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the webhook HTTP client could not be built: {0}")]
pub struct SenderError(#[from] reqwest::Error);

/// Resolves names for the client, keeping only the addresses the guard allows.
#[derive(Debug)]
struct GuardedResolver(Endpoints);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let endpoints = self.0;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found = resolve(&host, 0).await?;
            let allowed: Vec<SocketAddr> = endpoints.allowed(&host, found)?;
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Delivers webhooks over HTTP.
#[derive(Debug, Clone)]
pub struct HttpSender {
    client: reqwest::Client,
    endpoints: Endpoints,
}

impl HttpSender {
    /// A sender under `endpoints`' rule, with the 10 s timeout, no redirects and no proxy.
    ///
    /// # Errors
    ///
    /// When the TLS backend cannot be set up.
    pub fn new(endpoints: Endpoints) -> Result<Self, SenderError> {
        let client = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .connect_timeout(DELIVERY_TIMEOUT / 2)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("Quantarya-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver(endpoints)))
            .build()?;
        Ok(Self { client, endpoints })
    }
}

/// The `webhook-signature` of a delivery: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`.
fn signature(webhook: &OutgoingWebhook<'_>) -> Result<String, String> {
    let signer = standardwebhooks::Webhook::from_bytes(webhook.secret.key().to_vec()).map_err(|e| e.to_string())?;
    signer.sign(&webhook.id, webhook.timestamp, &webhook.body).map_err(|e| e.to_string())
}

/// A `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<TimeDelta> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = raw.parse::<u32>() {
        return Some(TimeDelta::seconds(i64::from(seconds)));
    }
    let at = DateTime::parse_from_rfc2822(raw).ok()?;
    Some((at.with_timezone(&Utc) - now).max(TimeDelta::zero()))
}

fn failed(error: String) -> SendResult {
    SendResult { status: None, retry_after: None, error: Some(error) }
}

#[async_trait]
impl WebhookSender for HttpSender {
    async fn send<'a>(&self, webhook: &OutgoingWebhook<'a>) -> SendResult {
        if let Some(refused) = self.endpoints.refuses_literal(webhook.url) {
            return failed(format!("the endpoint is refused: {refused}"));
        }
        let signed = match signature(webhook) {
            Ok(signed) => signed,
            Err(error) => return failed(format!("could not sign: {error}")),
        };
        let sent = self
            .client
            .post(webhook.url.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", &webhook.id)
            .header("webhook-timestamp", webhook.timestamp.to_string())
            .header("webhook-signature", signed)
            .body(webhook.body.clone())
            .send()
            .await;
        match sent {
            Ok(answer) => SendResult {
                status: Some(answer.status().as_u16()),
                retry_after: retry_after(answer.headers(), Utc::now()),
                error: None,
            },
            Err(error) if error.is_timeout() => failed(format!("no answer within {} s", DELIVERY_TIMEOUT.as_secs())),
            Err(error) if error.is_connect() => failed(format!("could not connect: {}", root_cause(&error))),
            Err(error) => failed(format!("the request failed: {}", root_cause(&error))),
        }
    }
}

/// The innermost cause, which says what went wrong (a refused address, a TLS failure) in a few words.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-12-06T12:00:00Z").expect("a time").with_timezone(&Utc);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&headers, now), Some(TimeDelta::seconds(120)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Sun, 06 Dec 2026 12:01:30 GMT"));
        assert_eq!(retry_after(&headers, now), Some(TimeDelta::seconds(90)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }
}
