//! The store conformance suite: what every implementation of the store ports must do, specified once.

use std::collections::HashSet;
use std::sync::Arc;

use quantarya_domain::{
    ApiKey, CloseTrade, CredentialKind, Currency, NewTrade, Outcome, Side, Status, Strategy, StrategyChange, Symbol,
    Tags, Timestamp, Trade, TradeCommand, TradeEvent, TradePatch, UserName,
};
use quantarya_ports::outbound::{CloseRange, OpenTradeLookup, TradeCursor, TradeFilter};
use quantarya_ports::{StoreConflict, StoreError};
use tokio::task::JoinSet;

use crate::support::{
    StoreUnderTest, api_key, entry, minutes_ago, minutes_before, now, opened, owner_with_strategy, stamp, strategy,
    user,
};

fn is_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, expected: StoreConflict) -> bool {
    matches!(result, Err(StoreError::Conflict(kind)) if kind == expected)
}

/// Exactly one of racing writes landed and every other one lost with `losers`.
fn assert_one_winner(results: &[Result<(), StoreError>], losers: StoreConflict) {
    let won = results.iter().filter(|r| r.is_ok()).count();
    let lost = results.iter().filter(|r| matches!(r, Err(StoreError::Conflict(kind)) if *kind == losers)).count();
    assert_eq!((won, lost), (1, results.len() - 1), "{results:?}");
}

/// The domain's close of `trade`, for writing.
fn closed(trade: &Trade) -> (Trade, TradeEvent) {
    match trade.apply(TradeCommand::Close(CloseTrade::default()), stamp(CredentialKind::User)).expect("closes") {
        Outcome::Changed(transition) => (transition.trade, transition.event),
        Outcome::Unchanged => panic!("closing an open trade changes it"),
    }
}

/// Sends 25 entries into `book` while `delete` runs, and answers how many were stored and what `delete` answered.
/// One insert lands before the delete starts and one is sent after it ended, so both outcomes occur (asserted); the
/// others race the delete, which starts while they are still being spawned. Every insert is stored or `Missing`.
async fn inserts_racing<T: Send + 'static>(
    s: &StoreUnderTest,
    book: &quantarya_domain::Strategy,
    delete: impl std::future::Future<Output = T> + Send + 'static,
) -> (u64, T) {
    let insert = |i: usize| {
        let (trade, event) = opened(book, entry("EURUSD", Side::Buy, Some(&format!("r{i}"))), None);
        let trades = s.trades.clone();
        async move { trades.insert_trade(&trade, &event, None).await }
    };
    let mut inserts = vec![insert(0).await];
    let mut tasks = JoinSet::new();
    for i in 1..12 {
        tasks.spawn(insert(i));
    }
    let deleting = tokio::spawn(delete);
    for i in 12..24 {
        tasks.spawn(insert(i));
    }
    inserts.extend(tasks.join_all().await);
    let deleted = deleting.await.expect("joined");
    inserts.push(insert(24).await);
    assert!(inserts.iter().all(|r| matches!(r, Ok(()) | Err(StoreError::Missing))), "{inserts:?}");
    assert!(matches!(inserts.first(), Some(Ok(()))), "an insert before the delete is stored: {inserts:?}");
    assert!(matches!(inserts.last(), Some(Err(StoreError::Missing))), "an insert after it is refused: {inserts:?}");
    (inserts.iter().filter(|r| r.is_ok()).count() as u64, deleted)
}

/// Profiles: round trip, unique names regardless of case, renames free the old name.
pub async fn users_round_trip_and_names_are_unique_regardless_of_case(s: &StoreUnderTest) {
    let alice = user();
    s.users.insert_user(&alice).await.expect("insert");
    assert_eq!(s.users.get_user(&alice.id).await.expect("get"), Some(alice.clone()));
    assert_eq!(s.users.get_user_by_name(&alice.user_name).await.expect("by name"), Some(alice.clone()));
    assert!(is_conflict(s.users.insert_user(&alice).await, StoreConflict::AlreadyExists));

    // Names are stored lowercase, so "the same name in another case" parses to the same name.
    let mut bob = user();
    bob.user_name = UserName::parse(&alice.user_name.as_str().to_uppercase()).expect("valid");
    assert!(is_conflict(s.users.insert_user(&bob).await, StoreConflict::UserNameTaken));
    assert_eq!(s.users.get_user(&bob.id).await.expect("get"), None, "a refused insert stores nothing");

    let bob = user();
    s.users.insert_user(&bob).await.expect("insert");
    let mut renamed = bob.clone();
    renamed.user_name = alice.user_name.clone();
    assert!(is_conflict(s.users.update_user(&renamed, bob.updated_at).await, StoreConflict::UserNameTaken));
    assert_eq!(s.users.get_user(&bob.id).await.expect("get"), Some(bob.clone()), "a refused update changes nothing");

    let mut alice_renamed = alice.clone();
    alice_renamed.user_name = UserName::parse(&format!("{}-x", alice.user_name)).expect("valid");
    s.users.update_user(&alice_renamed, alice.updated_at).await.expect("rename");
    assert_eq!(s.users.get_user_by_name(&alice.user_name).await.expect("by name"), None);
    renamed.user_name = alice.user_name.clone();
    s.users.update_user(&renamed, bob.updated_at).await.expect("the old name is free again");

    let ghost = user();
    assert!(matches!(s.users.update_user(&ghost, ghost.updated_at).await, Err(StoreError::Missing)));
    assert_eq!(s.users.delete_account(&ghost.id).await.expect("delete"), None);
}

