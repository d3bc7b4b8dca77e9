//! TradingView "List of trades" files, written in the documented forms of both header generations, read whole;
//! and broken files refused with every bad line named.

use quantarya_domain::{PointValue, Price, Side, Timestamp};
use quantarya_formats::LineErrors;
use quantarya_formats::time_zone::parse_time_zone;
use quantarya_formats::tradingview::{self, ListOfTrades, ListOptions, ListedTrade};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/tradingview/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn options(zone: &str, point_value: f64) -> ListOptions {
    ListOptions {
        time_zone: parse_time_zone(zone).expect("a known zone"),
        point_value: PointValue::new(point_value).expect("valid"),
    }
}

fn read(name: &str, zone: &str, point_value: f64) -> ListOfTrades {
    tradingview::read(&fixture(name), &options(zone, point_value)).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

fn refused(name: &str) -> LineErrors {
    tradingview::read(&fixture(name), &options("UTC", 1.0)).expect_err("a broken file")
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).expect("valid")
}

fn close(price: Option<Price>, expected: f64) -> bool {
    price.is_some_and(|p| (p.get() - expected).abs() < 1e-9)
}

/// (number, side, quantity, entry, entered at, exit, exited at, best, worst) of a trade.
fn check(
    trade: &ListedTrade,
    (number, side, quantity, entry, entered, exit): (u64, Side, f64, f64, &str, Option<(f64, &str)>),
    (best, worst): (f64, f64),
) {
    assert_eq!((trade.number, trade.side, trade.quantity.to_f64()), (number, side, quantity), "{trade:?}");
    assert_eq!((trade.entry.price.get(), trade.entry.at), (entry, at(entered)), "{trade:?}");
    let got_exit = trade.exit.as_ref().map(|exit| (exit.price.get(), exit.at));
    assert_eq!(got_exit, exit.map(|(price, when)| (price, at(when))), "{trade:?}");
    assert!(close(trade.max_favorable_price, best), "best {:?} against {best}: {trade:?}", trade.max_favorable_price);
    assert!(close(trade.max_adverse_price, worst), "worst {:?} against {worst}: {trade:?}", trade.max_adverse_price);
}

#[test]
fn the_older_header_newest_first_longs_and_a_short() {
    let list = read("old_header_usd.csv", "UTC", 1.0);
    assert_eq!(list.currency.as_deref(), Some("USD"));
    let [first, second, third] = list.trades.as_slice() else { panic!("three trades: {list:?}") };
    check(
        first,
        (1, Side::Buy, 10.0, 180.0, "2024-01-03T09:30:00Z", Some((187.0, "2024-01-05T16:00:00Z"))),
        (189.0, 178.0),
    );
    check(
        second,
        (2, Side::Buy, 10.0, 184.0, "2024-01-09T09:30:00Z", Some((181.0, "2024-01-10T15:30:00Z"))),
        (184.5, 179.5),
    );
    check(
        third,
        (3, Side::Sell, 10.0, 185.0, "2024-01-11T10:00:00Z", Some((182.5, "2024-01-12T16:00:00Z"))),
        (181.0, 186.2),
    );
    assert_eq!(first.entry.signal, "Long");
    assert_eq!(third.exit.as_ref().map(|exit| exit.signal.as_str()), Some("Close entry(s) order Short"));
}

#[test]
fn the_newer_header_with_a_byte_order_mark_windows_line_ends_quoted_fields_and_coins() {
    let list = read("new_header_usdt_bom_crlf.csv", "UTC", 1.0);
    assert_eq!(list.currency.as_deref(), Some("USDT"));
    let [short, long] = list.trades.as_slice() else { panic!("two trades: {list:?}") };
    check(
        short,
        (1, Side::Sell, 0.02, 62500.0, "2024-04-29T23:00:00Z", Some((61000.0, "2024-04-30T12:00:00Z"))),
        (60300.0, 62800.0),
    );
    check(
        long,
        (2, Side::Buy, 0.015, 64000.0, "2024-05-01T20:00:00Z", Some((63500.0, "2024-05-02T08:00:00Z"))),
        (64200.0, 63200.0),
    );
    assert_eq!(long.exit.as_ref().map(|exit| exit.signal.as_str()), Some("Close entry(s) order Long, trailing"));
    assert_eq!(short.quantity.get().to_string(), "0.02", "sizes are read as the decimals written");
}

