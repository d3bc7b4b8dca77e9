//! The SSRF guard: which endpoints may receive deliveries.

use std::net::{IpAddr, SocketAddr};

use async_trait::async_trait;
use quantarya_domain::{WebhookUrl, forbidden_address};
use quantarya_ports::outbound::{EndpointGuard, EndpointRefused};

/// Why an endpoint is refused.
pub type Refusal = EndpointRefused;

/// The rule of which endpoints are allowed: `https://` and public addresses only, unless `allow_insecure`.
///
/// ```
/// use quantarya_adapter_webhooks::Endpoints;
/// use quantarya_domain::WebhookUrl;
/// let strict = Endpoints { allow_insecure: false };
/// let url = WebhookUrl::parse("https://10.0.0.1/hook")?;
/// assert!(strict.refuses_literal(&url).is_some());
/// assert!(Endpoints { allow_insecure: true }.refuses_literal(&url).is_none());
/// # Ok::<(), quantarya_domain::ValueError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// Allows `http://` and internal addresses (development and tests only).
    pub allow_insecure: bool,
}

impl Endpoints {
    /// What can be told without resolving: the scheme, and an address written in the URL.
    pub fn refuses_literal(&self, url: &WebhookUrl) -> Option<Refusal> {
        if self.allow_insecure {
            return None;
        }
        if !url.is_https() {
            return Some(EndpointRefused("must be an https:// URL".to_owned()));
        }
        url.ip().and_then(refused_address)
    }

    /// Keeps the resolved `addresses` deliveries may reach; a refusal when none is left.
    pub fn allowed(&self, host: &str, addresses: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refusal> {
        if self.allow_insecure {
            return Ok(addresses);
        }
        let mut refusal = None;
        let allowed: Vec<SocketAddr> = addresses
            .into_iter()
            .filter(|address| match refused_address(address.ip()) {
                Some(why) => {
                    refusal.get_or_insert(why);
                    false
                }
                None => true,
            })
            .collect();
        match (allowed.is_empty(), refusal) {
            (false, _) => Ok(allowed),
            (true, Some(why)) => Err(why),
            (true, None) => Err(EndpointRefused(format!("{host} does not resolve to any address"))),
        }
    }
}

fn refused_address(ip: IpAddr) -> Option<Refusal> {
    // The address itself is not told: a refusal must not map the service's internal network for its caller.
    forbidden_address(ip).map(|kind| EndpointRefused(format!("must not reach a {kind} address")))
}

/// How long resolving a name may take.
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Resolves `host` (any port: the addresses are what is judged), within [`RESOLVE_TIMEOUT`].
pub(crate) async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Refusal> {
    let found = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port))).await;
    match found {
        Ok(Ok(addresses)) => Ok(addresses.collect()),
        Ok(Err(_)) => Err(EndpointRefused(format!("{host} does not resolve"))),
        Err(_) => Err(EndpointRefused(format!("{host} did not resolve within {} s", RESOLVE_TIMEOUT.as_secs()))),
    }
}

#[async_trait]
impl EndpointGuard for Endpoints {
    /// At subscription, every address the host resolves to must be allowed (not just one of them).
    async fn check(&self, url: &WebhookUrl) -> Result<(), EndpointRefused> {
        if let Some(refused) = self.refuses_literal(url) {
            return Err(refused);
        }
        if self.allow_insecure || url.ip().is_some() {
            return Ok(());
        }
        let addresses = resolve(&url.host(), url.port()).await?;
        if addresses.is_empty() {
            return Err(EndpointRefused(format!("{} does not resolve to any address", url.host())));
        }
        match addresses.iter().find_map(|address| refused_address(address.ip())) {
            Some(refused) => Err(refused),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> WebhookUrl {
        WebhookUrl::parse(raw).expect("a URL")
    }

    #[tokio::test]
    async fn internal_and_plain_endpoints_are_refused_unless_allowed() {
        let strict = Endpoints { allow_insecure: false };
        for refused in [
            "https://10.0.0.1/hook",
            "https://localhost/hook",
            "https://127.0.0.1:8443/",
            "https://[::1]/",
            "https://169.254.169.254/latest/meta-data",
            "http://example.com/hook",
        ] {
            assert!(strict.check(&url(refused)).await.is_err(), "{refused}");
        }
        let open = Endpoints { allow_insecure: true };
        for allowed in ["http://127.0.0.1:9/", "https://10.0.0.1/", "http://localhost/"] {
            assert!(open.check(&url(allowed)).await.is_ok(), "{allowed}");
        }
    }

    #[test]
    fn a_name_resolving_to_public_and_private_addresses_keeps_only_the_public_ones() {
        let strict = Endpoints { allow_insecure: false };
        let mixed = vec!["10.0.0.1:443".parse().expect("addr"), "93.184.215.14:443".parse().expect("addr")];
        assert_eq!(strict.allowed("x", mixed).map(|kept| kept.len()), Ok(1));
        let private = vec!["192.168.0.1:443".parse().expect("addr")];
        assert!(strict.allowed("x", private).is_err());
        assert!(strict.allowed("x", vec![]).is_err());
    }
}
