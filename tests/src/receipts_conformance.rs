//! Store conformance for signal receipts: written in the atomic write of their change, judged again when raced,
//! keys held for a day, expired receipts purged, receipts gone with their trade. Both stores, one specification.

use chrono::TimeDelta;
use quantarya_domain::{
    BodyHash, CloseTrade, CredentialKind, EventId, ExternalReference, IdempotencyKey, Outcome, Receipt, Side,
    SignalTarget, Symbol, Timestamp, Trade, TradeCommand, TradeEvent,
};
use quantarya_ports::outbound::{OpenTradeLookup, ReceiptWrite, TradeFilter};
use quantarya_ports::{StoreConflict, StoreError};
use tokio::task::JoinSet;

use crate::support::{StoreUnderTest, entry, now, opened, owner_with_strategy, stamp};

fn reference(text: &str) -> SignalTarget {
    SignalTarget::Reference(ExternalReference::parse(text).expect("valid"))
}

/// The receipt of `event` (a change of `trade`) for `target`, accepted at `at`, judged on `after`.
fn receipt_of(
    target: &SignalTarget,
    key: Option<&str>,
    (trade, event): (&Trade, &TradeEvent),
    at: Timestamp,
    after: Option<EventId>,
) -> ReceiptWrite {
    ReceiptWrite {
        target: target.clone(),
        key: key.map(|k| IdempotencyKey::parse(k).expect("valid")),
        receipt: Receipt { body_hash: BodyHash::from_bytes([7; 32]), trade_id: trade.id, event_id: event.id, at },
        after,
    }
}

fn raced<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict(StoreConflict::ReceiptRaced)))
}

fn later(at: Timestamp, by: TimeDelta) -> Timestamp {
    Timestamp::from_datetime(at.as_datetime() + by)
}

fn closed(trade: &Trade) -> (Trade, TradeEvent) {
    match trade.apply(TradeCommand::Close(CloseTrade::default()), stamp(CredentialKind::User)).expect("closes") {
        Outcome::Changed(transition) => (transition.trade, transition.event),
        Outcome::Unchanged => panic!("closing an open trade changes it"),
    }
}

/// A receipt is written with its change and read back by its target; a change judged on a receipt that is no
/// longer the target's latest is refused with `ReceiptRaced` and writes nothing, the trade included.
async fn receipts_are_written_with_their_change_and_refused_when_raced(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let target = reference("R1");
    let (trade, event) = opened(&book, entry("EURUSD", Side::Buy, Some("R1")), None);
    let first = receipt_of(&target, None, (&trade, &event), now(), None);
    s.trades.insert_trade(&trade, &event, Some(&first)).await.expect("stored with its receipt");
    let read = s.trades.signal_receipts(&owner.id, book.id, &target, None).await.expect("read");
    assert_eq!((read.latest, read.keyed), (Some(first.receipt), None));
    let elsewhere = s.trades.signal_receipts(&owner.id, book.id, &reference("R2"), None).await.expect("read");
    assert_eq!(elsewhere.latest, None, "receipts are kept per target");

    let (done, close) = closed(&trade);
    let stale = receipt_of(&target, None, (&done, &close), now(), None);
    assert!(raced(s.trades.update_trade(&done, &close, Some(&stale)).await), "judged on no receipt, but one is there");
    let stored = s.trades.get_trade(&owner.id, book.id, trade.id).await.expect("get").expect("there");
    assert_eq!(stored, trade, "a raced write changes nothing");
    assert_eq!(s.trades.trade_events(&owner.id, book.id, trade.id).await.expect("history").len(), 1);

    let current = receipt_of(&target, None, (&done, &close), now(), Some(event.id));
    s.trades.update_trade(&done, &close, Some(&current)).await.expect("judged on the latest receipt");
    let read = s.trades.signal_receipts(&owner.id, book.id, &target, None).await.expect("read");
    assert_eq!(read.latest, Some(current.receipt));
}

/// Of racing writes judged on the same receipt of one target, exactly one is stored; the others are `ReceiptRaced`
/// and leave no trade behind.
async fn racing_receipted_writes_let_exactly_one_through(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let target = SignalTarget::Symbol(Symbol::parse("RACE").expect("valid"));
    let mut tasks = JoinSet::new();
    for i in 0..12 {
        // Distinct trades (no open-trade rule between them): only the receipt decides.
        let (trade, event) = opened(&book, entry(&format!("SYM{i}"), Side::Buy, None), None);
        let receipt = receipt_of(&target, None, (&trade, &event), now(), None);
        let trades = s.trades.clone();
        tasks.spawn(async move { trades.insert_trade(&trade, &event, Some(&receipt)).await });
    }
    let results = tasks.join_all().await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(StoreError::Conflict(StoreConflict::ReceiptRaced)))),
        "{results:?}"
    );
    let stored = s.trades.list_trades(&owner.id, book.id, &TradeFilter::default(), None, 100).await.expect("list");
    assert_eq!(stored.map(|t| t.len()), Some(1));
}

