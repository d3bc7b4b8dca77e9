//! The journal suite: the use cases over a real store, as a client of the service sees them.

use std::collections::HashSet;

use quantarya_domain::{
    CloseTrade, CredentialKind, EventKind, ExternalReference, KeyName, LevelsChange, NewApiKey, NewStrategy, Price,
    ProfileChange, Side, SignalExit, Status, StrategyTitle, Symbol, TradePatch, UserName,
};
use quantarya_ports::outbound::{CloseRange, TradeFilter};
use quantarya_ports::{
    ConflictKind, ForbiddenKind, Journal, JournalError, JournalService, PageLimit, Principal, Signal, SignalEffect,
    SignalIdentity, SignalLocator, TradeQuery,
};
use tokio::task::JoinSet;

use crate::support::{JournalOver, StoreUnderTest, entry, minutes_ago, minutes_before, now, token, unique};

/// A user with a profile and one strategy, signed in with a JWT and an API key.
pub(crate) struct Trader {
    pub(crate) journal: JournalService,
    pub(crate) jwt: Principal,
    pub(crate) key: Principal,
    pub(crate) raw_key: String,
    pub(crate) strategy: quantarya_domain::StrategyId,
}

/// A trader in `s` (for suites beyond this one, such as two service instances over one database).
pub(crate) async fn trader_in(s: &StoreUnderTest) -> Trader {
    trader(s).await
}

/// A trader for the property tests: the journal, its JWT and key principals, and its strategy.
pub(crate) async fn trader_for_props(s: &StoreUnderTest) -> Trader {
    trader(s).await
}

async fn trader(s: &StoreUnderTest) -> Trader {
    let journal = s.journal();
    let name = unique("t");
    let jwt = journal.authenticate(&token(&quantarya_domain::UserId::parse(&name).expect("valid"))).await.expect("jwt");
    let change = ProfileChange { user_name: Some(UserName::parse(&name).expect("valid")), ..Default::default() };
    let saved = journal.save_profile(&jwt, change).await.expect("profile");
    assert!(saved.created);
    let new = NewStrategy { is_public: true, ..NewStrategy::titled(StrategyTitle::parse("Breakouts").expect("valid")) };
    let strategy = journal.create_strategy(&jwt, new).await.expect("strategy").id;
    let issued =
        journal.create_api_key(&jwt, NewApiKey::new(KeyName::parse("tradingview").expect("valid"))).await.expect("key");
    let raw_key = issued.raw.expose().to_owned();
    let key = journal.authenticate(&raw_key).await.expect("the new key works");
    Trader { journal, jwt, key, raw_key, strategy }
}

fn reference(r: &str) -> Option<ExternalReference> {
    Some(ExternalReference::parse(r).expect("valid"))
}

fn locator(r: Option<&str>, symbol: Option<&str>) -> SignalLocator {
    SignalLocator {
        external_reference: r.and_then(reference),
        symbol: symbol.map(|s| Symbol::parse(s).expect("valid")),
    }
}

fn exit_at(price: f64) -> SignalExit {
    SignalExit { close_price: Some(Price::new(price).expect("valid")), ..Default::default() }
}

fn conflict_kind<T: std::fmt::Debug>(result: &Result<T, JournalError>) -> Option<ConflictKind> {
    match result {
        Err(JournalError::Conflict { kind, .. }) => Some(*kind),
        _ => None,
    }
}

/// The identity of a request without an `Idempotency-Key` whose body hashes to `n`s.
fn identity(n: u8) -> SignalIdentity {
    SignalIdentity { key: None, body: quantarya_domain::BodyHash::from_bytes([n; 32]) }
}

