//! The rules of contract section 5a, one hand-checked position at a time: scale-ins, partial exits, fees, P&L,
//! corrections, and a trade without a size behaving as it always did.

use quantarya_domain::{
    CloseTrade, CredentialKind, EventId, EventKind, ExternalReference, Fees, FillKind, LevelsChange, LifecycleError,
    MAX_FILLS, NewTrade, Outcome, PointValue, Price, Quantity, Side, SignalExit, Stamp, Status, StrategyId, Symbol,
    Timestamp, Trade, TradeCommand, TradeId, TradePatch, Transition, UserId, rust_decimal::Decimal, uuid::Uuid,
};

fn at(minutes: i64) -> Timestamp {
    let base = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid");
    Timestamp::from_datetime(base.as_datetime() + chrono::TimeDelta::minutes(minutes))
}

fn stamp(minutes: i64) -> Stamp {
    Stamp {
        event_id: EventId::from_uuid(Uuid::from_u128(1000 + minutes.unsigned_abs() as u128)),
        at: at(minutes),
        by: CredentialKind::ApiKey,
    }
}

fn price(p: f64) -> Price {
    Price::new(p).expect("valid")
}

fn qty(q: f64) -> Quantity {
    Quantity::new(q).expect("valid")
}

fn fees(f: f64) -> Fees {
    Fees::new(f).expect("valid")
}

/// A long entry on USDJPY with reference "Long", sized when `quantity` is given.
fn entry(p: f64, quantity: Option<f64>) -> NewTrade {
    NewTrade {
        entry: Some(price(p)),
        quantity: quantity.map(qty),
        external_reference: Some(ExternalReference::parse("Long").expect("valid")),
        signal_time: Some(at(0)),
        ..NewTrade::open(Symbol::parse("USDJPY").expect("valid"), Side::Buy)
    }
}

fn open(new: NewTrade) -> Trade {
    open_at(new, 0)
}

fn open_at(new: NewTrade, minutes: i64) -> Trade {
    let ids = (TradeId::from_uuid(Uuid::from_u128(1)), StrategyId::from_uuid(Uuid::from_u128(2)));
    Trade::open(ids.0, ids.1, UserId::parse("u").expect("valid"), new, stamp(minutes)).expect("valid").trade
}

fn changed(trade: &Trade, command: TradeCommand, minutes: i64) -> Transition {
    match trade.apply(command, stamp(minutes)) {
        Ok(Outcome::Changed(transition)) => transition,
        other => panic!("expected a change, got {other:?}"),
    }
}

fn add(trade: &Trade, p: f64, q: f64, minutes: i64) -> Transition {
    // Sent live: the fill is dated by its receipt.
    let command = trade.entry_on_open(&NewTrade { signal_time: None, ..entry(p, Some(q)) }).expect("a scale-in");
    changed(trade, command, minutes)
}

fn exit(quantity: Option<f64>, close: f64) -> TradeCommand {
    TradeCommand::Exit(SignalExit {
        close_price: Some(price(close)),
        quantity: quantity.map(qty),
        ..Default::default()
    })
}

fn near(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9 * b.abs().max(1.0))
}

#[test]
fn a_scale_in_adds_a_fill_and_averages_the_entry() {
    let trade = open(entry(150.1, Some(1.0)));
    let added = add(&trade, 150.2, 3.0, 5);
    assert_eq!(added.event.kind, EventKind::Add);
    let fields: Vec<&str> = added.event.changes.iter().map(|c| c.field()).collect();
    assert_eq!(fields, ["entry", "quantity", "fills"]);
    let t = added.trade;
    assert_eq!((t.status, t.quantity(), t.open_quantity()), (Status::Open, Some(qty(4.0)), Some(qty(4.0).get())));
    assert!(near(t.entry.map(Price::get), (150.1 + 3.0 * 150.2) / 4.0), "{:?}", t.entry);
    let kinds: Vec<FillKind> = t.fills.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FillKind::Entry, FillKind::Entry]);
    assert_eq!((t.fills[1].at, t.fills[1].price, t.fills[1].quantity), (at(5), Some(price(150.2)), Some(qty(3.0))));
    assert_eq!(t.realized_pnl(), Some(0.0), "nothing taken off, no fees: nothing made yet");
}

