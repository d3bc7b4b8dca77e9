//! Property tests of the trade lifecycle: random command sequences, with random times (some before the opening,
//! some in the future), driven through `Trade::open` and `Trade::apply`.

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use quantarya_domain::{
    CloseTrade, CredentialKind, EventId, EventKind, ExtensionsChange, Fees, FillKind, JsonObject, LevelsChange,
    LifecycleError, NewTrade, Outcome, PointValue, Price, Quantity, ScaleIn, Side, SignalExit, Stamp, Status,
    StrategyId, Symbol, Tags, Timestamp, Trade, TradeCommand, TradeId, TradePatch, UserId, live_from_history,
    rust_decimal::Decimal, serde_json, uuid::Uuid,
};

/// `minutes` after (or before) the base time, 2026-05-21T12:00:00Z.
fn at(minutes: i64) -> Timestamp {
    let base = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid");
    Timestamp::from_datetime(base.as_datetime() + chrono::TimeDelta::minutes(minutes))
}

fn price() -> impl Strategy<Value = Price> {
    (1u32..2000).prop_map(|cents| Price::new(f64::from(cents) / 10.0).expect("positive"))
}

/// Sizes in tenths, whose float sums are not exact (0.1 + 0.2), so decimal bookkeeping is what keeps them.
fn quantity() -> impl Strategy<Value = Quantity> {
    (1u32..40).prop_map(|tenths| Quantity::new(f64::from(tenths) / 10.0).expect("positive"))
}

fn fees() -> impl Strategy<Value = Option<Fees>> {
    proptest::option::of((0u32..300).prop_map(|cents| Fees::new(f64::from(cents) / 100.0).expect("non-negative")))
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![Just(Status::Open), Just(Status::Closed), Just(Status::Cancelled)]
}

/// No change of tags, or one of a few tag lists (the empty one too).
fn tags() -> impl Strategy<Value = Option<Tags>> {
    proptest::option::of(proptest::sample::subsequence(vec!["breakout", "fomo", "a-plus"], 0..=3))
        .prop_map(|picked| picked.map(|tags| Tags::parse(&tags).expect("valid tags")))
}

fn meta() -> impl Strategy<Value = Option<Option<JsonObject>>> {
    prop_oneof![
        Just(None),
        Just(Some(None)),
        (0u8..3).prop_map(|n| {
            let mut object = JsonObject::new();
            object.insert("note".to_owned(), serde_json::Value::from(n));
            Some(Some(object))
        }),
    ]
}

/// Valid new trades by construction: open ones, and back-filled closed or cancelled ones whose times are in order.
fn new_trade() -> impl Strategy<Value = NewTrade> {
    let state = prop_oneof![
        3 => Just((Status::Open, None, None)),
        1 => (price(), 0i64..60).prop_map(|(close, after)| (Status::Closed, Some(close), Some(after))),
        1 => proptest::option::of(0i64..60).prop_map(|after| (Status::Cancelled, None, after)),
    ];
    let size = (proptest::option::of(quantity()), proptest::option::of(prop_oneof![Just(1.0), Just(50.0)]), fees());
    (
        state,
        proptest::option::of(price()),
        proptest::option::of(price()),
        -120i64..5,
        any::<bool>(),
        any::<bool>(),
        size,
    )
        .prop_map(|((status, close_price, closed_after), entry, stop_loss, signal, has_signal_time, buy, size)| {
            let closed_at = closed_after.map(|after| at((signal + after).min(5)).max(at(signal)));
            let (quantity, point_value, fees) = size;
            NewTrade {
                quantity,
                point_value: point_value.map(|v| PointValue::new(v).expect("positive")),
                fees,
                status,
                entry,
                stop_loss,
                close_price,
                // A back-filled close needs its opening time; others may go without.
                signal_time: (has_signal_time || status == Status::Closed).then(|| at(signal)),
                closed_at: if has_signal_time || status == Status::Closed { closed_at } else { None },
                ..NewTrade::open(Symbol::parse("EURUSD").expect("valid"), if buy { Side::Buy } else { Side::Sell })
            }
        })
}

