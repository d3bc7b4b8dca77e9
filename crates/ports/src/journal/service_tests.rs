//! The use cases against mocks of the outbound ports: ownership, scopes, races and error mapping.

use std::sync::Arc;

use mockall::predicate::eq;
use quantarya_domain::{
    ApiKey, ApiKeyId, CloseTrade, CredentialKind, Email, EventId, Extensions, ExternalReference, KeyName, NewStrategy,
    NewTrade, Price, RawApiKey, Side, SignalExit, Stamp, Status, Strategy, StrategyId, StrategyTitle, Symbol, Tags,
    Timestamp, Trade, TradeId, User, UserId, UserName,
};
use uuid::Uuid;

use super::*;
use crate::outbound::{
    Clock, IdSource, MockApiKeyStore, MockStrategyStore, MockTokenVerifier, MockTradeStore, MockUserStore, RandomIds,
    SystemClock, TokenError, VerifiedToken,
};
use crate::{ConflictKind, ForbiddenKind, StoreConflict, StoreError};

#[derive(Default)]
struct Mocks {
    users: MockUserStore,
    strategies: MockStrategyStore,
    trades: MockTradeStore,
    api_keys: MockApiKeyStore,
    tokens: MockTokenVerifier,
}

impl Mocks {
    fn service(self) -> JournalService {
        JournalService::new(Ports {
            users: Arc::new(self.users),
            strategies: Arc::new(self.strategies),
            trades: Arc::new(self.trades),
            api_keys: Arc::new(self.api_keys),
            tokens: Arc::new(self.tokens),
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
        })
    }

    /// The strategy lookup finds `strategy` for its owner.
    fn owning(mut self, strategy: &Strategy) -> Self {
        let found = strategy.clone();
        self.strategies
            .expect_get_strategy()
            .withf(move |owner, id| owner == &found.user_id && *id == found.id)
            .returning({
                let found = strategy.clone();
                move |_, _| Ok(Some(found.clone()))
            });
        self
    }
}

fn user_id() -> UserId {
    UserId::parse("user-1").expect("valid")
}

fn at() -> Timestamp {
    Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid")
}

fn jwt_principal() -> Principal {
    Principal { user_id: user_id(), credential: Credential::User { email: Email::parse("a@b.c").expect("valid") } }
}

fn key_principal() -> Principal {
    Principal { user_id: user_id(), credential: Credential::ApiKey { key_id: ApiKeyId::from_uuid(Uuid::now_v7()) } }
}

fn profile() -> User {
    User {
        id: user_id(),
        email: Email::parse("a@b.c").expect("valid"),
        user_name: UserName::parse("desk").expect("valid"),
        display_name: None,
        bio: None,
        public_profile_enabled: false,
        created_at: at(),
        updated_at: at(),
    }
}

fn strategy() -> Strategy {
    let new = NewStrategy {
        title: StrategyTitle::parse("Momentum").expect("valid"),
        description: None,
        tags: Tags::default(),
        is_public: false,
    };
    Strategy::create(StrategyId::from_uuid(Uuid::now_v7()), user_id(), new, at())
}

fn new_trade(reference: Option<&str>) -> NewTrade {
    NewTrade {
        symbol: Symbol::parse("EURUSD").expect("valid"),
        side: Side::Buy,
        status: Status::Open,
        entry: Some(Price::new(1.08).expect("valid")),
        stop_loss: None,
        take_profit: None,
        close_price: None,
        signal_time: None,
        closed_at: None,
        timeframe: None,
        source: None,
        external_reference: reference.map(|r| ExternalReference::parse(r).expect("valid")),
        extensions: Extensions::default(),
    }
}

fn open_trade(strategy: &Strategy, by: CredentialKind, reference: Option<&str>) -> Trade {
    let stamp = Stamp { event_id: EventId::from_uuid(Uuid::now_v7()), at: at(), by };
    Trade::open(TradeId::from_uuid(Uuid::now_v7()), strategy.id, user_id(), new_trade(reference), stamp)
        .expect("valid entry")
        .trade
}

fn closed(trade: &Trade) -> Trade {
    let stamp = Stamp { event_id: EventId::from_uuid(Uuid::now_v7()), at: at(), by: CredentialKind::User };
    match trade.apply(quantarya_domain::TradeCommand::Close(CloseTrade::default()), stamp).expect("closes") {
        quantarya_domain::Outcome::Changed(t) => t.trade,
        quantarya_domain::Outcome::Unchanged => panic!("a close changes an open trade"),
    }
}

#[tokio::test]
async fn api_keys_are_refused_outside_the_trade_routes_before_any_storage_is_touched() {
    // No expectations: any store call would panic.
    let service = Mocks::default().service();
    let key = key_principal();
    let forbidden = |r: Result<(), JournalError>| {
        assert!(matches!(r, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed))), "{r:?}");
    };
    forbidden(service.list_strategies(&key).await.map(drop));
    forbidden(service.get_profile(&key).await.map(drop));
    forbidden(service.save_profile(&key, Default::default()).await.map(drop));
    forbidden(service.delete_profile(&key).await.map(drop));
    forbidden(service.list_api_keys(&key).await.map(drop));
    forbidden(service.get_strategy(&key, strategy().id).await.map(drop));
    forbidden(service.delete_strategy(&key, strategy().id).await.map(drop));
}