/// A key is held for a day by its receipt, whatever the target: another write under it is `ReceiptRaced`; a day
/// later the key is free again.
async fn keyed_receipts_hold_their_key_for_a_day(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let start = now();
    let (a, a_event) = opened(&book, entry("EURUSD", Side::Buy, None), None);
    let first = receipt_of(&reference("A"), Some("order-1"), (&a, &a_event), start, None);
    s.trades.insert_trade(&a, &a_event, Some(&first)).await.expect("stored");
    let key = IdempotencyKey::parse("order-1").expect("valid");
    let read = s.trades.signal_receipts(&owner.id, book.id, &reference("B"), Some(&key)).await.expect("read");
    assert_eq!((read.latest, read.keyed), (None, Some(first.receipt)), "the key is found from another target");

    let (b, b_event) = opened(&book, entry("USDJPY", Side::Sell, None), None);
    let held = receipt_of(&reference("B"), Some("order-1"), (&b, &b_event), later(start, TimeDelta::hours(23)), None);
    assert!(raced(s.trades.insert_trade(&b, &b_event, Some(&held)).await));
    assert_eq!(s.trades.get_trade(&owner.id, book.id, b.id).await.expect("get"), None, "nothing was written");

    let free = receipt_of(&reference("B"), Some("order-1"), (&b, &b_event), later(start, TimeDelta::hours(25)), None);
    s.trades.insert_trade(&b, &b_event, Some(&free)).await.expect("a day later the key is free");
    let read = s.trades.signal_receipts(&owner.id, book.id, &reference("B"), Some(&key)).await.expect("read");
    assert_eq!(read.keyed, Some(free.receipt));
}

/// Receipts that no longer count are purged by the next receipted write of the strategy; receipts that still count,
/// and other strategies' receipts, are kept.
async fn expired_receipts_are_purged(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let (other_owner, other_book) = owner_with_strategy(s).await;
    let start = now();
    let write = |book: quantarya_domain::Strategy, name: String, key: Option<&'static str>, age: TimeDelta| async move {
        let (trade, event) = opened(&book, entry(&name, Side::Buy, None), None);
        let receipt = receipt_of(&reference(&name), key, (&trade, &event), later(start, -age), None);
        s.trades.insert_trade(&trade, &event, Some(&receipt)).await.expect("stored");
    };
    // Each write purges relative to its own time, so the older receipts are written last. Still counting at the
    // end: a target's receipt of five minutes ago, and a key of an hour ago (its target's receipt, an hour old,
    // no longer counts).
    write(book.clone(), "RECENT".into(), None, TimeDelta::minutes(5)).await;
    write(book.clone(), "KEYED".into(), Some("k-live"), TimeDelta::hours(1)).await;
    // Expired: two targets and a key, all thirty hours old (the keyed write leaves its target's receipt too).
    write(book.clone(), "OLD0".into(), None, TimeDelta::hours(30)).await;
    write(book.clone(), "OLD1".into(), Some("k-old"), TimeDelta::hours(30)).await;
    // Another strategy's old receipt is not this strategy's to purge.
    write(other_book.clone(), "THEIRS".into(), None, TimeDelta::hours(30)).await;
    assert_eq!(s.trades.receipt_count(&owner.id, book.id).await.expect("count"), 6);
    write(book.clone(), "NEW".into(), None, TimeDelta::zero()).await;
    assert_eq!(
        s.trades.receipt_count(&owner.id, book.id).await.expect("count"),
        3,
        "the new receipt, the recent target's and the live key's"
    );
    let key = IdempotencyKey::parse("k-live").expect("valid");
    let live = s.trades.signal_receipts(&owner.id, book.id, &reference("other"), Some(&key)).await.expect("read");
    assert!(live.keyed.is_some(), "the live key is kept");
    let recent = s.trades.signal_receipts(&owner.id, book.id, &reference("RECENT"), None).await.expect("read");
    assert!(recent.latest.is_some(), "the recent target's receipt is kept");
    assert_eq!(s.trades.receipt_count(&other_owner.id, other_book.id).await.expect("count"), 1);
}

/// A write judged on a receipt that is not the target's latest is refused; receipts are read only by their owner.
async fn receipts_are_judged_exactly_and_read_only_by_their_owner(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let target = reference("R");
    let (trade, event) = opened(&book, entry("EURUSD", Side::Buy, Some("R")), None);
    let first = receipt_of(&target, Some("k-1"), (&trade, &event), now(), None);
    s.trades.insert_trade(&trade, &event, Some(&first)).await.expect("stored");
    let (done, close) = closed(&trade);
    let wrong = receipt_of(&target, None, (&done, &close), now(), Some(close.id));
    assert!(raced(s.trades.update_trade(&done, &close, Some(&wrong)).await), "judged on a receipt that never was");
    assert_eq!(s.trades.get_trade(&owner.id, book.id, trade.id).await.expect("get"), Some(trade.clone()));

    let (stranger, _) = owner_with_strategy(s).await;
    let key = IdempotencyKey::parse("k-1").expect("valid");
    let seen = s.trades.signal_receipts(&stranger.id, book.id, &target, Some(&key)).await.expect("read");
    assert_eq!((seen.latest, seen.keyed), (None, None), "another user reads no receipt of this strategy");
    assert_eq!(s.trades.receipt_count(&stranger.id, book.id).await.expect("count"), 0);
}

