//! Property tests of the trade lifecycle: random command sequences, with random times (some before the opening,
//! some in the future), driven through `Trade::open` and `Trade::apply`.

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use quantarya_domain::{
    CloseTrade, CredentialKind, EventId, EventKind, ExtensionsChange, JsonObject, LevelsChange, LifecycleError,
    NewTrade, Outcome, Price, Side, SignalExit, Stamp, Status, StrategyId, Symbol, Tags, Timestamp, Trade,
    TradeCommand, TradeId, TradePatch, UserId, serde_json, uuid::Uuid,
};

/// `minutes` after (or before) the base time, 2026-05-21T12:00:00Z.
fn at(minutes: i64) -> Timestamp {
    let base = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid");
    Timestamp::from_datetime(base.as_datetime() + chrono::TimeDelta::minutes(minutes))
}

fn price() -> impl Strategy<Value = Price> {
    (1u32..2000).prop_map(|cents| Price::new(f64::from(cents) / 10.0).expect("positive"))
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
    (state, proptest::option::of(price()), proptest::option::of(price()), -120i64..5, any::<bool>(), any::<bool>())
        .prop_map(|((status, close_price, closed_after), entry, stop_loss, signal, has_signal_time, buy)| {
            let closed_at = closed_after.map(|after| at((signal + after).min(5)).max(at(signal)));
            NewTrade {
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
    (proptest::option::of(price()), proptest::option::of(proptest::option::of(price())), meta()).prop_map(
        |(entry, stop_loss, meta)| LevelsChange {
            entry,
            stop_loss,
            extensions: ExtensionsChange { meta, ..Default::default() },
            ..Default::default()
        },
    )
}

fn command() -> impl Strategy<Value = TradeCommand> {
    let when = proptest::option::of(-90i64..20);
    prop_oneof![
        levels().prop_map(TradeCommand::Update),
        (proptest::option::of(status()), proptest::option::of(price()), when.clone(), when.clone(), levels()).prop_map(
            |(status, close_price, signal, closed, levels)| TradeCommand::Exit(SignalExit {
                status,
                close_price,
                signal_time: signal.map(at),
                closed_at: closed.map(at),
                levels,
            })
        ),
        (proptest::option::of(price()), when.clone()).prop_map(|(close_price, closed)| TradeCommand::Close(
            CloseTrade { close_price, closed_at: closed.map(at) }
        )),
        (
            proptest::option::of(status()),
            proptest::option::of(price()),
            when,
            proptest::option::of(proptest::option::of(price())),
            meta(),
            tags()
        )
            .prop_map(|(status, close_price, closed, stop_loss, meta, tags)| TradeCommand::Patch(TradePatch {
                status,
                close_price,
                closed_at: closed.map(at),
                stop_loss,
                take_profit: None,
                meta,
                tags,
            })),
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
}

/// What a run of random lifecycles did with its commands. Invariants that hold because (nearly) every command was
/// refused prove nothing, so the run must change trades often, with every kind of command.
#[derive(Debug, Default)]
struct Tally {
    commands: u64,
    /// Changes made by updates, exits, closes and patches.
    changed: [u64; 4],
    /// Changes of terminal trades (corrections).
    corrections: u64,
}

fn kind(command: &TradeCommand) -> usize {
    match command {
        TradeCommand::Update(_) => 0,
        TradeCommand::Exit(_) => 1,
        TradeCommand::Close(_) => 2,
        TradeCommand::Patch(_) => 3,
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

    for (step, command) in commands.into_iter().enumerate() {
        let minutes = 1 + i64::try_from(step).expect("small");
        let before = trade.clone();
        let result = trade.apply(command.clone(), stamp(200 + step as u128, minutes, CredentialKind::User));
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
                tally.borrow_mut().changed[kind(&command)] += 1;
                history.push(transition.event);
                trade = next;
            }
        }
        if before.status.is_terminal()
            && matches!(command, TradeCommand::Update(_) | TradeCommand::Exit(_) | TradeCommand::Close(_))
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
        TradeCommand::Update(_) => result == Err(LifecycleError::NotOpen { status: from }),
        TradeCommand::Close(_) => result == Err(LifecycleError::InvalidTransition { from, to: Status::Closed }),
        TradeCommand::Exit(exit) => match exit.check(at(minutes)) {
            Ok(to) => result == Err(LifecycleError::InvalidTransition { from, to }),
            Err(own) => result == Err(own),
        },
        TradeCommand::Patch(_) => unreachable!("a terminal trade takes a patch as a correction"),
    }
}
