//! Random signal sequences through the journal service and a real store, checking the book's invariants after
//! every step: at most one open trade per reference, history as long as the version, terminal states absorb, a
//! refused request changes nothing, an accepted signal sent again is answered from its receipt and changes
//! nothing, and a position never has more taken off than was entered.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use quantarya_domain::{
    CloseTrade, FillKind, LevelsChange, Price, Quantity, Side, SignalExit, Status, Trade, TradeId, TradePatch,
    rust_decimal::Decimal,
};
use quantarya_ports::{Journal, PageLimit, Signal, SignalEffect, SignalIdentity, SignalLocator, TradeQuery};

use crate::support::{StoreUnderTest, entry};

const SYMBOLS: [&str; 2] = ["EURUSD", "BTCUSDT"];
const REFERENCES: [&str; 3] = ["Long", "Short", "tv-1"];

/// One request of a random session.
#[derive(Debug, Clone)]
pub enum Op {
    /// An entry signal, sized in tenths or not; sized on an open reference it adds to that position.
    Entry { symbol: usize, reference: Option<usize>, sell: bool, by_key: bool, size: Option<u8> },
    /// An update signal moving the stop.
    Update { symbol: Option<usize>, reference: Option<usize>, stop: u16 },
    /// An exit signal at a price, closing or cancelling; with a size in tenths, maybe a partial exit.
    Exit { symbol: Option<usize>, reference: Option<usize>, cancel: bool, size: Option<u8> },
    /// The close route on a known trade, with a size in tenths or not.
    Close { pick: usize, size: Option<u8> },
    /// A PATCH of a known trade's status.
    Patch { pick: usize, status: Status },
    /// Deleting a known trade.
    Delete { pick: usize },
}

/// Random sessions of up to `len` requests.
pub fn sessions(len: usize) -> impl Strategy<Value = Vec<Op>> {
    let symbol = 0..SYMBOLS.len();
    let reference = proptest::option::of(0..REFERENCES.len());
    let status = prop_oneof![Just(Status::Open), Just(Status::Closed), Just(Status::Cancelled)];
    let size = || proptest::option::of(1u8..30);
    let op = prop_oneof![
        // Mostly longs, so that sized entries on an open reference often scale in.
        4 => (symbol.clone(), reference.clone(), proptest::bool::weighted(0.2), any::<bool>(), size())
            .prop_map(|(symbol, reference, sell, by_key, size)| Op::Entry { symbol, reference, sell, by_key, size }),
        2 => (proptest::option::of(symbol.clone()), reference.clone(), 1u16..50)
            .prop_map(|(symbol, reference, stop)| Op::Update { symbol, reference, stop }),
        3 => (proptest::option::of(symbol), reference, any::<bool>(), size())
            .prop_map(|(symbol, reference, cancel, size)| Op::Exit { symbol, reference, cancel, size }),
        1 => (any::<usize>(), size()).prop_map(|(pick, size)| Op::Close { pick, size }),
        1 => (any::<usize>(), status).prop_map(|(pick, status)| Op::Patch { pick, status }),
        1 => any::<usize>().prop_map(|pick| Op::Delete { pick }),
    ];
    proptest::collection::vec(op, 1..len)
}

/// Every trade of the book with the length of its history.
type Snapshot = HashMap<TradeId, (Trade, usize)>;

