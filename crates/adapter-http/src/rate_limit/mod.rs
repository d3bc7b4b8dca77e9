//! Rate limits: a token bucket (governor's GCRA) per API key, per user, and per client address for requests
//! without valid credentials, each refilling its budget evenly over a minute. Over budget: 429 `rate_limited` with
//! `Retry-After`; every answer a budget was checked for carries the IETF `RateLimit-Policy` and `RateLimit`
//! headers (draft-ietf-httpapi-ratelimit-headers). Budgets are kept in this process: each instance counts its own.
//!
//! Who pays: a request with an API key spends its key's budget and its user's; one with a user JWT, its user's; a
//! request to a public route, or one whose credentials fail (401), its address's, so guessing credentials is slowed
//! down without letting one user's broken alerts from a shared address (TradingView's) refuse another's. Health
//! checks are free. A path that matches no route is the address's to pay for too (a scanner's).

mod verdict;

use std::cell::Cell;
use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::middleware::Next;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{Quota, RateLimiter, state::keyed::DashMapStateStore};
use ipnet::IpNet;
use quantarya_domain::{ApiKeyId, UserId};
use quantarya_ports::{Credential, Principal};

use crate::auth_kind::{Auth, route_auth};
use crate::error::ApiError;
use verdict::Policies;
pub use verdict::{RATE_LIMIT, RATE_LIMIT_POLICY, Standing, Verdict};

/// The window every budget is refilled over, in seconds.
const WINDOW_SECONDS: u64 = 60;

/// How many checks between two sweeps of the buckets that are full again (so the maps hold only recent clients).
const SWEEP_EVERY: u32 = 4096;

/// The paths no budget applies to: health checks, which load balancers call often.
pub(crate) const FREE_PATHS: [&str; 2] = ["/healthz", "/readyz"];

/// The budgets, per minute (0 turns one off), and the proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Requests a minute per API key.
    pub per_key: u32,
    /// Requests a minute per user (through any of their credentials).
    pub per_user: u32,
    /// Requests a minute per client address, for requests without valid credentials.
    pub per_address: u32,
    /// The proxies in front of the service: for a request from one of them, the client is the right-most address
    /// of `X-Forwarded-For` that is not one of them.
    pub trusted_proxies: Vec<IpNet>,
}

impl RateLimitSettings {
    /// The contract's defaults: 600 a minute per key, 1200 per user, 120 per address, no trusted proxy.
    pub const DEFAULT_PER_KEY: u32 = 600;
    /// See [`RateLimitSettings::DEFAULT_PER_KEY`].
    pub const DEFAULT_PER_USER: u32 = 1200;
    /// See [`RateLimitSettings::DEFAULT_PER_KEY`].
    pub const DEFAULT_PER_ADDRESS: u32 = 120;

    /// Every budget off (tests that are not about limits).
    pub fn off() -> Self {
        Self { per_key: 0, per_user: 0, per_address: 0, trusted_proxies: Vec::new() }
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            per_key: Self::DEFAULT_PER_KEY,
            per_user: Self::DEFAULT_PER_USER,
            per_address: Self::DEFAULT_PER_ADDRESS,
            trusted_proxies: Vec::new(),
        }
    }
}

type Limiter<K, S> = RateLimiter<K, DashMapStateStore<K, S>, DefaultClock, StateInformationMiddleware>;

/// One kind of budget: its name in the headers, its size, and a bucket per client, in a map hashed by `S`.
struct Budget<K: Hash + Eq + Clone, S: BuildHasher + Clone> {
    policy: &'static str,
    per_minute: u32,
    buckets: Limiter<K, S>,
}

impl<K: Hash + Eq + Clone, S: BuildHasher + Clone + Default> Budget<K, S> {
    fn new(policy: &'static str, per_minute: u32) -> Option<Self> {
        let size = NonZeroU32::new(per_minute)?;
        let buckets = RateLimiter::dashmap_with_hasher(Quota::per_minute(size), S::default()).with_middleware();
        Some(Self { policy, per_minute, buckets })
    }

    /// Its name and size, as `RateLimit-Policy` shows them.
    fn shown(&self) -> (&'static str, u32) {
        (self.policy, self.per_minute)
    }

    /// Spends one request of `client`'s budget.
    fn spend(&self, client: &K) -> Standing {
        let (remaining, retry_after) = match self.buckets.check_key(client) {
            Ok(snapshot) => (snapshot.remaining_burst_capacity(), None),
            Err(not_until) => {
                quantarya_ports::metrics::rate_limited(self.policy);
                (0, Some(not_until.wait_time_from(self.buckets.clock().now())))
            }
        };
        Standing { policy: self.policy, quota: self.per_minute, remaining, retry_after }
    }