#[test]
fn date_and_time_size_qty_a_trade_still_open_and_the_charts_time_zone() {
    let list = read("date_and_time_gbp_open_trade.csv", "Europe/London", 1.0);
    assert_eq!(list.currency.as_deref(), Some("GBP"));
    let [closed, open] = list.trades.as_slice() else { panic!("two trades: {list:?}") };
    // British Summer Time: an hour ahead of UTC.
    check(
        closed,
        (1, Side::Buy, 100.0, 800.0, "2024-06-07T07:00:00Z", Some((805.0, "2024-06-10T15:30:00Z"))),
        (806.5, 798.8),
    );
    check(open, (2, Side::Buy, 100.0, 800.0, "2024-06-12T07:00:00Z", None), (815.0, 797.0));
    assert_eq!(open.import_key(), "tradingview:2:2024-06-12T07:00:00Z");
}

#[test]
fn across_daylight_saving_changes_in_new_york_with_a_point_value() {
    let list = read("new_york_daylight_saving.csv", "America/New_York", 50.0);
    let [spring, fall, repeated] = list.trades.as_slice() else { panic!("three trades: {list:?}") };
    // In at 15:00 EST (UTC-5), out at 10:00 EDT (UTC-4) after clocks went forward; 2 500 of run-up on two
    // contracts of 50 a point is 25 points.
    check(
        spring,
        (1, Side::Buy, 2.0, 5100.0, "2024-03-08T20:00:00Z", Some((5120.0, "2024-03-11T14:00:00Z"))),
        (5125.0, 5092.5),
    );
    check(
        fall,
        (2, Side::Sell, 1.0, 5750.0, "2024-11-01T16:00:00Z", Some((5740.0, "2024-11-04T17:00:00Z"))),
        (5732.0, 5755.0),
    );
    // 01:20 and then 01:10 in the hour clocks repeated: in at 01:20 EDT, out at 01:10 EST, 50 minutes later.
    check(
        repeated,
        (3, Side::Buy, 1.0, 5760.0, "2024-11-03T05:20:00Z", Some((5765.0, "2024-11-03T06:10:00Z"))),
        (5768.0, 5758.0),
    );
}

#[test]
fn the_same_file_in_another_zone_moves_every_time_alike() {
    let utc = read("old_header_usd.csv", "UTC", 1.0);
    let tokyo = read("old_header_usd.csv", "Asia/Tokyo", 1.0);
    for (u, t) in utc.trades.iter().zip(&tokyo.trades) {
        let hours = (u.entry.at.unix_micros() - t.entry.at.unix_micros()) / 3_600_000_000;
        assert_eq!(hours, 9, "Tokyo is nine hours ahead");
        assert_ne!(u.import_key(), t.import_key());
    }
}

#[test]
fn a_missing_column_is_named_on_line_1() {
    let errors = refused("missing_column.csv");
    let [error] = errors.lines() else { panic!("{errors:?}") };
    assert_eq!(error.line, 1);
    assert!(error.message.contains("Price"), "{}", error.message);
}

#[test]
fn unpaired_and_doubled_rows_are_named_by_their_lines() {
    let errors = refused("unpaired_rows.csv");
    let lines: Vec<u64> = errors.lines().iter().map(|e| e.line).collect();
    assert_eq!(lines, [4, 5, 7], "{errors:?}");
    assert!(errors.lines()[0].message.contains("no exit row"), "{errors:?}");
    assert!(errors.lines()[1].message.contains("no entry row"), "{errors:?}");
    assert!(errors.lines()[2].message.contains("second entry row (the first is line 6)"), "{errors:?}");
}

#[test]
fn bad_numbers_are_named_by_their_lines_and_cells() {
    let errors = refused("bad_numbers.csv");
    let found: Vec<(u64, &str)> = errors.lines().iter().map(|e| (e.line, e.message.as_str())).collect();
    assert_eq!(found.len(), 4, "{found:?}");
    assert_eq!(found[0].0, 3);
    assert!(found[0].1.contains("Price 'abc'"), "{found:?}");
    assert_eq!(found[1].0, 4);
    assert!(found[1].1.contains("Run-up 'ninety'"), "{found:?}");
    assert_eq!(found[2].0, 5);
    assert!(found[2].1.contains("size '-1'"), "{found:?}");
    assert_eq!(found[3].0, 6);
    assert!(found[3].1.contains("Trade # 'three'"), "{found:?}");
    assert_eq!(errors.total(), 4);
}

