//! `/strategies/{strategy_id}/imports` and `/strategies/{strategy_id}/export`: a file of trades brought in whole
//! (TradingView's list of trades, or a Quantarya export), the imports listed and removed with their trades, and
//! every trade of a strategy streamed out as CSV.

use actix_web::http::header::{CONTENT_DISPOSITION, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;
use quantarya_domain::{ImportFormat, ImportId, PointValue, StrategyId, Symbol, Trade};
use quantarya_formats::quantarya::{header_line, trade_line};
use quantarya_ports::outbound::TradeCursor;
use quantarya_ports::{ImportFile, Journal, Operation, Principal};

use crate::auth::Authenticated;
use crate::auth_kind::Auth;
use crate::body::{Media, check_media, read_media};
use crate::dto::import::{CsvFile, ImportDeletionView, ImportView};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::query::{self, QueryReader};
use crate::reply;
use crate::route::{Body, Data, Param, ParamKind, RouteSpec, SchemaRef, Verb, created, linked, many, ok, one, route};
use crate::routes::{STRATEGY_ID, path_id};
use crate::state::AppState;

const IMPORT_ID: Param = Param { name: "import_id", description: "The import's identifier.", kind: ParamKind::Text };

/// Every import format's name, as the domain spells them.
const FORMATS: [&str; 2] = [ImportFormat::ALL[0].as_str(), ImportFormat::ALL[1].as_str()];

/// The export format's name.
const EXPORT_FORMATS: [&str; 1] = [ImportFormat::Quantarya.as_str()];

/// The query of an import.
const IMPORT_QUERY: &[Param] = &[
    Param {
        name: "format",
        description: "The file's format; when not given, told by the file's header.",
        kind: ParamKind::OneOf(&FORMATS),
    },
    Param {
        name: "symbol",
        description: "The instrument of every trade of a TradingView list, which does not name it (required for \
                      `tradingview`).",
        kind: ParamKind::Symbol,
    },
    Param {
        name: "tz",
        description: "The IANA time zone a TradingView list's times are written in: the chart's (default `UTC`).",
        kind: ParamKind::Text,
    },
    Param {
        name: "point_value",
        description: "Currency per unit per point of the instrument of a TradingView list (a futures multiplier; \
                      default 1).",
        kind: ParamKind::Positive,
    },
];

/// The query of an export.
const EXPORT_QUERY: &[Param] = &[Param {
    name: "format",
    description: "The file's format: `quantarya` (the default), which `POST …/imports` reads back.",
    kind: ParamKind::OneOf(&EXPORT_FORMATS),
}];

/// Trades read a page at a time for an export.
const EXPORT_PAGE: usize = 500;

/// The import and export routes.
pub const ROUTES: &[RouteSpec] = &[
    RouteSpec {
        path_params: &[STRATEGY_ID],
        query: IMPORT_QUERY,
        body: Some(Body { schema: SchemaRef::of::<CsvFile>(), required: true, media: Media::Csv }),
        success: &[linked(
            created(
                "The file was read whole: its new trades were made, those already there counted.",
                one::<ImportView>(),
            ),
            &["delete_import"],
        )],
        conflicts: &[ErrorCode::TradeAlreadyOpen],
        ..route(
            Verb::Post,
            "/strategies/{strategy_id}/imports",
            "import_trades",
            "Trades",
            "Import trades",
            "Import a CSV file of trades (`text/csv`, at most 32 MiB) into the strategy: TradingView's \"List of \
             trades\" export (`format=tradingview`, with `symbol`, and `tz` and `point_value` as the chart has them) \
             or a Quantarya export (`format=quantarya`). All or nothing: a file with a bad line answers 422 with one \
             detail per bad line (`field` is `line <n>`, the header being line 1; at most 50), and makes nothing. \
             Trades the strategy holds already (a list's trade number with its entry time, an export's trade id) are \
             skipped and counted as `duplicates`, so importing the same file again makes nothing, even two at once. \
             Imported trades have `origin: import`: no API key may change them, and they leave only with their \
             import.",
            Auth::Bearer(Operation::ImportTrades),
            |r| r.to(import),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID],
        success: &[ok("The strategy's imports, newest first.", many::<ImportView>())],
        ..route(
            Verb::Get,
            "/strategies/{strategy_id}/imports",
            "list_imports",
            "Trades",
            "List imports",
            "List the imports of the strategy, newest first, with the trades each made and skipped.",
            Auth::Bearer(Operation::ListImports),
            |r| r.to(list),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID, IMPORT_ID],
        success: &[ok("The import was deleted with every trade it made.", one::<ImportDeletionView>())],
        ..route(
            Verb::Delete,
            "/strategies/{strategy_id}/imports/{import_id}",
            "delete_import",
            "Trades",
            "Delete import",
            "Delete an import with every trade it made (and their history); the strategy's other trades stay.",
            Auth::Bearer(Operation::DeleteImport),
            |r| r.to(delete),
        )
    },
    RouteSpec {
        path_params: &[STRATEGY_ID],
        query: EXPORT_QUERY,
        success: &[ok("Every trade of the strategy, oldest first, as CSV.", Data::Csv(SchemaRef::of::<CsvFile>()))],
        ..route(
            Verb::Get,
            "/strategies/{strategy_id}/export",
            "export_trades",
            "Trades",
            "Export trades",
            "Stream every trade of the strategy as CSV (`text/csv`), oldest first: a header row, then one row per \
             trade with every field of the trade object under its name (`fills`, `tags` and the extension objects as \
             JSON text, sizes and fees as exact decimals) and `initial_stop_loss`. Importing it into another \
             strategy (`POST …/imports?format=quantarya`) reproduces every trade.",
            Auth::Bearer(Operation::ExportTrades),
            |r| r.to(export),
        )
    },
];

/// The file an import's request describes: its query, and its body as read.
fn import_file(raw_query: &str, bytes: Vec<u8>) -> Result<ImportFile, ApiError> {
    let mut reader = QueryReader::new(raw_query, IMPORT_QUERY)?;
    let named = |choices: &[&str]| format!("must be one of {}", choices.join(", "));
    let format = reader.get("format", |v| ImportFormat::parse(v).ok_or_else(|| named(&FORMATS)));
    let symbol = reader.get("symbol", |v| Symbol::parse(v).map_err(|e| e.to_string()));
    let time_zone = reader.get("tz", query::time_zone);
    let point_value = reader.get("point_value", |v| {
        v.parse::<f64>()
            .ok()
            .and_then(|p| PointValue::new(p).ok())
            .ok_or_else(|| "must be a number greater than 0 and at most 1e12".to_owned())
    });
    reader.finish()?;
    let format = format.or_else(|| quantarya_formats::detect(&bytes)).ok_or_else(|| {
        ApiError::invalid(
            vec![quantarya_ports::FieldError::new(
                "format",
                format!("is required: the file's header is neither format's ({})", FORMATS.join(", ")),
            )],
            false,
        )
    })?;
    Ok(ImportFile { format, bytes, symbol, time_zone, point_value })
}

/// `POST /strategies/{strategy_id}/imports`.
pub async fn import(
    state: web::Data<AppState>,
    who: Authenticated,
    strategy: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let strategy: StrategyId = path_id(&strategy, "strategy")?;
    check_media(&req, Media::Csv)?;
    let bytes = read_media(&req, payload, Media::Csv).await?;
    let file = import_file(req.query_string(), bytes)?;
    let import = state.journal.import_trades(&who.0, strategy, file).await?;
    Ok(reply::created("Trades imported", ImportView::from(import)))
}

/// `GET /strategies/{strategy_id}/imports`.
pub async fn list(
    state: web::Data<AppState>,
    who: Authenticated,
    strategy: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let strategy: StrategyId = path_id(&strategy, "strategy")?;
    let imports = state.journal.list_imports(&who.0, strategy).await?;
    Ok(reply::ok("Imports found", imports.into_iter().map(ImportView::from).collect::<Vec<_>>()))
}

/// `DELETE /strategies/{strategy_id}/imports/{import_id}`.
pub async fn delete(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (strategy, import) = path.into_inner();
    let strategy: StrategyId = path_id(&strategy, "strategy")?;
    let import: ImportId = path_id(&import, "import")?;
    let deleted = state.journal.delete_import(&who.0, strategy, import).await?;
    let view = ImportDeletionView { import_id: import.to_string(), deleted_trade_count: deleted };
    Ok(reply::ok("Import deleted with its trades", view))
}

/// Where an export stands: the next page to read, or done.
struct Export {
    journal: std::sync::Arc<dyn Journal>,
    principal: Principal,
    strategy: StrategyId,
    /// The page read and not yet sent (the first is read before the answer starts, so that its errors are answers).
    ready: Option<Vec<Trade>>,
    after: Option<TradeCursor>,
    done: bool,
}

impl Export {
    /// The CSV lines of `trades`, and where the next page starts (none after a short page).
    fn chunk(&mut self, trades: &[Trade]) -> Bytes {
        let mut bytes = Vec::with_capacity(trades.len() * 512);
        for trade in trades {
            bytes.extend_from_slice(&trade_line(trade));
        }
        self.after = trades.last().map(|last| TradeCursor { opened_at: last.opened_at, trade_id: last.id });
        self.done = trades.len() < EXPORT_PAGE;
        Bytes::from(bytes)
    }

    /// The next chunk of the file, if any. A storage failure after the answer started can only cut it short.
    async fn next(mut self) -> Option<(Result<Bytes, actix_web::Error>, Self)> {
        if let Some(page) = self.ready.take() {
            let chunk = self.chunk(&page);
            return Some((Ok(chunk), self));
        }
        if self.done {
            return None;
        }
        match self.journal.export_page(&self.principal, self.strategy, self.after, EXPORT_PAGE).await {
            Ok(page) if page.is_empty() => None,
            Ok(page) => {
                let chunk = self.chunk(&page);
                Some((Ok(chunk), self))
            }
            Err(error) => {
                tracing::warn!(error = %error, strategy = %self.strategy, "an export was cut short");
                self.done = true;
                Some((Err(actix_web::error::ErrorServiceUnavailable("the export was cut short")), self))
            }
        }
    }
}

/// `GET /strategies/{strategy_id}/export`: streamed a page at a time, so it takes the memory of a page whatever
/// the strategy holds.
pub async fn export(
    state: web::Data<AppState>,
    who: Authenticated,
    strategy: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let strategy: StrategyId = path_id(&strategy, "strategy")?;
    let mut reader = QueryReader::new(req.query_string(), EXPORT_QUERY)?;
    let _ = reader.get("format", |v| {
        ImportFormat::parse(v)
            .filter(|f| *f == ImportFormat::Quantarya)
            .ok_or_else(|| format!("must be {}", EXPORT_FORMATS.join(", ")))
    });
    reader.finish()?;
    let first = state.journal.export_page(&who.0, strategy, None, EXPORT_PAGE).await?;
    let export = Export {
        journal: state.journal.clone(),
        principal: who.0,
        strategy,
        ready: Some(first),
        after: None,
        done: false,
    };
    let header = stream::once(async { Ok::<_, actix_web::Error>(Bytes::from(header_line())) });
    let rows = stream::unfold(export, Export::next);
    let mut response = HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .streaming(futures_util::StreamExt::chain(header, rows));
    let disposition = format!("attachment; filename=\"{strategy}.csv\"");
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response.headers_mut().insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_names_its_format_or_its_header_does() {
        let list = b"Trade #,Type,Date/Time,Price USD,Contracts\n".to_vec();
        let file = import_file("symbol=es1!&tz=europe/london&point_value=50", list.clone()).expect("valid");
        assert_eq!(
            (file.format, file.symbol.map(|s| s.as_str().to_owned())),
            (ImportFormat::TradingView, Some("ES1!".to_owned()))
        );
        assert_eq!(file.time_zone.map(|tz| tz.name()), Some("Europe/London"));
        let error = import_file("format=excel&tz=Mars/Olympus&point_value=0&colour=red", list).expect_err("four");
        let fields: Vec<String> = error.envelope().error.details.into_iter().map(|d| d.field).collect();
        assert_eq!(fields, ["format", "tz", "point_value", "colour"]);
        let unknown = import_file("", b"date,open,close\n".to_vec()).expect_err("neither");
        assert_eq!(unknown.envelope().error.details[0].field, "format");
    }
}
