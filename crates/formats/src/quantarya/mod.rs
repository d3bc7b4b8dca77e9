//! Quantarya's own export: one CSV row per trade, every field of the trade object under its API name (fills, tags
//! and the extension objects as JSON text, sizes and fees as exact decimals, times in RFC 3339 to the
//! microsecond), so that reading an export gives back every trade exactly as it was written.
//!
//! ```
//! use quantarya_domain::{CredentialKind, EventId, NewTrade, Price, Side, Stamp, StrategyId, Symbol, Timestamp, Trade, TradeId, UserId};
//! # use quantarya_domain::uuid::Uuid;
//! use quantarya_formats::quantarya::{ExportWriter, read};
//! let at = Timestamp::parse_rfc3339("2026-05-21T12:00:00.123456Z")?;
//! let stamp = Stamp { event_id: EventId::from_uuid(Uuid::from_u128(3)), at, by: CredentialKind::User };
//! let new = NewTrade { entry: Some(Price::new(1.0825)?), ..NewTrade::open(Symbol::parse("EURUSD")?, Side::Buy) };
//! let ids = (TradeId::from_uuid(Uuid::from_u128(1)), StrategyId::from_uuid(Uuid::from_u128(2)));
//! let trade = Trade::open(ids.0, ids.1, UserId::parse("alice")?, new, stamp)?.trade;
//!
//! let mut export = ExportWriter::new(Vec::new())?;
//! export.write(&trade)?;
//! let file = export.finish()?;
//! assert!(file.starts_with(b"trade_id,strategy_id,user_id,symbol,side,status"));
//! assert_eq!(read(&file)?, vec![trade]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod columns;

use std::collections::BTreeMap;
use std::io;

use quantarya_domain::{Import, Trade, TradeId, TradeRecord};

use columns::Cells;
pub use columns::Column;

use crate::errors::{LineError, LineErrors};
use crate::lines::{LineCounter, too_wide};

/// The CSV line of `cells` (quoted where a cell needs it), with its line end.
fn line<'a>(cells: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut csv = csv::WriterBuilder::new().buffer_capacity(256).from_writer(Vec::new());
    // Writing into a vector cannot fail.
    let _ = csv.write_record(cells);
    csv.into_inner().unwrap_or_default()
}

/// The header line of an export.
pub fn header_line() -> Vec<u8> {
    line(Column::ALL.iter().map(|column| column.name()))
}

/// The line of `trade` in an export.
pub fn trade_line(trade: &TradeRecord) -> Vec<u8> {
    let cells: Vec<String> = Column::ALL.iter().map(|column| column.write(trade)).collect();
    line(cells.iter().map(String::as_str))
}

/// Writes an export onto a writer: the header first, then one line per trade, each handed to the writer as it is
/// written, so an export of any size takes the memory of one line (and whatever the writer buffers). A streamed
/// answer builds its chunks from [`header_line`] and [`trade_line`] instead.
#[derive(Debug)]
pub struct ExportWriter<W: io::Write> {
    out: W,
}

impl<W: io::Write> ExportWriter<W> {
    /// A writer onto `out`, with the header written.
    ///
    /// # Errors
    ///
    /// When `out` refuses it.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(&header_line())?;
        Ok(Self { out })
    }

    /// Writes `trade`'s line.
    ///
    /// # Errors
    ///
    /// When the writer refuses it.
    pub fn write(&mut self, trade: &TradeRecord) -> io::Result<()> {
        self.out.write_all(&trade_line(trade))
    }

    /// The writer, flushed.
    ///
    /// # Errors
    ///
    /// When it cannot be flushed.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Reads an export: every trade, each checked by the lifecycle's invariants ([`Trade::restore`]), in the file's
/// order. Columns are found by name (others are ignored, so a file kept in a spreadsheet with a column added still
/// reads); `quantity`, `open_quantity` and `realized_pnl` may be missing, since they follow from the fills.
///
/// # Errors
///
/// Every bad line (the first [`LineErrors::KEPT`] by number): a header without a column that is read, a cell that
/// does not read, a row whose fields break a trade's invariants, a trade id written twice.
pub fn read(bytes: &[u8]) -> Result<Vec<Trade>, LineErrors> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Some(wide) = too_wide(bytes) {
        return Err(wide.into());
    }
    let mut records = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes).into_records();
    let mut lines = LineCounter::new(bytes);
    let start = |record: &csv::StringRecord| record.position().map_or(0, csv::Position::byte);
    let header = match records.next() {
        None => return Err(LineError::new(1, "the file is empty: it has no header row").into()),
        Some(Err(error)) => return Err(LineError::new(1, format!("cannot be read as CSV: {error}")).into()),
        Some(Ok(header)) => header,
    };
    let places: Vec<(Column, usize)> = Column::ALL
        .iter()
        .filter_map(|column| header.iter().position(|name| name.trim() == column.name()).map(|at| (*column, at)))
        .collect();
    let missing: Vec<&str> = Column::ALL
        .iter()
        .filter(|column| column.is_read() && !places.iter().any(|(placed, _)| placed == *column))
        .map(|column| column.name())
        .collect();
    if !missing.is_empty() {
        let message = format!("the header has no {} column: is this a Quantarya export?", missing.join(", no "));
        return Err(LineError::new(lines.line_at(start(&header)), message).into());
    }
    let mut errors = LineErrors::default();
    let mut trades = Vec::new();
    let mut seen: BTreeMap<TradeId, u64> = BTreeMap::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = lines.line_at(error.position().map_or(0, csv::Position::byte));
                errors.push(LineError::new(line, format!("cannot be read as CSV: {error}")));
                break;
            }
        };
        let line = lines.line_at(start(&record));
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if trades.len() >= Import::MAX_TRADES {
            let most = Import::MAX_TRADES;
            errors.push(LineError::new(line, format!("the file holds more than {most} trades; split it")));
            break;
        }
        let texts = places.iter().map(|(column, at)| (*column, record.get(*at).unwrap_or(""))).collect();
        let cells = Cells { texts, problems: Vec::new() };
        let trade = cells
            .record()
            .map_err(|problems| problems.join("; "))
            .and_then(|record| Trade::restore(record).map_err(|corrupt| corrupt.to_string()));
        match trade {
            Ok(trade) => match seen.insert(trade.id, line) {
                Some(first) => errors.push(LineError::new(line, format!("trade {} is also line {first}", trade.id))),
                None => trades.push(trade),
            },
            Err(why) => errors.push(LineError::new(line, why)),
        }
    }
    errors.into_result(trades)
}