/// A referenced entry whose receipt is its own reference's (the webhook's case): a stale judgement is refused
/// before the open reference is, a refused entry leaves the receipts as they were, and an entry judged on a receipt
/// that has stopped counting replaces it, the count staying exact.
async fn an_entry_receipted_on_its_own_reference(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let own = reference("OWN");
    let (a, a_event) = opened(&book, entry("EURUSD", Side::Buy, Some("OWN")), None);
    let first = receipt_of(&own, None, (&a, &a_event), now(), None);
    s.trades.insert_trade(&a, &a_event, Some(&first)).await.expect("stored with its receipt");

    let (b, b_event) = opened(&book, entry("EURUSD", Side::Buy, Some("OWN")), None);
    let stale = receipt_of(&own, None, (&b, &b_event), now(), None);
    assert!(raced(s.trades.insert_trade(&b, &b_event, Some(&stale)).await), "judged on no receipt, but one is there");
    let judged = receipt_of(&own, None, (&b, &b_event), now(), Some(a_event.id));
    assert!(
        matches!(
            s.trades.insert_trade(&b, &b_event, Some(&judged)).await,
            Err(StoreError::Conflict(StoreConflict::OpenTradeExists))
        ),
        "judged on the latest receipt, the entry meets the open trade holding its reference"
    );
    assert_eq!(s.trades.get_trade(&owner.id, book.id, b.id).await.expect("get"), None, "nothing was written");
    let read = s.trades.signal_receipts(&owner.id, book.id, &own, None).await.expect("read");
    assert_eq!(read.latest, Some(first.receipt), "the refused entries left the receipt alone");
    assert_eq!(s.trades.receipt_count(&owner.id, book.id).await.expect("count"), 1);

    // A receipt thirty hours old on a reference no trade carries, then an entry carrying it, judged on that receipt.
    let late = reference("LATE");
    let (old, old_event) = opened(&book, entry("USDJPY", Side::Sell, None), None);
    let expired = receipt_of(&late, None, (&old, &old_event), later(now(), -TimeDelta::hours(30)), None);
    s.trades.insert_trade(&old, &old_event, Some(&expired)).await.expect("stored");
    let (c, c_event) = opened(&book, entry("USDJPY", Side::Sell, Some("LATE")), None);
    let fresh = receipt_of(&late, None, (&c, &c_event), now(), Some(old_event.id));
    s.trades.insert_trade(&c, &c_event, Some(&fresh)).await.expect("judged on the receipt that was there");
    let read = s.trades.signal_receipts(&owner.id, book.id, &late, None).await.expect("read");
    assert_eq!(read.latest, Some(fresh.receipt));
    assert_eq!(s.trades.receipt_count(&owner.id, book.id).await.expect("count"), 2, "OWN's and LATE's");
    let lookup = OpenTradeLookup::Reference(ExternalReference::parse("LATE").expect("valid"));
    let open = s.trades.open_trades(&owner.id, book.id, &lookup).await.expect("read").unwrap_or_default();
    assert_eq!(open.iter().map(|t| t.id).collect::<Vec<_>>(), [c.id]);
}

/// Deleting a trade removes its receipts: they could replay nothing.
async fn a_deleted_trade_takes_its_receipts(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let (trade, event) = opened(&book, entry("EURUSD", Side::Buy, None), None);
    let receipt = receipt_of(&reference("gone"), Some("k-gone"), (&trade, &event), now(), None);
    s.trades.insert_trade(&trade, &event, Some(&receipt)).await.expect("stored");
    assert_eq!(s.trades.receipt_count(&owner.id, book.id).await.expect("count"), 2);
    assert!(s.trades.delete_trade(&owner.id, book.id, trade.id).await.expect("delete"));
    assert_eq!(s.trades.receipt_count(&owner.id, book.id).await.expect("count"), 0);
}

crate::cases!(
    crate::support::StoreUnderTest:
    receipts_are_written_with_their_change_and_refused_when_raced,
    racing_receipted_writes_let_exactly_one_through,
    keyed_receipts_hold_their_key_for_a_day,
    expired_receipts_are_purged,
    receipts_are_judged_exactly_and_read_only_by_their_owner,
    a_deleted_trade_takes_its_receipts,
    an_entry_receipted_on_its_own_reference,
);
