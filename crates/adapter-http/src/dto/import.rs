//! Imports as `/strategies/{strategy_id}/imports` shows them, and the files the import and export routes take and
//! give.

use quantarya_domain::{Import, ImportFormat};
use serde::Serialize;
use utoipa::ToSchema;

use super::time;

fn format_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(ImportFormat::ALL.map(ImportFormat::as_str)))
        .description(Some("The file's format: `tradingview` or `quantarya`."))
        .build()
}

/// One import of a file into a strategy.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "import_id": "imp_0192f0c17a4b7cde8f0123456789abcd",
    "strategy_id": "strat_0192f0c17a4b7cde8f0123456789abce",
    "format": "tradingview",
    "created": 42,
    "duplicates": 3,
    "created_at": "2026-12-06T12:00:00Z"
}))]
pub struct ImportView {
    /// Its id.
    pub import_id: String,
    /// The strategy the trades went into.
    pub strategy_id: String,
    /// The file's format.
    #[schema(schema_with = format_schema)]
    pub format: &'static str,
    /// Trades made.
    pub created: u64,
    /// Trades of the file the strategy held already, skipped.
    pub duplicates: u64,
    /// When it was made.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<Import> for ImportView {
    fn from(i: Import) -> Self {
        Self {
            import_id: i.id.to_string(),
            strategy_id: i.strategy_id.to_string(),
            format: i.format.as_str(),
            created: i.created,
            duplicates: i.duplicates,
            created_at: time(i.created_at),
        }
    }
}

/// What `DELETE /strategies/{strategy_id}/imports/{import_id}` removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportDeletionView {
    /// The deleted import.
    pub import_id: String,
    /// How many trades were deleted with it.
    pub deleted_trade_count: u64,
}

/// A CSV file of trades: TradingView's "List of trades" export, or Quantarya's own export.
///
/// `tradingview` (`?format=tradingview&symbol=ES1!&tz=America/New_York&point_value=50`): the Strategy Tester's
/// "List of trades" export, either header generation, columns found by name, money columns in any currency; an
/// entry row and an exit row per `Trade #`, in any order; an exit row whose `Signal` is `Open` is a trade still
/// open. Times are read in `tz` (default UTC); run-up and drawdown become `max_favorable_price` and
/// `max_adverse_price`. For example:
///
/// ```text
/// Trade #,Type,Signal,Date/Time,Price USD,Contracts,Profit USD,Profit %,Cum. Profit USD,Cum. Profit %,Run-up USD,Run-up %,Drawdown USD,Drawdown %
/// 1,Exit long,Close entry(s) order Long,2024-03-08 15:45,5030,2,3000,0.6,3000,0.03,3500,0.7,-500,-0.1
/// 1,Entry long,Long,2024-03-08 09:30,5000,2,3000,0.6,3000,0.03,3500,0.7,-500,-0.1
/// ```
///
/// `quantarya`: what `GET /strategies/{strategy_id}/export` gives, one row per trade, every field of the trade
/// under its name (fills, tags and extension objects as JSON text, sizes and fees as exact decimals). For example
/// (one closed trade, its header and row cut short here):
///
/// ```text
/// trade_id,strategy_id,user_id,symbol,side,status,event,entry,stop_loss,initial_stop_loss,take_profit,close_price,…
/// trd_0192f0c17a4b7cde8f0123456789abcd,strat_0192f0c17a4b7cde8f0123456789abce,alice,ES1!,BUY,CLOSED,exit,5000,4990,4990,,5030,…
/// ```
#[derive(Debug, ToSchema)]
#[schema(value_type = String, example = "Trade #,Type,Signal,Date/Time,Price USD,Contracts\n1,Exit long,Close entry(s) order Long,2024-03-08 15:45,5030,2\n1,Entry long,Long,2024-03-08 09:30,5000,2\n")]
pub struct CsvFile(#[allow(dead_code)] String);