    fn sweep(&self) {
        self.buckets.retain_recent();
        self.buckets.shrink_to_fit();
    }
}

/// How many of a user's refusals for being over budget go to the signal log in a minute: a flood of 429s (a
/// leaked key, a runaway bot) must not push everything else out of it.
const LOGGED_REFUSALS_PER_MINUTE: NonZeroU32 = NonZeroU32::MIN;

/// Every budget of this instance.
pub struct RateLimits {
    /// Keyed by an id the service made: hashed by `foldhash` (no sender chooses them).
    keys: Option<Budget<ApiKeyId, foldhash::fast::RandomState>>,
    /// Keyed by texts and addresses others choose: SipHash.
    users: Option<Budget<UserId, std::hash::RandomState>>,
    addresses: Option<Budget<IpAddr, std::hash::RandomState>>,
    policies: Policies,
    trusted_proxies: Vec<IpNet>,
    /// Which users' over-budget refusals may be logged now ([`LOGGED_REFUSALS_PER_MINUTE`]).
    logged_refusals: RateLimiter<UserId, DashMapStateStore<UserId>, DefaultClock>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits").finish_non_exhaustive()
    }
}

impl RateLimits {
    /// The budgets `settings` describe.
    pub fn new(settings: &RateLimitSettings) -> Self {
        let mut limits = Self {
            keys: Budget::new("key", settings.per_key),
            users: Budget::new("user", settings.per_user),
            addresses: Budget::new("address", settings.per_address),
            policies: Policies::default(),
            trusted_proxies: settings.trusted_proxies.clone(),
            logged_refusals: RateLimiter::dashmap(Quota::per_minute(LOGGED_REFUSALS_PER_MINUTE)),
        };
        limits.policies = Policies::new(
            limits.keys.as_ref().map(Budget::shown),
            limits.users.as_ref().map(Budget::shown),
            limits.addresses.as_ref().map(Budget::shown),
        );
        limits
    }

    /// Whether `principal`'s refusal for being over budget goes to the signal log: the first of each minute does.
    pub fn log_refusal(&self, principal: &Principal) -> bool {
        self.logged_refusals.check_key(&principal.user_id).is_ok()
    }

    /// Spends one request of `principal`'s budgets: its key's (for an API key), then its user's, unless the key's
    /// refused it (a leaked key flooding past its own budget must not spend its owner's other credentials' share).
    pub fn spend_principal(&self, principal: &Principal) -> Verdict {
        self.counted();
        let key = match (&principal.credential, &self.keys) {
            (Credential::ApiKey { key_id, .. }, Some(keys)) => Some(keys.spend(key_id)),
            _ => None,
        };
        let refused = key.as_ref().is_some_and(|standing| standing.retry_after.is_some());
        let user = self.users.as_ref().filter(|_| !refused).map(|users| users.spend(&principal.user_id));
        let policy = match (&key, &user) {
            (Some(_), Some(_)) => &self.policies.key_and_user,
            (Some(_), None) => &self.policies.key,
            (None, Some(_)) => &self.policies.user,
            (None, None) => return Verdict::default(),
        };
        Verdict { spent: key.into_iter().chain(user).collect(), policy: policy.clone() }
    }

    /// Spends one request of `address`'s budget: an IPv6 address shares its /64's (one host is usually given a
    /// whole /64, and would otherwise have a fresh budget at every address of it).
    pub fn spend_address(&self, address: IpAddr) -> Verdict {
        self.counted();
        let bucket = match address {
            IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
            v4 => v4,
        };
        match &self.addresses {
            Some(addresses) => Verdict {
                spent: [addresses.spend(&bucket)].into_iter().collect(),
                policy: self.policies.address.clone(),
            },
            None => Verdict::default(),
        }
    }

    /// Spends one request of the budget of the client a request came from (its peer, or behind a trusted proxy the
    /// client `X-Forwarded-For` names).
    pub fn spend_client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Verdict {
        self.client_address(peer, headers).map(|address| self.spend_address(address)).unwrap_or_default()
    }

    /// Counts a check; every [`SWEEP_EVERY`] checks of a thread, forgets the buckets that are full again. Counted
    /// per thread: one counter for every worker would move its cache line between the cores on each request.
    fn counted(&self) {
        thread_local! {
            static CHECKS: Cell<u32> = const { Cell::new(0) };
        }
        let due = CHECKS.with(|checks| {
            let n = checks.get().wrapping_add(1);
            checks.set(n);
            n % SWEEP_EVERY == 0
        });
        if due {
            self.keys.iter().for_each(Budget::sweep);
            self.users.iter().for_each(Budget::sweep);
            self.addresses.iter().for_each(Budget::sweep);
            self.logged_refusals.retain_recent();
            self.logged_refusals.shrink_to_fit();
        }
    }