/// Entry, repeated entry, update, exit, repeated exit and reference reuse, with the history each leaves.
pub async fn a_trade_lives_by_its_reference(s: &StoreUnderTest) {
    let t = trader(s).await;
    let (j, key, book) = (&t.journal, &t.key, t.strategy);
    let long = || Signal::Entry(entry("BINANCE:BTCUSDT.P", Side::Buy, Some("Long")));

    let first = j.submit_signal(key, book, long(), Some(identity(1))).await.expect("entry");
    assert_eq!(first.effect, SignalEffect::Created);
    assert_eq!(first.trade.origin, quantarya_domain::Origin::ApiKey);
    // The same request again is answered from its receipt; another entry on the open reference is refused.
    let retry = j.submit_signal(key, book, long(), Some(identity(1))).await.expect("retry");
    assert_eq!((retry.effect, &retry.trade), (SignalEffect::Replayed, &first.trade));
    let another = j.submit_signal(key, book, long(), Some(identity(2))).await;
    assert_eq!(conflict_kind(&another), Some(ConflictKind::TradeAlreadyOpen), "{another:?}");
    let reversed =
        j.submit_signal(key, book, Signal::Entry(entry("BINANCE:BTCUSDT.P", Side::Sell, Some("Long"))), None).await;
    assert_eq!(conflict_kind(&reversed), Some(ConflictKind::TradeAlreadyOpen));

    let levels = LevelsChange { stop_loss: Some(Some(Price::new(99.0).expect("valid"))), ..Default::default() };
    let update = Signal::Update { locator: locator(Some("Long"), None), levels: levels.clone() };
    let updated = j.submit_signal(key, book, update, None).await.expect("update");
    assert_eq!(updated.effect, SignalEffect::Updated);
    assert_eq!(updated.trade.stop_loss, Some(Price::new(99.0).expect("valid")));
    let same = j.submit_signal(key, book, Signal::Update { locator: locator(Some("Long"), None), levels }, None).await;
    assert_eq!(same.expect("same update").effect, SignalEffect::Unchanged);
    let wrong_symbol = Signal::Update { locator: locator(Some("Long"), Some("ETHUSDT")), levels: Default::default() };
    assert_eq!(
        conflict_kind(&j.submit_signal(key, book, wrong_symbol, None).await),
        Some(ConflictKind::SymbolMismatch)
    );

    let exit = || Signal::Exit { locator: locator(Some("Long"), Some("binance:btcusdt.p")), exit: exit_at(110.0) };
    let closed = j.submit_signal(key, book, exit(), None).await.expect("exit");
    assert_eq!(closed.effect, SignalEffect::Closed);
    assert_eq!(closed.trade.status, Status::Closed);
    assert!(closed.trade.closed_at >= Some(closed.trade.opened_at));
    let again = j.submit_signal(key, book, exit(), None).await.expect("repeated exit");
    assert_eq!((again.effect, &again.trade), (SignalEffect::AlreadyClosed, &closed.trade));

    let late_update = Signal::Update { locator: locator(Some("Long"), None), levels: Default::default() };
    assert!(matches!(j.submit_signal(key, book, late_update, None).await, Err(JournalError::NotFound(_))));

    let reused = j.submit_signal(key, book, long(), None).await.expect("entry reusing the reference");
    assert_eq!(reused.effect, SignalEffect::Created);
    assert_ne!(reused.trade.id, first.trade.id);

    let history = j.trade_history(&t.jwt, book, first.trade.id).await.expect("history");
    let by_key = j.trade_history(key, book, first.trade.id).await;
    assert!(
        matches!(by_key, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed))),
        "keys: six trade routes only"
    );
    let kinds: Vec<EventKind> = history.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Entry, EventKind::Update, EventKind::Exit]);
    assert!(history.iter().all(|e| e.by == CredentialKind::ApiKey));
    assert_eq!(history.iter().map(|e| e.version).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(history.len() as u64, closed.trade.version);

    let cancel = Signal::Exit {
        locator: locator(Some("Long"), None),
        exit: SignalExit { status: Some(Status::Cancelled), ..Default::default() },
    };
    let cancelled = j.submit_signal(key, book, cancel, None).await.expect("cancel");
    assert_eq!((cancelled.effect, cancelled.trade.status), (SignalEffect::Cancelled, Status::Cancelled));
    let deleted = j.delete_trade(&t.jwt, book, cancelled.trade.id).await;
    assert_eq!(conflict_kind(&deleted), Some(ConflictKind::TradeNotManual), "integration trades are never erased");
}

/// Sends `new` 16 times at once through `t`'s key: exactly one racer creates the trade, and every one answers with
/// that trade.
async fn one_trade_from_racing(t: &Trader, new: quantarya_domain::NewTrade) {
    let mut tasks = JoinSet::new();
    for _ in 0..16 {
        let (j, key, book, new) = (t.journal.clone(), t.key.clone(), t.strategy, new.clone());
        // Copies of one request: one body, so one identity.
        tasks.spawn(async move { j.submit_signal(&key, book, Signal::Entry(new), Some(identity(9))).await });
    }
    let outcomes: Vec<_> = tasks.join_all().await.into_iter().map(|r| r.expect("every racer succeeds")).collect();
    assert_eq!(outcomes.iter().filter(|o| o.effect == SignalEffect::Created).count(), 1);
    let ids: HashSet<_> = outcomes.iter().map(|o| o.trade.id).collect();
    assert_eq!(ids.len(), 1, "every racer answers with the one trade");
}
/// Racing identical entries through the service make one trade, and every racer is told about it.
pub async fn racing_identical_entries_make_one_trade(s: &StoreUnderTest) {
    let t = trader(s).await;
    one_trade_from_racing(&t, entry("EURUSD", Side::Buy, Some("tv-1"))).await;
    let page = t.journal.list_trades(&t.jwt, t.strategy, TradeQuery::default()).await.expect("list");
    assert_eq!(page.trades.len(), 1);

    // Without a reference, racing entries of one symbol also make one trade.
    one_trade_from_racing(&t, entry("USDJPY", Side::Sell, None)).await;
    let page = t.journal.list_trades(&t.jwt, t.strategy, TradeQuery::default()).await.expect("list");
    assert_eq!(page.trades.len(), 2);
}