fn levels() -> impl Strategy<Value = LevelsChange> {
    let excursion = || proptest::option::weighted(0.3, price());
    (
        proptest::option::of(price()),
        proptest::option::of(proptest::option::of(price())),
        meta(),
        excursion(),
        excursion(),
    )
        .prop_map(|(entry, stop_loss, meta, max_favorable_price, max_adverse_price)| LevelsChange {
            entry,
            stop_loss,
            max_favorable_price,
            max_adverse_price,
            extensions: ExtensionsChange { meta, ..Default::default() },
            ..Default::default()
        })
}

fn command() -> impl Strategy<Value = TradeCommand> {
    let when = proptest::option::of(-90i64..20);
    let size = || (proptest::option::of(quantity()), fees());
    prop_oneof![
        (proptest::option::of(price()), quantity(), fees(), when.clone(), levels()).prop_map(
            |(price, quantity, fees, signal, levels)| TradeCommand::Add(ScaleIn {
                price,
                quantity,
                fees,
                signal_time: signal.map(at),
                levels: LevelsChange { entry: None, ..levels },
            })
        ),
        levels().prop_map(TradeCommand::Update),
        (proptest::option::of(status()), proptest::option::of(price()), when.clone(), when.clone(), levels(), size())
            .prop_map(|(status, close_price, signal, closed, levels, (quantity, fees))| TradeCommand::Exit(
                SignalExit {
                    status,
                    close_price,
                    signal_time: signal.map(at),
                    closed_at: closed.map(at),
                    levels,
                    quantity,
                    fees,
                }
            )),
        (proptest::option::of(price()), when.clone(), size()).prop_map(|(close_price, closed, (quantity, fees))| {
            TradeCommand::Close(CloseTrade { close_price, closed_at: closed.map(at), quantity, fees })
        }),
        (
            proptest::option::of(status()),
            proptest::option::of(price()),
            when,
            proptest::option::of(proptest::option::of(price())),
            meta(),
            tags(),
            proptest::option::weighted(0.2, fees().prop_map(Option::unwrap_or_default)),
            proptest::option::weighted(0.2, proptest::option::of(price())),
            proptest::option::weighted(0.2, proptest::option::of(price())),
        )
            .prop_map(
                |(status, close_price, closed, stop_loss, meta, tags, fees, max_favorable_price, max_adverse_price)| {
                    TradeCommand::Patch(TradePatch {
                        status,
                        close_price,
                        closed_at: closed.map(at),
                        stop_loss,
                        take_profit: None,
                        meta,
                        tags,
                        fees,
                        max_favorable_price,
                        max_adverse_price,
                    })
                }
            ),
    ]
}

fn stamp(n: u128, minutes: i64, by: CredentialKind) -> Stamp {
    Stamp { event_id: EventId::from_uuid(Uuid::from_u128(n)), at: at(minutes), by }
}

/// The invariants every stored trade obeys.
fn assert_well_formed(trade: &Trade) {
    assert_eq!(Trade::restore(trade.clone().into_record()).as_ref(), Ok(trade), "restore accepts it");
    assert_eq!(trade.status.is_terminal(), trade.closed_at.is_some());
    if let Some(closed_at) = trade.closed_at {
        assert!(closed_at >= trade.opened_at, "closed_at {closed_at} before opened_at {}", trade.opened_at);
    }
    if trade.status != Status::Closed {
        assert_eq!(trade.close_price, None);
    }
    assert_position_adds_up(trade);
    assert_excursions_hold_the_prices(trade);
}

