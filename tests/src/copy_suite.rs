//! A journal copied between stores, as `quantarya copy` moves it: every row of every account arrives as it was
//! (compared through the copy port and through the use cases), the copy goes on working where it landed (its keys
//! authenticate, its receipts answer repeats), a second copy writes nothing, and an account the target refuses is
//! left whole for a later run while the others are copied.

use std::sync::Arc;

use quantarya_domain::{
    BodyHash, ExternalReference, IdempotencyKey, KeyName, LevelsChange, NewApiKey, NewTrade, Price, Quantity, Side,
    SignalExit, Status, TradePatch, User, UserId,
};
use quantarya_ports::outbound::{AccountRows, JournalCopy, ReceiptHold, TradeCursor, TradeRows, TrailRows};
use quantarya_ports::{
    EveryStore, Journal, PageLimit, Signal, SignalEffect, SignalIdentity, SignalLocator, StatsQuery, StoreConflict,
    StoreError, TradeQuery, Unwatched, copy_journal,
};

use crate::imports_suite::{LIST, list_file};
use crate::journal_suite::{Trader, trader_in};
use crate::signal_log_suite::report;
use crate::support::{JournalOver, StoreUnderTest, entry};
use crate::webhooks_conformance::subscription;

/// One end of a copy: a store's ports, and its copy port.
#[derive(Clone)]
pub struct CopyEnd {
    /// The store ports, for the use cases.
    pub stores: StoreUnderTest,
    /// The copy port of the same store.
    pub rows: Arc<dyn JournalCopy>,
}

impl std::fmt::Debug for CopyEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyEnd").finish_non_exhaustive()
    }
}

impl CopyEnd {
    /// Both views of `store`.
    pub fn of<S: EveryStore + JournalCopy>(store: Arc<S>) -> Self {
        Self { stores: StoreUnderTest::of(store.clone()), rows: store }
    }
}

/// The identity of a request with idempotency key `key` whose body is `n`.
fn keyed(key: &str, n: u8) -> SignalIdentity {
    SignalIdentity { key: Some(IdempotencyKey::parse(key).expect("valid")), body: BodyHash::from_bytes([n; 32]) }
}

fn price(p: f64) -> Price {
    Price::new(p).expect("valid")
}

fn quantity(q: f64) -> Quantity {
    Quantity::new(q).expect("valid")
}

fn by_reference(reference: &str) -> SignalLocator {
    SignalLocator { external_reference: Some(ExternalReference::parse(reference).expect("valid")), symbol: None }
}

/// A trader's journal with something of every kind: a subscription (so changes leave deliveries), a referenced
/// trade scaled in, moved, partly and then fully closed with keyed signals (receipts), one cancelled, one left open,
/// a manual trade changed by its owner, a TradingView list imported, a signal log, and a second API key.
async fn a_full_journal(s: &StoreUnderTest) -> Trader {
    let t = trader_in(s).await;
    let j = &t.journal;
    let owner = j.get_profile(&t.jwt).await.expect("a profile").id;
    s.webhooks.insert_webhook(&subscription(&owner, None, &[])).await.expect("a subscription");
    let sized = NewTrade { quantity: Some(quantity(2.0)), ..entry("ES1!", Side::Buy, Some("r1")) };
    j.submit_signal(&t.key, t.strategy, Signal::Entry(sized), Some(keyed("k-1", 1))).await.expect("entry");
    let more = NewTrade { quantity: Some(quantity(1.0)), ..entry("ES1!", Side::Buy, Some("r1")) };
    let scaled = j.submit_signal(&t.key, t.strategy, Signal::Entry(more), Some(keyed("k-2", 2))).await;
    assert_eq!(scaled.expect("a scale-in").effect, SignalEffect::Added);
    let levels = LevelsChange { stop_loss: Some(Some(price(97.0))), ..LevelsChange::default() };
    let update = Signal::Update { locator: by_reference("r1"), levels };
    j.submit_signal(&t.key, t.strategy, update, Some(keyed("k-3", 3))).await.expect("an update");
    let part = SignalExit { close_price: Some(price(110.0)), quantity: Some(quantity(1.0)), ..SignalExit::default() };
    j.submit_signal(&t.key, t.strategy, Signal::Exit { locator: by_reference("r1"), exit: part }, None)
        .await
        .expect("a partial exit");
    let rest = SignalExit { close_price: Some(price(120.0)), ..SignalExit::default() };
    let closed = j
        .submit_signal(
            &t.key,
            t.strategy,
            Signal::Exit { locator: by_reference("r1"), exit: rest },
            Some(keyed("k-4", 4)),
        )
        .await
        .expect("the exit");
    assert_eq!(closed.effect, SignalEffect::Closed);
    j.submit_signal(&t.key, t.strategy, Signal::Entry(entry("NQ1!", Side::Sell, Some("r2"))), None)
        .await
        .expect("an entry");
    let cancel = SignalExit { status: Some(Status::Cancelled), ..SignalExit::default() };
    j.submit_signal(&t.key, t.strategy, Signal::Exit { locator: by_reference("r2"), exit: cancel }, None)
        .await
        .expect("a cancel");
    j.submit_signal(&t.key, t.strategy, Signal::Entry(entry("CL1!", Side::Buy, None)), None).await.expect("open");
    let manual = j
        .submit_signal(&t.jwt, t.strategy, Signal::Entry(entry("GC1!", Side::Sell, None)), None)
        .await
        .expect("a manual entry");
    let patch = TradePatch { take_profit: Some(Some(price(80.0))), ..TradePatch::default() };
    j.patch_trade(&t.jwt, t.strategy, manual.trade.id, patch).await.expect("patched");
    j.import_trades(&t.jwt, t.strategy, list_file(LIST)).await.expect("imported");
    for (n, status) in [(0, 201), (1, 422), (2, 200)] {
        j.record_signal(&t.key, t.strategy, report(n, status)).expect("logged");
    }
    j.create_api_key(&t.jwt, NewApiKey::new(KeyName::parse("bot").expect("valid"))).await.expect("a second key");
    j.flush().await.expect("the log is written");
    t
}