/// Of N concurrent closes of one trade exactly one succeeds; the others are refused as invalid transitions.
pub async fn racing_closes_let_exactly_one_succeed(s: &StoreUnderTest) {
    let t = trader(s).await;
    let trade =
        t.journal.submit_signal(&t.jwt, t.strategy, Signal::Entry(entry("EURUSD", Side::Buy, None)), None).await;
    let trade = trade.expect("entry").trade;
    let mut tasks = JoinSet::new();
    for i in 0..16 {
        let (j, who, book, id) = (t.journal.clone(), t.jwt.clone(), t.strategy, trade.id);
        let close =
            CloseTrade { close_price: Some(Price::new(100.0 + f64::from(i)).expect("valid")), ..Default::default() };
        tasks.spawn(async move { j.close_trade(&who, book, id, close).await });
    }
    let results = tasks.join_all().await;
    let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    assert!(results.iter().filter(|r| r.is_err()).all(|r| conflict_kind(r) == Some(ConflictKind::InvalidTransition)));
    let stored = t.journal.get_trade(&t.jwt, t.strategy, trade.id).await.expect("get");
    assert_eq!(&stored, won[0], "the stored trade is the winner's");
    assert_eq!(t.journal.trade_history(&t.jwt, t.strategy, trade.id).await.expect("history").len(), 2);
}

/// Another user's JWT or key sees none of this user's ids, and changes nothing.
pub async fn another_users_ids_answer_not_found_and_change_nothing(s: &StoreUnderTest) {
    let owner = trader(s).await;
    let intruder = trader(s).await;
    let (j, book) = (&owner.journal, owner.strategy);
    let trade = j.submit_signal(&owner.key, book, Signal::Entry(entry("EURUSD", Side::Buy, Some("r"))), None).await;
    let trade = trade.expect("entry").trade;
    let before = j.get_trade(&owner.jwt, book, trade.id).await.expect("get");
    let keys_before = j.list_api_keys(&owner.jwt).await.expect("keys");

    for who in [&intruder.jwt, &intruder.key] {
        let not_found = |r: Result<(), JournalError>| assert!(matches!(r, Err(JournalError::NotFound(_))), "{r:?}");
        not_found(j.get_trade(who, book, trade.id).await.map(drop));
        not_found(j.list_trades(who, book, TradeQuery::default()).await.map(drop));
        if who == &intruder.jwt {
            not_found(j.trade_history(who, book, trade.id).await.map(drop));
        }
        not_found(j.close_trade(who, book, trade.id, CloseTrade::default()).await.map(drop));
        let patch = TradePatch { status: Some(Status::Cancelled), ..Default::default() };
        not_found(j.patch_trade(who, book, trade.id, patch).await.map(drop));
        not_found(j.delete_trade(who, book, trade.id).await.map(drop));
        let exit = Signal::Exit { locator: locator(Some("r"), None), exit: SignalExit::default() };
        not_found(j.submit_signal(who, book, exit, None).await.map(drop));
        not_found(j.submit_signal(who, book, Signal::Entry(entry("EURUSD", Side::Buy, None)), None).await.map(drop));
    }
    let jwt = &intruder.jwt;
    assert!(matches!(j.get_strategy(jwt, book).await, Err(JournalError::NotFound(_))));
    let change = quantarya_domain::StrategyChange { is_public: Some(false), ..Default::default() };
    assert!(matches!(j.update_strategy(jwt, book, change).await, Err(JournalError::NotFound(_))));
    assert!(matches!(j.delete_strategy(jwt, book).await, Err(JournalError::NotFound(_))));
    let owner_key_id = keys_before[0].id;
    assert!(matches!(j.revoke_api_key(jwt, owner_key_id).await, Err(JournalError::NotFound(_))));

    assert_eq!(j.get_trade(&owner.jwt, book, trade.id).await.expect("get"), before);
    assert_eq!(j.trade_history(&owner.jwt, book, trade.id).await.expect("history").len(), 1);
    assert_eq!(j.list_api_keys(&owner.jwt).await.expect("keys"), keys_before);
    assert!(j.get_strategy(&owner.jwt, book).await.is_ok());
}

/// `DELETE /me`: profile, strategies, trades and keys go, keys stop working, the public profile is gone.
pub async fn deleting_a_profile_removes_everything_and_kills_its_keys(s: &StoreUnderTest) {
    let t = trader(s).await;
    let j = &t.journal;
    j.submit_signal(&t.key, t.strategy, Signal::Entry(entry("EURUSD", Side::Buy, None)), None).await.expect("entry");
    let user = j.get_profile(&t.jwt).await.expect("profile");
    let change = ProfileChange { public_profile_enabled: Some(true), ..Default::default() };
    j.save_profile(&t.jwt, change).await.expect("enable public profile");
    let public = j.public_profile(&user.user_name).await.expect("public");
    assert_eq!(public.strategies.len(), 1);

    let deletion = j.delete_profile(&t.jwt).await.expect("delete");
    assert_eq!((deletion.strategies, deletion.trades, deletion.api_keys), (1, 1, 1));
    assert!(matches!(j.authenticate(&t.raw_key).await, Err(JournalError::Unauthorized)));
    assert!(matches!(j.public_profile(&user.user_name).await, Err(JournalError::NotFound(_))));
    assert!(matches!(j.get_profile(&t.jwt).await, Err(JournalError::NotFound(_))));
    assert!(matches!(j.list_strategies(&t.jwt).await, Err(JournalError::Forbidden(ForbiddenKind::ProfileRequired))));
    assert!(matches!(
        j.get_trade(&t.jwt, t.strategy, quantarya_domain::TradeId::from_uuid(crate::support::new_uuid())).await,
        Err(JournalError::Forbidden(ForbiddenKind::ProfileRequired))
    ));
    assert!(matches!(j.delete_profile(&t.jwt).await, Err(JournalError::NotFound(_))));
}

