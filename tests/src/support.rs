//! What the suites run on: a store under test, a token verifier that needs no identity provider, and builders
//! of valid domain values with unique names, so cases can share one database.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use quantarya_domain::{
    ApiKey, ApiKeyId, CredentialKind, Email, EventId, ExternalReference, KeyName, NewApiKey, NewStrategy, NewTrade,
    Price, RawApiKey, Side, Stamp, Strategy, StrategyId, StrategyTitle, Symbol, Tags, Timestamp, Trade, TradeEvent,
    TradeId, User, UserId, UserName, uuid::Uuid,
};
use quantarya_ports::outbound::{IdSource, RandomIds, SystemClock, TokenError, TokenVerifier, VerifiedToken};
use quantarya_ports::{Credential, Journal, JournalService, Ports, Principal};

/// The store ports of the adapter under test.
pub type StoreUnderTest = quantarya_ports::Stores;

/// The journal service over a store under test, as the suites and `quantarya serve` build it.
pub trait JournalOver {
    /// The journal service over this store, with [`TestTokens`], the system clock and random ids.
    fn journal(&self) -> JournalService {
        self.journal_with(Arc::new(TestTokens))
    }

    /// The journal `quantarya serve` builds over this store, verifying user JWTs signed with
    /// [`crate::http::TEST_SECRET`].
    fn http_journal(&self) -> Arc<dyn Journal> {
        let tokens = quantarya_adapter_http::JwtVerifier::new(&crate::http::test_jwt()).expect("valid test JWT config");
        Arc::new(self.journal_with(Arc::new(tokens)))
    }

    /// The journal service over this store, verifying user JWTs with `tokens`.
    fn journal_with(&self, tokens: Arc<dyn TokenVerifier>) -> JournalService;
}

impl JournalOver for StoreUnderTest {
    fn journal_with(&self, tokens: Arc<dyn TokenVerifier>) -> JournalService {
        JournalService::new(Ports {
            stores: self.clone(),
            tokens,
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
            endpoints: Arc::new(quantarya_adapter_webhooks::Endpoints::default()),
        })
    }
}

/// Accepts `test-token:<sub>` as a user JWT of `<sub>` with e-mail `<sub>@example.test`; refuses anything else.
#[derive(Debug, Clone, Copy)]
pub struct TestTokens;

#[async_trait]
impl TokenVerifier for TestTokens {
    async fn verify(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        let sub = token.strip_prefix("test-token:").ok_or(TokenError::Invalid("not a test token"))?;
        let user_id = UserId::parse(sub).map_err(|_| TokenError::Invalid("bad sub"))?;
        let email = Email::parse(&format!("{sub}@example.test")).map_err(|_| TokenError::Invalid("bad email"))?;
        Ok(VerifiedToken { user_id, email })
    }
}

/// A name no other case of this run uses: `<prefix>-<counter>-<random>`, valid as a user id and a user name.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random = Uuid::now_v7().simple().to_string();
    format!("{prefix}-{n}-{}", &random[random.len() - 8..])
}

/// A fresh UUIDv7.
pub fn new_uuid() -> Uuid {
    RandomIds.uuid()
}

/// Now, to the microsecond.
pub fn now() -> Timestamp {
    quantarya_ports::outbound::Clock::now(&SystemClock)
}

/// A time `minutes` before now. It reads the clock on every call, so no two calls give the same time: where
/// equal times matter (ties, bounds that fall exactly on a time), read the clock once and use [`minutes_before`].
pub fn minutes_ago(minutes: i64) -> Timestamp {
    minutes_before(now(), minutes)
}

/// A time `minutes` before `base`.
pub fn minutes_before(base: Timestamp, minutes: i64) -> Timestamp {
    Timestamp::from_datetime(base.as_datetime() - chrono::TimeDelta::minutes(minutes))
}

/// A profile with a unique id and name.
pub fn user() -> User {
    let name = unique("u");
    User {
        id: UserId::parse(&name).expect("valid id"),
        email: Email::parse(&format!("{name}@example.test")).expect("valid email"),
        user_name: UserName::parse(&name).expect("valid name"),
        display_name: None,
        bio: None,
        public_profile_enabled: false,
        created_at: now(),
        updated_at: now(),
    }
}

/// A user JWT principal (as [`TestTokens`] would make it) of `user`.
pub fn jwt(user: &User) -> Principal {
    Principal { user_id: user.id.clone(), credential: Credential::User { email: user.email.clone() } }
}

/// The bearer token [`TestTokens`] accepts for `user`.
pub fn token(user: &UserId) -> String {
    format!("test-token:{user}")
}