/// Runs one session on `s` and checks the invariants after every request.
pub async fn run_session(s: &StoreUnderTest, ops: Vec<Op>) {
    let t = crate::journal_suite::trader_for_props(s).await;
    let (j, book) = (&t.journal, t.strategy);
    let mut known: Vec<TradeId> = Vec::new();
    let mut before = snapshot(j, &t.jwt, book).await;
    // A session whose every request is refused keeps every invariant: its first entry, which meets no trade, must
    // open one.
    let mut entered = false;
    for (step, op) in ops.into_iter().enumerate() {
        // Each request of the session is a distinct one (its own body); the signal it sends, if any, is kept so
        // that it can be sent again.
        let mut body = quantarya_domain::JsonObject::new();
        body.insert("step".to_owned(), step.into());
        let identity = SignalIdentity { key: None, body: quantarya_domain::BodyHash::of(&body) };
        let mut sent: Option<(quantarya_ports::Principal, Signal)> = None;
        let pick = |i: usize| (!known.is_empty()).then(|| known[i % known.len()]);
        let locator = |symbol: Option<usize>, reference: Option<usize>| SignalLocator {
            external_reference: reference
                .map(|r| quantarya_domain::ExternalReference::parse(REFERENCES[r]).expect("valid")),
            symbol: symbol.map(|s| quantarya_domain::Symbol::parse(SYMBOLS[s]).expect("valid")),
        };
        let tenths = |size: Option<u8>| size.map(|n| Quantity::new(f64::from(n) / 10.0).expect("positive"));
        let result: Result<Option<SignalEffect>, quantarya_ports::JournalError> = match op.clone() {
            Op::Entry { symbol, reference, sell, by_key, size } => {
                let side = if sell { Side::Sell } else { Side::Buy };
                let who = if by_key { &t.key } else { &t.jwt };
                let new = quantarya_domain::NewTrade {
                    quantity: tenths(size),
                    ..entry(SYMBOLS[symbol], side, reference.map(|r| REFERENCES[r]))
                };
                sent = Some((who.clone(), Signal::Entry(new.clone())));
                j.submit_signal(who, book, Signal::Entry(new), Some(identity.clone())).await.map(|o| {
                    known.push(o.trade.id);
                    Some(o.effect)
                })
            }
            Op::Update { symbol, reference, stop } => {
                let stop = Price::new(f64::from(stop)).expect("positive");
                let levels = LevelsChange { stop_loss: Some(Some(stop)), ..Default::default() };
                let signal = Signal::Update { locator: locator(symbol, reference), levels };
                sent = Some((t.key.clone(), signal.clone()));
                j.submit_signal(&t.key, book, signal, Some(identity.clone())).await.map(|o| Some(o.effect))
            }
            Op::Exit { symbol, reference, cancel, size } => {
                let exit = SignalExit {
                    status: cancel.then_some(Status::Cancelled),
                    close_price: (!cancel).then(|| Price::new(101.0 + step as f64).expect("positive")),
                    quantity: tenths(size),
                    ..Default::default()
                };
                let signal = Signal::Exit { locator: locator(symbol, reference), exit };
                sent = Some((t.key.clone(), signal.clone()));
                j.submit_signal(&t.key, book, signal, Some(identity.clone())).await.map(|o| Some(o.effect))
            }
            Op::Close { pick: i, size } => match pick(i) {
                Some(id) => {
                    let close = CloseTrade { quantity: tenths(size), ..Default::default() };
                    j.close_trade(&t.jwt, book, id, close).await.map(|_| None)
                }
                None => continue,
            },
            Op::Patch { pick: i, status } => match pick(i) {
                Some(id) => {
                    let patch = TradePatch { status: Some(status), ..Default::default() };
                    j.patch_trade(&t.jwt, book, id, patch).await.map(|_| None)
                }
                None => continue,
            },
            Op::Delete { pick: i } => match pick(i) {
                Some(id) => j.delete_trade(&t.jwt, book, id).await.map(|_| None),
                None => continue,
            },
        };
        if matches!(op, Op::Entry { .. }) && !entered {
            entered = true;
            let opened = matches!(result, Ok(Some(SignalEffect::Created)));
            assert!(opened, "the session's first entry opens a trade: {op:?} answered {result:?}");
        }
        let after = snapshot(j, &t.jwt, book).await;
        check_book(&after);
        match &result {
            Err(error) => assert_eq!(after, before, "{op:?} was refused ({error:?}) yet changed the book"),
            Ok(Some(SignalEffect::AlreadyClosed | SignalEffect::Unchanged | SignalEffect::Replayed)) => {
                assert_eq!(after, before, "{op:?} reported no change yet changed the book");
            }
            Ok(_) => {}
        }
        for (id, (old, _)) in &before {
            if let (true, Some((new, _))) = (old.status.is_terminal(), after.get(id)) {
                assert_eq!(new.status, old.status, "terminal states absorb: {op:?}");
            }
        }
        // Replaying an accepted signal that changed the book changes nothing: it is answered from its receipt.
        let changed = matches!(
            result,
            Ok(Some(
                SignalEffect::Created
                    | SignalEffect::Updated
                    | SignalEffect::Added
                    | SignalEffect::Reduced
                    | SignalEffect::Closed
                    | SignalEffect::Cancelled
            ))
        );
        if let (true, Some((who, signal))) = (changed, sent) {
            let replay = j.submit_signal(&who, book, signal, Some(identity)).await.expect("a replay is answered");
            assert_eq!(replay.effect, SignalEffect::Replayed, "{op:?} sent again");
            assert_eq!(snapshot(j, &t.jwt, book).await, after, "{op:?} sent again changed the book");
        }
        before = after;
    }
    // The journal the session left, exported and imported into another strategy, comes back field for field.
    crate::imports_suite::export_comes_back(s, &t).await;
}

async fn snapshot(
    j: &quantarya_ports::JournalService,
    who: &quantarya_ports::Principal,
    book: quantarya_domain::StrategyId,
) -> Snapshot {
    let query = TradeQuery { limit: PageLimit::new(500).expect("valid"), ..Default::default() };
    let trades = j.list_trades(who, book, query).await.expect("list").trades;
    let mut snapshot = Snapshot::new();
    for trade in trades {
        let history = j.trade_history(who, book, trade.id).await.expect("history").len();
        snapshot.insert(trade.id, (trade, history));
    }
    snapshot
}

fn check_book(book: &Snapshot) {
    let mut references = HashSet::new();
    for (trade, history) in book.values() {
        assert_eq!(*history as u64, trade.version, "one event per accepted change");
        assert!(Trade::restore(trade.clone().into_record()).is_ok(), "{trade:?}");
        if let Some(entered) = trade.quantity() {
            let exited: Decimal = trade
                .fills
                .iter()
                .filter(|f| f.kind == FillKind::Exit)
                .filter_map(|f| f.quantity)
                .map(Quantity::get)
                .sum();
            let open = trade.open_quantity().expect("sized");
            assert!(exited <= entered.get(), "never more taken off than entered: {trade:?}");
            match trade.status {
                Status::Open => assert_eq!(open, entered.get() - exited, "{trade:?}"),
                Status::Closed => assert_eq!((open, exited), (Decimal::ZERO, entered.get()), "{trade:?}"),
                Status::Cancelled => assert_eq!(open, Decimal::ZERO, "{trade:?}"),
            }
        }
        if trade.status == Status::Open {
            // Open trades without a reference may share a symbol (pyramiding); a reference is one open trade's.
            if let Some(reference) = &trade.external_reference {
                assert!(references.insert(reference.clone()), "two open trades carry {reference}");
            }
        }
    }
}
