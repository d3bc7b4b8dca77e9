//! TradingView's "List of trades": the Strategy Tester's export of a backtest or a live strategy's trades, read
//! into trades.
//!
//! Both header generations are read (`Trade #, Type, Signal, Date/Time, Price USD, Contracts, Profit USD, …,
//! Run-up USD, Run-up %, Drawdown USD, Drawdown %` and `Trade #, Type, Date/Time` or `Date and time`, `Signal,
//! Price USD, Position size (qty)` or `Size (qty)`, `…, Run-up USD, …, Drawdown USD, …`), columns found by name,
//! money columns in any currency. Each trade number has an entry row and an exit row (`Entry long`, `Exit long`,
//! `Entry short`, `Exit short`, any case) in any order, as TradingView writes them newest first with the exit
//! before the entry; an exit row whose signal is `Open` is a trade still open. Times carry no offset: they are
//! read in the time zone the caller names (the chart's). A UTF-8 byte order mark, quoted fields and Windows line
//! ends are all read. Run-up and drawdown become the trade's best and worst prices ([`crate::excursions`]).
//!
//! A file with any bad line is refused whole, each bad line named by its number (the header is line 1).
//!
//! ```
//! use quantarya_domain::{PointValue, Side};
//! use quantarya_formats::time_zone::parse_time_zone;
//! use quantarya_formats::tradingview::{self, ListOptions};
//! let file = "Trade #,Type,Signal,Date/Time,Price USD,Contracts,Profit USD,Run-up USD,Drawdown USD\r\n\
//!             1,Exit long,TP,2024-03-08 15:45,5030,2,3000,3500,-500\r\n\
//!             1,Entry long,Long,2024-03-08 09:30,5000,2,3000,3500,-500\r\n";
//! let options = ListOptions { time_zone: parse_time_zone("America/New_York").expect("known"), point_value: PointValue::new(50.0)? };
//! let list = tradingview::read(file.as_bytes(), &options)?;
//! let trade = &list.trades[0];
//! assert_eq!((trade.number, trade.side, trade.quantity.to_f64()), (1, Side::Buy, 2.0));
//! assert_eq!(trade.entry.at.to_rfc3339(), "2024-03-08T14:30:00Z");
//! assert_eq!(trade.exit.as_ref().map(|exit| exit.price.get()), Some(5030.0));
//! assert_eq!(trade.max_favorable_price.map(|p| p.get()), Some(5035.0));
//! assert_eq!(trade.import_key(), "tradingview:1:2024-03-08T14:30:00Z");
//! assert_eq!(list.currency.as_deref(), Some("USD"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod columns;
mod pairing;
mod rows;

use std::collections::{BTreeMap, BTreeSet};

use chrono_tz::Tz;
use quantarya_domain::serde_json::Value;
use quantarya_domain::{
    Extensions, Fees, Fill, FillKind, Import, JsonObject, Origin, PointValue, Price, Quantity, Side, SignalEvent,
    Source, Status, StrategyId, Symbol, Tags, Timestamp, TradeId, TradeRecord, UserId,
};

use crate::errors::{LineError, LineErrors};
use crate::lines::{LineCounter, too_wide};
use columns::Columns;
use pairing::Legs;
use rows::Row;

/// What the file does not say and the caller does: the time zone its times are written in (the chart's), and the
/// instrument's point value (a futures multiplier; 1 for shares, coins and most CFDs).
#[derive(Debug, Clone, Copy)]
pub struct ListOptions {
    /// The time zone of the file's times.
    pub time_zone: Tz,
    /// Currency per unit per point of price.
    pub point_value: PointValue,
}

/// One side of a trade as the list gives it: a price, when, and the order's signal name.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedFill {
    /// The fill's price.
    pub price: Price,
    /// When it happened.
    pub at: Timestamp,
    /// The strategy's name for the order (`Long`, `Close entry(s) order Long`), as written; may be empty.
    pub signal: String,
}

/// One trade of a list: its number in the list, side, size, entry, exit (none while it is still open) and the
/// best and worst prices it reached.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedTrade {
    /// Its `Trade #`.
    pub number: u64,
    /// The direction.
    pub side: Side,
    /// The size: contracts, shares or coins.
    pub quantity: Quantity,
    /// The entry.
    pub entry: ListedFill,
    /// The exit; `None` for a trade still open.
    pub exit: Option<ListedFill>,
    /// The best price reached, from the run-up.
    pub max_favorable_price: Option<Price>,
    /// The worst price reached, from the drawdown.
    pub max_adverse_price: Option<Price>,
}

impl ListedTrade {
    /// What makes a trade of a list the same trade in another import: its number with its entry time (a later
    /// export of the same strategy numbers its old trades the same way). `tradingview:<number>:<entry time>`.
    pub fn import_key(&self) -> String {
        format!("tradingview:{}:{}", self.number, self.entry.at.to_rfc3339())
    }

