//! The use cases against mocks of the outbound ports: ownership, scopes, races and error mapping.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use mockall::predicate::eq;
use quantarya_domain::{
    ApiKey, ApiKeyId, CloseTrade, CredentialKind, Email, EventId, ExternalReference, KeyGrant, KeyName, NewApiKey,
    NewStrategy, NewTrade, Price, RawApiKey, Side, SignalExit, Stamp, Status, Strategy, StrategyId, StrategyTitle,
    Symbol, Timestamp, Trade, TradeId, User, UserId, UserName,
};
use uuid::Uuid;

use super::*;
use crate::outbound::{
    Clock, IdSource, MockApiKeyStore, MockEndpointGuard, MockImportStore, MockSignalLogStore, MockStorageHealth,
    MockStrategyStore, MockTokenVerifier, MockTradeStore, MockUserStore, MockWebhookStore, RandomIds, SystemClock,
    TokenError, VerifiedToken,
};
use crate::{ConflictKind, ForbiddenKind, StoreConflict, StoreError};

mod entry_shortcut;
mod imports;
mod signal_log;

#[derive(Default)]
struct Mocks {
    users: MockUserStore,
    strategies: MockStrategyStore,
    trades: MockTradeStore,
    api_keys: MockApiKeyStore,
    signals: MockSignalLogStore,
    imports: MockImportStore,
    health: MockStorageHealth,
    tokens: MockTokenVerifier,
    webhooks: MockWebhookStore,
    endpoints: MockEndpointGuard,
}