/// Strategies: need a profile, are invisible to other users, list newest first, update and delete in scope.
pub async fn strategies_are_scoped_by_their_owner(s: &StoreUnderTest) {
    let nobody = user();
    assert!(matches!(s.strategies.insert_strategy(&strategy(&nobody.id)).await, Err(StoreError::Missing)));

    let (owner, first) = owner_with_strategy(s).await;
    let second = strategy(&owner.id);
    s.strategies.insert_strategy(&second).await.expect("insert");
    assert!(is_conflict(s.strategies.insert_strategy(&second).await, StoreConflict::AlreadyExists));
    let other = user();
    s.users.insert_user(&other).await.expect("insert");

    assert_eq!(s.strategies.get_strategy(&owner.id, first.id).await.expect("get"), Some(first.clone()));
    assert_eq!(s.strategies.get_strategy(&other.id, first.id).await.expect("get"), None);
    let listed = s.strategies.list_strategies(&owner.id).await.expect("list");
    assert_eq!(listed, vec![second.clone(), first.clone()], "newest first");
    assert!(s.strategies.list_strategies(&other.id).await.expect("list").is_empty());

    let change = StrategyChange { is_public: Some(true), ..Default::default() };
    let updated = first.changed(change, now());
    s.strategies.update_strategy(&updated, first.updated_at).await.expect("update");
    assert_eq!(s.strategies.get_strategy(&owner.id, first.id).await.expect("get"), Some(updated.clone()));
    let mut hijack = updated.clone();
    hijack.user_id = other.id.clone();
    assert!(matches!(s.strategies.update_strategy(&hijack, updated.updated_at).await, Err(StoreError::Missing)));

    assert_eq!(s.strategies.delete_strategy(&other.id, first.id).await.expect("delete"), None);
    assert_eq!(s.strategies.delete_strategy(&owner.id, first.id).await.expect("delete"), Some(0));
    assert_eq!(s.strategies.get_strategy(&owner.id, first.id).await.expect("get"), None);
}

/// Every trade read is scoped by owner: another user's strategy reads as absent, and its trades cannot be touched.
pub async fn trade_reads_and_writes_are_scoped_by_owner(s: &StoreUnderTest) {
    let (_, book) = owner_with_strategy(s).await;
    let intruder = user();
    s.users.insert_user(&intruder).await.expect("insert");
    let (trade, event) = opened(&book, entry("EURUSD", Side::Buy, Some("Long")), None);
    s.trades.insert_trade(&trade, &event, None).await.expect("insert");
    let me = &intruder.id;
    assert_eq!(s.trades.get_trade(me, book.id, trade.id).await.expect("get"), None);
    let lookup = OpenTradeLookup::Symbol(trade.symbol.clone());
    assert_eq!(s.trades.open_trades(me, book.id, &lookup).await.expect("lookup"), None);
    assert_eq!(s.trades.list_trades(me, book.id, &TradeFilter::default(), None, 10).await.expect("list"), None);
    let reference = trade.external_reference.clone().expect("has one");
    assert_eq!(s.trades.latest_with_reference(me, book.id, &reference).await.expect("latest"), None);
    assert!(s.trades.trade_events(me, book.id, trade.id).await.expect("events").is_empty());
    assert!(!s.trades.delete_trade(me, book.id, trade.id).await.expect("delete"));

    // Writes name the owner through the trade itself.
    let mut forged = opened(&book, entry("GBPUSD", Side::Buy, None), None);
    let mut record = forged.0.clone().into_record();
    record.user_id = intruder.id.clone();
    forged.0 = Trade::restore(record).expect("still a valid trade");
    assert!(matches!(s.trades.insert_trade(&forged.0, &forged.1, None).await, Err(StoreError::Missing)));
    let (closed_trade, close_event) = closed(&trade);
    let mut record = closed_trade.into_record();
    record.user_id = intruder.id.clone();
    let hijack = Trade::restore(record).expect("still a valid trade");
    assert!(matches!(s.trades.update_trade(&hijack, &close_event, None).await, Err(StoreError::Missing)));
    assert_eq!(s.trades.get_trade(&book.user_id, book.id, trade.id).await.expect("get"), Some(trade));
}

/// Profile and strategy updates are compare-and-swap on the `updated_at` they were decided on.
pub async fn profile_and_strategy_updates_refuse_a_stale_read(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let first = owner.updated(owner.email.clone(), Default::default(), now());
    s.users.update_user(&first, owner.updated_at).await.expect("fresh read");
    let second = owner.updated(owner.email.clone(), Default::default(), now());
    assert!(is_conflict(s.users.update_user(&second, owner.updated_at).await, StoreConflict::StaleVersion));
    assert_eq!(s.users.get_user(&owner.id).await.expect("get"), Some(first));

    let public = book.changed(StrategyChange { is_public: Some(true), ..Default::default() }, now());
    s.strategies.update_strategy(&public, book.updated_at).await.expect("fresh read");
    let renamed = book.changed(StrategyChange::default(), now());
    assert!(is_conflict(s.strategies.update_strategy(&renamed, book.updated_at).await, StoreConflict::StaleVersion));
    assert_eq!(s.strategies.get_strategy(&owner.id, book.id).await.expect("get"), Some(public));
}

/// A strategy deleted while trades arrive: every trade stored before the delete is counted and removed, every
/// later one is refused; none is left behind or removed uncounted.
pub async fn deleting_a_strategy_while_trades_arrive_counts_every_removed_trade(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let (strategies, owner_id, book_id) = (s.strategies.clone(), owner.id.clone(), book.id);
    let (stored, deleted) =
        inserts_racing(s, &book, async move { strategies.delete_strategy(&owner_id, book_id).await }).await;
    let deleted = deleted.expect("delete").expect("existed");
    assert_eq!(deleted, stored, "every stored trade was counted and removed");
    assert_eq!(
        s.trades.list_trades(&book.user_id, book.id, &TradeFilter::default(), None, 100).await.expect("list"),
        None
    );
}

