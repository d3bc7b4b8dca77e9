//! Imports on SQLite, as the port sees them (`import_writes.rs` writes them): an import's row and the file's trades
//! as they are written.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use quantarya_domain::{Import, ImportFormat, ImportId, ImportedTrade, Status, StrategyId, UserId};
use quantarya_ports::StoreError;
use quantarya_ports::outbound::ImportStore;

use crate::SqliteStore;
use crate::error::query;
use crate::import_writes::{delete_import, write_import};
use crate::rows::{corrupt, id_text, micros, stamp, uuid};
use crate::schema::imports;
use crate::trade_rows::{EventRow, TradeRow};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = imports, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct ImportRow {
    pub(crate) id: String,
    pub(crate) strategy_id: String,
    pub(crate) user_id: String,
    format: String,
    created: i64,
    duplicates: i64,
    created_at: i64,
}

impl From<&Import> for ImportRow {
    fn from(i: &Import) -> Self {
        Self {
            id: id_text(i.id.as_uuid()),
            strategy_id: id_text(i.strategy_id.as_uuid()),
            user_id: i.user_id.as_str().to_owned(),
            format: i.format.as_str().to_owned(),
            created: i64::try_from(i.created).unwrap_or(i64::MAX),
            duplicates: i64::try_from(i.duplicates).unwrap_or(i64::MAX),
            created_at: micros(i.created_at),
        }
    }
}

impl TryFrom<ImportRow> for Import {
    type Error = StoreError;
    fn try_from(r: ImportRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: ImportId::from_uuid(uuid("imports.id", &r.id)?),
            strategy_id: StrategyId::from_uuid(uuid("imports.strategy_id", &r.strategy_id)?),
            user_id: UserId::parse(&r.user_id).map_err(|_| corrupt("imports.user_id"))?,
            format: ImportFormat::parse(&r.format).ok_or_else(|| corrupt("imports.format"))?,
            created: u64::try_from(r.created).map_err(|_| corrupt("imports.created"))?,
            duplicates: u64::try_from(r.duplicates).map_err(|_| corrupt("imports.duplicates"))?,
            created_at: stamp("imports.created_at", r.created_at)?,
        })
    }
}

/// One trade of a file, as the import writes it.
pub(crate) struct Imported {
    pub(crate) trade: TradeRow,
    pub(crate) event: EventRow,
    pub(crate) key: String,
    /// The trade an exported key names, if any: held already when the strategy has it.
    pub(crate) exported: Option<String>,
    pub(crate) closed: bool,
}

#[async_trait]
impl ImportStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn insert_import(&self, import: &Import, trades: &[ImportedTrade]) -> Result<Import, StoreError> {
        let row = ImportRow::from(import);
        let file: Vec<Imported> = trades
            .iter()
            .map(|t| Imported {
                trade: TradeRow::from(&t.trade),
                event: EventRow::from(&t.event),
                key: t.key.as_str().to_owned(),
                exported: t.key.exported_trade().map(|id| id_text(id.as_uuid())),
                closed: t.trade.status != Status::Open,
            })
            .collect();
        let made =
            self.write(move |connection| write_import(connection, &row, &file)).await?.ok_or(StoreError::Missing)?;
        let total = u64::try_from(trades.len()).unwrap_or(u64::MAX);
        Ok(Import { created: made, duplicates: total - made, ..import.clone() })
    }

    #[tracing::instrument(skip_all)]
    async fn list_imports(&self, owner: &UserId, strategy: StrategyId) -> Result<Option<Vec<Import>>, StoreError> {
        let strategy = id_text(strategy.as_uuid());
        let rows: Vec<ImportRow> = {
            let mut conn = self.read().await;
            imports::table
                .filter(imports::strategy_id.eq(&strategy))
                .filter(imports::user_id.eq(owner.as_str()))
                .order((imports::created_at.desc(), imports::id.desc()))
                .select(ImportRow::as_select())
                .load(&mut *conn)
                .await
                .map_err(query)?
        };
        if rows.is_empty() && !self.owns(owner, &strategy).await? {
            return Ok(None);
        }
        rows.into_iter().map(Import::try_from).collect::<Result<_, _>>().map(Some)
    }

    #[tracing::instrument(skip_all)]
    async fn delete_import(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        id: ImportId,
    ) -> Result<Option<u64>, StoreError> {
        let (owner, strategy, id) = (owner.as_str().to_owned(), id_text(strategy.as_uuid()), id_text(id.as_uuid()));
        self.write(move |connection| delete_import(connection, &owner, &strategy, &id)).await
    }
}