#[tokio::test]
async fn strategies_and_keys_need_a_profile() {
    let mut mocks = Mocks::default();
    mocks.users.expect_get_user().returning(|_| Ok(None));
    let service = mocks.service();
    let title = StrategyTitle::parse("x").expect("valid");
    let new = NewStrategy { title, description: None, tags: Tags::default(), is_public: false };
    let result = service.create_strategy(&jwt_principal(), new).await;
    assert!(matches!(result, Err(JournalError::Forbidden(ForbiddenKind::ProfileRequired))), "{result:?}");
    let result = service.create_api_key(&jwt_principal(), KeyName::parse("k").expect("valid")).await;
    assert!(matches!(result, Err(JournalError::Forbidden(ForbiddenKind::ProfileRequired))), "{result:?}");
}

#[tokio::test]
async fn a_foreign_strategy_answers_exactly_like_a_missing_one() {
    let mut mocks = Mocks::default();
    // The store scopes by owner: another user's strategy comes back as None.
    mocks.strategies.expect_get_strategy().returning(|_, _| Ok(None));
    mocks.users.expect_get_user().returning(|_| Ok(Some(profile())));
    let service = mocks.service();
    let foreign = StrategyId::from_uuid(Uuid::now_v7());
    let result = service.get_trade(&jwt_principal(), foreign, TradeId::from_uuid(Uuid::now_v7())).await;
    assert!(matches!(result, Err(JournalError::NotFound("strategy"))), "{result:?}");
    let result = service.get_trade(&key_principal(), foreign, TradeId::from_uuid(Uuid::now_v7())).await;
    assert!(matches!(result, Err(JournalError::NotFound("strategy"))), "{result:?}");
}

#[tokio::test]
async fn a_mistyped_api_key_is_refused_without_a_storage_lookup() {
    let service = Mocks::default().service();
    let key = RawApiKey::from_random_body(&RandomIds.api_key_body()).expect("valid");
    let mut typo = key.expose().to_owned();
    let last = typo.pop().map_or('0', |c| if c == '0' { '1' } else { '0' });
    typo.push(last);
    for bad in ["qk_", "qk_nope", typo.as_str()] {
        assert!(matches!(service.authenticate(bad).await, Err(JournalError::Unauthorized)), "{bad}");
    }
}

#[tokio::test]
async fn a_revoked_key_is_refused_and_a_live_one_is_touched_at_most_once_a_minute() {
    let live = RawApiKey::from_random_body(&RandomIds.api_key_body()).expect("valid");
    let revoked = RawApiKey::from_random_body(&RandomIds.api_key_body()).expect("valid");
    let stored = ApiKey::issue(
        ApiKeyId::from_uuid(Uuid::now_v7()),
        user_id(),
        KeyName::parse("tv").expect("valid"),
        &live,
        at(),
    );
    let mut recently_used = stored.clone();
    recently_used.last_used_at = Some(SystemClock.now());
    let mut mocks = Mocks::default();
    let mut lookups = vec![Some(recently_used), Some(stored.clone())];
    mocks.api_keys.expect_find_api_key().with(eq(live.hash())).times(2).returning(move |_| Ok(lookups.pop().flatten()));
    mocks.api_keys.expect_find_api_key().with(eq(revoked.hash())).returning(|_| Ok(None));
    mocks
        .api_keys
        .expect_touch_api_key()
        .with(eq(stored.id), mockall::predicate::always())
        .times(1)
        .returning(|_, _| Ok(()));
    let service = mocks.service();

    let principal = service.authenticate(live.expose()).await.expect("a live key authenticates");
    assert_eq!(principal, Principal { user_id: user_id(), credential: Credential::ApiKey { key_id: stored.id } });
    service.authenticate(live.expose()).await.expect("still live");
    assert!(matches!(service.authenticate(revoked.expose()).await, Err(JournalError::Unauthorized)));
}

#[tokio::test]
async fn token_failures_are_401_and_a_key_outage_is_503() {
    let mut mocks = Mocks::default();
    mocks.tokens.expect_verify().with(eq("bad")).returning(|_| Err(TokenError::Invalid("signature")));
    mocks.tokens.expect_verify().with(eq("outage")).returning(|_| Err(TokenError::Unavailable("jwks down".into())));
    mocks
        .tokens
        .expect_verify()
        .with(eq("good"))
        .returning(|_| Ok(VerifiedToken { user_id: user_id(), email: Email::parse("a@b.c").expect("valid") }));
    let service = mocks.service();
    assert!(matches!(service.authenticate("bad").await, Err(JournalError::Unauthorized)));
    assert!(matches!(service.authenticate("outage").await, Err(JournalError::Unavailable(_))));
    assert_eq!(service.authenticate("good").await.expect("valid"), jwt_principal());
}