/// At most one open trade per strategy and reference; open trades without a reference may share a symbol; closing
/// frees the reference.
pub async fn one_open_trade_per_reference_and_unreferenced_ones_coexist(s: &StoreUnderTest) {
    let (_, book) = owner_with_strategy(s).await;
    let (long, long_event) = opened(&book, entry("EURUSD", Side::Buy, Some("Long")), None);
    s.trades.insert_trade(&long, &long_event, None).await.expect("first entry");
    assert!(is_conflict(s.trades.insert_trade(&long, &long_event, None).await, StoreConflict::AlreadyExists));

    let (twin, twin_event) = opened(&book, entry("GBPUSD", Side::Sell, Some("Long")), None);
    assert!(is_conflict(s.trades.insert_trade(&twin, &twin_event, None).await, StoreConflict::OpenTradeExists));
    assert_eq!(
        s.trades.get_trade(&book.user_id, book.id, twin.id).await.expect("get"),
        None,
        "a refused insert stores nothing"
    );

    let (short, event) = opened(&book, entry("EURUSD", Side::Sell, Some("Short")), None);
    s.trades.insert_trade(&short, &event, None).await.expect("another reference is free");

    let (plain, event) = opened(&book, entry("EURUSD", Side::Buy, None), None);
    s.trades.insert_trade(&plain, &event, None).await.expect("an unreferenced open EURUSD");
    let (plain_twin, event) = opened(&book, entry("EURUSD", Side::Buy, None), None);
    s.trades.insert_trade(&plain_twin, &event, None).await.expect("and a second one: pyramiding");
    let open = s.trades.open_trades(&book.user_id, book.id, &OpenTradeLookup::Symbol(plain.symbol.clone())).await;
    let unreferenced =
        open.expect("lookup").expect("the strategy").into_iter().filter(|t| t.external_reference.is_none());
    assert_eq!(unreferenced.count(), 2, "both are stored and open");
    let (other_symbol, event) = opened(&book, entry("USDJPY", Side::Buy, None), None);
    s.trades.insert_trade(&other_symbol, &event, None).await.expect("another symbol is free");

    // A back-filled closed trade takes no open slot.
    let mut backfill = entry("EURUSD", Side::Buy, Some("Long"));
    backfill.status = Status::Closed;
    backfill.close_price = Some(quantarya_domain::Price::new(101.0).expect("valid"));
    backfill.closed_at = Some(minutes_ago(1));
    let (backfilled, event) = opened(&book, backfill, Some(minutes_ago(10)));
    s.trades.insert_trade(&backfilled, &event, None).await.expect("closed trades do not hold the reference");

    // Closing frees the reference for the next entry (TradingView reuses order ids).
    let (closed_long, event) = closed(&long);
    s.trades.update_trade(&closed_long, &event, None).await.expect("close");
    s.trades.insert_trade(&twin, &twin_event, None).await.expect("the reference is free again");

    // Another strategy has its own references.
    let (_, other_book) = owner_with_strategy(s).await;
    let (elsewhere, event) = opened(&other_book, entry("EURUSD", Side::Buy, Some("Short")), None);
    s.trades.insert_trade(&elsewhere, &event, None).await.expect("references are per strategy");

    let gone = strategy(&book.user_id);
    let (orphan, event) = opened(&gone, entry("EURUSD", Side::Buy, None), None);
    assert!(matches!(s.trades.insert_trade(&orphan, &event, None).await, Err(StoreError::Missing)));
}

/// Updates carry the version they were based on; a stale one writes nothing.
pub async fn trade_updates_refuse_a_stale_version(s: &StoreUnderTest) {
    let (_, book) = owner_with_strategy(s).await;
    let (trade, event) = opened(&book, entry("EURUSD", Side::Buy, None), None);
    s.trades.insert_trade(&trade, &event, None).await.expect("insert");
    let (closed_trade, close_event) = closed(&trade);
    s.trades.update_trade(&closed_trade, &close_event, None).await.expect("close");
    assert!(is_conflict(s.trades.update_trade(&closed_trade, &close_event, None).await, StoreConflict::StaleVersion));
    let (cancel_attempt, cancel_event) = {
        let patch = quantarya_domain::TradePatch { status: Some(Status::Cancelled), ..Default::default() };
        match trade.apply(TradeCommand::Patch(patch), stamp(CredentialKind::User)).expect("cancel of the stale read") {
            Outcome::Changed(t) => (t.trade, t.event),
            Outcome::Unchanged => panic!("cancel changes an open trade"),
        }
    };
    assert!(is_conflict(
        s.trades.update_trade(&cancel_attempt, &cancel_event, None).await,
        StoreConflict::StaleVersion
    ));
    assert_eq!(s.trades.get_trade(&book.user_id, book.id, trade.id).await.expect("get"), Some(closed_trade));
    assert_eq!(s.trades.trade_events(&book.user_id, book.id, trade.id).await.expect("events").len(), 2);

    let (ghost, _) = opened(&book, entry("EURUSD", Side::Buy, None), None);
    let (ghost_closed, ghost_close) = closed(&ghost);
    assert!(matches!(s.trades.update_trade(&ghost_closed, &ghost_close, None).await, Err(StoreError::Missing)));
}

