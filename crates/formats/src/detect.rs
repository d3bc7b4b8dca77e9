//! Which format a file is in, from its header: a Quantarya export names `trade_id` and `strategy_id`, a
//! TradingView list of trades `Trade #`.

use quantarya_domain::ImportFormat;

/// The format of `bytes`, told by its header line; `None` when the header is neither.
///
/// ```
/// use quantarya_domain::ImportFormat;
/// use quantarya_formats::detect;
/// assert_eq!(detect(b"\xef\xbb\xbfTrade #,Type,Date/Time\r\n1,Entry long,2024-01-03 09:30"), Some(ImportFormat::TradingView));
/// assert_eq!(detect(b"trade_id,strategy_id,user_id\n"), Some(ImportFormat::Quantarya));
/// assert_eq!(detect(b"date,open,high,low,close\n"), None);
/// ```
pub fn detect(bytes: &[u8]) -> Option<ImportFormat> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let header = bytes.split(|b| *b == b'\n').find(|line| !line.iter().all(u8::is_ascii_whitespace))?;
    let header = String::from_utf8_lossy(header).to_lowercase();
    let cells: Vec<&str> =
        header.split(',').take(crate::lines::MAX_CELLS).map(|cell| cell.trim().trim_matches('"').trim()).collect();
    if cells.contains(&"trade_id") && cells.contains(&"strategy_id") {
        Some(ImportFormat::Quantarya)
    } else if cells.iter().any(|cell| cell.split_whitespace().collect::<Vec<_>>() == ["trade", "#"]) {
        Some(ImportFormat::TradingView)
    } else {
        None
    }
}
