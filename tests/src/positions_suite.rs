//! Positions over a real store (contract section 5a), one specification for every store: scale-ins and partial
//! exits through the journal, kept exactly as the domain decided them (sizes to the last decimal), refusals that
//! store nothing, and racing fills that neither vanish nor take off more than is open.

use quantarya_domain::{
    CloseTrade, EventKind, ExternalReference, Fees, FillKind, NewTrade, PointValue, Price, Quantity, Side, SignalExit,
    Status, Symbol, TradePatch, rust_decimal::Decimal,
};
use quantarya_ports::{ConflictKind, Journal, JournalError, Signal, SignalEffect, SignalLocator};
use tokio::task::JoinSet;

use crate::journal_suite::{Trader, trader_in};
use crate::support::StoreUnderTest;

fn price(p: f64) -> Price {
    Price::new(p).expect("valid")
}

/// An exact decimal size, as a store must keep it.
fn qty(text: &str) -> Quantity {
    Quantity::from_decimal(text.parse().expect("a decimal")).expect("a valid size")
}

/// A sized long entry on ES with reference `reference`.
fn sized_entry(reference: &str, at: f64, quantity: &str) -> Signal {
    Signal::Entry(NewTrade {
        entry: Some(price(at)),
        quantity: Some(qty(quantity)),
        point_value: Some(PointValue::new(50.0).expect("valid")),
        fees: Some(Fees::new(1.25).expect("valid")),
        external_reference: Some(ExternalReference::parse(reference).expect("valid")),
        ..NewTrade::open(Symbol::parse("ES1!").expect("valid"), Side::Buy)
    })
}

fn exit(reference: &str, at: f64, quantity: Option<&str>) -> Signal {
    Signal::Exit {
        locator: SignalLocator {
            external_reference: Some(ExternalReference::parse(reference).expect("valid")),
            symbol: None,
        },
        exit: SignalExit { close_price: Some(price(at)), quantity: quantity.map(qty), ..Default::default() },
    }
}

fn blamed<T: std::fmt::Debug>(result: &Result<T, JournalError>) -> Option<&str> {
    match result {
        Err(JournalError::Invalid(fields)) => fields.first().map(|f| f.field.as_str()),
        _ => None,
    }
}

/// Entry, scale-in, a partial exit by signal, another by the close route, the final exit: every step stored as
/// decided, read back equal, with one history event of the right kind each.
async fn a_position_lives_through_adds_and_partial_exits(s: &StoreUnderTest) {
    let Trader { journal: j, key, jwt, strategy: book, .. } = trader_in(s).await;
    // Sizes no float holds exactly (20 digits): the store keeps every decimal.
    let big = "12345678.123456789012";
    let opened = j.submit_signal(&key, book, sized_entry("Long", 5000.0, big), None).await.expect("entry");
    assert_eq!(opened.effect, SignalEffect::Created);
    let added = j.submit_signal(&key, book, sized_entry("Long", 5010.0, "0.2"), None).await.expect("add");
    assert_eq!((added.effect, added.trade.id), (SignalEffect::Added, opened.trade.id));
    assert_eq!(added.trade.quantity(), Some(qty("12345678.323456789012")));
    let reduced =
        j.submit_signal(&key, book, exit("Long", 5020.0, Some("0.000000000001")), None).await.expect("reduce");
    assert_eq!((reduced.effect, reduced.trade.status), (SignalEffect::Reduced, Status::Open));
    assert_eq!(reduced.trade.open_quantity(), Some(qty("12345678.323456789011").get()));
    let route =
        CloseTrade { close_price: Some(price(5030.0)), quantity: Some(qty("0.099999999999")), ..Default::default() };
    let partly = j.close_trade(&jwt, book, opened.trade.id, route).await.expect("partial close");
    assert_eq!((partly.status, partly.open_quantity()), (Status::Open, Some(qty("12345678.223456789012").get())));
    let stored = j.get_trade(&jwt, book, opened.trade.id).await.expect("read back");
    assert_eq!(stored, partly, "the store keeps the position exactly as decided");
    let closed = j.submit_signal(&key, book, exit("Long", 5040.0, None), None).await.expect("final exit");
    assert_eq!((closed.effect, closed.trade.status), (SignalEffect::Closed, Status::Closed));
    let t = j.get_trade(&jwt, book, opened.trade.id).await.expect("read back");
    assert_eq!(t, closed.trade);
    assert_eq!(t.open_quantity(), Some(Decimal::ZERO));
    let kinds: Vec<FillKind> = t.fills.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FillKind::Entry, FillKind::Entry, FillKind::Exit, FillKind::Exit, FillKind::Exit]);
    assert_eq!(t.fills[4].quantity, Some(qty("12345678.223456789012")), "the final exit took off what was open");
    assert_eq!(t.fees, Fees::new(2.5).expect("valid"), "two entries' fees");
    let pnl = t.realized_pnl().expect("every price is known");
    let entry = t.entry.expect("an average entry").get();
    let exits = [(5020.0, 1e-12), (5030.0, 0.099999999999), (5040.0, qty("12345678.223456789012").to_f64())];
    let expected = 50.0 * exits.iter().map(|(p, q)| (p - entry) * q).sum::<f64>() - 2.5;
    assert!((pnl - expected).abs() <= 1e-9 * expected.abs(), "{pnl} vs {expected}");
    let history = j.trade_history(&jwt, book, t.id).await.expect("history");
    let kinds: Vec<EventKind> = history.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Entry, EventKind::Add, EventKind::Reduce, EventKind::Reduce, EventKind::Exit]);
    assert_eq!(history.len() as u64, t.version, "one event per change");
}