/// An entry without a reference always makes a trade (pyramiding, hedges); an update or exit without one acts on
/// the only open trade of its symbol, and two or more is ambiguous.
pub async fn a_signal_without_reference_needs_a_single_open_trade(s: &StoreUnderTest) {
    let t = trader(s).await;
    let (j, key, book) = (&t.journal, &t.key, t.strategy);
    let first = j.submit_signal(key, book, Signal::Entry(entry("EURUSD", Side::Buy, None)), None).await.expect("entry");
    let second =
        j.submit_signal(key, book, Signal::Entry(entry("eurusd", Side::Buy, None)), None).await.expect("pyramid");
    assert_eq!(second.effect, SignalEffect::Created);
    assert_ne!(second.trade.id, first.trade.id, "a second entry of a symbol is a second trade");
    j.submit_signal(key, book, Signal::Entry(entry("EURUSD", Side::Buy, Some("grid-2"))), None).await.expect("entry");

    let exit = || Signal::Exit { locator: locator(None, Some("EURUSD")), exit: exit_at(101.0) };
    let ambiguous = j.submit_signal(key, book, exit(), None).await;
    assert_eq!(conflict_kind(&ambiguous), Some(ConflictKind::AmbiguousTrade));
    let nowhere = Signal::Exit { locator: locator(None, None), exit: SignalExit::default() };
    assert!(matches!(j.submit_signal(key, book, nowhere, None).await, Err(JournalError::Invalid(_))));

    let by_reference = Signal::Exit { locator: locator(Some("grid-2"), None), exit: exit_at(101.0) };
    j.submit_signal(key, book, by_reference, None).await.expect("exit by reference");
    let still = j.submit_signal(key, book, exit(), None).await;
    assert_eq!(conflict_kind(&still), Some(ConflictKind::AmbiguousTrade), "two open EURUSD trades remain");
    j.close_trade(&t.jwt, book, second.trade.id, quantarya_domain::CloseTrade::default()).await.expect("close");
    let closed = j.submit_signal(key, book, exit(), None).await.expect("now only one open EURUSD");
    assert_eq!((closed.effect, closed.trade.id), (SignalEffect::Closed, first.trade.id));
    let none_left = j.submit_signal(key, book, exit(), None).await;
    assert!(matches!(none_left, Err(JournalError::NotFound(_))), "{none_left:?}");
}

/// Keys work on trade operations until revoked; they never reach profile, strategy or key operations.
pub async fn api_keys_authenticate_until_revoked(s: &StoreUnderTest) {
    let t = trader(s).await;
    let j = &t.journal;
    let keys = j.list_api_keys(&t.jwt).await.expect("list");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].prefix.as_str(), &t.raw_key[..7]);
    assert!(matches!(j.list_strategies(&t.key).await, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed))));
    let name = KeyName::parse("more").expect("valid");
    assert!(matches!(
        j.create_api_key(&t.key, NewApiKey::new(name)).await,
        Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed))
    ));
    j.list_trades(&t.key, t.strategy, TradeQuery::default()).await.expect("keys list trades");

    j.revoke_api_key(&t.jwt, keys[0].id).await.expect("revoke");
    assert!(matches!(j.authenticate(&t.raw_key).await, Err(JournalError::Unauthorized)));
    assert!(j.list_api_keys(&t.jwt).await.expect("list").is_empty());
    assert!(matches!(j.revoke_api_key(&t.jwt, keys[0].id).await, Err(JournalError::NotFound(_))));

    for _ in 0..quantarya_domain::ApiKey::LIMIT_PER_USER {
        j.create_api_key(&t.jwt, NewApiKey::new(KeyName::parse("k").expect("valid"))).await.expect("under the limit");
    }
    let over = j.create_api_key(&t.jwt, NewApiKey::new(KeyName::parse("k").expect("valid"))).await;
    assert_eq!(conflict_kind(&over), Some(ConflictKind::ApiKeyLimit));
}