/// A strategy of `owner`.
pub fn strategy(owner: &UserId) -> Strategy {
    let new = NewStrategy {
        tags: Tags::parse(&["fx"]).map_err(|e| e.1).expect("valid"),
        ..NewStrategy::titled(StrategyTitle::parse("Momentum Breakout").expect("valid"))
    };
    Strategy::create(StrategyId::from_uuid(new_uuid()), owner.clone(), new, now())
}

/// A stored API key of `owner`, and its raw key.
pub fn api_key(owner: &UserId) -> (ApiKey, RawApiKey) {
    let raw = RawApiKey::from_random_body(&RandomIds.api_key_body()).expect("valid body");
    let key = ApiKey::issue(
        ApiKeyId::from_uuid(new_uuid()),
        owner.clone(),
        NewApiKey::new(KeyName::parse("tv").expect("valid")),
        &raw,
        now(),
    );
    (key, raw)
}

/// An open entry of `symbol`, optionally with a reference.
pub fn entry(symbol: &str, side: Side, reference: Option<&str>) -> NewTrade {
    NewTrade {
        entry: Some(Price::new(100.0).expect("valid")),
        stop_loss: Some(Price::new(95.0).expect("valid")),
        external_reference: reference.map(|r| ExternalReference::parse(r).expect("valid reference")),
        ..NewTrade::open(Symbol::parse(symbol).expect("valid symbol"), side)
    }
}

/// A stored user with a stored strategy.
pub async fn owner_with_strategy(s: &StoreUnderTest) -> (User, Strategy) {
    let owner = user();
    s.users.insert_user(&owner).await.expect("insert user");
    let strategy = strategy(&owner.id);
    s.strategies.insert_strategy(&strategy).await.expect("insert strategy");
    (owner, strategy)
}

/// A stamp by `by`, now.
pub fn stamp(by: CredentialKind) -> Stamp {
    Stamp { event_id: EventId::from_uuid(new_uuid()), at: now(), by }
}

/// The domain's opening of `new` in `strategy`, opened at `opened_at` when given.
pub fn opened(strategy: &Strategy, mut new: NewTrade, opened_at: Option<Timestamp>) -> (Trade, TradeEvent) {
    new.signal_time = opened_at.or(new.signal_time);
    let transition = Trade::open(
        TradeId::from_uuid(new_uuid()),
        strategy.id,
        strategy.user_id.clone(),
        new,
        stamp(CredentialKind::ApiKey),
    )
    .expect("a valid entry");
    (transition.trade, transition.event)
}

/// Fills PostgreSQL at `url` with `count` closed trades of `book` in one statement (for benchmarks that read them),
/// and analyzes the table.
pub async fn seed_closed_trades(url: &str, book: &Strategy, count: i64) {
    let statement = format!(
        "INSERT INTO trades (id, strategy_id, user_id, symbol, side, status, event, entry, stop_loss, initial_stop_loss, \
         close_price, opened_at, closed_at, origin, created_at, updated_at, version, position)
         SELECT id, strategy_id, user_id, symbol, side, status, event, entry, stop_loss, stop_loss, close_price, opened_at,
                closed_at,
                origin, created_at, updated_at, version,
                jsonb_build_object('point_value', 1, 'fees', '0', 'fills', jsonb_build_array(
                    jsonb_build_object('kind', 'entry', 'price', entry, 'quantity', NULL, 'fees', '0',
                        'at', to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')),
                    jsonb_build_object('kind', 'exit', 'price', close_price, 'quantity', NULL, 'fees', '0',
                        'at', to_char(closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))))
         FROM (
           SELECT gen_random_uuid() AS id, '{strategy}'::uuid AS strategy_id, '{user}' AS user_id,
                  (ARRAY['EURUSD','GBPUSD','BTCUSD','ES1!'])[1 + g % 4] AS symbol,
                  CASE WHEN g % 3 = 0 THEN 'SELL' ELSE 'BUY' END AS side, 'CLOSED' AS status, 'exit' AS event,
                  100::float8 AS entry, 98::float8 AS stop_loss,
                  (100 * (1 + ((g * 7919) % 400 - 190) / 10000.0))::float8 AS close_price,
                  now() - interval '200 days' + g * interval '1 minute' AS opened_at,
                  now() - interval '200 days' + g * interval '1 minute' + interval '30 seconds' AS closed_at,
                  'api_key' AS origin, now() AS created_at, now() AS updated_at, 1 AS version
           FROM generate_series(1, {count}) AS g
         ) AS seeded",
        strategy = book.id.as_uuid(),
        user = book.user_id.as_str(),
    );
    quantarya_test_db::run_sql(url, &format!("{statement}; ANALYZE trades")).await.expect("seeded");
}
