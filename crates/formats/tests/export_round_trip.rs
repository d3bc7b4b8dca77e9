//! A Quantarya export reads back exactly: random journals (trades opened with every kind of field, then scaled in,
//! partly closed, updated, patched, closed or cancelled at random) written out and read in again are equal, field
//! for field.

use proptest::prelude::*;
use quantarya_domain::{
    CloseTrade, CredentialKind, EventId, Extensions, ExternalReference, Fees, JsonObject, LevelsChange, NewTrade,
    Outcome, PointValue, Price, Quantity, ScaleIn, Side, SignalExit, Source, Stamp, Status, StrategyId, Symbol, Tags,
    Timeframe, Timestamp, Trade, TradeCommand, TradeId, TradeRecord, UserId, serde_json, uuid::Uuid,
};
use quantarya_formats::quantarya::{ExportWriter, read};

fn at(minutes: i64) -> Timestamp {
    let base = Timestamp::parse_rfc3339("2026-05-21T12:00:00.123456Z").expect("valid");
    Timestamp::from_datetime(base.as_datetime() + chrono::TimeDelta::minutes(minutes))
}

fn price() -> impl Strategy<Value = Price> {
    prop_oneof![
        (1u32..200_000).prop_map(|cents| Price::new(f64::from(cents) / 100.0).expect("positive")),
        (1e-8f64..1e12).prop_map(|p| Price::new(p).expect("positive")),
    ]
}

fn quantity() -> impl Strategy<Value = Quantity> {
    (1u32..4000).prop_map(|n| Quantity::new(f64::from(n) / 1000.0).expect("positive"))
}

fn fees() -> impl Strategy<Value = Option<Fees>> {
    proptest::option::of((0u32..300).prop_map(|cents| Fees::new(f64::from(cents) / 100.0).expect("non-negative")))
}

/// Texts a CSV writer must quote: commas, quotes, line ends, and letters beyond ASCII.
fn awkward_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ,\"\n\r;é€]{1,20}".prop_filter("not blank", |t| !t.trim().is_empty())
}

fn object() -> impl Strategy<Value = Option<JsonObject>> {
    proptest::option::of((awkward_text(), any::<i32>(), -1e9f64..1e9).prop_map(|(text, n, x)| {
        let mut object = JsonObject::new();
        object.insert("note".to_owned(), serde_json::Value::from(text));
        object.insert("n".to_owned(), serde_json::Value::from(n));
        object.insert("x".to_owned(), serde_json::json!({ "nested": [x, null, true] }));
        object
    }))
}

fn new_trade() -> impl Strategy<Value = NewTrade> {
    let texts = (
        proptest::option::of("[0-9]{1,3}[mhDW]?".prop_map(String::from)),
        proptest::option::of(awkward_text()),
        proptest::option::of(awkward_text()),
        proptest::sample::subsequence(vec!["breakout", "fomo", "a-plus", "news"], 0..=4),
    );
    let extensions = (object(), object(), object(), object(), object());
    let size = (proptest::option::of(quantity()), proptest::option::of(prop_oneof![Just(1.0), Just(50.0)]), fees());
    let state = prop_oneof![
        3 => Just((Status::Open, None, None)),
        1 => (price(), 0i64..60).prop_map(|(close, after)| (Status::Closed, Some(close), Some(after))),
        1 => (0i64..60).prop_map(|after| (Status::Cancelled, None, Some(after))),
    ];
    let levels = (proptest::option::of(price()), proptest::option::of(price()), proptest::option::of(price()));
    (state, levels, any::<bool>(), texts, extensions, size).prop_map(
        |(state, (entry, stop_loss, take_profit), buy, texts, objects, size)| {
            let (status, close_price, closed_after) = state;
            let (timeframe, source, reference, tags) = texts;
            let (signal, market, risk, context, meta) = objects;
            let (quantity, point_value, fees) = size;
            NewTrade {
                status,
                entry,
                stop_loss,
                take_profit,
                close_price,
                signal_time: Some(at(-30)),
                closed_at: closed_after.map(|after| at(-30 + after)),
                timeframe: timeframe.map(|t| Timeframe::parse(&t).expect("valid")),
                source: source.and_then(|s| Source::parse(&s).ok()),
                external_reference: reference.and_then(|r| ExternalReference::parse(&r).ok()),
                tags: Tags::parse(&tags).expect("valid"),
                extensions: Extensions::new(signal, market, risk, context, meta).expect("small enough"),
                quantity,
                point_value: point_value.map(|v| PointValue::new(v).expect("positive")),
                fees,
                ..NewTrade::open(
                    Symbol::parse("BINANCE:BTCUSDT.P").expect("valid"),
                    if buy { Side::Buy } else { Side::Sell },
                )
            }
        },
    )
}