#[tokio::test]
async fn storage_outages_are_unavailable_and_taken_names_conflict() {
    let mut mocks = Mocks::default();
    mocks.users.expect_get_user().times(1).returning(|_| Err(StoreError::Unavailable("pool timed out".into())));
    mocks.users.expect_get_user().returning(|_| Ok(None));
    mocks.users.expect_insert_user().returning(|_| Err(StoreError::Conflict(StoreConflict::UserNameTaken)));
    let service = mocks.service();
    assert!(matches!(service.get_profile(&jwt_principal()).await, Err(JournalError::Unavailable(_))));
    let change = quantarya_domain::ProfileChange {
        user_name: Some(UserName::parse("taken").expect("valid")),
        ..Default::default()
    };
    let result = service.save_profile(&jwt_principal(), change).await;
    assert!(matches!(result, Err(JournalError::Conflict { kind: ConflictKind::UserNameTaken, .. })), "{result:?}");
}

#[tokio::test]
async fn an_entry_that_loses_the_race_for_its_reference_answers_with_the_winner() {
    let strategy = strategy();
    let winner = open_trade(&strategy, CredentialKind::ApiKey, Some("Long"));
    let mut mocks = Mocks::default().owning(&strategy);
    let mut lookups = vec![vec![winner.clone()], vec![]];
    mocks.trades.expect_open_trades().times(2).returning(move |_, _| Ok(lookups.pop().unwrap_or_default()));
    mocks
        .trades
        .expect_insert_trade()
        .times(1)
        .returning(|_, _| Err(StoreError::Conflict(StoreConflict::OpenTradeExists)));
    let service = mocks.service();
    let outcome = service
        .submit_signal(&key_principal(), strategy.id, Signal::Entry(new_trade(Some("Long"))))
        .await
        .expect("the retry finds the winner");
    assert_eq!(outcome.effect, SignalEffect::AlreadyOpen);
    assert_eq!(outcome.trade, winner);
}

#[tokio::test]
async fn a_close_that_loses_the_race_is_decided_again_and_refused() {
    let strategy = strategy();
    let open = open_trade(&strategy, CredentialKind::User, None);
    let already_closed = closed(&open);
    let mut mocks = Mocks::default().owning(&strategy);
    let mut reads = vec![already_closed, open.clone()];
    mocks.trades.expect_get_trade().times(2).returning(move |_, _| Ok(reads.pop()));
    mocks
        .trades
        .expect_update_trade()
        .times(1)
        .returning(|_, _| Err(StoreError::Conflict(StoreConflict::StaleVersion)));
    let service = mocks.service();
    let result = service.close_trade(&jwt_principal(), strategy.id, open.id, CloseTrade::default()).await;
    assert!(matches!(result, Err(JournalError::Conflict { kind: ConflictKind::InvalidTransition, .. })), "{result:?}");
}

#[tokio::test]
async fn an_integration_trade_cannot_be_deleted() {
    let strategy = strategy();
    let trade = open_trade(&strategy, CredentialKind::ApiKey, None);
    let mut mocks = Mocks::default().owning(&strategy);
    let found = trade.clone();
    mocks.trades.expect_get_trade().returning(move |_, _| Ok(Some(found.clone())));
    // No delete_trade expectation: calling it would panic.
    let service = mocks.service();
    let result = service.delete_trade(&jwt_principal(), strategy.id, trade.id).await;
    assert!(matches!(result, Err(JournalError::Conflict { kind: ConflictKind::TradeNotManual, .. })), "{result:?}");
}

#[tokio::test]
async fn a_repeated_exit_answers_with_the_trade_it_closed() {
    let strategy = strategy();
    let done = closed(&open_trade(&strategy, CredentialKind::ApiKey, Some("Long")));
    let mut mocks = Mocks::default().owning(&strategy);
    mocks.trades.expect_open_trades().returning(|_, _| Ok(vec![]));
    let latest = done.clone();
    mocks.trades.expect_latest_with_reference().returning(move |_, _| Ok(Some(latest.clone())));
    let service = mocks.service();
    let locator = SignalLocator {
        external_reference: Some(ExternalReference::parse("Long").expect("valid")),
        symbol: Some(Symbol::parse("EURUSD").expect("valid")),
    };
    let outcome = service
        .submit_signal(&key_principal(), strategy.id, Signal::Exit { locator, exit: SignalExit::default() })
        .await
        .expect("a repeated exit is harmless");
    assert_eq!(outcome.effect, SignalEffect::AlreadyClosed);
    assert_eq!(outcome.trade, done);
}

#[tokio::test]
async fn an_update_without_a_matching_open_trade_is_not_found() {
    let strategy = strategy();
    let mut mocks = Mocks::default().owning(&strategy);
    mocks.trades.expect_open_trades().returning(|_, _| Ok(vec![]));
    let service = mocks.service();
    let locator = SignalLocator { external_reference: None, symbol: Some(Symbol::parse("EURUSD").expect("valid")) };
    let result = service
        .submit_signal(&key_principal(), strategy.id, Signal::Update { locator, levels: Default::default() })
        .await;
    assert!(matches!(result, Err(JournalError::NotFound(_))), "{result:?}");
}
