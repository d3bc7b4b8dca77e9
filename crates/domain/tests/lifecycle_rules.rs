//! The lifecycle's rules, one hand-checked case each, and the rule that picks the trade a signal acts on.

use quantarya_domain::{
    CloseTrade, CredentialKind, EventId, EventKind, ExternalReference, FieldChange, LevelsChange, LifecycleError,
    Locator, NewTrade, Origin, Outcome, Price, Quantity, Side, SignalEvent, SignalExit, Stamp, Status, StrategyId,
    Symbol, Timestamp, Trade, TradeCommand, TradeId, TradePatch, Transition, UserId, select_open_trade, uuid::Uuid,
};

fn next_uuid() -> Uuid {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    Uuid::from_u128(u128::from(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)))
}

fn at(minutes: i64) -> Timestamp {
    let base = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid");
    Timestamp::from_datetime(base.as_datetime() + chrono::TimeDelta::minutes(minutes))
}

fn price(p: f64) -> Price {
    Price::new(p).expect("valid")
}

fn stamp(minutes: i64, by: CredentialKind) -> Stamp {
    Stamp { event_id: EventId::from_uuid(next_uuid()), at: at(minutes), by }
}

fn new_trade(reference: Option<&str>) -> NewTrade {
    NewTrade {
        entry: Some(price(1.08)),
        stop_loss: Some(price(1.07)),
        signal_time: Some(at(0)),
        external_reference: reference.map(|r| ExternalReference::parse(r).expect("valid")),
        ..NewTrade::open(Symbol::parse("EURUSD").expect("valid"), Side::Buy)
    }
}

fn open(new: NewTrade, by: CredentialKind) -> Result<Transition, LifecycleError> {
    Trade::open(
        TradeId::from_uuid(next_uuid()),
        StrategyId::from_uuid(Uuid::from_u128(7)),
        UserId::parse("u").expect("valid"),
        new,
        stamp(1, by),
    )
}

fn an_open_trade() -> Trade {
    open(new_trade(None), CredentialKind::User).expect("valid").trade
}

fn changed(trade: &Trade, command: TradeCommand, minutes: i64) -> Transition {
    match trade.apply(command, stamp(minutes, CredentialKind::User)) {
        Ok(Outcome::Changed(transition)) => transition,
        other => panic!("expected a change, got {other:?}"),
    }
}