/// Open-trade lookups by reference and by symbol, and the latest trade of a reference.
pub async fn open_trade_lookups_and_latest_with_reference(s: &StoreUnderTest) {
    let (_, book) = owner_with_strategy(s).await;
    let (first, event) = opened(&book, entry("EURUSD", Side::Buy, Some("Long")), None);
    s.trades.insert_trade(&first, &event, None).await.expect("insert");
    let (first_closed, event) = closed(&first);
    s.trades.update_trade(&first_closed, &event, None).await.expect("close");
    let (second, event) = opened(&book, entry("EURUSD", Side::Buy, Some("Long")), None);
    s.trades.insert_trade(&second, &event, None).await.expect("insert");
    let (plain, event) = opened(&book, entry("EURUSD", Side::Sell, None), None);
    s.trades.insert_trade(&plain, &event, None).await.expect("insert");

    let reference = second.external_reference.clone().expect("has one");
    let by_reference = s
        .trades
        .open_trades(&book.user_id, book.id, &OpenTradeLookup::Reference(reference.clone()))
        .await
        .expect("lookup")
        .expect("owned strategy");
    assert_eq!(by_reference, vec![second.clone()]);
    let symbol = Symbol::parse("EURUSD").expect("valid");
    let mut by_symbol = s
        .trades
        .open_trades(&book.user_id, book.id, &OpenTradeLookup::Symbol(symbol))
        .await
        .expect("lookup")
        .expect("owned strategy");
    by_symbol.sort_by_key(|t| t.id);
    assert_eq!(by_symbol, vec![second.clone(), plain.clone()]);
    let gold = OpenTradeLookup::Symbol(Symbol::parse("XAUUSD").expect("valid"));
    assert!(
        s.trades.open_trades(&book.user_id, book.id, &gold).await.expect("lookup").expect("owned strategy").is_empty()
    );

    assert_eq!(
        s.trades.latest_with_reference(&book.user_id, book.id, &reference).await.expect("latest"),
        Some(second.clone())
    );
    let (second_closed, event) = closed(&second);
    s.trades.update_trade(&second_closed, &event, None).await.expect("close");
    assert_eq!(
        s.trades.latest_with_reference(&book.user_id, book.id, &reference).await.expect("latest"),
        Some(second_closed)
    );
    let unknown = quantarya_domain::ExternalReference::parse("nope").expect("valid");
    assert_eq!(s.trades.latest_with_reference(&book.user_id, book.id, &unknown).await.expect("latest"), None);
}

/// Lists: newest first by `opened_at` then id, every filter, keyset pages that cover everything once.
pub async fn trade_lists_page_newest_first_with_filters(s: &StoreUnderTest) {
    let (_, book) = owner_with_strategy(s).await;
    // One reading of the clock, so that trades can share an opening instant and range bounds can fall exactly on
    // one.
    let base = now();
    let ago = |minutes: i64| minutes_before(base, minutes);
    let mut made = Vec::new();
    for (i, (symbol, side)) in
        [("EURUSD", Side::Buy), ("GBPUSD", Side::Sell), ("EURUSD", Side::Sell), ("BTCUSD", Side::Buy)]
            .into_iter()
            .cycle()
            .take(11)
            .enumerate()
    {
        // Two trades share each opening minute, so the id breaks ties.
        let opened_at = ago(100 - (i as i64 / 2));
        made.push(opened(&book, entry(symbol, side, Some(&format!("ref-{i}"))), Some(opened_at)));
    }
    // Stored out of time order and, within a shared minute, sometimes the later id first: neither the order of
    // the writes nor that of the ids as made can stand in for the list order.
    let mut all = Vec::new();
    for i in [5, 10, 0, 7, 2, 9, 4, 1, 8, 3, 6] {
        let (trade, event) = &made[i];
        s.trades.insert_trade(trade, event, None).await.expect("insert");
        let trade = if i % 3 == 0 {
            let (closed_trade, event) = closed(trade);
            s.trades.update_trade(&closed_trade, &event, None).await.expect("close");
            closed_trade
        } else {
            trade.clone()
        };
        all.push(trade);
    }
    all.sort_by_key(|t| (std::cmp::Reverse(t.opened_at), std::cmp::Reverse(t.id)));
    assert!(all.windows(2).any(|w| w[0].opened_at == w[1].opened_at), "some trades share an opening instant");

    let everything = s
        .trades
        .list_trades(&book.user_id, book.id, &TradeFilter::default(), None, 100)
        .await
        .expect("list")
        .expect("owned strategy");
    assert_eq!(everything, all);

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = s
            .trades
            .list_trades(&book.user_id, book.id, &TradeFilter::default(), after, 3)
            .await
            .expect("page")
            .expect("owned strategy");
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        after = Some(TradeCursor { opened_at: last.opened_at, trade_id: last.id });
        seen.extend(page);
    }
    assert_eq!(seen, all, "pages cover every trade exactly once, in order");
    // The cursor's id part is needed: a page ends between two trades opened at the same instant.
    let pages: Vec<&[Trade]> = all.chunks(3).collect();
    assert!(
        pages.windows(2).any(|w| w[0].last().map(|t| t.opened_at) == w[1].first().map(|t| t.opened_at)),
        "a page boundary falls inside a shared opening instant"
    );

    let check = |filter: TradeFilter, keep: &dyn Fn(&Trade) -> bool| {
        let expected: Vec<Trade> = all.iter().filter(|t| keep(t)).cloned().collect();
        let store = s.trades.clone();
        let (owner, id) = (book.user_id.clone(), book.id);
        async move {
            let listed = store.list_trades(&owner, id, &filter, None, 100).await.expect("filtered list");
            let listed = listed.expect("owned strategy");
            assert_eq!(listed, expected, "{filter:?}");
        }
    };
    check(TradeFilter { status: Some(Status::Closed), ..Default::default() }, &|t| t.status == Status::Closed).await;
    let eur = Symbol::parse("EURUSD").expect("valid");
    check(TradeFilter { symbol: Some(eur.clone()), ..Default::default() }, &|t| t.symbol == eur).await;
    check(TradeFilter { side: Some(Side::Sell), ..Default::default() }, &|t| t.side == Side::Sell).await;
    // Both bounds fall exactly on opening instants: both are inclusive.
    let (from, to) = (ago(99), ago(97));
    assert!(all.iter().any(|t| t.opened_at == from) && all.iter().any(|t| t.opened_at == to));
    check(TradeFilter { from: Some(from), to: Some(to), ..Default::default() }, &|t| {
        t.opened_at >= from && t.opened_at <= to
    })
    .await;

    let (_, empty_book) = owner_with_strategy(s).await;
    assert!(
        s.trades
            .list_trades(&empty_book.user_id, empty_book.id, &TradeFilter::default(), None, 10)
            .await
            .expect("list")
            .expect("owned strategy")
            .is_empty()
    );
}

