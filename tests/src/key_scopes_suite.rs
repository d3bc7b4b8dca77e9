//! API keys within their grant (contract section 6): scopes, the strategies a key is confined to, its end, and the
//! rule that no key changes a trade its owner entered by hand. Each case runs on every store, since the grant is
//! stored with the key and read back on every request.

use quantarya_domain::{
    ApiKey, ApiKeyId, ApiKeyScope, ApiKeyScopes, CloseTrade, KeyGrant, KeyName, KeyStrategies, LevelsChange, NewApiKey,
    NewStrategy, NewTrade, Price, Quantity, RawApiKey, Side, SignalExit, Status, StrategyId, StrategyTitle, Timestamp,
    TradePatch,
};
use quantarya_ports::outbound::IdSource;
use quantarya_ports::outbound::RandomIds;
use quantarya_ports::{ForbiddenKind, Journal, JournalError, Principal, Signal, SignalLocator, TradeQuery};

use crate::journal_suite::{Trader, trader_in};
use crate::support::{StoreUnderTest, entry, minutes_ago, new_uuid, now};

/// Asserts a refusal for the key's grant (403 `api_key_scope`).
#[track_caller]
fn out_of_scope<T: std::fmt::Debug>(result: Result<T, JournalError>) {
    assert!(matches!(result, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyScope))), "{result:?}");
}

/// A key of `t`'s with `grant`, signed in.
async fn key_with(t: &Trader, grant: KeyGrant) -> Principal {
    let new = NewApiKey { name: KeyName::parse("scoped").expect("valid"), grant };
    let issued = t.journal.create_api_key(&t.jwt, new).await.expect("a key within the rules");
    t.journal.authenticate(issued.raw.expose()).await.expect("the new key works")
}

fn scopes(scopes: &[ApiKeyScope]) -> ApiKeyScopes {
    ApiKeyScopes::new(scopes.iter().copied()).expect("at least one scope")
}

async fn another_strategy(t: &Trader) -> StrategyId {
    let new = NewStrategy::titled(StrategyTitle::parse("Mean reversion").expect("valid"));
    t.journal.create_strategy(&t.jwt, new).await.expect("strategy").id
}

fn on(reference: &str) -> SignalLocator {
    SignalLocator { external_reference: entry("EURUSD", Side::Buy, Some(reference)).external_reference, symbol: None }
}

fn exit_at(price: f64) -> SignalExit {
    SignalExit { close_price: Some(Price::new(price).expect("valid")), ..Default::default() }
}

/// A `signals` key confined to one strategy sends signals there, and can do nothing else: no reads, no changes,
/// no other strategy of its owner's (403), and another user's strategy is as missing as ever (404).
async fn a_webhook_key_sends_signals_to_its_strategy_and_does_nothing_else(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let other = another_strategy(&t).await;
    let j = &t.journal;
    let grant = KeyGrant {
        scopes: scopes(&[ApiKeyScope::Signals]),
        strategies: Some(KeyStrategies::new(vec![t.strategy]).expect("one")),
        expires_at: None,
    };
    let webhook = key_with(&t, grant.clone()).await;

    // The grant is stored with the key and read back.
    let listed = j.list_api_keys(&t.jwt).await.expect("list");
    assert!(listed.iter().any(|k| k.grant == grant), "{listed:?}");

    let opened = j.submit_signal(&webhook, t.strategy, Signal::Entry(entry("EURUSD", Side::Buy, Some("L"))), None);
    let trade = opened.await.expect("a signal to its strategy").trade;
    let update = LevelsChange { stop_loss: Some(Some(Price::new(97.0).expect("valid"))), ..Default::default() };
    let updated = j.submit_signal(&webhook, t.strategy, Signal::Update { locator: on("L"), levels: update }, None);
    assert_eq!(updated.await.expect("an update signal").trade.version, 2);

    out_of_scope(j.list_trades(&webhook, t.strategy, TradeQuery::default()).await);
    out_of_scope(j.get_trade(&webhook, t.strategy, trade.id).await);
    let close = CloseTrade { close_price: Some(Price::new(101.0).expect("valid")), ..Default::default() };
    out_of_scope(j.close_trade(&webhook, t.strategy, trade.id, close).await);
    let patch = TradePatch { stop_loss: Some(None), ..Default::default() };
    out_of_scope(j.patch_trade(&webhook, t.strategy, trade.id, patch).await);
    out_of_scope(j.delete_trade(&webhook, t.strategy, trade.id).await);
    let elsewhere = Signal::Entry(entry("EURUSD", Side::Buy, None));
    out_of_scope(j.submit_signal(&webhook, other, elsewhere.clone(), None).await);
    let stranger = trader_in(s).await;
    assert!(matches!(
        j.submit_signal(&webhook, stranger.strategy, elsewhere, None).await,
        Err(JournalError::NotFound(_))
    ));
    let strategies = j.list_strategies(&webhook).await;
    assert!(matches!(strategies, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed))), "{strategies:?}");

    // Nothing the refusals touched changed, and nothing reached the other strategies.
    let stored = j.get_trade(&t.jwt, t.strategy, trade.id).await.expect("the trade");
    assert_eq!((stored.version, stored.status), (2, Status::Open));
    assert!(j.list_trades(&t.jwt, other, TradeQuery::default()).await.expect("list").trades.is_empty());
    let strangers = j.list_trades(&stranger.jwt, stranger.strategy, TradeQuery::default()).await.expect("list");
    assert!(strangers.trades.is_empty());
}

