//! No file can make the TradingView reader panic or half-read it: files mangled at random (bytes replaced,
//! inserted and removed, lines swapped, doubled and cut) are either read whole into consistent trades, or refused
//! with bad lines that exist in the file.

use proptest::prelude::*;
use quantarya_domain::{PointValue, Side};
use quantarya_formats::time_zone::parse_time_zone;
use quantarya_formats::tradingview::{self, ListOptions};

const FIXTURES: [&str; 8] = [
    "old_header_usd.csv",
    "new_header_usdt_bom_crlf.csv",
    "date_and_time_gbp_open_trade.csv",
    "new_york_daylight_saving.csv",
    "missing_column.csv",
    "unpaired_rows.csv",
    "bad_numbers.csv",
    "bad_dates.csv",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/tradingview/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// One way of mangling a file.
#[derive(Debug, Clone)]
enum Mangle {
    Replace(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    SwapLines(usize, usize),
    DoubleLine(usize),
    Cut(usize),
}

/// Bytes that mean something to a CSV reader, a number or a date, and some that mean nothing.
fn telling_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b",\"\r\n-+.:/ 0123456789eE%#TZ".to_vec()),
        prop::sample::select(vec![0x00, 0xef, 0xbb, 0xbf, 0xff, 0xc3, b'\\', b'\t']),
        any::<u8>(),
    ]
}

fn mangle() -> impl Strategy<Value = Mangle> {
    prop_oneof![
        (any::<usize>(), telling_byte()).prop_map(|(at, byte)| Mangle::Replace(at, byte)),
        (any::<usize>(), prop::collection::vec(telling_byte(), 1..12)).prop_map(|(at, b)| Mangle::Insert(at, b)),
        (any::<usize>(), 1..40_usize).prop_map(|(at, len)| Mangle::Remove(at, len)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mangle::SwapLines(a, b)),
        any::<usize>().prop_map(Mangle::DoubleLine),
        any::<usize>().prop_map(Mangle::Cut),
    ]
}

fn apply(file: &mut Vec<u8>, mangle: &Mangle) {
    let len = file.len().max(1);
    match mangle {
        Mangle::Replace(at, byte) => {
            if let Some(slot) = file.get_mut(at % len) {
                *slot = *byte;
            }
        }
        Mangle::Insert(at, bytes) => {
            let at = at % (file.len() + 1);
            file.splice(at..at, bytes.iter().copied());
        }
        Mangle::Remove(at, count) => {
            let at = at % len;
            let end = (at + count).min(file.len());
            if at < end {
                file.drain(at..end);
            }
        }
        Mangle::SwapLines(a, b) | Mangle::DoubleLine(a @ b) => {
            let mut lines: Vec<Vec<u8>> = file.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
            let count = lines.len();
            let (a, b) = (a % count, b % count);
            if matches!(mangle, Mangle::DoubleLine(_)) {
                let line = lines[a].clone();
                lines.insert(a, line);
            } else {
                lines.swap(a, b);
            }
            *file = lines.join(&b'\n');
        }
        Mangle::Cut(at) => file.truncate(at % len),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn a_mangled_file_is_read_whole_or_refused_by_lines_that_exist(
        which in 0..FIXTURES.len(),
        mangles in prop::collection::vec(mangle(), 1..6),
        zone in prop::sample::select(vec!["UTC", "America/New_York", "Europe/London", "Asia/Kolkata"]),
        point_value in prop::sample::select(vec![1.0, 50.0, 0.01]),
    ) {
        let mut file = fixture(FIXTURES[which]);
        for m in &mangles {
            apply(&mut file, m);
        }
        let options = ListOptions {
            time_zone: parse_time_zone(zone).expect("known"),
            point_value: PointValue::new(point_value).expect("valid"),
        };
        let last_line = file.iter().filter(|b| **b == b'\n').count() as u64 + 1;
        match tradingview::read(&file, &options) {
            Ok(list) => {
                let mut keys = std::collections::BTreeSet::new();
                for trade in &list.trades {
                    prop_assert!(keys.insert(trade.import_key()), "one key a trade: {trade:?}");
                    if let Some(exit) = &trade.exit {
                        prop_assert!(exit.at >= trade.entry.at, "{trade:?}");
                    }
                    let entry = trade.entry.price.get();
                    let exit = trade.exit.as_ref().map_or(entry, |exit| exit.price.get());
                    let (best, worst) = (trade.max_favorable_price.map(|p| p.get()), trade.max_adverse_price.map(|p| p.get()));
                    match trade.side {
                        Side::Buy => {
                            prop_assert!(best.is_none_or(|b| b >= entry.max(exit)), "{trade:?}");
                            prop_assert!(worst.is_none_or(|w| w <= entry.min(exit)), "{trade:?}");
                        }
                        Side::Sell => {
                            prop_assert!(best.is_none_or(|b| b <= entry.min(exit)), "{trade:?}");
                            prop_assert!(worst.is_none_or(|w| w >= entry.max(exit)), "{trade:?}");
                        }
                    }
                }
                prop_assert!(list.trades.windows(2).all(|w| w[0].entry.at <= w[1].entry.at), "oldest first");
            }
            Err(errors) => {
                prop_assert!(errors.total() >= errors.lines().len() && !errors.lines().is_empty(), "{errors:?}");
                for error in errors.lines() {
                    prop_assert!((1..=last_line).contains(&error.line), "line {} of {last_line}: {errors:?}", error.line);
                    prop_assert!(!error.message.is_empty(), "{errors:?}");
                }
                prop_assert!(errors.lines().windows(2).all(|w| w[0].line <= w[1].line), "in line order: {errors:?}");
            }
        }
    }
}