/// History is returned oldest first, scoped by strategy, and goes with its trade.
pub async fn history_is_kept_in_order_and_deleted_with_its_trade(s: &StoreUnderTest) {
    let (_, book) = owner_with_strategy(s).await;
    let (trade, first) = opened(&book, entry("EURUSD", Side::Buy, None), None);
    s.trades.insert_trade(&trade, &first, None).await.expect("insert");
    let (closed_trade, second) = closed(&trade);
    s.trades.update_trade(&closed_trade, &second, None).await.expect("close");
    assert_eq!(s.trades.trade_events(&book.user_id, book.id, trade.id).await.expect("events"), vec![first, second]);

    let (_, other_book) = owner_with_strategy(s).await;
    assert!(s.trades.trade_events(&other_book.user_id, other_book.id, trade.id).await.expect("events").is_empty());
    assert_eq!(s.trades.get_trade(&other_book.user_id, other_book.id, trade.id).await.expect("get"), None);
    assert!(!s.trades.delete_trade(&other_book.user_id, other_book.id, trade.id).await.expect("delete"));

    assert!(s.trades.delete_trade(&book.user_id, book.id, trade.id).await.expect("delete"));
    assert_eq!(s.trades.get_trade(&book.user_id, book.id, trade.id).await.expect("get"), None);
    assert!(s.trades.trade_events(&book.user_id, book.id, trade.id).await.expect("events").is_empty());
    assert!(!s.trades.delete_trade(&book.user_id, book.id, trade.id).await.expect("delete"));
}

/// Deleting a strategy takes its trades and their history with it, and counts them.
pub async fn deleting_a_strategy_cascades_and_counts(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let keep = strategy(&owner.id);
    s.strategies.insert_strategy(&keep).await.expect("insert");
    let mut ids = Vec::new();
    for i in 0..3 {
        let (trade, event) = opened(&book, entry("EURUSD", Side::Buy, Some(&format!("r{i}"))), None);
        s.trades.insert_trade(&trade, &event, None).await.expect("insert");
        ids.push(trade.id);
    }
    let (kept, event) = opened(&keep, entry("EURUSD", Side::Buy, None), None);
    s.trades.insert_trade(&kept, &event, None).await.expect("insert");

    assert_eq!(s.strategies.delete_strategy(&owner.id, book.id).await.expect("delete"), Some(3));
    for id in ids {
        assert_eq!(s.trades.get_trade(&book.user_id, book.id, id).await.expect("get"), None);
        assert!(s.trades.trade_events(&book.user_id, book.id, id).await.expect("events").is_empty());
    }
    assert_eq!(s.trades.get_trade(&keep.user_id, keep.id, kept.id).await.expect("get"), Some(kept));
    assert_eq!(s.strategies.delete_strategy(&owner.id, book.id).await.expect("delete"), None);
}

/// Deleting an account removes the profile, strategies, trades and keys, atomically, with counts.
pub async fn deleting_an_account_cascades_and_counts(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    s.strategies.insert_strategy(&strategy(&owner.id)).await.expect("insert");
    for i in 0..2 {
        let (trade, event) = opened(&book, entry("EURUSD", Side::Buy, Some(&format!("r{i}"))), None);
        s.trades.insert_trade(&trade, &event, None).await.expect("insert");
    }
    let (key, raw) = api_key(&owner.id);
    s.api_keys.insert_api_key(&key).await.expect("insert key");
    let (neighbour, neighbour_book) = owner_with_strategy(s).await;
    let (neighbour_key, _) = api_key(&neighbour.id);
    s.api_keys.insert_api_key(&neighbour_key).await.expect("insert key");

    let deletion = s.users.delete_account(&owner.id).await.expect("delete").expect("existed");
    assert_eq!((deletion.strategies, deletion.trades, deletion.api_keys), (2, 2, 1));
    assert_eq!(s.users.get_user(&owner.id).await.expect("get"), None);
    assert_eq!(s.users.get_user_by_name(&owner.user_name).await.expect("by name"), None);
    assert!(s.strategies.list_strategies(&owner.id).await.expect("list").is_empty());
    assert_eq!(s.api_keys.find_api_key(&raw.hash()).await.expect("find"), None);
    assert_eq!(s.users.delete_account(&owner.id).await.expect("delete"), None);

    assert!(s.users.get_user(&neighbour.id).await.expect("get").is_some(), "other accounts are untouched");
    assert!(s.strategies.get_strategy(&neighbour.id, neighbour_book.id).await.expect("get").is_some());
    assert_eq!(s.api_keys.list_api_keys(&neighbour.id).await.expect("list"), vec![neighbour_key]);

    let mut reborn = user();
    reborn.user_name = owner.user_name.clone();
    s.users.insert_user(&reborn).await.expect("the name is free again");
}