/// Back-filled trades, manual trades, PATCH corrections and deletion.
pub async fn back_filled_and_manual_trades_follow_the_rules(s: &StoreUnderTest) {
    let t = trader(s).await;
    let (j, jwt, book) = (&t.journal, &t.jwt, t.strategy);

    let mut backfill = entry("EURUSD", Side::Sell, None);
    backfill.status = Status::Closed;
    let opened_at = minutes_ago(120);
    backfill.signal_time = Some(opened_at);
    backfill.close_price = Some(Price::new(90.0).expect("valid"));
    backfill.closed_at = Some(minutes_ago(60));
    let created = j.submit_signal(jwt, book, Signal::Entry(backfill.clone()), None).await.expect("back-fill");
    assert_eq!((created.effect, created.trade.status), (SignalEffect::Created, Status::Closed));
    assert_eq!((created.trade.opened_at, created.trade.closed_at), (opened_at, backfill.closed_at));

    let mut backwards = backfill.clone();
    backwards.closed_at = Some(minutes_ago(180));
    assert!(matches!(j.submit_signal(jwt, book, Signal::Entry(backwards), None).await, Err(JournalError::Invalid(_))));
    let mut no_price = backfill;
    no_price.close_price = None;
    assert!(matches!(j.submit_signal(jwt, book, Signal::Entry(no_price), None).await, Err(JournalError::Invalid(_))));

    let correction = TradePatch { close_price: Some(Price::new(91.0).expect("valid")), ..Default::default() };
    let corrected = j.patch_trade(jwt, book, created.trade.id, correction).await.expect("correct");
    assert_eq!(corrected.close_price, Some(Price::new(91.0).expect("valid")));
    let reopen = TradePatch { status: Some(Status::Open), ..Default::default() };
    assert_eq!(
        conflict_kind(&j.patch_trade(jwt, book, created.trade.id, reopen).await),
        Some(ConflictKind::InvalidTransition)
    );
    let history = j.trade_history(jwt, book, created.trade.id).await.expect("history");
    assert_eq!(history.iter().map(|e| e.kind).collect::<Vec<_>>(), [EventKind::Entry, EventKind::Correct]);

    let manual =
        j.submit_signal(jwt, book, Signal::Entry(entry("XAUUSD", Side::Buy, None)), None).await.expect("manual");
    assert_eq!(manual.trade.origin, quantarya_domain::Origin::Manual);
    let early_price = TradePatch { close_price: Some(Price::new(1.0).expect("valid")), ..Default::default() };
    assert!(matches!(j.patch_trade(jwt, book, manual.trade.id, early_price).await, Err(JournalError::Invalid(_))));
    let closed = j.close_trade(jwt, book, manual.trade.id, CloseTrade::default()).await.expect("close");
    assert_eq!(closed.status, Status::Closed);
    let twice = j.close_trade(jwt, book, manual.trade.id, CloseTrade::default()).await;
    assert_eq!(conflict_kind(&twice), Some(ConflictKind::InvalidTransition));
    let deleted = j.delete_trade(jwt, book, manual.trade.id).await.expect("manual trades can be deleted");
    assert_eq!(deleted.id, manual.trade.id);
    assert!(matches!(j.get_trade(jwt, book, manual.trade.id).await, Err(JournalError::NotFound(_))));
    let history = j.trade_history(jwt, book, manual.trade.id).await;
    assert!(matches!(history, Err(JournalError::NotFound(_))), "the history went with its trade: {history:?}");
}