#[test]
fn bad_dates_and_an_exit_before_its_entry_are_named_by_their_lines() {
    let errors = refused("bad_dates.csv");
    let found: Vec<(u64, &str)> = errors.lines().iter().map(|e| (e.line, e.message.as_str())).collect();
    assert_eq!(found.iter().map(|(line, _)| *line).collect::<Vec<_>>(), [2, 4, 6], "{found:?}");
    assert!(found[0].1.contains("'2024-13-01 16:00' is not a date and time"), "{found:?}");
    assert!(found[1].1.contains("03/08/2024"), "{found:?}");
    assert!(found[2].1.contains("exits before it entered (line 7)"), "{found:?}");
}

#[test]
fn a_time_clocks_skipped_is_refused() {
    let file = "Trade #,Type,Date/Time,Price USD,Contracts\n1,Entry long,2024-03-10 02:30,100,1\n\
                1,Exit long,2024-03-10 04:00,101,1\n";
    let errors = tradingview::read(file.as_bytes(), &options("America/New_York", 1.0)).expect_err("skipped");
    assert_eq!(errors.lines()[0].line, 2);
    assert!(errors.lines()[0].message.contains("does not exist in America/New_York"), "{errors:?}");
}

#[test]
fn empty_files_and_files_of_blank_lines_are_refused_on_line_1() {
    for file in ["", "\u{feff}", "\n\n", ",,,\n"] {
        let errors = tradingview::read(file.as_bytes(), &options("UTC", 1.0)).expect_err("empty");
        assert_eq!(errors.lines()[0].line, 1, "{file:?}: {errors:?}");
    }
    let header_only = "Trade #,Type,Date/Time,Price USD,Contracts\n";
    let list = tradingview::read(header_only.as_bytes(), &options("UTC", 1.0)).expect("no trades is a list");
    assert!(list.trades.is_empty());
}

#[test]
fn a_row_with_a_quoted_newline_is_named_by_the_line_it_starts_on() {
    let file = "Trade #,Type,Signal,Date/Time,Price USD,Contracts\n\
                1,Entry long,\"two\nlines\",2024-01-03 09:30,180,10\n\
                1,Exit long,Close,2024-01-05 16:00,oops,10\n";
    let errors = tradingview::read(file.as_bytes(), &options("UTC", 1.0)).expect_err("bad price");
    assert_eq!(errors.lines()[0].line, 4, "{errors:?}");
}

#[test]
fn at_most_fifty_bad_lines_are_kept_and_all_are_counted() {
    let mut file = String::from("Trade #,Type,Date/Time,Price USD,Contracts\n");
    for n in 1..=120 {
        file.push_str(&format!("{n},Entry long,2024-01-03 09:30,bad,1\n"));
    }
    let errors = tradingview::read(file.as_bytes(), &options("UTC", 1.0)).expect_err("bad prices");
    assert_eq!((errors.total(), errors.lines().len()), (120, LineErrors::KEPT));
    assert_eq!(errors.lines().first().map(|e| e.line), Some(2));
    assert_eq!(errors.lines().last().map(|e| e.line), Some(51));
}

#[test]
fn every_listed_trade_makes_an_imported_trade_with_its_fills_and_excursions() {
    use quantarya_domain::uuid::Uuid;
    use quantarya_domain::{EventId, ImportKey, ImportedTrade, Origin, Status, StrategyId, Symbol, TradeId, UserId};
    let now = at("2026-12-06T12:00:00Z");
    for (name, zone, point_value) in [
        ("old_header_usd.csv", "UTC", 1.0),
        ("new_header_usdt_bom_crlf.csv", "UTC", 1.0),
        ("date_and_time_gbp_open_trade.csv", "Europe/London", 1.0),
        ("new_york_daylight_saving.csv", "America/New_York", 50.0),
    ] {
        for (n, listed) in read(name, zone, point_value).trades.iter().enumerate() {
            let ids = (TradeId::from_uuid(Uuid::from_u128(n as u128 + 1)), StrategyId::from_uuid(Uuid::from_u128(9)));
            let symbol = Symbol::parse("ES1!").expect("valid");
            let point_value = PointValue::new(point_value).expect("valid");
            let record = listed.record(ids.0, ids.1, UserId::parse("alice").expect("valid"), symbol, point_value);
            let event_id = EventId::from_uuid(Uuid::from_u128(100 + n as u128));
            let key = ImportKey::listed(listed.import_key());
            let imported = ImportedTrade::new(key, record, event_id, now).unwrap_or_else(|e| panic!("{name}: {e}"));
            let trade = &imported.trade;
            assert_eq!((trade.origin, trade.version, trade.created_at), (Origin::Import, 1, now));
            assert_eq!(trade.status, if listed.exit.is_some() { Status::Closed } else { Status::Open }, "{name}");
            assert_eq!(trade.quantity(), Some(listed.quantity));
            assert_eq!(trade.close_price, listed.exit.as_ref().map(|exit| exit.price));
            assert_eq!(
                (trade.max_favorable_price, trade.max_adverse_price),
                (listed.max_favorable_price, listed.max_adverse_price)
            );
            assert_eq!(trade.fills.len(), 1 + usize::from(listed.exit.is_some()));
            assert!(imported.event.changes.iter().any(|c| c.field() == "max_favorable_price"), "{name}");
        }
    }
}