/// Keys: found by hash while live, listed oldest first, revoked only by their owner, 20 at most.
pub async fn api_keys_are_found_by_hash_listed_revoked_and_limited(s: &StoreUnderTest) {
    let nobody = user();
    assert!(matches!(s.api_keys.insert_api_key(&api_key(&nobody.id).0).await, Err(StoreError::Missing)));

    let owner = user();
    s.users.insert_user(&owner).await.expect("insert");
    let other = user();
    s.users.insert_user(&other).await.expect("insert");
    let mut keys: Vec<(ApiKey, quantarya_domain::RawApiKey)> = Vec::new();
    for _ in 0..ApiKey::LIMIT_PER_USER {
        let (key, raw) = api_key(&owner.id);
        s.api_keys.insert_api_key(&key).await.expect("under the limit");
        keys.push((key, raw));
    }
    assert!(is_conflict(s.api_keys.insert_api_key(&keys[0].0).await, StoreConflict::AlreadyExists));
    assert!(is_conflict(s.api_keys.insert_api_key(&api_key(&owner.id).0).await, StoreConflict::ApiKeyLimit));
    s.api_keys.insert_api_key(&api_key(&other.id).0).await.expect("the limit is per user");

    let listed = s.api_keys.list_api_keys(&owner.id).await.expect("list");
    assert_eq!(listed, keys.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(), "oldest first");
    let (first, first_raw) = &keys[0];
    assert_eq!(s.api_keys.find_api_key(&first_raw.hash()).await.expect("find"), Some(first.clone()));

    let used_at = now();
    s.api_keys.touch_api_key(first.id, used_at).await.expect("touch");
    let found = s.api_keys.find_api_key(&first_raw.hash()).await.expect("find").expect("live");
    assert_eq!(found.last_used_at, Some(used_at));

    assert!(!s.api_keys.revoke_api_key(&other.id, first.id).await.expect("revoke"), "only the owner revokes");
    assert!(s.api_keys.revoke_api_key(&owner.id, first.id).await.expect("revoke"));
    assert_eq!(s.api_keys.find_api_key(&first_raw.hash()).await.expect("find"), None);
    assert!(!s.api_keys.revoke_api_key(&owner.id, first.id).await.expect("revoke"));
    assert_eq!(s.api_keys.list_api_keys(&owner.id).await.expect("list").len(), ApiKey::LIMIT_PER_USER - 1);
    s.api_keys.insert_api_key(&api_key(&owner.id).0).await.expect("a revoked key frees its place");
    s.api_keys.touch_api_key(first.id, now()).await.expect("touching a revoked key is not an error");
}

/// N racing inserts of an open trade with one reference: exactly one is stored.
pub async fn racing_identical_entries_store_one_trade(s: &StoreUnderTest) {
    let (_, book) = owner_with_strategy(s).await;
    let mut tasks = JoinSet::new();
    for _ in 0..16 {
        let (trade, event) = opened(&book, entry("EURUSD", Side::Buy, Some("Long")), None);
        let trades = s.trades.clone();
        tasks.spawn(async move { trades.insert_trade(&trade, &event, None).await });
    }
    assert_one_winner(&tasks.join_all().await, StoreConflict::OpenTradeExists);
    let open = s
        .trades
        .list_trades(&book.user_id, book.id, &TradeFilter::default(), None, 100)
        .await
        .expect("list")
        .expect("owned strategy");
    assert_eq!(open.len(), 1);
}

/// N racing updates based on the same version: exactly one is stored, with exactly one event.
pub async fn racing_updates_of_one_version_let_exactly_one_win(s: &StoreUnderTest) {
    let (_, book) = owner_with_strategy(s).await;
    let (trade, event) = opened(&book, entry("EURUSD", Side::Buy, None), None);
    s.trades.insert_trade(&trade, &event, None).await.expect("insert");
    let trade = Arc::new(trade);
    let mut tasks = JoinSet::new();
    for _ in 0..16 {
        let (closed_trade, event) = closed(&trade);
        let trades = s.trades.clone();
        tasks.spawn(async move { trades.update_trade(&closed_trade, &event, None).await });
    }
    assert_one_winner(&tasks.join_all().await, StoreConflict::StaleVersion);
    let history = s.trades.trade_events(&book.user_id, book.id, trade.id).await.expect("events");
    assert_eq!(history.len(), 2);
    let versions: HashSet<u64> = history.iter().map(|e| e.version).collect();
    assert_eq!(versions, HashSet::from([1, 2]));
}

/// Racing key inserts never exceed the per-user limit.
pub async fn racing_key_inserts_respect_the_limit(s: &StoreUnderTest) {
    let owner = user();
    s.users.insert_user(&owner).await.expect("insert");
    let mut tasks = JoinSet::new();
    for _ in 0..(ApiKey::LIMIT_PER_USER + 8) {
        let keys = s.api_keys.clone();
        let (key, _) = api_key(&owner.id);
        tasks.spawn(async move { keys.insert_api_key(&key).await });
    }
    let results = tasks.join_all().await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), ApiKey::LIMIT_PER_USER);
    assert_eq!(s.api_keys.list_api_keys(&owner.id).await.expect("list").len(), ApiKey::LIMIT_PER_USER);
}

/// Racing profiles for one user name: exactly one gets it.
pub async fn racing_profiles_for_one_name_let_one_win(s: &StoreUnderTest) {
    let name = crate::support::user().user_name;
    let mut tasks = JoinSet::new();
    for _ in 0..12 {
        let mut racer = user();
        racer.user_name = name.clone();
        let users = s.users.clone();
        tasks.spawn(async move { users.insert_user(&racer).await });
    }
    assert_one_winner(&tasks.join_all().await, StoreConflict::UserNameTaken);
}