/// Pages of `limit` trades with cursors cover every trade once, newest first, with filters applied.
pub async fn trade_pages_cover_every_trade_once(s: &StoreUnderTest) {
    let t = trader(s).await;
    let (j, key, book) = (&t.journal, &t.key, t.strategy);
    // One reading of the clock: trades 2k and 2k + 1 open at the same instant, so the id breaks the tie, and the
    // last page boundary falls inside a shared instant. They are sent out of time order.
    let base = now();
    let mut sent = HashSet::new();
    for i in [3, 6, 0, 5, 2, 4, 1] {
        let mut new = entry(if i % 2 == 0 { "EURUSD" } else { "GBPUSD" }, Side::Buy, Some(&format!("o{i}")));
        new.signal_time = Some(minutes_before(base, 50 - i / 2));
        sent.insert(j.submit_signal(key, book, Signal::Entry(new), None).await.expect("entry").trade.id);
    }
    let mut seen = Vec::new();
    let mut query = TradeQuery { limit: PageLimit::new(3).expect("valid"), ..Default::default() };
    loop {
        let page = j.list_trades(key, book, query.clone()).await.expect("page");
        seen.extend(page.trades);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(seen.iter().map(|t| t.id).collect::<HashSet<_>>(), sent, "every trade, each once");
    assert!(seen.windows(2).all(|w| w[0].opened_at >= w[1].opened_at), "newest first");
    assert!(seen.windows(2).all(|w| (w[0].opened_at, w[0].id) > (w[1].opened_at, w[1].id)), "then by id, descending");
    assert_eq!(seen[5].opened_at, seen[6].opened_at, "the last page starts inside a shared instant");
    let filter = TradeFilter { symbol: Some(Symbol::parse("EURUSD").expect("valid")), ..Default::default() };
    let eur = j.list_trades(key, book, TradeQuery { filter, ..Default::default() }).await.expect("filtered");
    assert_eq!(eur.trades.len(), 4);
    assert_eq!(eur.next_cursor, None);
    let backwards = TradeFilter { from: Some(minutes_ago(1)), to: Some(minutes_ago(2)), ..Default::default() };
    let refused = j.list_trades(key, book, TradeQuery { filter: backwards, ..Default::default() }).await;
    assert!(matches!(refused, Err(JournalError::Invalid(_))));
}

/// The owner's statistics and the public profile show the same, hand-checked numbers.
pub async fn the_owner_and_the_public_see_the_same_performance(s: &StoreUnderTest) {
    let t = trader(s).await;
    let (j, key, book) = (&t.journal, &t.key, t.strategy);
    // Entries at 100 closing at 110 (+10 %), 95 (-5 %), 100 (0), a short from 100 to 80 (+20 %), and one left open.
    let plan = [(Side::Buy, 110.0, "a"), (Side::Buy, 95.0, "b"), (Side::Buy, 100.0, "c"), (Side::Sell, 80.0, "d")];
    for (i, (side, close, reference)) in plan.into_iter().enumerate() {
        let mut new = entry("EURUSD", side, Some(reference));
        new.signal_time = Some(minutes_ago(60 - i as i64 * 10));
        j.submit_signal(key, book, Signal::Entry(new), None).await.expect("entry");
        let exit = SignalExit {
            close_price: Some(Price::new(close).expect("valid")),
            signal_time: Some(minutes_ago(55 - i as i64 * 10)),
            ..Default::default()
        };
        j.submit_signal(key, book, Signal::Exit { locator: locator(Some(reference), None), exit }, None)
            .await
            .expect("exit");
    }
    j.submit_signal(key, book, Signal::Entry(entry("BTCUSD", Side::Buy, Some("open"))), None).await.expect("entry");

    let stats = j.strategy_stats(&t.jwt, book, Default::default()).await.expect("stats");
    let f = &stats.all.overall;
    assert_eq!((f.count, f.wins, f.losses, f.break_evens), (4, 2, 1, 1));
    assert_eq!(
        stats.live.overall.count, 0,
        "entries received 30 minutes and more after their signal time are not live"
    );
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(f.win_rate.unwrap_or_default(), 0.5));
    assert!(close(f.profit_factor.unwrap_or_default(), 0.30 / 0.05));
    assert!(close(f.total_return, 1.10 * 0.95 * 1.0 * 1.20 - 1.0));
    assert!(close(f.max_drawdown, 0.05));
    // The entries had a stop at 95: R is +2, -1, 0 for the longs, and (100-80)/5 = +4 for the short.
    assert!(close(f.average_r.unwrap_or_default(), (2.0 - 1.0 + 0.0 + 4.0) / 4.0));
    assert_eq!(stats.all.curve.len(), 4);

    let user = j.get_profile(&t.jwt).await.expect("profile");
    j.save_profile(&t.jwt, ProfileChange { public_profile_enabled: Some(true), ..Default::default() })
        .await
        .expect("public");
    let public = j.public_profile(&user.user_name).await.expect("public profile");
    assert_eq!(public.strategies.len(), 1);
    assert_eq!(public.strategies[0].stats.all.overall, stats.all.overall, "the public sees the owner's numbers");
    assert_eq!(public.strategies[0].stats.all.curve, stats.all.curve);
    assert_eq!(public.strategies[0].stats.live, stats.live);

    let recent = quantarya_ports::outbound::CloseRange { from: Some(minutes_ago(40)), to: None };
    let windowed = j.strategy_stats(&t.jwt, book, recent.into()).await.expect("stats");
    assert_eq!(windowed.all.overall.count, 2, "only the trades closed in the range");
    let forbidden = j.strategy_stats(key, book, Default::default()).await;
    assert!(matches!(forbidden, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed))));
}

