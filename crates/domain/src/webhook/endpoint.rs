//! Where deliveries go: a webhook's URL, and the addresses no delivery may reach (the SSRF rule).
//!
//! Resolving a host is I/O, so the domain only judges addresses; the adapter that resolves and connects asks
//! [`forbidden_address`] of every address a name resolves to, at subscription and again at each delivery.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::Url;

use crate::value::ValueError;

/// A subscription's endpoint: an absolute `http://` or `https://` URL with a host, no user name or password, no
/// fragment, at most [`WebhookUrl::MAX_CHARS`] characters as written and once normalised (percent-encoding can
/// make a URL several times longer than it was sent).
///
/// Whether plain `http://` and internal addresses are allowed is the deployment's choice (only with
/// `QUANTARYA_WEBHOOKS_ALLOW_INSECURE=1`), so it is not decided here: see [`WebhookUrl::is_https`] and
/// [`forbidden_address`].
///
/// ```
/// use quantarya_domain::WebhookUrl;
/// let url = WebhookUrl::parse("https://hooks.example.com/quantarya?team=1")?;
/// assert!(url.is_https());
/// assert_eq!(url.host(), "hooks.example.com");
/// assert_eq!(url.port(), 443);
/// assert!(WebhookUrl::parse("ftp://example.com").is_err());
/// assert!(WebhookUrl::parse("https://user:pass@example.com").is_err());
/// # Ok::<(), quantarya_domain::ValueError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    /// The most characters a URL may have.
    pub const MAX_CHARS: usize = 2000;

    /// Parses and checks `raw`.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(ValueError::TooLong { max: Self::MAX_CHARS });
        }
        let url = Url::parse(raw.trim()).map_err(|_| ValueError::Format("must be an absolute http(s) URL"))?;
        if url.as_str().chars().count() > Self::MAX_CHARS {
            return Err(ValueError::TooLong { max: Self::MAX_CHARS });
        }
        if !matches!(url.scheme(), "https" | "http") {
            return Err(ValueError::Format("must be an https:// URL"));
        }
        if url.host().is_none() {
            return Err(ValueError::Format("must name a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ValueError::Format("must not hold a user name or password"));
        }
        if url.fragment().is_some() {
            return Err(ValueError::Format("must not have a fragment"));
        }
        Ok(Self(url))
    }

    /// Whether it is an `https://` URL (the only kind allowed unless insecure endpoints are).
    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }

    /// The host: a name, or an address (IPv6 without brackets).
    pub fn host(&self) -> String {
        match self.0.host() {
            Some(url::Host::Ipv6(address)) => address.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        }
    }

    /// The host as an address, when it is one (`https://10.0.0.1/` needs no resolving to be judged).
    pub fn ip(&self) -> Option<IpAddr> {
        match self.0.host()? {
            url::Host::Ipv4(address) => Some(IpAddr::V4(address)),
            url::Host::Ipv6(address) => Some(IpAddr::V6(address)),
            url::Host::Domain(_) => None,
        }
    }

    /// The port, the scheme's default when none is written.
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(443)
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Query strings sometimes carry a receiver's token: logs get the origin only.
        write!(f, "WebhookUrl({}://{}:{}/…)", self.0.scheme(), self.host(), self.port())
    }
}

/// Why an address may not receive deliveries: `None` for a public unicast address.
///
/// Refused: unspecified, loopback, private (RFC 1918, IPv6 unique-local and the old site-local), shared (RFC 6598),
/// link-local, multicast, broadcast and reserved addresses, the IETF protocol block (192.0.0.0/24) and the
/// benchmarking one (198.18.0.0/15), and the IPv6 forms that carry an IPv4 address (mapped, SIIT-translated,
/// compatible, NAT64 well-known and local-use, 6to4), judged by that address; Teredo (2001::/32) is refused whole,
/// since it tunnels to an address the guard cannot see.
///
/// ```
/// use quantarya_domain::forbidden_address;
/// assert_eq!(forbidden_address("10.0.0.1".parse()?), Some("private"));
/// assert_eq!(forbidden_address("127.0.0.1".parse()?), Some("loopback"));
/// assert_eq!(forbidden_address("::ffff:169.254.169.254".parse()?), Some("link-local"));
/// assert_eq!(forbidden_address("93.184.215.14".parse()?), None);
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
pub fn forbidden_address(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(address: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = address.octets();
    if address.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if address.is_loopback() {
        Some("loopback")
    } else if address.is_private() || (a == 192 && b == 0 && address.octets()[2] == 0) || (a == 198 && (b & 0xfe) == 18)
    {
        Some("private")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared")
    } else if address.is_link_local() {
        Some("link-local")
    } else if address.is_multicast() {
        Some("multicast")
    } else if address.is_broadcast() || a >= 240 {
        Some("reserved")
    } else {
        None
    }
}

fn forbidden_v6(address: Ipv6Addr) -> Option<&'static str> {
    let segments = address.segments();
    if let Some(v4) = embedded_v4(address) {
        return forbidden_v4(v4);
    }
    if address.is_unspecified() {
        Some("unspecified")
    } else if address.is_loopback() {
        Some("loopback")
    } else if segments[0] & 0xfe00 == 0xfc00 || segments[0] & 0xffc0 == 0xfec0 {
        Some("private")
    } else if segments[0] & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if address.is_multicast() {
        Some("multicast")
    } else if segments[0] == 0x2001 && segments[1] == 0 {
        Some("tunnelled")
    } else {
        None
    }
}