/// Every row of every account of `end`, through the copy port, in one order whatever the store's collation.
async fn every_row(end: &CopyEnd) -> Vec<(AccountRows, Vec<TradeRows>, TrailRows)> {
    let mut all = Vec::new();
    let mut after: Option<UserId> = None;
    loop {
        let ids = end.rows.account_ids(after.as_ref(), 2).await.expect("accounts");
        let Some(last) = ids.last().cloned() else { break };
        for id in ids {
            let account = end.rows.read_account(&id).await.expect("an account").expect("listed, so there");
            let mut trades: Vec<TradeRows> = Vec::new();
            for strategy in &account.strategies {
                let mut after = None;
                loop {
                    let page = end.rows.read_trades(&id, strategy.id, after, 3).await.expect("trades");
                    let Some(last) = page.last() else { break };
                    after = Some(TradeCursor { opened_at: last.trade.opened_at, trade_id: last.trade.id });
                    trades.extend(page);
                }
            }
            let mut trail = end.rows.read_trail(&id).await.expect("the trail");
            trail.receipts.sort_by_key(|r| {
                let hold = match &r.hold {
                    ReceiptHold::Target(target) => format!("t{}", target.key()),
                    ReceiptHold::Key(key) => format!("k{}", key.as_str()),
                };
                (r.strategy_id, hold)
            });
            all.push((account, trades, trail));
        }
        after = Some(last);
    }
    all.sort_by(|a, b| a.0.user.id.as_str().cmp(b.0.user.id.as_str()));
    all
}

/// What the use cases show of `t`'s journal in `s`.
async fn as_the_trader_sees_it(s: &StoreUnderTest, t: &Trader) -> impl PartialEq + std::fmt::Debug {
    let j = s.journal();
    let jwt = j.authenticate(&crate::support::token(&t.jwt.user_id)).await.expect("a user");
    let page = TradeQuery { limit: PageLimit::new(500).expect("a page"), ..TradeQuery::default() };
    let trades = j.list_trades(&jwt, t.strategy, page).await.expect("listed").trades;
    let mut histories = Vec::new();
    for trade in &trades {
        histories.push(j.trade_history(&jwt, t.strategy, trade.id).await.expect("a history"));
    }
    let stats = j.strategy_stats(&jwt, t.strategy, StatsQuery::default()).await.expect("statistics");
    let imports = j.list_imports(&jwt, t.strategy).await.expect("imports");
    let keys = j.list_api_keys(&jwt).await.expect("keys");
    let log = j.signal_log(&jwt, t.strategy, quantarya_ports::SignalLogQuery::default()).await.expect("log").entries;
    let hooks = j.list_webhooks(&jwt).await.expect("subscriptions");
    let mut deliveries = Vec::new();
    for hook in &hooks {
        let page = quantarya_ports::DeliveryQuery::default();
        deliveries.push(j.webhook_deliveries(&jwt, hook.id, page).await.expect("deliveries").deliveries);
    }
    (trades, histories, stats, imports, keys, log, hooks, deliveries)
}