/// A `read` key reads and changes nothing; even a key with every scope never changes, closes or deletes a trade
/// entered by hand, by signal or by route, while it still changes the trades keys made.
async fn keys_read_within_their_scope_and_never_change_a_manual_trade(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let j = &t.journal;
    let reader = key_with(&t, KeyGrant { scopes: scopes(&[ApiKeyScope::Read]), ..KeyGrant::default() }).await;
    let sized = |reference| NewTrade {
        quantity: Some(Quantity::new(1.0).expect("valid")),
        ..entry("EURUSD", Side::Buy, Some(reference))
    };
    let repeated =
        || Some(quantarya_ports::SignalIdentity { key: None, body: quantarya_domain::BodyHash::from_bytes([4; 32]) });
    let by_hand = j.submit_signal(&t.jwt, t.strategy, Signal::Entry(sized("hand")), repeated()).await.expect("manual");
    let manual = by_hand.trade;
    // The same request through a key repeats the owner's: it is answered with nothing of the manual trade.
    out_of_scope(j.submit_signal(&t.key, t.strategy, Signal::Entry(sized("hand")), repeated()).await);
    let by_key = j.submit_signal(&t.key, t.strategy, Signal::Entry(sized("bot")), None).await.expect("by key");

    assert_eq!(j.get_trade(&reader, t.strategy, manual.id).await.expect("a key reads a manual trade"), manual);
    assert_eq!(j.list_trades(&reader, t.strategy, TradeQuery::default()).await.expect("list").trades.len(), 2);
    let patch = || TradePatch { stop_loss: Some(None), ..Default::default() };
    out_of_scope(j.patch_trade(&reader, t.strategy, by_key.trade.id, patch()).await);
    let signal = Signal::Entry(entry("EURUSD", Side::Buy, None));
    out_of_scope(j.submit_signal(&reader, t.strategy, signal, None).await);

    // Every scope, and still no hand on the manual trade.
    let key = &t.key;
    let close = || CloseTrade { close_price: Some(Price::new(101.0).expect("valid")), ..Default::default() };
    out_of_scope(j.patch_trade(key, t.strategy, manual.id, patch()).await);
    out_of_scope(j.close_trade(key, t.strategy, manual.id, close()).await);
    out_of_scope(j.delete_trade(key, t.strategy, manual.id).await);
    let levels = LevelsChange { take_profit: Some(Some(Price::new(120.0).expect("valid"))), ..Default::default() };
    let update = Signal::Update { locator: on("hand"), levels };
    out_of_scope(j.submit_signal(key, t.strategy, update, None).await);
    let exit = Signal::Exit { locator: on("hand"), exit: exit_at(110.0) };
    out_of_scope(j.submit_signal(key, t.strategy, exit, None).await);
    let scale_in = Signal::Entry(sized("hand"));
    out_of_scope(j.submit_signal(key, t.strategy, scale_in, None).await);
    assert_eq!(j.get_trade(&t.jwt, t.strategy, manual.id).await.expect("unchanged"), manual);
    assert_eq!(j.trade_history(&t.jwt, t.strategy, manual.id).await.expect("history").len(), 1);

    // The trades keys made are theirs to change; the owner changes either.
    let closed = j.close_trade(key, t.strategy, by_key.trade.id, close()).await.expect("a key closes a key's trade");
    assert_eq!(closed.status, Status::Closed);
    let mine = j.close_trade(&t.jwt, t.strategy, manual.id, close()).await.expect("the owner closes it");
    assert_eq!(mine.status, Status::Closed);
    // Even a repeated exit, which answers with the closed trade, shows a key nothing of a manual one.
    out_of_scope(
        j.submit_signal(key, t.strategy, Signal::Exit { locator: on("hand"), exit: exit_at(1.0) }, None).await,
    );
}