impl Mocks {
    fn service(self) -> JournalService {
        JournalService::new(Ports {
            stores: Stores {
                users: Arc::new(self.users),
                strategies: Arc::new(self.strategies),
                trades: Arc::new(self.trades),
                api_keys: Arc::new(self.api_keys),
                signals: Arc::new(self.signals),
                imports: Arc::new(self.imports),
                webhooks: Arc::new(self.webhooks),
                health: Arc::new(self.health),
            },
            tokens: Arc::new(self.tokens),
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
            endpoints: Arc::new(self.endpoints),
        })
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
    Principal {
        user_id: user_id(),
        credential: Credential::ApiKey { key_id: ApiKeyId::from_uuid(Uuid::now_v7()), grant: KeyGrant::default() },
    }
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
    let new = NewStrategy::titled(StrategyTitle::parse("Momentum").expect("valid"));
    Strategy::create(StrategyId::from_uuid(Uuid::now_v7()), user_id(), new, at())
}

fn new_trade(reference: Option<&str>) -> NewTrade {
    NewTrade {
        entry: Some(Price::new(1.08).expect("valid")),
        external_reference: reference.map(|r| ExternalReference::parse(r).expect("valid")),
        ..NewTrade::open(Symbol::parse("EURUSD").expect("valid"), Side::Buy)
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
    let new = NewStrategy::titled(StrategyTitle::parse("x").expect("valid"));
    forbidden(service.create_strategy(&key, new).await.map(drop));
    let change = quantarya_domain::StrategyChange { is_public: Some(true), ..Default::default() };
    forbidden(service.update_strategy(&key, strategy().id, change).await.map(drop));
    forbidden(service.create_api_key(&key, NewApiKey::new(KeyName::parse("k").expect("valid"))).await.map(drop));
    forbidden(service.revoke_api_key(&key, ApiKeyId::from_uuid(Uuid::now_v7())).await.map(drop));
    let trade = TradeId::from_uuid(Uuid::now_v7());
    forbidden(service.trade_history(&key, strategy().id, trade).await.map(drop));
}

#[tokio::test]
async fn strategies_and_keys_need_a_profile() {
    // The stores know no such user: inserts answer `Missing`, lists are empty, nothing is revoked.
    let mut mocks = Mocks::default();
    mocks.users.expect_get_user().returning(|_| Ok(None));
    mocks.strategies.expect_insert_strategy().times(1).returning(|_| Err(StoreError::Missing));
    mocks.strategies.expect_list_strategies().times(1).returning(|_| Ok(vec![]));
    mocks.api_keys.expect_insert_api_key().times(1).returning(|_| Err(StoreError::Missing));
    mocks.api_keys.expect_list_api_keys().times(1).returning(|_| Ok(vec![]));
    mocks.api_keys.expect_revoke_api_key().times(1).returning(|_, _| Ok(false));
    let service = mocks.service();
    let profile_required = |result: Result<(), JournalError>| {
        assert!(matches!(result, Err(JournalError::Forbidden(ForbiddenKind::ProfileRequired))), "{result:?}");
    };
    let new = NewStrategy::titled(StrategyTitle::parse("x").expect("valid"));
    profile_required(service.create_strategy(&jwt_principal(), new).await.map(drop));
    profile_required(service.list_strategies(&jwt_principal()).await.map(drop));
    profile_required(
        service.create_api_key(&jwt_principal(), NewApiKey::new(KeyName::parse("k").expect("valid"))).await.map(drop),
    );
    profile_required(service.list_api_keys(&jwt_principal()).await.map(drop));
    profile_required(service.revoke_api_key(&jwt_principal(), ApiKeyId::from_uuid(Uuid::now_v7())).await);
}

#[tokio::test]
async fn a_listing_that_finds_something_reads_no_profile() {
    // `get_user` has no expectation: calling it would panic.
    let mut mocks = Mocks::default();
    let strategy = Strategy::create(
        StrategyId::from_uuid(Uuid::now_v7()),
        user_id(),
        NewStrategy::titled(StrategyTitle::parse("x").expect("valid")),
        at(),
    );
    mocks.strategies.expect_list_strategies().times(1).returning(move |_| Ok(vec![strategy.clone()]));
    let service = mocks.service();
    assert_eq!(service.list_strategies(&jwt_principal()).await.expect("listed").len(), 1);
}

/// Takes the owners the store reads since the last call were scoped by, and checks that there was one and that
/// each was `caller`.
fn assert_scoped_by(reads: &Mutex<Vec<UserId>>, caller: &UserId) {
    let owners = std::mem::take(&mut *reads.lock().expect("not poisoned"));
    assert!(!owners.is_empty(), "the store was read");
    assert!(owners.iter().all(|owner| owner == caller), "reads scoped by {owners:?} for {caller:?}");
}

#[tokio::test]
async fn every_trade_read_is_scoped_by_the_callers_own_user_id() {
    // Two callers with ids of their own, in turn: a read scoped by any id but the caller's (the other caller's, an
    // earlier one, a fixed one) is caught. The store records the owner of every read and answers nothing, as it
    // does for another user's ids.
    let reads: Arc<Mutex<Vec<UserId>>> = Arc::default();
    let mut mocks = Mocks::default();
    let seen = reads.clone();
    mocks.trades.expect_get_trade().returning(move |owner, _, _| {
        seen.lock().expect("not poisoned").push(owner.clone());
        Ok(None)
    });
    let seen = reads.clone();
    mocks.trades.expect_open_trades().returning(move |owner, _, _| {
        seen.lock().expect("not poisoned").push(owner.clone());
        Ok(None)
    });
    let seen = reads.clone();
    mocks.trades.expect_list_trades().returning(move |owner, _, _, _, _| {
        seen.lock().expect("not poisoned").push(owner.clone());
        Ok(None)
    });
    let seen = reads.clone();
    mocks.trades.expect_trade_events().returning(move |owner, _, _| {
        seen.lock().expect("not poisoned").push(owner.clone());
        Ok(vec![])
    });
    let seen = reads.clone();
    mocks.users.expect_get_user().returning(move |id| {
        seen.lock().expect("not poisoned").push(id.clone());
        Ok(Some(User { id: id.clone(), ..profile() }))
    });
    let service = mocks.service();
    let (book, trade) = (StrategyId::from_uuid(Uuid::now_v7()), TradeId::from_uuid(Uuid::now_v7()));
    let other = UserId::parse("user-2").expect("valid");
    let as_other = |who: Principal| Principal { user_id: other.clone(), ..who };
    for who in [jwt_principal(), as_other(key_principal()), as_other(jwt_principal()), key_principal()] {
        let not_found = |r: Result<(), JournalError>| assert!(matches!(r, Err(JournalError::NotFound(_))), "{r:?}");
        not_found(service.get_trade(&who, book, trade).await.map(drop));
        assert_scoped_by(&reads, &who.user_id);
        not_found(service.close_trade(&who, book, trade, CloseTrade::default()).await.map(drop));
        assert_scoped_by(&reads, &who.user_id);
        not_found(service.delete_trade(&who, book, trade).await.map(drop));
        assert_scoped_by(&reads, &who.user_id);
        not_found(service.list_trades(&who, book, TradeQuery::default()).await.map(drop));
        assert_scoped_by(&reads, &who.user_id);
        let exit = Signal::Exit {
            locator: SignalLocator { external_reference: None, symbol: Some(Symbol::parse("EURUSD").expect("valid")) },
            exit: SignalExit::default(),
        };
        not_found(service.submit_signal(&who, book, exit, None).await.map(drop));
        assert_scoped_by(&reads, &who.user_id);
    }
    for who in [jwt_principal(), as_other(jwt_principal())] {
        let result = service.trade_history(&who, book, trade).await;
        assert!(matches!(result, Err(JournalError::NotFound(_))), "{result:?}");
        assert_scoped_by(&reads, &who.user_id);
    }
}

#[tokio::test]
async fn a_user_without_a_profile_is_told_to_create_one_on_trade_routes() {
    let mut mocks = Mocks::default();
    mocks.trades.expect_get_trade().returning(|_, _, _| Ok(None));
    mocks.users.expect_get_user().returning(|_| Ok(None));
    let service = mocks.service();
    let result = service.get_trade(&jwt_principal(), strategy().id, TradeId::from_uuid(Uuid::now_v7())).await;
    assert!(matches!(result, Err(JournalError::Forbidden(ForbiddenKind::ProfileRequired))), "{result:?}");
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
    let unknown = RawApiKey::from_random_body(&RandomIds.api_key_body()).expect("valid");
    let stored = ApiKey::issue(
        ApiKeyId::from_uuid(Uuid::now_v7()),
        user_id(),
        NewApiKey::new(KeyName::parse("tv").expect("valid")),
        &live,
        at(),
    );
    let mut recently_used = stored.clone();
    recently_used.last_used_at = Some(SystemClock.now());
    let mut mocks = Mocks::default();
    // The store finds a live key (never used, then used a moment ago) until it is revoked, and no key after.
    let revoked = Arc::new(AtomicBool::new(false));
    let (gone, mut never_used) = (revoked.clone(), Some(stored.clone()));
    mocks.api_keys.expect_find_api_key().with(eq(live.hash())).times(3).returning(move |_| {
        Ok((!gone.load(Ordering::SeqCst)).then(|| never_used.take().unwrap_or_else(|| recently_used.clone())))
    });
    mocks.api_keys.expect_find_api_key().with(eq(unknown.hash())).returning(|_| Ok(None));
    mocks
        .api_keys
        .expect_touch_api_key()
        .with(eq(stored.id), mockall::predicate::always())
        .times(1)
        .returning(|_, _| Ok(()));
    let revoke = revoked.clone();
    mocks.api_keys.expect_revoke_api_key().with(eq(user_id()), eq(stored.id)).times(1).returning(move |_, _| {
        revoke.store(true, Ordering::SeqCst);
        Ok(true)
    });
    let service = mocks.service();

    let principal = service.authenticate(live.expose()).await.expect("a live key authenticates");
    assert_eq!(
        principal,
        Principal {
            user_id: user_id(),
            credential: Credential::ApiKey { key_id: stored.id, grant: KeyGrant::default() }
        }
    );
    service.authenticate(live.expose()).await.expect("still live");
    assert!(matches!(service.authenticate(unknown.expose()).await, Err(JournalError::Unauthorized)));
    service.revoke_api_key(&jwt_principal(), stored.id).await.expect("its owner revokes it");
    assert!(revoked.load(Ordering::SeqCst), "the store was told");
    let after = service.authenticate(live.expose()).await;
    assert!(matches!(after, Err(JournalError::Unauthorized)), "a revoked key is refused: {after:?}");
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
async fn an_entry_whose_reference_an_open_trade_holds_is_refused_as_already_open() {
    let strategy = strategy();
    let winner = open_trade(&strategy, CredentialKind::ApiKey, Some("Long"));
    let mut mocks = Mocks::default();
    // A referenced entry is inserted first (one store call on the webhook path); the conflict leads to the holder.
    mocks
        .trades
        .expect_insert_trade()
        .times(1)
        .returning(|_, _, _| Err(StoreError::Conflict(StoreConflict::OpenTradeExists)));
    let found = winner.clone();
    mocks.trades.expect_open_trades().times(1).returning(move |_, _, _| Ok(Some(vec![found.clone()])));
    let service = mocks.service();
    let result =
        service.submit_signal(&key_principal(), strategy.id, Signal::Entry(new_trade(Some("Long"))), None).await;
    assert!(matches!(result, Err(JournalError::Conflict { kind: ConflictKind::TradeAlreadyOpen, .. })), "{result:?}");
}

#[tokio::test]
async fn a_close_that_loses_the_race_is_decided_again_and_refused() {
    let strategy = strategy();
    let open = open_trade(&strategy, CredentialKind::User, None);
    let already_closed = closed(&open);
    let mut mocks = Mocks::default();
    let mut reads = vec![already_closed, open.clone()];
    mocks.trades.expect_get_trade().times(2).returning(move |_, _, _| Ok(reads.pop()));
    mocks
        .trades
        .expect_update_trade()
        .times(1)
        .returning(|_, _, _| Err(StoreError::Conflict(StoreConflict::StaleVersion)));
    let service = mocks.service();
    let result = service.close_trade(&jwt_principal(), strategy.id, open.id, CloseTrade::default()).await;
    assert!(matches!(result, Err(JournalError::Conflict { kind: ConflictKind::InvalidTransition, .. })), "{result:?}");
}

#[tokio::test]
async fn an_integration_trade_cannot_be_deleted() {
    let strategy = strategy();
    let trade = open_trade(&strategy, CredentialKind::ApiKey, None);
    let mut mocks = Mocks::default();
    let found = trade.clone();
    mocks.trades.expect_get_trade().returning(move |_, _, _| Ok(Some(found.clone())));
    // No delete_trade expectation: calling it would panic.
    let service = mocks.service();
    let result = service.delete_trade(&jwt_principal(), strategy.id, trade.id).await;
    assert!(matches!(result, Err(JournalError::Conflict { kind: ConflictKind::TradeNotManual, .. })), "{result:?}");
}

#[tokio::test]
async fn a_repeated_exit_answers_with_the_trade_it_closed() {
    let strategy = strategy();
    let done = closed(&open_trade(&strategy, CredentialKind::ApiKey, Some("Long")));
    let mut mocks = Mocks::default();
    mocks.trades.expect_open_trades().returning(|_, _, _| Ok(Some(vec![])));
    let latest = done.clone();
    mocks.trades.expect_latest_with_reference().returning(move |_, _, _| Ok(Some(latest.clone())));
    let service = mocks.service();
    let locator = SignalLocator {
        external_reference: Some(ExternalReference::parse("Long").expect("valid")),
        symbol: Some(Symbol::parse("EURUSD").expect("valid")),
    };
    let outcome = service
        .submit_signal(&key_principal(), strategy.id, Signal::Exit { locator, exit: SignalExit::default() }, None)
        .await
        .expect("a repeated exit is harmless");
    assert_eq!(outcome.effect, SignalEffect::AlreadyClosed);
    assert_eq!(outcome.trade, done);
}

#[tokio::test]
async fn a_malformed_exit_is_refused_before_any_trade_is_looked_up() {
    // No trade-store expectations: a lookup would panic.
    let service = Mocks::default().service();
    let locator =
        SignalLocator { external_reference: Some(ExternalReference::parse("Long").expect("valid")), symbol: None };
    let exit = SignalExit { status: Some(Status::Open), ..Default::default() };
    let result = service.submit_signal(&key_principal(), strategy().id, Signal::Exit { locator, exit }, None).await;
    assert!(matches!(result, Err(JournalError::Invalid(_))), "{result:?}");
}

#[tokio::test]
async fn concurrent_strategy_edits_are_decided_again_not_lost() {
    let stored = strategy();
    let mut newer = stored.clone();
    newer.is_public = true;
    newer.updated_at = Timestamp::from_unix_micros(stored.updated_at.unix_micros() + 5).expect("valid");
    let mut mocks = Mocks::default();
    let mut reads = vec![newer.clone(), stored.clone()];
    mocks.strategies.expect_get_strategy().times(2).returning(move |_, _| Ok(reads.pop()));
    let (first_read, second_read) = (stored.updated_at, newer.updated_at);
    mocks
        .strategies
        .expect_update_strategy()
        .withf(move |_, read_at| *read_at == first_read)
        .times(1)
        .returning(|_, _| Err(StoreError::Conflict(StoreConflict::StaleVersion)));
    mocks
        .strategies
        .expect_update_strategy()
        .withf(move |s, read_at| *read_at == second_read && s.is_public && s.updated_at > second_read)
        .times(1)
        .returning(|_, _| Ok(()));
    let service = mocks.service();
    let change = quantarya_domain::StrategyChange {
        title: Some(StrategyTitle::parse("Renamed").expect("valid")),
        ..Default::default()
    };
    let updated = service.update_strategy(&jwt_principal(), stored.id, change).await.expect("second attempt wins");
    assert!(updated.is_public, "the concurrent change is kept");
    assert_eq!(updated.title.as_str(), "Renamed");
}

#[tokio::test]
async fn an_update_without_a_matching_open_trade_is_not_found() {
    let strategy = strategy();
    let mut mocks = Mocks::default();
    mocks.trades.expect_open_trades().returning(|_, _, _| Ok(Some(vec![])));
    let service = mocks.service();
    let locator = SignalLocator { external_reference: None, symbol: Some(Symbol::parse("EURUSD").expect("valid")) };
    let result = service
        .submit_signal(&key_principal(), strategy.id, Signal::Update { locator, levels: Default::default() }, None)
        .await;
    assert!(matches!(result, Err(JournalError::NotFound(_))), "{result:?}");
}

#[tokio::test]
async fn a_range_that_ends_before_it_starts_is_refused_before_any_read() {
    // No store expectation: a read would panic.
    let service = Mocks::default().service();
    let (from, to) = (Some(at()), Some(Timestamp::parse_rfc3339("2026-05-21T11:59:59Z").expect("valid")));
    let refused = |result: Result<(), JournalError>| match result {
        Err(JournalError::Invalid(fields)) => assert_eq!(fields[0].field, "from"),
        other => panic!("{other:?}"),
    };
    let strategy = StrategyId::from_uuid(Uuid::now_v7());
    let mut query = TradeQuery::default();
    query.filter.from = from;
    query.filter.to = to;
    refused(service.list_trades(&jwt_principal(), strategy, query).await.map(drop));
    refused(service.strategy_stats(&jwt_principal(), strategy, CloseRange { from, to }.into()).await.map(drop));
}