#[test]
fn what_a_scale_in_refuses() {
    let sized = open(entry(150.1, Some(1.0)));
    let to = |new: NewTrade| sized.entry_on_open(&new).and_then(|c| sized.apply(c, stamp(5)));
    let unpriced = NewTrade { entry: None, ..entry(150.2, Some(1.0)) };
    assert!(matches!(to(unpriced), Err(LifecycleError::Required { field: "entry", .. })));
    assert_eq!(to(entry(1.0, Some(1e12))), Err(LifecycleError::SizeTooLarge));
    let other_multiplier =
        NewTrade { point_value: Some(PointValue::new(50.0).expect("valid")), ..entry(150.2, Some(1.0)) };
    assert_eq!(to(other_multiplier), Err(LifecycleError::PointValueFixed));
    let before = NewTrade { signal_time: Some(at(-5)), ..entry(150.2, Some(1.0)) };
    assert_eq!(to(before), Err(LifecycleError::FillBeforeOpened { field: "signal_time" }));
    // Opened without a size: a sized entry on its reference cannot add to it.
    let unsized_trade = open(entry(150.1, None));
    assert_eq!(unsized_trade.entry_on_open(&entry(150.2, Some(1.0))), Err(LifecycleError::QuantityOnUnsized));
    let scale_in = sized.entry_on_open(&entry(150.2, Some(1.0))).expect("a scale-in");
    assert_eq!(unsized_trade.apply(scale_in, stamp(5)), Err(LifecycleError::QuantityOnUnsized), "apply decides too");
}

#[test]
fn a_partial_exit_keeps_the_trade_open_and_the_last_one_closes_it() {
    let trade = add(&open(entry(100.0, Some(2.0))), 110.0, 2.0, 1).trade; // 4 at 105
    let reduced = changed(&trade, exit(Some(1.5), 120.0), 2);
    assert_eq!((reduced.event.kind, reduced.trade.status), (EventKind::Reduce, Status::Open));
    assert_eq!(reduced.trade.open_quantity(), Some(qty(2.5).get()));
    assert_eq!(reduced.trade.close_price, None, "an open trade has no close price");
    assert!(near(reduced.trade.realized_pnl(), 15.0 * 1.5));
    // More than is open is refused; exactly what is open closes it.
    assert_eq!(
        reduced.trade.apply(exit(Some(2.6), 130.0), stamp(3)),
        Err(LifecycleError::QuantityAboveOpen { open: qty(2.5).get() })
    );
    let closed = changed(&reduced.trade, exit(Some(2.5), 130.0), 3);
    assert_eq!((closed.event.kind, closed.trade.status), (EventKind::Exit, Status::Closed));
    assert_eq!(closed.trade.open_quantity(), Some(Decimal::ZERO));
    assert!(near(closed.trade.close_price.map(Price::get), (1.5 * 120.0 + 2.5 * 130.0) / 4.0));
    assert!(near(closed.trade.realized_pnl(), 15.0 * 1.5 + 25.0 * 2.5));
    assert_eq!(closed.trade.closed_at, Some(at(3)));
}

#[test]
fn an_exit_without_a_quantity_takes_off_all_that_is_open_and_sizes_are_exact() {
    // 0.1 + 0.2 entered; 0.3 taken off leaves nothing open, though 0.1 + 0.2 != 0.3 in floating point.
    let trade = add(&open(entry(100.0, Some(0.1))), 100.0, 0.2, 1).trade;
    let closed = changed(&trade, exit(Some(0.3), 101.0), 2).trade;
    assert_eq!(closed.status, Status::Closed);
    let trade = changed(&trade, exit(Some(0.05), 101.0), 2).trade;
    let closed = changed(&trade, exit(None, 102.0), 3).trade;
    assert_eq!(closed.status, Status::Closed);
    assert_eq!(closed.fills.last().and_then(|f| f.quantity), Some(qty(0.25)));
    // The close route and a PATCH to CLOSED take off what is open too; the close route takes a partial.
    let route = TradeCommand::Close(CloseTrade { quantity: Some(qty(0.1)), ..Default::default() });
    let partly = changed(&trade, route, 3);
    assert_eq!((partly.event.kind, partly.trade.open_quantity()), (EventKind::Reduce, Some(qty(0.15).get())));
    let patch = TradeCommand::Patch(TradePatch { status: Some(Status::Closed), ..Default::default() });
    let patched = changed(&partly.trade, patch, 4);
    assert_eq!((patched.event.kind, patched.trade.status), (EventKind::Close, Status::Closed));
    assert_eq!(patched.trade.close_price, None, "an exit fill without a price leaves the average unknown");
    assert_eq!(patched.trade.realized_pnl(), None);
}