    /// The client's address: the socket's peer, or, when the peer is a trusted proxy, the right-most address of
    /// `X-Forwarded-For` that is not a trusted proxy (the left-most, if all are; the peer, if one does not parse).
    pub fn client_address(&self, peer: Option<IpAddr>, forwarded: &HeaderMap) -> Option<IpAddr> {
        // An IPv4 client of a dual-stack socket comes as `::ffff:a.b.c.d`.
        let peer = peer?.to_canonical();
        if !self.trusted(peer) {
            return Some(peer);
        }
        let hops: Vec<&str> = forwarded
            .get_all("x-forwarded-for")
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // An entry may carry a port (`203.0.113.9:4711`, `[2001:db8::1]:4711`).
            let address = hop.parse::<std::net::SocketAddr>().map(|s| s.ip()).or_else(|_| hop.parse::<IpAddr>());
            match address.map(|address| address.to_canonical()) {
                Ok(address) if self.trusted(address) => client = address,
                Ok(address) => return Some(address),
                Err(_) => return Some(peer),
            }
        }
        Some(client)
    }

    fn trusted(&self, address: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&address))
    }
}

/// Spends `principal`'s budgets for this request (noted on the request for the answer's headers); 429 when over.
///
/// # Errors
///
/// 429 `rate_limited` when a budget is spent.
pub fn spend(req: &actix_web::HttpRequest, limits: &RateLimits, principal: &Principal) -> Result<(), ApiError> {
    let verdict = limits.spend_principal(principal);
    let refusal = verdict.refusal();
    req.extensions_mut().insert(verdict);
    refusal.map_or(Ok(()), Err)
}