/// A public profile shows only the public strategies, each with a curve of at most [`PUBLIC_CURVE_POINTS`]
/// points, while the owner sees up to [`OWNER_CURVE_POINTS`] of the same curve.
///
/// [`PUBLIC_CURVE_POINTS`]: quantarya_ports::PUBLIC_CURVE_POINTS
/// [`OWNER_CURVE_POINTS`]: quantarya_ports::OWNER_CURVE_POINTS
pub async fn public_profiles_show_public_strategies_with_a_bounded_curve(s: &StoreUnderTest) {
    let t = trader(s).await;
    let (j, key, book) = (&t.journal, &t.key, t.strategy);
    let hidden = NewStrategy::titled(StrategyTitle::parse("Private ideas").expect("valid"));
    let hidden = j.create_strategy(&t.jwt, hidden).await.expect("strategy").id;
    let trades = quantarya_ports::PUBLIC_CURVE_POINTS + 50;
    for strategy in [book, hidden] {
        let count = if strategy == book { trades } else { 3 };
        for i in 0..count {
            let reference = format!("r{i}");
            let new = entry("EURUSD", Side::Buy, Some(&reference));
            j.submit_signal(key, strategy, Signal::Entry(new), None).await.expect("entry");
            // Wins and losses alternate in size, so the curve wanders and every point counts.
            let close = if i % 3 == 0 { 99.0 } else { 101.0 };
            let exit = SignalExit { close_price: Some(Price::new(close).expect("valid")), ..Default::default() };
            let locator = locator(Some(&reference), None);
            j.submit_signal(key, strategy, Signal::Exit { locator, exit }, None).await.expect("exit");
        }
    }
    let user = j.get_profile(&t.jwt).await.expect("profile");
    j.save_profile(&t.jwt, ProfileChange { public_profile_enabled: Some(true), ..Default::default() })
        .await
        .expect("public");

    let public = j.public_profile(&user.user_name).await.expect("public profile");
    let shown: Vec<_> = public.strategies.iter().map(|p| p.strategy.id).collect();
    assert_eq!(shown, vec![book], "the private strategy stays hidden");
    let stats = &public.strategies[0].stats.all;
    assert_eq!(stats.overall.count, trades as u64);
    assert!(stats.curve.len() <= quantarya_ports::PUBLIC_CURVE_POINTS, "{} public points", stats.curve.len());
    let owner = j.strategy_stats(&t.jwt, book, Default::default()).await.expect("stats").all;
    assert_eq!(owner.curve.len(), trades, "the owner's budget holds the whole curve");
    assert_eq!(owner.overall, stats.overall);
    assert_eq!(stats.curve.first(), owner.curve.first());
    assert_eq!(stats.curve.last(), owner.curve.last());
    let live = &public.strategies[0].stats.live;
    assert_eq!(live.overall.count, trades as u64, "entries sent as they happened through a key are live");
}

/// A trade's R is measured in the risk it was entered with: trailing the stop to break-even before the exit does
/// not change it, on either store.
pub async fn r_is_measured_in_the_stop_a_trade_was_entered_with(s: &StoreUnderTest) {
    let t = trader(s).await;
    let (j, key, book) = (&t.journal, &t.key, t.strategy);
    // Entry at 100 with its stop at 95 (the support fixture), the stop moved to 100, the exit at 110: 2 R.
    j.submit_signal(key, book, Signal::Entry(entry("EURUSD", Side::Buy, Some("trail"))), None).await.expect("entry");
    let trail = LevelsChange { stop_loss: Some(Some(Price::new(100.0).expect("valid"))), ..Default::default() };
    let update = Signal::Update { locator: locator(Some("trail"), None), levels: trail };
    j.submit_signal(key, book, update, None).await.expect("trail the stop");
    let exit = Signal::Exit { locator: locator(Some("trail"), None), exit: exit_at(110.0) };
    let closed = j.submit_signal(key, book, exit, None).await.expect("exit");
    assert_eq!(closed.trade.stop_loss, Some(Price::new(100.0).expect("valid")), "the stop was moved");
    let stats = j.strategy_stats(&t.jwt, book, CloseRange::default().into()).await.expect("stats");
    let average_r = stats.all.overall.average_r.expect("a trade with a stop has an R");
    assert!((average_r - 2.0).abs() < 1e-9, "{average_r}");
}

/// Excursions an update reports, widened by the close and corrected by PATCH, and the live record with the
/// correction that takes a trade out of it: the store keeps what the domain wrote, and the statistics read it.
pub async fn excursions_and_the_live_record_are_kept(s: &StoreUnderTest) {
    let t = trader(s).await;
    let (j, key, book) = (&t.journal, &t.key, t.strategy);
    let price = |p: f64| Price::new(p).expect("valid");
    // A long at 100 with its stop at 95 (the support fixture): one R is 5.
    j.submit_signal(key, book, Signal::Entry(entry("EURUSD", Side::Buy, Some("x"))), None).await.expect("entry");
    let reported = LevelsChange {
        max_favorable_price: Some(price(104.0)),
        max_adverse_price: Some(price(97.0)),
        ..Default::default()
    };
    j.submit_signal(key, book, Signal::Update { locator: locator(Some("x"), None), levels: reported }, None)
        .await
        .expect("update");
    let milder = LevelsChange { max_favorable_price: Some(price(102.0)), ..Default::default() };
    let update = j.submit_signal(key, book, Signal::Update { locator: locator(Some("x"), None), levels: milder }, None);
    let kept = update.await.expect("update").trade;
    assert_eq!(kept.max_favorable_price, Some(price(104.0)), "a milder report does not undo a price reached");
    let exit = Signal::Exit { locator: locator(Some("x"), None), exit: exit_at(106.0) };
    let closed = j.submit_signal(key, book, exit, None).await.expect("exit").trade;
    assert_eq!((closed.max_favorable_price, closed.max_adverse_price), (Some(price(106.0)), Some(price(97.0))));
    let stored = j.get_trade(&t.jwt, book, closed.id).await.expect("stored");
    assert_eq!(stored, closed, "the store keeps the excursions and the live flag");
    assert!(stored.live, "an entry sent as it happened, never corrected");
    let excursion = stored.excursion().expect("both excursions");
    assert!((excursion.mfe - 0.06).abs() < 1e-12 && (excursion.mae - 0.03).abs() < 1e-12, "{excursion:?}");
    assert_eq!(
        (excursion.mfe_r.map(|r| r.round()), excursion.mae_r.map(|r| (r * 10.0).round())),
        (Some(1.0), Some(6.0))
    );

    let stats = j.strategy_stats(&t.jwt, book, Default::default()).await.expect("stats");
    assert_eq!((stats.all.overall.mfe_count, stats.live.overall.count), (1, 1));
    assert!((stats.all.overall.edge_ratio.unwrap_or_default() - 2.0).abs() < 1e-9);

    let correction = TradePatch { max_adverse_price: Some(Some(price(99.0))), ..Default::default() };
    let corrected = j.patch_trade(&t.jwt, book, closed.id, correction).await.expect("a correction");
    assert_eq!((corrected.max_adverse_price, corrected.live), (Some(price(99.0)), false));
    assert_eq!(j.get_trade(&t.jwt, book, closed.id).await.expect("stored"), corrected);
    let history = j.trade_history(&t.jwt, book, closed.id).await.expect("history");
    let last = history.last().expect("events");
    assert_eq!(last.kind, EventKind::Correct);
    assert!(last.changes.iter().any(|c| c.field() == "live" && c.value() == serde_json::json!(false)), "{last:?}");
    let stats = j.strategy_stats(&t.jwt, book, Default::default()).await.expect("stats");
    assert_eq!((stats.all.overall.count, stats.live.overall.count), (1, 0), "the correction left the live record");
}