/// Excursions are never worse than a price the trade reached, so a closed trade's MFE is at least its realized
/// move, and its MAE at least the move against it.
fn assert_excursions_hold_the_prices(trade: &Trade) {
    let reached = trade.fills.iter().filter_map(|f| f.price).chain(trade.entry).chain(trade.close_price);
    for price in reached {
        let distance = |p: Price| trade.side.direction() * (p.get() - price.get());
        if let Some(best) = trade.max_favorable_price {
            assert!(distance(best) >= 0.0, "best {best:?} is worse than {price:?}: {trade:?}");
        }
        if let Some(worst) = trade.max_adverse_price {
            assert!(distance(worst) <= 0.0, "worst {worst:?} is better than {price:?}: {trade:?}");
        }
    }
    if let (Some(excursion), Some(entry), Some(close)) = (trade.excursion(), trade.entry, trade.close_price) {
        let realized = trade.side.direction() * (close.get() - entry.get()) / entry.get();
        let slack = 1e-9 * realized.abs().max(1.0);
        assert!(excursion.mfe + slack >= realized && realized >= -excursion.mae - slack, "{excursion:?} {realized}");
    }
}

/// A position's figures, recomputed from its fills independently of the domain's arithmetic: sizes as exact
/// decimals, prices as a quantity-weighted average, money summed fill by fill.
fn assert_position_adds_up(trade: &Trade) {
    let sized = trade.fills.iter().all(|f| f.quantity.is_some());
    let size = |kind: FillKind| -> Decimal {
        trade.fills.iter().filter(|f| f.kind == kind).filter_map(|f| f.quantity).map(Quantity::get).sum()
    };
    let average = |kind: FillKind| -> Option<f64> {
        let fills: Vec<_> = trade.fills.iter().filter(|f| f.kind == kind).collect();
        let weight = |q: Option<Quantity>| q.map_or(1.0, |q| q.to_f64());
        let priced: Option<Vec<(f64, f64)>> =
            fills.iter().map(|f| Some((f.price?.get(), weight(f.quantity)))).collect();
        let priced = priced.filter(|p| !p.is_empty())?;
        Some(priced.iter().map(|(p, q)| p * q).sum::<f64>() / priced.iter().map(|(_, q)| q).sum::<f64>())
    };
    let near = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    match (trade.entry.map(Price::get), average(FillKind::Entry)) {
        (Some(entry), Some(expected)) => assert!(near(entry, expected), "entry {entry} is the average {expected}"),
        (entry, expected) => assert_eq!(entry, expected, "entry is the average of the entry fills"),
    }
    if trade.status == Status::Closed {
        match (trade.close_price.map(Price::get), average(FillKind::Exit)) {
            (Some(close), Some(expected)) => assert!(near(close, expected), "close {close} is the average {expected}"),
            (close, expected) => assert_eq!(close, expected, "close_price is the average of the exit fills"),
        }
    }
    if !sized {
        assert_eq!((trade.quantity(), trade.open_quantity(), trade.realized_pnl()), (None, None, None));
        assert_eq!(trade.fills.iter().filter(|f| f.kind == FillKind::Entry).count(), 1);
        return;
    }
    let (entered, exited) = (size(FillKind::Entry), size(FillKind::Exit));
    assert_eq!(trade.quantity().map(Quantity::get), Some(entered));
    let open = trade.open_quantity().expect("a sized trade has an open quantity");
    assert!(open >= Decimal::ZERO, "open quantity {open} is never negative");
    match trade.status {
        Status::Open => {
            assert_eq!(open, entered - exited, "open = entered - exited");
            assert!(open > Decimal::ZERO, "an open sized trade has something open");
        }
        Status::Closed => {
            assert_eq!((open, exited), (Decimal::ZERO, entered), "a closed trade took off all it entered")
        }
        Status::Cancelled => assert_eq!(open, Decimal::ZERO),
    }
    let direction = if trade.side == Side::Buy { 1.0 } else { -1.0 };
    let expected = trade.entry.map(Price::get).and_then(|entry| {
        let mut pnl = -trade.fees.to_f64();
        for fill in trade.fills.iter().filter(|f| f.kind == FillKind::Exit) {
            let q = fill.quantity.expect("sized").to_f64();
            pnl += direction * (fill.price?.get() - entry) * q * trade.point_value.get();
        }
        Some(pnl)
    });
    match (trade.realized_pnl(), expected) {
        (Some(pnl), Some(expected)) => assert!(
            (pnl - expected).abs() <= 1e-6 * pnl.abs().max(expected.abs()).max(1.0),
            "realized_pnl {pnl} recomputed {expected}"
        ),
        (pnl, expected) => assert_eq!(pnl, expected, "realized_pnl is known exactly when every price is"),
    }
}