/// Racing updates of one strategy decided on the same read: exactly one lands, the others are stale.
pub async fn racing_updates_of_one_strategy_let_one_win(s: &StoreUnderTest) {
    let (_, book) = owner_with_strategy(s).await;
    let mut tasks = JoinSet::new();
    for i in 0..12 {
        let title = quantarya_domain::StrategyTitle::parse(&format!("Renamed {i}")).expect("valid");
        let changed = book.changed(StrategyChange { title: Some(title), ..Default::default() }, now());
        let (strategies, read_at) = (s.strategies.clone(), book.updated_at);
        tasks.spawn(async move { strategies.update_strategy(&changed, read_at).await });
    }
    assert_one_winner(&tasks.join_all().await, StoreConflict::StaleVersion);
}

/// An account deleted while trades arrive: every trade stored before the deletion is counted, every later one is
/// refused, none is left behind.
pub async fn deleting_an_account_while_trades_arrive_counts_every_removed_trade(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let (users, id) = (s.users.clone(), owner.id.clone());
    let (stored, deletion) = inserts_racing(s, &book, async move { users.delete_account(&id).await }).await;
    let deletion = deletion.expect("delete").expect("existed");
    assert_eq!(deletion.trades, stored);
    assert_eq!(deletion.strategies, 1);
    let listed = s.trades.list_trades(&owner.id, book.id, &TradeFilter::default(), None, 100).await.expect("list");
    assert_eq!(listed, None);
}

/// Closed trades are visited in close order (`closed_at`, then id) within the range; open and cancelled ones
/// never; another user's strategy reads as absent.
pub async fn closed_trades_are_visited_in_close_order_within_a_range(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    // One reading of the clock, so that equal closes are equal and range bounds can fall exactly on a close.
    let base = now();
    let ago = |minutes: i64| Timestamp::from_datetime(base.as_datetime() - chrono::TimeDelta::minutes(minutes));
    let mut expected = Vec::new();
    for i in 0..6 {
        let opened_at = ago(100 - i);
        let (trade, event) = opened(&book, entry("EURUSD", Side::Buy, Some(&format!("c{i}"))), Some(opened_at));
        s.trades.insert_trade(&trade, &event, None).await.expect("insert");
        if i == 5 {
            continue; // stays open
        }
        // Close in reverse order of opening, two of them at the same instant.
        let closed_at = ago(if i < 2 { 10 } else { 20 + i });
        let close = quantarya_domain::CloseTrade { closed_at: Some(closed_at), ..Default::default() };
        let transition = match trade.apply(TradeCommand::Close(close), stamp(CredentialKind::User)).expect("closes") {
            Outcome::Changed(t) => t,
            Outcome::Unchanged => panic!("closing changes an open trade"),
        };
        s.trades.update_trade(&transition.trade, &transition.event, None).await.expect("close");
        expected.push(quantarya_domain::ClosedTrade::of(&transition.trade).expect("closed"));
    }
    let (cancelled, event) = opened(&book, entry("GBPUSD", Side::Sell, None), None);
    s.trades.insert_trade(&cancelled, &event, None).await.expect("insert");
    let cancel = quantarya_domain::TradePatch { status: Some(Status::Cancelled), ..Default::default() };
    match cancelled.apply(TradeCommand::Patch(cancel), stamp(CredentialKind::User)).expect("cancels") {
        Outcome::Changed(t) => s.trades.update_trade(&t.trade, &t.event, None).await.expect("cancel"),
        Outcome::Unchanged => panic!("cancelling an open trade changes it"),
    }
    let stored = s.trades.get_trade(&owner.id, book.id, cancelled.id).await.expect("get").expect("stored");
    assert_eq!(stored.status, Status::Cancelled, "a cancelled trade is there to be left out");
    expected.sort_by_key(|t| (t.closed_at, t.id));

    let visit = |range: CloseRange| {
        let (trades, owner, id) = (s.trades.clone(), owner.id.clone(), book.id);
        async move {
            let mut seen = Vec::new();
            let found = trades.visit_closed_trades(&owner, id, range, &mut |t| seen.push(t)).await.expect("visit");
            (found, seen)
        }
    };
    assert_eq!(visit(CloseRange::default()).await, (true, expected.clone()));
    let recent = CloseRange { from: Some(ago(15)), to: None };
    assert_eq!(visit(recent).await, (true, expected.iter().filter(|t| t.closed_at >= ago(15)).cloned().collect()));
    assert_eq!(expected.iter().filter(|t| t.closed_at == ago(10)).count(), 2, "two closes at the same instant");
    // Both bounds are inclusive: a trade closed exactly at `from` or at `to` is in.
    let early = CloseRange { from: None, to: Some(ago(23)) };
    assert_eq!(visit(early).await.1, expected.iter().filter(|t| t.closed_at <= ago(23)).cloned().collect::<Vec<_>>());
    assert_eq!(visit(early).await.1.len(), 2);
    let exact = CloseRange { from: Some(ago(23)), to: Some(ago(22)) };
    assert_eq!(visit(exact).await.1.len(), 2, "closes at 23 and 22 minutes ago, both on a bound");
    let equal = CloseRange { from: Some(ago(10)), to: Some(ago(10)) };
    assert_eq!(visit(equal).await.1.len(), 2);

    let stranger = user();
    s.users.insert_user(&stranger).await.expect("insert");
    let mut seen = Vec::new();
    let found = s.trades.visit_closed_trades(&stranger.id, book.id, CloseRange::default(), &mut |t| seen.push(t)).await;
    assert_eq!((found.expect("visit"), seen.len()), (false, 0));
    let (_, empty) = owner_with_strategy(s).await;
    let found = s.trades.visit_closed_trades(&empty.user_id, empty.id, CloseRange::default(), &mut |_| {}).await;
    assert!(found.expect("visit"), "an owned strategy without closed trades is found, and empty");
}