/// Bad position requests are refused naming the field, and change nothing: no fill, no event.
async fn refused_position_changes_store_nothing(s: &StoreUnderTest) {
    let Trader { journal: j, key, jwt, strategy: book, .. } = trader_in(s).await;
    let sized = j.submit_signal(&key, book, sized_entry("Long", 5000.0, "2"), None).await.expect("entry").trade;
    let plain = NewTrade {
        entry: Some(price(5000.0)),
        external_reference: Some(ExternalReference::parse("Plain").expect("valid")),
        ..NewTrade::open(Symbol::parse("ES1!").expect("valid"), Side::Buy)
    };
    let unsized_trade = j.submit_signal(&key, book, Signal::Entry(plain), None).await.expect("entry").trade;

    let too_much = j.submit_signal(&key, book, exit("Long", 5010.0, Some("2.5")), None).await;
    assert_eq!(blamed(&too_much), Some("quantity"), "{too_much:?}");
    let partial_of_unsized = j.submit_signal(&key, book, exit("Plain", 5010.0, Some("1")), None).await;
    assert_eq!(blamed(&partial_of_unsized), Some("quantity"), "{partial_of_unsized:?}");
    let add_to_unsized = j.submit_signal(&key, book, sized_entry("Plain", 5010.0, "1"), None).await;
    assert_eq!(blamed(&add_to_unsized), Some("quantity"), "{add_to_unsized:?}");
    let route = CloseTrade { quantity: Some(qty("3")), ..Default::default() };
    assert_eq!(blamed(&j.close_trade(&jwt, book, sized.id, route).await), Some("quantity"));
    for (before, reference) in [(&sized, "Long"), (&unsized_trade, "Plain")] {
        let now = j.get_trade(&jwt, book, before.id).await.expect("still there");
        assert_eq!(&now, before, "{reference}: a refused change stores nothing");
        assert_eq!(j.trade_history(&jwt, book, before.id).await.expect("history").len(), 1, "{reference}");
    }

    // Two exits close a trade; its close price is then the average of two fills and cannot be set as one.
    let half = j.submit_signal(&key, book, exit("Long", 5010.0, Some("1")), None).await.expect("half");
    let closed = j.submit_signal(&key, book, exit("Long", 5030.0, None), None).await.expect("rest").trade;
    assert_eq!((half.effect, closed.close_price), (SignalEffect::Reduced, Some(price(5020.0))));
    let correction = TradePatch { close_price: Some(price(5025.0)), ..Default::default() };
    let refused = j.patch_trade(&jwt, book, closed.id, correction).await;
    assert_eq!(blamed(&refused), Some("close_price"), "{refused:?}");
    // The total of the fees may be corrected, and the P&L follows.
    let fees = TradePatch { fees: Some(Fees::new(10.0).expect("valid")), ..Default::default() };
    let corrected = j.patch_trade(&jwt, book, closed.id, fees).await.expect("fees corrected");
    let pnl = corrected.realized_pnl().expect("known");
    assert!((pnl - (10.0 * 50.0 + 30.0 * 50.0 - 10.0)).abs() < 1e-9, "{pnl}");
    assert_eq!(j.get_trade(&jwt, book, closed.id).await.expect("read"), corrected);
}

