//! Imports and exports: a file read whole by its format's codec (`quantarya-formats`) into imported trades, written
//! in one atomic store call; an import removed with its trades; a strategy's trades read a page at a time, oldest
//! first, for an export.

use quantarya_domain::{
    CorruptTrade, EventId, Import, ImportFormat, ImportId, ImportKey, ImportedTrade, StrategyId, Trade, TradeId,
    TradeRecord,
};
use quantarya_formats::time_zone::Tz;
use quantarya_formats::tradingview::{self, ListOptions};
use quantarya_formats::{LineErrors, quantarya};

use super::JournalService;
use crate::journal::{ImportFile, Principal};
use crate::outbound::TradeCursor;
use crate::{ConflictKind, FieldError, JournalError, StoreConflict, StoreError};

/// A file's bad lines as the fields to blame: `line <n>` each, the first [`LineErrors::KEPT`], the message of the
/// last saying how many more there were.
fn bad_lines(errors: &LineErrors) -> JournalError {
    let mut fields: Vec<FieldError> =
        errors.lines().iter().map(|error| FieldError::new(format!("line {}", error.line), &error.message)).collect();
    let left_out = errors.total().saturating_sub(fields.len());
    if let Some(last) = fields.last_mut().filter(|_| left_out > 0) {
        last.message.push_str(&format!(" (and {left_out} more bad lines)"));
    }
    JournalError::Invalid(fields)
}

/// A trade the service built that breaks an invariant: the file said something no trade can be.
fn corrupt(error: CorruptTrade) -> JournalError {
    JournalError::invalid("file", format!("a trade of the file cannot be: {}", error.0))
}

impl JournalService {
    /// A fresh trade id and event id.
    fn import_ids(&self) -> (TradeId, EventId) {
        (TradeId::from_uuid(self.ports.ids.uuid()), EventId::from_uuid(self.ports.ids.uuid()))
    }

    /// The trades `file` makes in `principal`'s strategy `strategy`, stamped `import.created_at`.
    fn imported_trades(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        file: &ImportFile,
        import: &Import,
    ) -> Result<Vec<ImportedTrade>, JournalError> {
        let user = &principal.user_id;
        match file.format {
            ImportFormat::TradingView => {
                let symbol = file.symbol.clone().ok_or_else(|| {
                    JournalError::invalid("symbol", "is required: a TradingView list names no symbol")
                })?;
                let options = ListOptions {
                    time_zone: file.time_zone.unwrap_or(Tz::UTC),
                    point_value: file.point_value.unwrap_or_default(),
                };
                let list = tradingview::read(&file.bytes, &options).map_err(|errors| bad_lines(&errors))?;
                list.trades
                    .iter()
                    .map(|listed| {
                        let (id, event_id) = self.import_ids();
                        let record = listed.record(id, strategy, user.clone(), symbol.clone(), options.point_value);
                        let key = ImportKey::listed(listed.import_key());
                        ImportedTrade::new(key, record, event_id, import.created_at).map_err(corrupt)
                    })
                    .collect()
            }
            ImportFormat::Quantarya => {
                for (given, name) in [
                    (file.symbol.is_some(), "symbol"),
                    (file.time_zone.is_some(), "tz"),
                    (file.point_value.is_some(), "point_value"),
                ] {
                    if given {
                        return Err(JournalError::invalid(name, "applies to the tradingview format only"));
                    }
                }
                let exported = quantarya::read(&file.bytes).map_err(|errors| bad_lines(&errors))?;
                exported
                    .into_iter()
                    .map(|trade| {
                        let (id, event_id) = self.import_ids();
                        let key = ImportKey::exported(trade.id);
                        let record =
                            TradeRecord { id, strategy_id: strategy, user_id: user.clone(), ..trade.into_record() };
                        ImportedTrade::new(key, record, event_id, import.created_at).map_err(corrupt)
                    })
                    .collect()
            }
        }
    }

    /// Reads `file` and stores its trades as one import. The strategy is looked up first: a file is read only for
    /// its owner, with a profile.
    pub(super) async fn import_file(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        file: ImportFile,
    ) -> Result<Import, JournalError> {
        self.owned_strategy(principal, strategy).await?;
        let import = Import {
            id: ImportId::from_uuid(self.ports.ids.uuid()),
            strategy_id: strategy,
            user_id: principal.user_id.clone(),
            format: file.format,
            created: 0,
            duplicates: 0,
            created_at: self.ports.clock.now(),
        };
        let trades = self.imported_trades(principal, strategy, &file, &import)?;
        match self.ports.stores.imports.insert_import(&import, &trades).await {
            Ok(stored) => Ok(stored),
            Err(StoreError::Missing) => Err(self.missing(principal, "strategy").await),
            Err(StoreError::Conflict(StoreConflict::OpenTradeExists)) => Err(JournalError::conflict(
                ConflictKind::TradeAlreadyOpen,
                "an open trade of the file carries a reference an open trade of the strategy carries; nothing was \
                 imported",
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// The imports of the caller's strategy, newest first.
    pub(super) async fn strategy_imports(
        &self,
        principal: &Principal,
        strategy: StrategyId,
    ) -> Result<Vec<Import>, JournalError> {
        match self.ports.stores.imports.list_imports(&principal.user_id, strategy).await? {
            Some(imports) => Ok(imports),
            None => Err(self.missing(principal, "strategy").await),
        }
    }

    /// Removes an import of the caller's strategy with its trades; how many trades went.
    pub(super) async fn remove_import(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: ImportId,
    ) -> Result<u64, JournalError> {
        match self.ports.stores.imports.delete_import(&principal.user_id, strategy, id).await? {
            Some(deleted) => Ok(deleted),
            None => Err(self.missing(principal, "import").await),
        }
    }

    /// One page of the caller's strategy's trades, oldest first.
    pub(super) async fn oldest_first(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Vec<Trade>, JournalError> {
        match self.ports.stores.trades.trades_oldest_first(&principal.user_id, strategy, after, limit).await? {
            Some(trades) => Ok(trades),
            None => Err(self.missing(principal, "strategy").await),
        }
    }
}