/// An API key stored with `grant`, made `minutes` ago, straight into the store (an end in the past cannot be
/// asked for).
async fn stored_key(s: &StoreUnderTest, t: &Trader, grant: KeyGrant, minutes: i64) -> RawApiKey {
    let raw = RawApiKey::from_random_body(&RandomIds.api_key_body()).expect("valid body");
    let new = NewApiKey { name: KeyName::parse("old").expect("valid"), grant };
    let key = ApiKey::issue(ApiKeyId::from_uuid(new_uuid()), t.jwt.user_id.clone(), new, &raw, minutes_ago(minutes));
    s.api_keys.insert_api_key(&key).await.expect("stored");
    raw
}

/// A key ends at `expires_at` (401 from then on, like a revoked one), stays listed with its end until revoked, and
/// stops counting against the limit of live keys. An end must be ahead, within two years; a key may name only the
/// user's own strategies.
async fn a_key_ends_at_its_expiry_and_its_grant_is_checked_when_it_is_made(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let j = &t.journal;
    let ended = |minutes| KeyGrant { expires_at: Some(minutes_ago(minutes)), ..KeyGrant::default() };
    // Each made after the one before ended, so none was over the limit when it was made.
    let mut expired = Vec::new();
    for i in 0..ApiKey::LIMIT_PER_USER as i64 {
        expired.push(stored_key(s, &t, ended(99 - 2 * i), 100 - 2 * i).await);
    }
    let expired_key = j.authenticate(expired[0].expose()).await;
    assert!(matches!(expired_key, Err(JournalError::Unauthorized)), "{expired_key:?}");
    let listed = j.list_api_keys(&t.jwt).await.expect("list");
    assert_eq!(listed.len(), ApiKey::LIMIT_PER_USER + 1, "expired keys stay listed");
    assert_eq!(listed.iter().filter(|k| k.grant.is_expired(now())).count(), ApiKey::LIMIT_PER_USER);

    // Only the trader's first key is live, so there is room for more.
    let ends = Timestamp::from_datetime(now().as_datetime() + chrono::TimeDelta::hours(1));
    let soon = key_with(&t, KeyGrant { expires_at: Some(ends), ..KeyGrant::default() }).await;
    j.list_trades(&soon, t.strategy, TradeQuery::default()).await.expect("a key before its end works");
    let listed = j.list_api_keys(&t.jwt).await.expect("list");
    assert!(listed.iter().any(|k| k.grant.expires_at == Some(ends)));

    let refused = |grant: KeyGrant| async {
        let new = NewApiKey { name: KeyName::parse("bad").expect("valid"), grant };
        match j.create_api_key(&t.jwt, new).await {
            Err(JournalError::Invalid(details)) => details.into_iter().map(|d| d.field).collect::<Vec<_>>(),
            other => panic!("a bad grant was taken: {other:?}"),
        }
    };
    assert_eq!(refused(ended(1)).await, ["expires_at"]);
    let far = Timestamp::from_datetime(now().as_datetime() + chrono::TimeDelta::days(2 * 366));
    assert_eq!(refused(KeyGrant { expires_at: Some(far), ..KeyGrant::default() }).await, ["expires_at"]);
    let stranger = trader_in(s).await;
    let foreign = KeyStrategies::new(vec![t.strategy, stranger.strategy]).expect("two");
    assert_eq!(refused(KeyGrant { strategies: Some(foreign), ..KeyGrant::default() }).await, ["strategy_ids"]);
    let made_up = KeyStrategies::new(vec![StrategyId::from_uuid(new_uuid())]).expect("one");
    assert_eq!(refused(KeyGrant { strategies: Some(made_up), ..KeyGrant::default() }).await, ["strategy_ids"]);
    assert_eq!(j.list_api_keys(&t.jwt).await.expect("list").len(), ApiKey::LIMIT_PER_USER + 2, "nothing was made");
}

crate::cases!(
    crate::support::StoreUnderTest:
    a_webhook_key_sends_signals_to_its_strategy_and_does_nothing_else,
    keys_read_within_their_scope_and_never_change_a_manual_trade,
    a_key_ends_at_its_expiry_and_its_grant_is_checked_when_it_is_made,
);