/// What a run of random lifecycles did with its commands. Invariants that hold because (nearly) every command was
/// refused prove nothing, so the run must change trades often, with every kind of command.
#[derive(Debug, Default)]
struct Tally {
    commands: u64,
    /// Changes made by adds, updates, exits, closes and patches.
    changed: [u64; 5],
    /// Partial exits (by an exit or the close route).
    reductions: u64,
    /// Changes of terminal trades (corrections).
    corrections: u64,
    /// Trades opened live.
    live: u64,
    /// Changes that took a trade out of the live record.
    unlived: u64,
}

fn kind(command: &TradeCommand) -> usize {
    match command {
        TradeCommand::Add(_) => 0,
        TradeCommand::Update(_) => 1,
        TradeCommand::Exit(_) => 2,
        TradeCommand::Close(_) => 3,
        TradeCommand::Patch(_) => 4,
    }
}

#[test]
fn random_lifecycles_keep_every_invariant() {
    let tally = RefCell::new(Tally::default());
    // A run of 512 cases whatever PROPTEST_CASES says: the tally below needs a run that size.
    let config = ProptestConfig { cases: 512, source_file: Some(file!()), ..ProptestConfig::default() };
    let sessions = (new_trade(), proptest::collection::vec(command(), 0..24));
    let mut runner = TestRunner::new(config);
    let run = runner.run(&sessions, |(new, commands)| lifecycle_keeps_every_invariant(new, commands, &tally));
    if let Err(failure) = run {
        panic!("{failure}\n{runner}");
    }
    let tally = tally.into_inner();
    // About a sixth of the commands change their trade (an open trade takes most, a terminal one only
    // corrections); a twentieth leaves a wide margin.
    assert!(tally.changed.iter().sum::<u64>() * 20 >= tally.commands, "too few commands changed a trade: {tally:?}");
    assert!(tally.changed.iter().all(|&n| n > 0), "every kind of command changes a trade: {tally:?}");
    assert!(tally.corrections > 0, "terminal trades take corrections: {tally:?}");
    assert!(tally.reductions > 0, "sized trades are partly closed: {tally:?}");
    assert!(tally.live > 0 && tally.unlived > 0, "live trades are opened, and some corrected: {tally:?}");
}