    /// The trade this row pair makes in `strategy_id` of `user_id`, of `symbol` at `point_value` per point: sized,
    /// with its entry fill and (when closed) its exit fill, no fees (the list has none), its signal time the
    /// entry's, `source` `tradingview`, and the list's trade number and order names kept in its `signal` object.
    /// It has no reference, so no live signal can reach it. Its origin, version and record times are the
    /// import's to set ([`quantarya_domain::ImportedTrade::new`]).
    pub fn record(
        &self,
        id: TradeId,
        strategy_id: StrategyId,
        user_id: UserId,
        symbol: Symbol,
        point_value: PointValue,
    ) -> TradeRecord {
        let fill = |kind, listed: &ListedFill| Fill {
            kind,
            price: Some(listed.price),
            quantity: Some(self.quantity),
            fees: Fees::ZERO,
            at: listed.at,
        };
        let mut fills = vec![fill(FillKind::Entry, &self.entry)];
        fills.extend(self.exit.iter().map(|exit| fill(FillKind::Exit, exit)));
        let mut signal = JsonObject::new();
        signal.insert("trade_number".to_owned(), Value::from(self.number));
        signal.insert("entry_signal".to_owned(), Value::from(self.entry.signal.as_str()));
        if let Some(exit) = &self.exit {
            signal.insert("exit_signal".to_owned(), Value::from(exit.signal.as_str()));
        }
        TradeRecord {
            id,
            strategy_id,
            user_id,
            symbol,
            side: self.side,
            status: if self.exit.is_some() { Status::Closed } else { Status::Open },
            event: if self.exit.is_some() { SignalEvent::Exit } else { SignalEvent::Entry },
            entry: Some(self.entry.price),
            stop_loss: None,
            initial_stop_loss: None,
            take_profit: None,
            close_price: self.exit.as_ref().map(|exit| exit.price),
            max_favorable_price: self.max_favorable_price,
            max_adverse_price: self.max_adverse_price,
            opened_at: self.entry.at,
            closed_at: self.exit.as_ref().map(|exit| exit.at),
            signal_time: Some(self.entry.at),
            timeframe: None,
            source: Source::parse("tradingview").ok(),
            external_reference: None,
            tags: Tags::default(),
            // One small object: always within the extensions' size.
            extensions: Extensions::new(Some(signal), None, None, None, None).unwrap_or_default(),
            point_value,
            fees: Fees::ZERO,
            fills,
            origin: Origin::Import,
            live: false,
            created_at: self.entry.at,
            updated_at: self.entry.at,
            version: 1,
        }
    }
}

/// A list of trades read.
#[derive(Debug, Clone, PartialEq)]
pub struct ListOfTrades {
    /// Its trades, oldest entry first (then by number).
    pub trades: Vec<ListedTrade>,
    /// The currency its money columns name (`USD`, `USDT`), if they name one.
    pub currency: Option<String>,
}

/// The records of a CSV file with their line numbers; a byte order mark at its start is skipped.
fn records(bytes: &[u8]) -> impl Iterator<Item = (u64, Result<Vec<String>, String>)> + '_ {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut lines = LineCounter::new(bytes);
    reader.into_byte_records().map_while(move |record| match record {
        Ok(record) => {
            let line = lines.line_at(record.position().map_or(0, csv::Position::byte));
            let cells: Result<Vec<String>, String> = record
                .iter()
                .map(|cell| String::from_utf8(cell.to_vec()).map_err(|_| "is not UTF-8 text".to_owned()))
                .collect();
            Some((line, cells))
        }
        // A CSV reader's error cannot be read past; it names its line when it knows it.
        Err(error) => {
            let line = lines.line_at(error.position().map_or(0, csv::Position::byte));
            Some((line, Err(format!("cannot be read as CSV: {error}"))))
        }
    })
}

/// Reads a "List of trades" export.
///
/// # Errors
///
/// Every bad line (the first [`LineErrors::KEPT`] of them by number): a header without a needed column, a row
/// whose cells do not read, a trade without an entry or an exit row, rows of one trade that disagree, a trade that
/// exits before it entered; or line 1 for a file with no header at all.
pub fn read(bytes: &[u8], options: &ListOptions) -> Result<ListOfTrades, LineErrors> {
    if let Some(wide) = too_wide(bytes) {
        return Err(wide.into());
    }
    let mut records = records(bytes);
    let mut errors = LineErrors::default();
    let header = loop {
        match records.next() {
            None => return Err(LineError::new(1, "the file is empty: it has no header row").into()),
            Some((line, Err(why))) => return Err(LineError::new(line.max(1), why).into()),
            Some((_, Ok(cells))) if cells.iter().all(|c| c.trim().is_empty()) => {}
            Some((line, Ok(cells))) => break Columns::find(&cells, line.max(1))?,
        }
    };
    let mut trades: BTreeMap<u64, Legs> = BTreeMap::new();
    // The trade numbers of bad rows: their trades are not paired (the bad row says what is wrong; that their
    // other row has no partner would only repeat it).
    let mut spoiled: BTreeSet<u64> = BTreeSet::new();
    for (line, cells) in records {
        let cells = match cells {
            Ok(cells) => cells,
            Err(why) => {
                errors.push(LineError::new(line, why));
                break;
            }
        };
        if cells.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        match Row::read(line, &cells, &header, options.time_zone) {
            Ok(row) if trades.len() >= Import::MAX_TRADES && !trades.contains_key(&row.number) => {
                let most = Import::MAX_TRADES;
                errors.push(LineError::new(line, format!("the file holds more than {most} trades; split it")));
                break;
            }
            Ok(row) => {
                if let Err(error) = trades.entry(row.number).or_default().add(row) {
                    errors.push(error);
                }
            }
            Err(error) => {
                spoiled.extend(Row::number_in(&cells, &header));
                errors.push(error);
            }
        }
    }
    let mut listed = Vec::with_capacity(trades.len());
    for (_, legs) in trades.into_iter().filter(|(number, _)| !spoiled.contains(number)) {
        match legs.pair(options.point_value) {
            Ok(trade) => listed.push(trade),
            Err(error) => errors.push(error),
        }
    }
    listed.sort_by_key(|trade| (trade.entry.at, trade.number));
    errors.into_result(ListOfTrades { trades: listed, currency: header.currency })
}