/// The IPv4 address an IPv6 address carries, in the forms that reach it: mapped (`::ffff:a.b.c.d`), compatible
/// (`::a.b.c.d`), SIIT-translated (`::ffff:0:a.b.c.d`), NAT64 (`64:ff9b::/96`, and the local-use `64:ff9b:1::/48`,
/// whose last 32 bits are the address) and 6to4 (`2002:aabb:ccdd::/48`).
fn embedded_v4(address: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = address.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let mapped =
        s[..5] == [0; 5] && (s[5] == 0xffff || (s[5] == 0 && !address.is_loopback() && !address.is_unspecified()));
    let translated = s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0;
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || s[..3] == [0x64, 0xff9b, 1];
    if mapped || translated || nat64 {
        Some(tail)
    } else if s[0] == 0x2002 {
        Some(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(raw: &str) -> Option<&'static str> {
        forbidden_address(raw.parse().expect("an address"))
    }

    #[test]
    fn internal_addresses_are_refused_in_every_spelling() {
        for (raw, why) in [
            ("0.0.0.0", "unspecified"),
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.0.0.1", "private"),
            ("172.16.5.4", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "shared"),
            ("169.254.169.254", "link-local"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "reserved"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fd00::1", "private"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.1.2.3", "private"),
            ("::10.1.2.3", "private"),
            ("64:ff9b::a00:1", "private"),
            ("2002:0a00:0001::1", "private"),
            ("192.0.0.8", "private"),
            ("198.19.1.1", "private"),
            ("fec0::1", "private"),
            ("64:ff9b:1::a00:1", "private"),
            ("::ffff:0:10.0.0.1", "private"),
            ("::ffff:0:127.0.0.1", "loopback"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "tunnelled"),
        ] {
            assert_eq!(verdict(raw), Some(why), "{raw}");
        }
        for public in ["93.184.215.14", "1.1.1.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert_eq!(verdict(public), None, "{public}");
        }
    }

    #[test]
    fn urls_are_absolute_http_without_credentials() {
        assert!(WebhookUrl::parse("http://example.com/x").is_ok_and(|u| !u.is_https() && u.port() == 80));
        assert_eq!(
            WebhookUrl::parse("https://[::1]:8443/").map(|u| (u.host(), u.ip())).ok(),
            Some(("::1".into(), "::1".parse().ok()))
        );
        for bad in ["", "example.com", "/relative", "mailto:a@b.c", "https://a@example.com", "https://example.com/#x"] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(WebhookUrl::parse(&format!("https://example.com/{}", "a".repeat(2000))).is_err());
        // Short as sent, six times longer once percent-encoded: measured as stored.
        let encoded = format!("https://example.com/{}", "é".repeat(400));
        assert!(encoded.chars().count() < 500 && WebhookUrl::parse(&encoded).is_err());
        for url in ["https://example.com/a b", "https://EXAMPLE.com/%7e"] {
            let parsed = WebhookUrl::parse(url).expect("valid");
            assert_eq!(WebhookUrl::parse(parsed.as_str()), Ok(parsed.clone()), "what is stored reads back");
        }
    }

    #[test]
    fn debug_shows_no_path_or_query() {
        let url = WebhookUrl::parse("https://example.com/hook?token=s3cret").expect("a URL");
        assert!(!format!("{url:?}").contains("s3cret"));
    }
}