/// A leap second (`23:59:60.x`) is kept as the domain decided (the last microsecond of its minute) by every store,
/// and a trade opened in one and closed a moment after midnight is stored and read back unchanged.
pub async fn a_leap_second_is_kept_as_the_domain_decided(s: &StoreUnderTest) {
    let (_, strategy) = owner_with_strategy(s).await;
    let leap = Timestamp::parse_rfc3339("2016-12-31T23:59:60.9Z").expect("a leap second is a time");
    assert_eq!(leap.to_string(), "2016-12-31T23:59:59.999999Z");
    let (trade, event) = opened(&strategy, entry("EURUSD", Side::Buy, None), Some(leap));
    s.trades.insert_trade(&trade, &event, None).await.expect("insert");
    let after_midnight = Timestamp::parse_rfc3339("2017-01-01T00:00:00.5Z").expect("valid");
    let close = CloseTrade { closed_at: Some(after_midnight), ..CloseTrade::default() };
    let Outcome::Changed(done) = trade.apply(TradeCommand::Close(close), stamp(CredentialKind::User)).expect("closes")
    else {
        panic!("closing an open trade changes it")
    };
    s.trades.update_trade(&done.trade, &done.event, None).await.expect("the close is stored");
    let stored = s.trades.get_trade(&strategy.user_id, strategy.id, trade.id).await.expect("get").expect("stored");
    assert_eq!((stored.opened_at, stored.closed_at), (leap, Some(after_midnight)));
    assert_eq!(stored, done.trade);
}

/// A strategy keeps its currency through a round trip, a change and a clearing.
pub async fn a_strategy_keeps_its_currency(s: &StoreUnderTest) {
    let owner = user();
    s.users.insert_user(&owner).await.expect("insert user");
    let book = Strategy { currency: Some(Currency::parse("USDT").expect("valid")), ..strategy(&owner.id) };
    s.strategies.insert_strategy(&book).await.expect("insert");
    assert_eq!(s.strategies.get_strategy(&owner.id, book.id).await.expect("get"), Some(book.clone()));
    let change = StrategyChange { currency: Some(Some(Currency::parse("eur").expect("valid"))), ..Default::default() };
    let euro = book.changed(change, now());
    s.strategies.update_strategy(&euro, book.updated_at).await.expect("update");
    assert_eq!(s.strategies.get_strategy(&owner.id, book.id).await.expect("get"), Some(euro.clone()));
    let none = euro.changed(StrategyChange { currency: Some(None), ..Default::default() }, now());
    s.strategies.update_strategy(&none, euro.updated_at).await.expect("clear");
    let stored = s.strategies.get_strategy(&owner.id, book.id).await.expect("get").expect("there");
    assert_eq!(stored.currency, None);
}

/// A trade keeps its tags through an insert, a change and its history, which records the tags it set.
pub async fn a_trade_keeps_its_tags_and_their_history(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let tags = |list: &[&str]| Tags::parse(list).expect("valid tags");
    let new = NewTrade { tags: tags(&["Breakout", "a-plus"]), ..entry("EURUSD", Side::Buy, None) };
    let (trade, event) = opened(&book, new, None);
    s.trades.insert_trade(&trade, &event, None).await.expect("insert");
    let stored = s.trades.get_trade(&owner.id, book.id, trade.id).await.expect("get").expect("there");
    assert_eq!(stored.tags.as_slice(), ["breakout", "a-plus"]);
    let patch = TradePatch { tags: Some(tags(&["fomo"])), ..Default::default() };
    let Outcome::Changed(done) = trade.apply(TradeCommand::Patch(patch), stamp(CredentialKind::User)).expect("patch")
    else {
        panic!("new tags are a change")
    };
    s.trades.update_trade(&done.trade, &done.event, None).await.expect("update");
    assert_eq!(s.trades.get_trade(&owner.id, book.id, trade.id).await.expect("get"), Some(done.trade.clone()));
    let history = s.trades.trade_events(&owner.id, book.id, trade.id).await.expect("history");
    assert_eq!(history, vec![event, done.event], "the history reads back as written, tags included");
}

crate::cases!(
    crate::support::StoreUnderTest:
    users_round_trip_and_names_are_unique_regardless_of_case,
    strategies_are_scoped_by_their_owner,
    trade_reads_and_writes_are_scoped_by_owner,
    profile_and_strategy_updates_refuse_a_stale_read,
    deleting_a_strategy_while_trades_arrive_counts_every_removed_trade,
    one_open_trade_per_reference_and_unreferenced_ones_coexist,
    trade_updates_refuse_a_stale_version,
    open_trade_lookups_and_latest_with_reference,
    trade_lists_page_newest_first_with_filters,
    history_is_kept_in_order_and_deleted_with_its_trade,
    deleting_a_strategy_cascades_and_counts,
    deleting_an_account_cascades_and_counts,
    api_keys_are_found_by_hash_listed_revoked_and_limited,
    racing_identical_entries_store_one_trade,
    racing_updates_of_one_version_let_exactly_one_win,
    racing_key_inserts_respect_the_limit,
    racing_profiles_for_one_name_let_one_win,
    racing_updates_of_one_strategy_let_one_win,
    deleting_an_account_while_trades_arrive_counts_every_removed_trade,
    closed_trades_are_visited_in_close_order_within_a_range,
    a_leap_second_is_kept_as_the_domain_decided,
    a_strategy_keeps_its_currency,
    a_trade_keeps_its_tags_and_their_history,
);