fn command() -> impl Strategy<Value = TradeCommand> {
    prop_oneof![
        (price(), quantity(), fees()).prop_map(|(price, quantity, fees)| TradeCommand::Add(ScaleIn {
            price: Some(price),
            quantity,
            fees,
            signal_time: None,
            levels: LevelsChange::default(),
        })),
        (proptest::option::of(price()), proptest::option::of(quantity()), fees()).prop_map(
            |(close_price, quantity, fees)| TradeCommand::Exit(SignalExit {
                close_price,
                quantity,
                fees,
                ..Default::default()
            })
        ),
        proptest::option::of(price())
            .prop_map(|stop| TradeCommand::Update(LevelsChange { stop_loss: Some(stop), ..Default::default() })),
        (proptest::option::of(price()), fees()).prop_map(|(close_price, fees)| TradeCommand::Close(CloseTrade {
            close_price,
            fees,
            ..Default::default()
        })),
    ]
}

/// A journal: each trade opened, then moved by its commands (those its state refuses change nothing).
fn journal() -> impl Strategy<Value = Vec<Trade>> {
    let excursions = (proptest::option::of(price()), proptest::option::of(price()));
    let trade = (new_trade(), prop::collection::vec(command(), 0..5), any::<bool>(), excursions);
    prop::collection::vec(trade, 0..12).prop_map(|trades| {
        let mut n = 0_u128;
        let mut stamp = |minutes: i64, by| {
            n += 1;
            Stamp { event_id: EventId::from_uuid(Uuid::from_u128(n)), at: at(minutes), by }
        };
        let user = UserId::parse("trader-1").expect("valid");
        let strategy = StrategyId::from_uuid(Uuid::from_u128(7));
        trades
            .into_iter()
            .enumerate()
            .filter_map(|(i, (new, commands, by_key, (best, worst)))| {
                let by = if by_key { CredentialKind::ApiKey } else { CredentialKind::User };
                let id = TradeId::from_uuid(Uuid::from_u128(1_000 + i as u128));
                let mut trade = Trade::open(id, strategy, user.clone(), new, stamp(0, by)).ok()?.trade;
                for (minute, command) in commands.into_iter().enumerate() {
                    if let Ok(Outcome::Changed(next)) = trade.apply(command, stamp(minute as i64 + 1, by)) {
                        trade = next.trade;
                    }
                }
                // Excursions come from imports (and, later, update signals): any price will do for a file.
                let record = TradeRecord { max_favorable_price: best, max_adverse_price: worst, ..trade.into_record() };
                Trade::restore(record).ok()
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn an_export_reads_back_field_for_field(trades in journal()) {
        let mut export = ExportWriter::new(Vec::new()).expect("a vector takes anything");
        for trade in &trades {
            export.write(trade).expect("a vector takes anything");
        }
        let file = export.finish().expect("flushed");
        let read = read(&file).map_err(|e| TestCaseError::fail(format!("{e:?}\n{}", String::from_utf8_lossy(&file))))?;
        prop_assert_eq!(read, trades);
    }
}

#[test]
fn a_broken_export_names_its_bad_lines() {
    let header = String::from_utf8(quantarya_formats::quantarya::header_line()).expect("text");
    let missing = read(b"trade_id,symbol\n").expect_err("a short header");
    assert_eq!(missing.lines()[0].line, 1);
    assert!(missing.lines()[0].message.contains("no strategy_id"), "{missing:?}");
    let cells = header.trim_end().split(',').count();
    let blank_row = vec![""; cells].join(",");
    let file = format!("{header}{blank_row}\nnot,a,trade\n");
    let errors = read(file.as_bytes()).expect_err("bad rows");
    assert_eq!(errors.lines().iter().map(|e| e.line).collect::<Vec<_>>(), [3], "{errors:?}");
    assert!(errors.lines()[0].message.contains("trade_id"), "{errors:?}");
}