#[test]
fn fees_are_summed_and_a_short_makes_money_going_down() {
    let short = NewTrade {
        side: Side::Sell,
        fees: Some(fees(1.25)),
        point_value: Some(PointValue::new(50.0).expect("valid")),
        ..entry(5000.0, Some(2.0))
    };
    let trade = open(short);
    let command = TradeCommand::Exit(SignalExit {
        close_price: Some(price(4990.0)),
        quantity: Some(qty(1.0)),
        fees: Some(fees(1.25)),
        ..Default::default()
    });
    let reduced = changed(&trade, command, 1).trade;
    assert_eq!(reduced.fees, fees(2.5));
    assert!(near(reduced.realized_pnl(), 10.0 * 50.0 - 2.5), "{:?}", reduced.realized_pnl());
    let closed = changed(&reduced, exit(None, 5010.0), 2).trade;
    assert!(near(closed.realized_pnl(), 500.0 - 500.0 - 2.5));
    // A PATCH corrects the total; the P&L follows.
    let patch = TradeCommand::Patch(TradePatch { fees: Some(fees(4.0)), ..Default::default() });
    let corrected = changed(&closed, patch, 3);
    assert_eq!(corrected.event.kind, EventKind::Correct);
    assert!(near(corrected.trade.realized_pnl(), -4.0));
}

#[test]
fn what_a_partial_exit_refuses() {
    let unsized_trade = open(entry(150.0, None));
    assert_eq!(unsized_trade.apply(exit(Some(1.0), 151.0), stamp(1)), Err(LifecycleError::QuantityOnUnsized));
    let route = TradeCommand::Close(CloseTrade { quantity: Some(qty(1.0)), ..Default::default() });
    assert_eq!(unsized_trade.apply(route, stamp(1)), Err(LifecycleError::QuantityOnUnsized));
    let sized = open(entry(150.0, Some(1.0)));
    let cancel = TradeCommand::Exit(SignalExit {
        status: Some(Status::Cancelled),
        quantity: Some(qty(0.5)),
        ..Default::default()
    });
    assert_eq!(sized.apply(cancel, stamp(1)), Err(LifecycleError::FillOnCancel { field: "quantity" }));
    let cancel_with_fees =
        TradeCommand::Exit(SignalExit { status: Some(Status::Cancelled), fees: Some(fees(1.0)), ..Default::default() });
    assert_eq!(sized.apply(cancel_with_fees, stamp(1)), Err(LifecycleError::FillOnCancel { field: "fees" }));
    assert!(Quantity::new(0.0).is_err() && Quantity::new(1e12 * 1.5).is_err() && Fees::new(-1.0).is_err());
}

#[test]
fn a_close_price_is_corrected_only_where_one_exit_fill_makes_it() {
    let once = changed(&open(entry(100.0, Some(2.0))), exit(None, 110.0), 1).trade;
    let patch = |p: f64| TradeCommand::Patch(TradePatch { close_price: Some(price(p)), ..Default::default() });
    let corrected = changed(&once, patch(112.0), 2).trade;
    assert_eq!((corrected.close_price, corrected.fills[1].price), (Some(price(112.0)), Some(price(112.0))));
    assert!(near(corrected.realized_pnl(), 24.0));
    let twice =
        changed(&changed(&open(entry(100.0, Some(2.0))), exit(Some(1.0), 110.0), 1).trade, exit(None, 120.0), 2);
    assert_eq!(twice.trade.apply(patch(112.0), stamp(3)), Err(LifecycleError::SeveralFills { field: "close_price" }));
    // The entry is the average of its fills: an update may set it only where one fill makes it.
    let averaged = add(&open(entry(100.0, Some(1.0))), 110.0, 1.0, 1).trade;
    let set_entry = |p: f64| TradeCommand::Update(LevelsChange { entry: Some(price(p)), ..Default::default() });
    assert_eq!(averaged.apply(set_entry(101.0), stamp(2)), Err(LifecycleError::SeveralFills { field: "entry" }));
    assert!(averaged.apply(set_entry(105.0), stamp(2)).is_ok(), "the average itself is no change to refuse");
    let single = changed(&open(entry(100.0, Some(1.0))), set_entry(101.0), 2).trade;
    assert_eq!(single.fills[0].price, Some(price(101.0)));
}