/// Cancelled trades count in no figure but are counted beside them, in each set: a live trade cancelled before its
/// exit shows in the live record as cancelled, on both stores.
pub async fn cancelled_trades_are_counted_beside_the_figures(s: &StoreUnderTest) {
    let t = trader(s).await;
    let (j, key, book) = (&t.journal, &t.key, t.strategy);
    j.submit_signal(key, book, Signal::Entry(entry("EURUSD", Side::Buy, Some("lost"))), None).await.expect("entry");
    let cancel = SignalExit { status: Some(Status::Cancelled), ..Default::default() };
    let lost = locator(Some("lost"), None);
    j.submit_signal(key, book, Signal::Exit { locator: lost, exit: cancel }, None).await.expect("cancelled by the key");
    let by_hand = j.submit_signal(&t.jwt, book, Signal::Entry(entry("EURUSD", Side::Buy, None)), None).await;
    let patch = TradePatch { status: Some(Status::Cancelled), ..Default::default() };
    j.patch_trade(&t.jwt, book, by_hand.expect("entry").trade.id, patch).await.expect("cancelled by hand");
    j.submit_signal(key, book, Signal::Entry(entry("EURUSD", Side::Buy, Some("won"))), None).await.expect("entry");
    let exit = Signal::Exit { locator: locator(Some("won"), None), exit: exit_at(110.0) };
    j.submit_signal(key, book, exit, None).await.expect("exit");

    let stats = j.strategy_stats(&t.jwt, book, Default::default()).await.expect("stats");
    assert_eq!((stats.all.overall.count, stats.all.cancelled), (1, 2));
    assert_eq!((stats.live.overall.count, stats.live.cancelled), (1, 1), "the key's cancel shows in the live record");
    let later = quantarya_ports::outbound::CloseRange { from: Some(minutes_ago(-1)), to: None };
    let none = j.strategy_stats(&t.jwt, book, later.into()).await.expect("stats");
    assert_eq!((none.all.cancelled, none.live.cancelled), (0, 0), "the range applies to cancel times");
    let user = j.get_profile(&t.jwt).await.expect("profile");
    j.save_profile(&t.jwt, ProfileChange { public_profile_enabled: Some(true), ..Default::default() })
        .await
        .expect("public");
    let public = j.public_profile(&user.user_name).await.expect("public profile");
    assert_eq!((public.strategies[0].stats.all.cancelled, public.strategies[0].stats.live.cancelled), (2, 1));
}

crate::cases!(
    crate::support::StoreUnderTest:
    a_trade_lives_by_its_reference,
    racing_identical_entries_make_one_trade,
    racing_closes_let_exactly_one_succeed,
    another_users_ids_answer_not_found_and_change_nothing,
    deleting_a_profile_removes_everything_and_kills_its_keys,
    a_signal_without_reference_needs_a_single_open_trade,
    api_keys_authenticate_until_revoked,
    back_filled_and_manual_trades_follow_the_rules,
    trade_pages_cover_every_trade_once,
    the_owner_and_the_public_see_the_same_performance,
    public_profiles_show_public_strategies_with_a_bounded_curve,
    r_is_measured_in_the_stop_a_trade_was_entered_with,
    excursions_and_the_live_record_are_kept,
    cancelled_trades_are_counted_beside_the_figures,
);