fn refused(trade: &Trade, command: TradeCommand, minutes: i64) -> LifecycleError {
    match trade.apply(command, stamp(minutes, CredentialKind::User)) {
        Err(error) => error,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn closed_trade() -> Trade {
    let close = CloseTrade { close_price: Some(price(1.09)), closed_at: Some(at(30)), ..Default::default() };
    changed(&an_open_trade(), TradeCommand::Close(close), 31).trade
}

#[test]
fn creation_takes_the_signal_time_and_records_every_set_field() {
    let created = open(new_trade(Some("tv-1")), CredentialKind::ApiKey).expect("valid");
    assert_eq!(created.trade.opened_at, at(0));
    assert_eq!(created.trade.created_at, at(1));
    assert_eq!(created.trade.origin, Origin::ApiKey);
    assert_eq!(created.trade.event, SignalEvent::Entry);
    assert_eq!(created.event.kind, EventKind::Entry);
    let fields: Vec<&str> = created.event.changes.iter().map(FieldChange::field).collect();
    assert_eq!(
        fields,
        ["status", "symbol", "side", "entry", "stop_loss", "opened_at", "signal_time", "external_reference", "live"],
        "an API-key entry a minute after its signal time is live, and its history says so"
    );
    assert!(created.trade.live);

    let mut received = new_trade(None);
    received.signal_time = None;
    assert_eq!(open(received, CredentialKind::User).expect("valid").trade.opened_at, at(1), "else the time of receipt");
}

#[test]
fn creation_rules() {
    type Case = (&'static str, Box<dyn Fn(&mut NewTrade)>, LifecycleError);
    let cases: Vec<Case> = vec![
        (
            "an open trade has no close price",
            Box::new(|n| n.close_price = Some(price(1.1))),
            LifecycleError::CloseFieldOnOpenTrade { field: "close_price" },
        ),
        (
            "an open trade has no close time",
            Box::new(|n| n.closed_at = Some(at(0))),
            LifecycleError::CloseFieldOnOpenTrade { field: "closed_at" },
        ),
        (
            "a back-filled close needs a price",
            Box::new(|n| {
                n.status = Status::Closed;
                n.closed_at = Some(at(0));
            }),
            LifecycleError::Required { field: "close_price", why: "to record a closed trade" },
        ),
        (
            "a back-filled close needs a time",
            Box::new(|n| {
                n.status = Status::Closed;
                n.close_price = Some(price(1.1));
            }),
            LifecycleError::Required { field: "closed_at", why: "to record a closed trade" },
        ),
        (
            "closing before opening",
            Box::new(|n| {
                n.status = Status::Closed;
                n.close_price = Some(price(1.1));
                n.closed_at = Some(at(-1));
            }),
            LifecycleError::ClosedBeforeOpened,
        ),
        (
            "a cancelled trade has no price",
            Box::new(|n| {
                n.status = Status::Cancelled;
                n.close_price = Some(price(1.1));
            }),
            LifecycleError::PriceOnCancelledTrade,
        ),
        (
            "signals from the future",
            Box::new(|n| n.signal_time = Some(at(7))),
            LifecycleError::InFuture { field: "signal_time" },
        ),
        (
            "closes in the future",
            Box::new(|n| {
                n.status = Status::Cancelled;
                n.closed_at = Some(at(7));
            }),
            LifecycleError::InFuture { field: "closed_at" },
        ),
    ];
    for (what, change, expected) in cases {
        let mut new = new_trade(None);
        change(&mut new);
        assert_eq!(open(new, CredentialKind::User).map(|t| t.trade), Err(expected), "{what}");
    }
    let mut within_skew = new_trade(None);
    within_skew.signal_time = Some(at(5));
    assert!(open(within_skew, CredentialKind::User).is_ok(), "5 minutes of clock skew are tolerated");
    let mut cancelled = new_trade(None);
    cancelled.status = Status::Cancelled;
    let cancelled = open(cancelled, CredentialKind::User).expect("valid").trade;
    assert_eq!(cancelled.closed_at, Some(at(1)), "a back-filled cancel defaults to the time of receipt");
}

#[test]
fn update_changes_levels_and_marks_the_trade_updated() {
    let trade = an_open_trade();
    let levels = LevelsChange { entry: Some(price(1.081)), stop_loss: Some(None), ..Default::default() };
    let updated = changed(&trade, TradeCommand::Update(levels), 5);
    assert_eq!((updated.trade.entry, updated.trade.stop_loss), (Some(price(1.081)), None));
    assert_eq!(updated.trade.event, SignalEvent::Update);
    assert_eq!(updated.event.changes, vec![FieldChange::Entry(Some(price(1.081))), FieldChange::StopLoss(None)]);
    let same = LevelsChange { entry: Some(price(1.08)), ..Default::default() };
    assert_eq!(trade.apply(TradeCommand::Update(same), stamp(5, CredentialKind::User)), Ok(Outcome::Unchanged));
}

#[test]
fn exit_closes_at_the_signal_time_or_cancels() {
    let trade = an_open_trade();
    let exit = SignalExit { close_price: Some(price(1.09)), signal_time: Some(at(20)), ..Default::default() };
    let closed = changed(&trade, TradeCommand::Exit(exit), 21);
    assert_eq!(
        (closed.trade.status, closed.trade.closed_at, closed.event.kind),
        (Status::Closed, Some(at(20)), EventKind::Exit)
    );
    assert_eq!(closed.trade.event, SignalEvent::Exit);

    let explicit = SignalExit { signal_time: Some(at(20)), closed_at: Some(at(15)), ..Default::default() };
    assert_eq!(changed(&trade, TradeCommand::Exit(explicit), 21).trade.closed_at, Some(at(15)), "closed_at wins");
    assert_eq!(
        changed(&trade, TradeCommand::Exit(SignalExit::default()), 21).trade.closed_at,
        Some(at(21)),
        "else now"
    );

    let cancel = SignalExit { status: Some(Status::Cancelled), ..Default::default() };
    let cancelled = changed(&trade, TradeCommand::Exit(cancel), 21);
    assert_eq!((cancelled.trade.status, cancelled.event.kind), (Status::Cancelled, EventKind::Cancel));

    let cases = [
        (SignalExit { status: Some(Status::Open), ..Default::default() }, LifecycleError::ExitToOpen),
        (
            SignalExit { status: Some(Status::Cancelled), close_price: Some(price(1.0)), ..Default::default() },
            LifecycleError::PriceOnCancelledTrade,
        ),
        (
            SignalExit { levels: LevelsChange { entry: Some(price(1.0)), ..Default::default() }, ..Default::default() },
            LifecycleError::EntryOnExit,
        ),
        (SignalExit { signal_time: Some(at(-5)), ..Default::default() }, LifecycleError::ClosedBeforeOpened),
        (SignalExit { closed_at: Some(at(30)), ..Default::default() }, LifecycleError::InFuture { field: "closed_at" }),
    ];
    for (exit, expected) in cases {
        assert_eq!(refused(&trade, TradeCommand::Exit(exit), 21), expected);
    }
}

#[test]
fn every_way_of_ending_a_trade_marks_it_exited() {
    let trade = an_open_trade();
    let cancel = TradePatch { status: Some(Status::Cancelled), ..Default::default() };
    for command in [
        TradeCommand::Close(CloseTrade::default()),
        TradeCommand::Exit(SignalExit::default()),
        TradeCommand::Patch(cancel),
    ] {
        assert_eq!(changed(&trade, command, 10).trade.event, SignalEvent::Exit);
    }
}

#[test]
fn a_default_close_time_is_never_before_a_skewed_opening() {
    // The sender's clock runs 4 minutes ahead: the trade opens "in the future" of the receiving clock.
    let mut skewed = new_trade(None);
    skewed.signal_time = Some(at(5));
    let trade = open(skewed, CredentialKind::ApiKey).expect("within the skew").trade;
    for command in [
        TradeCommand::Close(CloseTrade::default()),
        TradeCommand::Exit(SignalExit::default()),
        TradeCommand::Patch(TradePatch { status: Some(Status::Closed), ..Default::default() }),
    ] {
        assert_eq!(changed(&trade, command, 2).trade.closed_at, Some(at(5)));
    }
}

#[test]
fn exits_are_checked_before_any_trade_is_looked_at() {
    let now = at(10);
    assert_eq!(SignalExit::default().check(now), Ok(Status::Closed));
    let cancel = SignalExit { status: Some(Status::Cancelled), ..Default::default() };
    assert_eq!(cancel.check(now), Ok(Status::Cancelled));
    let reopen = SignalExit { status: Some(Status::Open), ..Default::default() };
    assert_eq!(reopen.check(now), Err(LifecycleError::ExitToOpen));
    let with_entry =
        SignalExit { levels: LevelsChange { entry: Some(price(1.0)), ..Default::default() }, ..Default::default() };
    assert_eq!(with_entry.check(now), Err(LifecycleError::EntryOnExit));
    let future = SignalExit { signal_time: Some(at(16)), ..Default::default() };
    assert_eq!(future.check(now), Err(LifecycleError::InFuture { field: "signal_time" }));
}

#[test]
fn terminal_states_absorb() {
    let closed = closed_trade();
    assert_eq!(
        refused(&closed, TradeCommand::Close(CloseTrade::default()), 40),
        LifecycleError::InvalidTransition { from: Status::Closed, to: Status::Closed }
    );
    assert_eq!(
        refused(&closed, TradeCommand::Exit(SignalExit::default()), 40),
        LifecycleError::InvalidTransition { from: Status::Closed, to: Status::Closed }
    );
    assert_eq!(
        refused(&closed, TradeCommand::Update(LevelsChange::default()), 40),
        LifecycleError::NotOpen { status: Status::Closed }
    );
    for to in [Status::Open, Status::Cancelled] {
        let patch = TradePatch { status: Some(to), ..Default::default() };
        assert_eq!(
            refused(&closed, TradeCommand::Patch(patch), 40),
            LifecycleError::InvalidTransition { from: Status::Closed, to }
        );
    }
}

#[test]
fn patch_closes_cancels_corrects_and_refuses() {
    let trade = an_open_trade();
    let close = TradePatch {
        status: Some(Status::Closed),
        close_price: Some(price(1.1)),
        closed_at: Some(at(10)),
        ..Default::default()
    };
    let closed = changed(&trade, TradeCommand::Patch(close), 11);
    assert_eq!(
        (closed.trade.status, closed.event.kind, closed.trade.closed_at),
        (Status::Closed, EventKind::Close, Some(at(10)))
    );

    let cancel = TradePatch { status: Some(Status::Cancelled), ..Default::default() };
    assert_eq!(changed(&trade, TradeCommand::Patch(cancel), 11).event.kind, EventKind::Cancel);

    let stop = TradePatch { stop_loss: Some(Some(price(1.075))), ..Default::default() };
    assert_eq!(changed(&trade, TradeCommand::Patch(stop), 11).event.kind, EventKind::Update);

    let correct = TradePatch { close_price: Some(price(1.2)), closed_at: Some(at(12)), ..Default::default() };
    let corrected = changed(&closed.trade, TradeCommand::Patch(correct), 13);
    assert_eq!((corrected.trade.close_price, corrected.trade.closed_at), (Some(price(1.2)), Some(at(12))));
    assert_eq!((corrected.event.kind, corrected.trade.status), (EventKind::Correct, Status::Closed));

    let early = TradePatch { closed_at: Some(at(-1)), ..Default::default() };
    assert_eq!(refused(&closed.trade, TradeCommand::Patch(early), 13), LifecycleError::ClosedBeforeOpened);
    let price_on_open = TradePatch { close_price: Some(price(1.2)), ..Default::default() };
    assert_eq!(
        refused(&trade, TradeCommand::Patch(price_on_open), 13),
        LifecycleError::CloseFieldOnOpenTrade { field: "close_price" }
    );
    assert_eq!(refused(&trade, TradeCommand::Patch(TradePatch::default()), 13), LifecycleError::NothingToChange);
    let same_status = TradePatch { status: Some(Status::Open), ..Default::default() };
    assert_eq!(trade.apply(TradeCommand::Patch(same_status), stamp(13, CredentialKind::User)), Ok(Outcome::Unchanged));
}

#[test]
fn only_manual_trades_can_be_erased() {
    assert_eq!(an_open_trade().ensure_erasable(), Ok(()));
    let integration = open(new_trade(None), CredentialKind::ApiKey).expect("valid").trade;
    assert_eq!(integration.ensure_erasable(), Err(LifecycleError::NotManual));
}

#[test]
fn signals_find_their_trade_by_reference_else_by_the_only_open_symbol() {
    let long = open(new_trade(Some("Long")), CredentialKind::ApiKey).expect("valid").trade;
    let plain = an_open_trade();
    let closed = closed_trade();
    let candidates = vec![long.clone(), plain.clone(), closed];
    let reference = ExternalReference::parse("Long").expect("valid");
    let eurusd = Symbol::parse("EURUSD").expect("valid");
    let gbpusd = Symbol::parse("GBPUSD").expect("valid");

    let by_reference = Locator { reference: Some(&reference), symbol: None };
    assert_eq!(select_open_trade(&candidates, by_reference), Ok(Some(&long)));
    let mismatched = Locator { reference: Some(&reference), symbol: Some(&gbpusd) };
    assert!(matches!(select_open_trade(&candidates, mismatched), Err(LifecycleError::SymbolMismatch { .. })));
    let ambiguous = Locator { reference: None, symbol: Some(&eurusd) };
    assert_eq!(
        select_open_trade(&candidates, ambiguous),
        Err(LifecycleError::AmbiguousTrade { symbol: eurusd.clone(), count: 2 })
    );
    let only = [plain.clone()];
    assert_eq!(select_open_trade(&only, ambiguous), Ok(Some(&plain)));
    let none = Locator { reference: None, symbol: Some(&gbpusd) };
    assert_eq!(select_open_trade(&candidates, none), Ok(None));
    assert_eq!(
        select_open_trade(&candidates, Locator { reference: None, symbol: None }),
        Err(LifecycleError::NoLocator)
    );

    // An entry without a size on the open trade's reference is refused whatever it says (a retry of the same request
    // is a receipt's business, not this rule's); so is a sized one in the other direction. A sized one in the trade's
    // direction is a scale-in, which a trade opened without a size refuses. (position_rules.rs has the sized cases.)
    let reference = ExternalReference::parse("Long").expect("valid");
    let sized = |entry: NewTrade| NewTrade { quantity: Some(Quantity::new(1.0).expect("valid")), ..entry };
    for entry in [
        new_trade(Some("Long")),
        NewTrade { side: Side::Sell, ..new_trade(Some("Long")) },
        sized(NewTrade { side: Side::Sell, ..new_trade(Some("Long")) }),
    ] {
        assert_eq!(long.entry_on_open(&entry), Err(LifecycleError::AlreadyOpen { reference: reference.clone() }));
    }
    assert_eq!(long.entry_on_open(&sized(new_trade(Some("Long")))), Err(LifecycleError::QuantityOnUnsized));
    // Without a size an entry on the open reference is "already open" whatever its symbol; with one, another symbol
    // is a mismatch.
    let elsewhere = NewTrade { symbol: gbpusd.clone(), ..new_trade(Some("Long")) };
    assert_eq!(long.entry_on_open(&elsewhere), Err(LifecycleError::AlreadyOpen { reference: reference.clone() }));
    assert!(matches!(long.entry_on_open(&sized(elsewhere)), Err(LifecycleError::SymbolMismatch { .. })));
}

#[test]
fn moving_the_stop_keeps_the_risk_r_is_measured_in() {
    // Entered at 1.08 with its stop at 1.07, the stop trailed to break-even, closed at 1.10: two R, not infinity.
    let trade = an_open_trade();
    assert_eq!(trade.initial_stop_loss, Some(price(1.07)));
    let to_break_even = TradeCommand::Update(LevelsChange { stop_loss: Some(Some(price(1.08))), ..Default::default() });
    let trailed = changed(&trade, to_break_even, 5).trade;
    assert_eq!((trailed.stop_loss, trailed.initial_stop_loss), (Some(price(1.08)), Some(price(1.07))));
    let close = CloseTrade { close_price: Some(price(1.10)), closed_at: Some(at(30)), ..Default::default() };
    let closed = changed(&trailed, TradeCommand::Close(close), 31).trade;
    let (ret, r) =
        quantarya_domain::ClosedTrade::of(&closed).and_then(|c| c.outcome()).expect("a closed trade's outcome");
    assert!((ret - 0.02 / 1.08).abs() < 1e-12, "{ret}");
    assert!(r.is_some_and(|r| (r - 2.0).abs() < 1e-9), "{r:?}");

    // A trade entered without a stop takes its first one as its risk, and keeps it.
    let bare = open(NewTrade { stop_loss: None, ..new_trade(None) }, CredentialKind::User).expect("valid").trade;
    assert_eq!(bare.initial_stop_loss, None);
    let first = TradeCommand::Update(LevelsChange { stop_loss: Some(Some(price(1.06))), ..Default::default() });
    let with_stop = changed(&bare, first, 2).trade;
    let moved = TradeCommand::Update(LevelsChange { stop_loss: Some(Some(price(1.075))), ..Default::default() });
    let moved = changed(&with_stop, moved, 3).trade;
    assert_eq!((moved.stop_loss, moved.initial_stop_loss), (Some(price(1.075)), Some(price(1.06))));
    let removed = TradeCommand::Update(LevelsChange { stop_loss: Some(None), ..Default::default() });
    assert_eq!(
        changed(&moved, removed, 4).trade.initial_stop_loss,
        Some(price(1.06)),
        "removing the stop keeps the risk"
    );
}