/// The budgets of one resource's requests: a public route spends the client address's budget before it runs; on a
/// route that takes credentials the authenticated principal's budgets are spent where credentials are checked
/// ([`spend`]), and a request that admitted no principal (a 401, or a refusal before the credentials were read)
/// spends the address's after it ran, and answers 429 instead once that is spent. Every answer carries the headers
/// of what was spent.
pub async fn limit<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    // The budgets are borrowed from the request each time they are needed, never cloned: a clone counts a
    // reference that every worker writes to, on every request.
    let Some(limits) = req.app_data::<actix_web::web::Data<RateLimits>>() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if FREE_PATHS.contains(&req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let auth = route_auth(req.request());
    let peer = req.peer_addr().map(|peer| peer.ip());
    if auth.is_none_or(|auth| auth == Auth::None) {
        let verdict = limits.spend_client(peer, req.headers());
        if let Some(response) = verdict.refused_answer() {
            return Ok(req.into_response(response).map_into_right_body());
        }
        let mut res = next.call(req).await?;
        verdict.write(res.headers_mut());
        return Ok(res.map_into_left_body());
    }
    let mut res = next.call(req).await?;
    // No principal was admitted (credentials missing or wrong, or the request refused before they were read): the
    // address pays, and once it is over its budget the answer is 429 instead.
    // Taken, not copied: nothing reads it after this.
    let verdict = res.request().extensions_mut().remove::<Verdict>();
    let verdict = match verdict {
        Some(verdict) => verdict,
        None => {
            let Some(limits) = res.request().app_data::<actix_web::web::Data<RateLimits>>() else {
                return Ok(res.map_into_left_body());
            };
            let verdict = limits.spend_client(peer, res.request().headers());
            if let Some(response) = verdict.refused_answer() {
                let (request, _) = res.into_parts();
                return Ok(ServiceResponse::new(request, response).map_into_right_body());
            }
            verdict
        }
    };
    verdict.write(res.headers_mut());
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;
    use quantarya_domain::KeyGrant;
    use quantarya_domain::uuid::Uuid;

    fn email() -> quantarya_domain::Email {
        quantarya_domain::Email::parse("u@example.test").expect("valid")
    }

    fn key_principal() -> Principal {
        let credential =
            Credential::ApiKey { key_id: ApiKeyId::from_uuid(Uuid::from_u128(1)), grant: KeyGrant::default() };
        Principal { user_id: UserId::parse("u").expect("valid"), credential }
    }

    #[test]
    fn a_budget_takes_its_size_at_once_then_refuses_with_a_wait() {
        let limits = RateLimits::new(&RateLimitSettings { per_key: 3, per_user: 10, ..RateLimitSettings::off() });
        let principal = key_principal();
        let verdicts: Vec<Verdict> = (0..4).map(|_| limits.spend_principal(&principal)).collect();
        assert!(verdicts[..3].iter().all(|v| !v.refused()));
        assert_eq!(verdicts[2].spent[0].remaining, 0);
        assert_eq!(verdicts[0].spent[1].remaining, 9, "the user's budget is spent too");
        assert!(verdicts[3].refused());
        // One request comes back every 20 s.
        assert!(matches!(verdicts[3].retry_after(), Some(1..=20)), "{:?}", verdicts[3].retry_after());
        let mut headers = HeaderMap::new();
        verdicts[3].write(&mut headers);
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(header("ratelimit-policy"), r#""key";q=3;w=60"#, "the key refused it: the user's is not spent");
        assert!(header("ratelimit").starts_with(r#""key";r=0;t=60"#), "{}", header("ratelimit"));
        let next = limits.spend_principal(&Principal { credential: Credential::User { email: email() }, ..principal });
        assert_eq!(next.spent[0].remaining, 6, "three signals and this request: the refused one spent nothing of it");
        assert!(!header("retry-after").is_empty());
    }

    #[test]
    fn a_policy_is_made_once_for_each_setting_and_copied_as_a_pointer() {
        let settings = RateLimitSettings { per_key: 5, per_user: 9, per_address: 3, ..RateLimitSettings::off() };
        let (one, two) = (RateLimits::new(&settings), RateLimits::new(&settings));
        let policy_of = |verdict: Verdict| verdict.policy.expect("a policy");
        let (first, second) =
            (policy_of(one.spend_principal(&key_principal())), policy_of(two.spend_principal(&key_principal())));
        assert_eq!(first.as_bytes(), br#""key";q=5;w=60, "user";q=9;w=60"#);
        assert!(std::ptr::eq(first.as_bytes(), second.as_bytes()), "one text for both limiters");
        let user = Principal { credential: Credential::User { email: email() }, ..key_principal() };
        assert_eq!(policy_of(one.spend_principal(&user)).as_bytes(), br#""user";q=9;w=60"#);
        assert_eq!(policy_of(one.spend_address(IpAddr::from([1, 2, 3, 4]))).as_bytes(), br#""address";q=3;w=60"#);
        let keys_only = RateLimits::new(&RateLimitSettings { per_key: 5, ..RateLimitSettings::off() });
        assert_eq!(policy_of(keys_only.spend_principal(&key_principal())).as_bytes(), br#""key";q=5;w=60"#);
    }

    #[test]
    fn zero_turns_a_budget_off() {
        let limits = RateLimits::new(&RateLimitSettings::off());
        let verdict = limits.spend_principal(&key_principal());
        assert_eq!(verdict, Verdict::default());
        assert!(!limits.spend_address(IpAddr::from([1, 2, 3, 4])).refused());
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_forwarded_address() {
        let proxies: Vec<IpNet> = ["10.0.0.0/8", "192.168.1.7/32"].iter().map(|n| n.parse().expect("net")).collect();
        let limits = RateLimits::new(&RateLimitSettings { trusted_proxies: proxies, ..RateLimitSettings::off() });
        let forwarded = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append(HeaderName::from_static("x-forwarded-for"), HeaderValue::from_str(value).expect("v"));
            }
            headers
        };
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        let client = |peer: &str, values: &[&str]| limits.client_address(Some(ip(peer)), &forwarded(values));
        // Not from a proxy: the header is the client's to forge, and ignored.
        assert_eq!(client("203.0.113.9", &["1.1.1.1"]), Some(ip("203.0.113.9")));
        assert_eq!(client("10.1.2.3", &["6.6.6.6, 203.0.113.9, 10.9.9.9"]), Some(ip("203.0.113.9")));
        assert_eq!(client("10.1.2.3", &["6.6.6.6", "203.0.113.9, 192.168.1.7"]), Some(ip("203.0.113.9")));
        assert_eq!(client("10.1.2.3", &["10.0.0.2, 10.0.0.3"]), Some(ip("10.0.0.2")));
        assert_eq!(client("10.1.2.3", &[]), Some(ip("10.1.2.3")));
        assert_eq!(client("10.1.2.3", &["not-an-address"]), Some(ip("10.1.2.3")));
        assert_eq!(client("10.1.2.3", &["203.0.113.9:4711"]), Some(ip("203.0.113.9")));
        assert_eq!(client("10.1.2.3", &["[2001:db8::1]:4711"]), Some(ip("2001:db8::1")));
        assert_eq!(client("::ffff:10.1.2.3", &["203.0.113.9"]), Some(ip("203.0.113.9")), "a mapped proxy is trusted");
    }

    #[test]
    fn an_ipv6_client_spends_its_64s_budget() {
        let limits = RateLimits::new(&RateLimitSettings { per_address: 1, ..RateLimitSettings::off() });
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert!(!limits.spend_address(ip("2001:db8:1:2::1")).refused());
        assert!(limits.spend_address(ip("2001:db8:1:2::ffff")).refused(), "the same /64");
        assert!(!limits.spend_address(ip("2001:db8:1:3::1")).refused(), "another /64");
    }
}
