//! What a strategy refuses, on every store: an entry whose signal is older than its `max_signal_age_seconds`
//! (checked in the write itself), and, for a user who has 200 strategies, one more.

use quantarya_domain::{
    NewStrategy, NewTrade, Price, Quantity, Side, SignalAge, SignalExit, Status, Strategy, StrategyChange,
    StrategyTitle,
};
use quantarya_ports::{
    ConflictKind, Journal, JournalError, RefusedKind, Signal, SignalEffect, SignalIdentity, SignalLocator, TradeQuery,
};

use crate::journal_suite::trader_in;
use crate::support::{StoreUnderTest, entry, minutes_ago};

fn new_strategy(max_signal_age: Option<SignalAge>) -> NewStrategy {
    NewStrategy { max_signal_age, ..NewStrategy::titled(StrategyTitle::parse("Scalps").expect("valid")) }
}

/// An entry sent `minutes` ago on `reference`, one unit in size.
fn sent(minutes: i64, reference: Option<&str>) -> NewTrade {
    NewTrade {
        signal_time: Some(minutes_ago(minutes)),
        quantity: Some(Quantity::new(1.0).expect("valid")),
        ..entry("EURUSD", Side::Buy, reference)
    }
}

#[track_caller]
fn stale<T: std::fmt::Debug>(result: Result<T, JournalError>) {
    assert!(matches!(result, Err(JournalError::Refused { kind: RefusedKind::SignalStale, .. })), "{result:?}");
}

/// With `max_signal_age_seconds` set, an entry older than that is refused with nothing stored and no receipt left
/// (its retry is refused again); entries within it, entries without `signal_time`, back-filled trades, and updates
/// and exits of any age go through; lifting the limit lets the old entry in.
async fn a_strategy_refuses_stale_entries_and_takes_late_exits(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let j = &t.journal;
    let minute = SignalAge::new(60).expect("valid");
    let book = j.create_strategy(&t.jwt, new_strategy(Some(minute))).await.expect("strategy");
    assert_eq!(book.max_signal_age, Some(minute));
    assert_eq!(j.get_strategy(&t.jwt, book.id).await.expect("read back").max_signal_age, Some(minute));
    let id = book.id;
    let identity = || Some(SignalIdentity { key: None, body: quantarya_domain::BodyHash::from_bytes([9; 32]) });

    stale(j.submit_signal(&t.key, id, Signal::Entry(sent(2, Some("late"))), identity()).await);
    stale(j.submit_signal(&t.key, id, Signal::Entry(sent(2, Some("late"))), identity()).await);
    stale(j.submit_signal(&t.jwt, id, Signal::Entry(sent(2, None)), None).await);
    assert!(j.list_trades(&t.jwt, id, TradeQuery::default()).await.expect("list").trades.is_empty());

    let fresh = j.submit_signal(&t.key, id, Signal::Entry(sent(0, Some("L"))), None).await.expect("a fresh entry");
    assert_eq!(fresh.effect, SignalEffect::Created);
    let undated = j.submit_signal(&t.key, id, Signal::Entry(entry("EURUSD", Side::Buy, None)), None).await;
    assert_eq!(undated.expect("an entry without signal_time").effect, SignalEffect::Created);
    // A scale-in is an entry too.
    stale(j.submit_signal(&t.key, id, Signal::Entry(sent(2, Some("L"))), None).await);
    let stored = j.get_trade(&t.jwt, id, fresh.trade.id).await.expect("the trade");
    assert_eq!(stored, fresh.trade, "the stale scale-in changed nothing");

    let mut backfill = sent(180, None);
    backfill.status = Status::Closed;
    backfill.close_price = Some(Price::new(101.0).expect("valid"));
    backfill.closed_at = Some(minutes_ago(120));
    let filled =
        j.submit_signal(&t.jwt, id, Signal::Entry(backfill), None).await.expect("a back-fill records the past");
    assert_eq!(filled.trade.status, Status::Closed);

    let locator = SignalLocator { external_reference: fresh.trade.external_reference.clone(), symbol: None };
    let exit = SignalExit {
        close_price: Some(Price::new(102.0).expect("valid")),
        signal_time: Some(minutes_ago(0)),
        ..Default::default()
    };
    let late = Signal::Exit { locator, exit };
    let closed = j.submit_signal(&t.key, id, late, None).await.expect("an exit applies whatever its age");
    assert_eq!(closed.trade.status, Status::Closed);

    let lifted = StrategyChange { max_signal_age: Some(None), ..Default::default() };
    assert_eq!(j.update_strategy(&t.jwt, id, lifted).await.expect("lift it").max_signal_age, None);
    let taken = j.submit_signal(&t.key, id, Signal::Entry(sent(2, Some("late"))), identity()).await;
    assert_eq!(taken.expect("no limit, no refusal").effect, SignalEffect::Created);
}

/// A user has at most 200 strategies; the 201st is 409 `strategy_limit` and nothing is made; deleting one makes
/// room again.
async fn a_user_has_at_most_two_hundred_strategies(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let j = &t.journal;
    for _ in 1..Strategy::LIMIT_PER_USER {
        j.create_strategy(&t.jwt, new_strategy(None)).await.expect("under the limit");
    }
    let over = j.create_strategy(&t.jwt, new_strategy(None)).await;
    assert!(matches!(over, Err(JournalError::Conflict { kind: ConflictKind::StrategyLimit, .. })), "{over:?}");
    assert_eq!(j.list_strategies(&t.jwt).await.expect("list").len(), Strategy::LIMIT_PER_USER);
    j.delete_strategy(&t.jwt, t.strategy).await.expect("delete one");
    j.create_strategy(&t.jwt, new_strategy(None)).await.expect("room again");
}

crate::cases!(
    crate::support::StoreUnderTest:
    a_strategy_refuses_stale_entries_and_takes_late_exits,
    a_user_has_at_most_two_hundred_strategies,
);