/// Scale-ins racing on one position all count: each acknowledged one is a fill of its own, none lost to another's
/// write; one that kept losing the race is refused as a retryable 409 and applies when sent again.
async fn racing_scale_ins_all_count(s: &StoreUnderTest) {
    let Trader { journal: j, key, jwt, strategy: book, .. } = trader_in(s).await;
    let opened = j.submit_signal(&key, book, sized_entry("Long", 5000.0, "1"), None).await.expect("entry").trade;
    let mut racing = JoinSet::new();
    for n in 1..=6_u32 {
        let (j, key) = (j.clone(), key.clone());
        racing.spawn(async move {
            let add = || sized_entry("Long", 5000.0 + f64::from(n), "1");
            match j.submit_signal(&key, book, add(), None).await {
                Ok(outcome) => outcome.effect,
                Err(JournalError::Conflict { kind: ConflictKind::ConcurrentUpdate, .. }) => {
                    j.submit_signal(&key, book, add(), None).await.expect("a retried scale-in applies").effect
                }
                Err(other) => panic!("a scale-in is applied or retryable, got {other:?}"),
            }
        });
    }
    while let Some(done) = racing.join_next().await {
        assert_eq!(done.expect("joins"), SignalEffect::Added);
    }
    let t = j.get_trade(&jwt, book, opened.id).await.expect("read back");
    assert_eq!((t.quantity(), t.fills.len()), (Some(qty("7")), 7));
    assert!((t.entry.expect("average").get() - (5000.0 * 7.0 + 21.0) / 7.0).abs() < 1e-9);
    assert_eq!(j.trade_history(&jwt, book, t.id).await.expect("history").len(), 7);
}

/// Partial exits racing on one position never take off more than was entered: three of one contract each close a
/// position of three; the others find it closed.
async fn racing_partial_exits_never_take_off_more_than_is_open(s: &StoreUnderTest) {
    let Trader { journal: j, key, jwt, strategy: book, .. } = trader_in(s).await;
    let opened = j.submit_signal(&key, book, sized_entry("Long", 5000.0, "3"), None).await.expect("entry").trade;
    let mut racing = JoinSet::new();
    for n in 0..6_u32 {
        let (j, key) = (j.clone(), key.clone());
        racing.spawn(async move {
            j.submit_signal(&key, book, exit("Long", 5010.0 + f64::from(n), Some("1")), None).await.map(|o| o.effect)
        });
    }
    let mut effects = Vec::new();
    while let Some(done) = racing.join_next().await {
        effects.push(done.expect("joins").expect("an exit is applied, or finds its trade closed"));
    }
    let count = |effect| effects.iter().filter(|e| **e == effect).count();
    assert_eq!(
        (count(SignalEffect::Reduced), count(SignalEffect::Closed), count(SignalEffect::AlreadyClosed)),
        (2, 1, 3),
        "{effects:?}"
    );
    let t = j.get_trade(&jwt, book, opened.id).await.expect("read back");
    assert_eq!((t.status, t.fills.len(), t.open_quantity()), (Status::Closed, 4, Some(Decimal::ZERO)));
}

crate::cases!(
    crate::support::StoreUnderTest:
    a_position_lives_through_adds_and_partial_exits,
    refused_position_changes_store_nothing,
    racing_scale_ins_all_count,
    racing_partial_exits_never_take_off_more_than_is_open,
);