fn lifecycle_keeps_every_invariant(
    new: NewTrade,
    commands: Vec<TradeCommand>,
    tally: &RefCell<Tally>,
) -> Result<(), TestCaseError> {
    let id = TradeId::from_uuid(Uuid::from_u128(1));
    let opened = Trade::open(
        id,
        StrategyId::from_uuid(Uuid::from_u128(2)),
        UserId::parse("u").expect("valid"),
        new,
        stamp(100, 0, CredentialKind::ApiKey),
    )
    .expect("the generator makes valid trades; lifecycle_rules.rs covers refused ones");
    assert_well_formed(&opened.trade);
    prop_assert_eq!(opened.trade.version, 1);
    prop_assert_eq!(opened.event.kind, EventKind::Entry);
    let mut history = vec![opened.event];
    let mut trade = opened.trade;
    prop_assert_eq!(trade.live, live_from_history(&history));
    tally.borrow_mut().live += u64::from(trade.live);

    for (step, command) in commands.into_iter().enumerate() {
        let minutes = 1 + i64::try_from(step).expect("small");
        let before = trade.clone();
        let by = if step % 2 == 0 { CredentialKind::User } else { CredentialKind::ApiKey };
        let result = trade.apply(command.clone(), stamp(200 + step as u128, minutes, by));
        tally.borrow_mut().commands += 1;
        match result {
            // `apply` borrows the trade, so a refused or idle command cannot change it; what matters is that it
            // yields no event. (That a refused request changes nothing stored is checked end to end by
            // tests/src/journal_props.rs.)
            Err(_) | Ok(Outcome::Unchanged) => {}
            Ok(Outcome::Changed(transition)) => {
                let next = transition.trade;
                assert_well_formed(&next);
                prop_assert_eq!(next.version, before.version + 1);
                prop_assert_eq!(transition.event.version, next.version);
                prop_assert_eq!(transition.event.trade_id, next.id);
                prop_assert!(!transition.event.changes.is_empty());
                prop_assert_eq!(next.updated_at, at(minutes));
                // What a trade is never changes.
                prop_assert_eq!(
                    (next.id, &next.symbol, next.side, next.origin),
                    (before.id, &before.symbol, before.side, before.origin)
                );
                prop_assert_eq!((next.opened_at, next.created_at), (before.opened_at, before.created_at));
                if before.status.is_terminal() {
                    // Terminal states absorb: only corrections, never a status change.
                    prop_assert_eq!(next.status, before.status);
                    prop_assert_eq!(transition.event.kind, EventKind::Correct);
                    prop_assert!(matches!(command, TradeCommand::Patch(_)));
                    tally.borrow_mut().corrections += 1;
                }
                if transition.event.kind == EventKind::Reduce {
                    prop_assert_eq!(next.status, Status::Open, "a partial exit leaves the trade open");
                    tally.borrow_mut().reductions += 1;
                }
                tally.borrow_mut().changed[kind(&command)] += 1;
                prop_assert!(before.live || !next.live, "nothing makes a trade live again");
                // A number the statistics read, changed by a user's hand, never stays in the live record (a
                // cancelled trade counts nowhere, live or not).
                let counted_by_hand = by == CredentialKind::User
                    && next.status != Status::Cancelled
                    && transition.event.changes.iter().any(|c| {
                        [
                            "entry",
                            "close_price",
                            "fills",
                            "fees",
                            "closed_at",
                            "max_favorable_price",
                            "max_adverse_price",
                        ]
                        .contains(&c.field())
                    });
                prop_assert!(!(counted_by_hand && next.live), "{:?} left the trade live", transition.event);
                if before.live && !next.live {
                    tally.borrow_mut().unlived += 1;
                    prop_assert!(transition.event.changes.iter().any(|c| c.field() == "live"), "the event says why");
                }
                history.push(transition.event);
                prop_assert_eq!(next.live, live_from_history(&history), "live is what the history says");
                trade = next;
            }
        }
        if before.status.is_terminal()
            && matches!(
                command,
                TradeCommand::Add(_) | TradeCommand::Update(_) | TradeCommand::Exit(_) | TradeCommand::Close(_)
            )
        {
            prop_assert!(result_is_refused(&before, &command, minutes));
        }
    }
    prop_assert_eq!(history.len() as u64, trade.version, "history grows by exactly one event per change");
    for (i, event) in history.iter().enumerate() {
        prop_assert_eq!(event.version, i as u64 + 1);
    }
    Ok(())
}

/// Whether the terminal `trade` refuses `command` (an update, exit or close) because it is terminal: an update as
/// needing an open trade, an exit or a close as a transition its status does not allow. An exit that breaks a rule
/// of its own is refused for that rule, which it is checked for first.
fn result_is_refused(trade: &Trade, command: &TradeCommand, minutes: i64) -> bool {
    let result = trade.apply(command.clone(), stamp(1, minutes, CredentialKind::User));
    let from = trade.status;
    match command {
        TradeCommand::Add(_) | TradeCommand::Update(_) => result == Err(LifecycleError::NotOpen { status: from }),
        TradeCommand::Close(_) => result == Err(LifecycleError::InvalidTransition { from, to: Status::Closed }),
        TradeCommand::Exit(exit) => match exit.check(at(minutes)) {
            Ok(to) => result == Err(LifecycleError::InvalidTransition { from, to }),
            Err(own) => result == Err(own),
        },
        TradeCommand::Patch(_) => unreachable!("a terminal trade takes a patch as a correction"),
    }
}