#[test]
fn a_trade_without_a_size_lists_its_entry_and_exit_and_no_money() {
    let trade = open(entry(150.0, None));
    let closed = changed(&trade, exit(None, 151.0), 1);
    assert_eq!(closed.event.kind, EventKind::Exit);
    assert!(closed.event.changes.iter().all(|c| c.field() != "fills"), "history reads as it always did");
    let t = closed.trade;
    assert_eq!((t.quantity(), t.open_quantity(), t.realized_pnl()), (None, None, None));
    let fills: Vec<_> = t.fills.iter().map(|f| (f.kind, f.price, f.quantity, f.at)).collect();
    assert_eq!(
        fills,
        [(FillKind::Entry, Some(price(150.0)), None, at(0)), (FillKind::Exit, Some(price(151.0)), None, at(1))]
    );
}

#[test]
fn a_back_filled_sized_trade_has_both_fills() {
    let new = NewTrade {
        status: Status::Closed,
        close_price: Some(price(160.0)),
        closed_at: Some(at(30)),
        fees: Some(fees(3.0)),
        ..entry(150.0, Some(10.0))
    };
    let t = open_at(new, 60);
    assert_eq!(t.fills.len(), 2);
    assert_eq!((t.fills[1].kind, t.fills[1].quantity, t.fills[1].at), (FillKind::Exit, Some(qty(10.0)), at(30)));
    assert!(near(t.realized_pnl(), 100.0 - 3.0));
}

#[test]
fn a_trade_holds_a_bounded_number_of_fills_and_can_always_be_closed() {
    let mut trade = open(entry(100.0, Some(1000.0)));
    for n in 1..MAX_FILLS - 2 {
        trade = add(&trade, 100.0, 1.0, i64::try_from(n).expect("small")).trade;
    }
    trade = changed(&trade, exit(Some(1.0), 101.0), 600).trade;
    assert_eq!(trade.fills.len(), MAX_FILLS - 1);
    let more = trade.entry_on_open(&entry(100.0, Some(1.0))).expect("a scale-in");
    assert_eq!(trade.apply(more, stamp(601)), Err(LifecycleError::TooManyFills { max: MAX_FILLS }));
    assert_eq!(trade.apply(exit(Some(1.0), 101.0), stamp(601)), Err(LifecycleError::TooManyFills { max: MAX_FILLS }));
    // The last place is the closing fill's.
    let closed = changed(&trade, exit(None, 102.0), 602).trade;
    assert_eq!((closed.status, closed.fills.len()), (Status::Closed, MAX_FILLS));
}

#[test]
fn a_live_scale_in_is_never_dated_before_a_skewed_opening() {
    // Opened with a signal time two minutes ahead of the receiving clock (within the allowed skew); a scale-in sent
    // without a time is dated at the opening, not refused.
    let trade = open(NewTrade { signal_time: Some(at(2)), ..entry(100.0, Some(1.0)) });
    let added = add(&trade, 101.0, 1.0, 0).trade;
    assert_eq!(added.fills[1].at, at(2));
}

#[test]
fn a_fees_correction_of_an_open_trade_is_an_update() {
    let trade = open(entry(100.0, Some(1.0)));
    let patch = TradeCommand::Patch(TradePatch { fees: Some(fees(3.0)), ..Default::default() });
    let patched = changed(&trade, patch, 1);
    assert_eq!((patched.event.kind, patched.trade.event), (EventKind::Update, quantarya_domain::SignalEvent::Update));
}