#[test]
fn lines_are_counted_alike_with_windows_line_ends() {
    let file = "\u{feff}Trade #,Type,Date/Time,Price USD,Contracts\r\n1,Exit long,2024-01-05 16:00,187,1\r\n\
                1,Entry long,2024-01-03 09:30,180,1\r\n2,Exit long,2024-01-06 16:00,bad,1\r\n\
                2,Entry long,2024-01-06 09:30,180,1\r\n";
    let errors = tradingview::read(file.as_bytes(), &options("UTC", 1.0)).expect_err("a bad price");
    assert_eq!(errors.lines().iter().map(|e| e.line).collect::<Vec<_>>(), [4], "{errors:?}");
}

#[test]
fn times_outside_1970_to_9999_are_bad_lines() {
    for (time, zone) in [
        ("1969-12-31 23:00", "UTC"),
        ("1970-01-01 00:30", "Europe/Paris"),
        ("9999-12-31 23:00", "America/New_York"),
        ("-5000-01-01 00:00", "UTC"),
        ("1960-01-01T00:00:00Z", "UTC"),
    ] {
        let file = format!(
            "Trade #,Type,Date/Time,Price USD,Contracts\n1,Entry long,{time},100,1\n1,Exit long,{time},101,1\n"
        );
        let errors = tradingview::read(file.as_bytes(), &options(zone, 1.0)).expect_err(time);
        assert_eq!(errors.lines()[0].line, 2, "{time}: {errors:?}");
        assert!(errors.lines()[0].message.contains("between 1970 and 9999"), "{time}: {errors:?}");
    }
}

#[test]
fn an_order_name_is_kept_short_and_without_control_characters() {
    let long = "x".repeat(20_000);
    let file = format!(
        "Trade #,Type,Signal,Date/Time,Price USD,Contracts\n1,Entry long,\"{long}\",2024-01-03 09:30,100,1\n\
         1,Exit long,\"a\u{0}b\",2024-01-03 10:30,101,1\n"
    );
    let list = tradingview::read(file.as_bytes(), &options("UTC", 1.0)).expect("read");
    let trade = &list.trades[0];
    assert_eq!(trade.entry.signal.chars().count(), 128);
    assert_eq!(trade.exit.as_ref().map(|exit| exit.signal.as_str()), Some("ab"));
}

#[test]
fn a_line_of_too_many_cells_and_a_file_of_too_many_trades_are_refused() {
    let wide = format!("Trade #,Type,Date/Time,Price USD,Contracts\n1,Entry long{}\n", ",".repeat(100_000));
    let errors = tradingview::read(wide.as_bytes(), &options("UTC", 1.0)).expect_err("too wide");
    assert_eq!((errors.lines()[0].line, errors.total()), (2, 1), "{errors:?}");
    let most = quantarya_domain::Import::MAX_TRADES as u64;
    let mut many = String::from("Trade #,Type,Date/Time,Price USD,Contracts\n");
    for n in 1..=most + 1 {
        many.push_str(&format!("{n},Entry long,2024-01-03 09:30,100,1\n{n},Exit long,2024-01-03 10:30,101,1\n"));
    }
    let errors = tradingview::read(many.as_bytes(), &options("UTC", 1.0)).expect_err("too many");
    assert_eq!(errors.lines().iter().map(|e| e.line).collect::<Vec<_>>(), [2 * most + 2], "{errors:?}");
    assert!(errors.lines()[0].message.contains("split it"), "{errors:?}");
}