/// Fills `from` (two traders), copies it into the empty `to` and then into `then`, and finds every row of each copy
/// equal to the source's, through the copy port and through the use cases; the copy works where it landed (a key
/// authenticates, a keyed repeat is answered from its copied receipt); a second copy writes nothing; an account
/// the target refuses (its name taken) is reported and written not at all while the others are copied, and a copy
/// run again finishes the job.
pub async fn a_journal_is_copied_row_for_row(from: CopyEnd, to: CopyEnd, then: CopyEnd) {
    let t = a_full_journal(&from.stores).await;
    let other = a_full_journal(&from.stores).await;
    let source = every_row(&from).await;
    assert_eq!(source.len(), 2, "two accounts");
    let trades = source[0].1.len() + source[1].1.len();
    assert_eq!(trades, 2 * 7, "seven trades each");
    for (_, _, trail) in &source {
        assert!(!trail.receipts.is_empty() && trail.signals.len() == 3 && !trail.deliveries.is_empty(), "{trail:?}");
        assert_eq!(trail.unreadable, 0);
    }

    let first = copy_journal(&*from.rows, &*to.rows, &mut Unwatched).await.expect("copied");
    assert_eq!((first.accounts, first.trades as usize, first.rows.present), (2, trades, 0), "{first:?}");
    assert!(first.failed.is_empty(), "{first:?}");
    assert_eq!(every_row(&to).await, source, "every row arrived as it was");
    for trader in [&t, &other] {
        assert_eq!(
            as_the_trader_sees_it(&to.stores, trader).await,
            as_the_trader_sees_it(&from.stores, trader).await,
            "the use cases see the same journal"
        );
    }

    let again = copy_journal(&*from.rows, &*to.rows, &mut Unwatched).await.expect("copied again");
    assert_eq!((again.rows.new, again.rows.present), (0, first.rows.new), "a second copy writes nothing: {again:?}");
    assert_eq!(every_row(&to).await, source);

    // Onward into a store where another profile holds the trader's name: that account is refused and nothing of it
    // written, the other is copied; with the name freed, the copy run again finishes the job.
    let name = source.iter().find(|(a, ..)| a.user.id == t.jwt.user_id).map(|(a, ..)| a.user.user_name.clone());
    let squatter = User { user_name: name.expect("the trader's name"), ..crate::support::user() };
    then.stores.users.insert_user(&squatter).await.expect("another profile with the name");
    let refused = copy_journal(&*to.rows, &*then.rows, &mut Unwatched).await.expect("copied onward, but one");
    assert_eq!(refused.accounts, 1, "the other account is copied: {refused:?}");
    assert!(
        matches!(refused.failed.as_slice(), [(id, StoreError::Conflict(StoreConflict::UserNameTaken))] if *id == t.jwt.user_id),
        "{refused:?}"
    );
    assert_eq!(then.rows.read_account(&t.jwt.user_id).await.expect("read"), None, "nothing of it was written");
    then.stores.users.delete_account(&squatter.id).await.expect("the name is freed");
    let resumed = copy_journal(&*to.rows, &*then.rows, &mut Unwatched).await.expect("copied onward");
    assert!(resumed.failed.is_empty(), "{resumed:?}");
    assert_eq!(refused.rows.new + resumed.rows.new, first.rows.new, "the two runs wrote what the first copy did");
    assert_eq!(resumed.rows.present, refused.rows.new, "the second found the first's rows there");
    assert_eq!(every_row(&then).await, source, "and the copy of the copy holds the same rows");

    let j = to.stores.journal();
    let key = j.authenticate(&t.raw_key).await.expect("the key works where it was copied");
    let sized = NewTrade { quantity: Some(quantity(2.0)), ..entry("ES1!", Side::Buy, Some("r1")) };
    let replay = j.submit_signal(&key, t.strategy, Signal::Entry(sized), Some(keyed("k-1", 1))).await;
    assert_eq!(replay.expect("a repeat").effect, SignalEffect::Replayed, "the copied receipt answers the repeat");
}
