//! Imports on PostgreSQL: one transaction an import; the imports into one strategy take turns (an advisory lock),
//! and the strategy's row is only held against deletion, so live signals and closes go on meanwhile. Each trade's
//! key is claimed first in `trade_imports` (a key the strategy holds is skipped by its unique
//! `(strategy_id, import_key)`), then the trades of the keys claimed and their history events are written, a chunk
//! at a time in multi-row statements: never a round trip a trade.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use quantarya_domain::{Import, ImportFormat, ImportId, ImportedTrade, Status, StrategyId, Timestamp, UserId};
use quantarya_ports::StoreError;
use quantarya_ports::outbound::ImportStore;
use uuid::Uuid;

use crate::PgStore;
use crate::error::query;
use crate::rows::{NewEventRow, TradeRow};
use crate::schema::{imports, strategies, trade_events, trade_imports, trades};
use crate::trades::owns;

/// Trades (and their keys) a statement: 29 parameters a trade (one a column of `TradeRow`), well under
/// PostgreSQL's 65 535 a statement, with room should trades gain columns.
const TRADES_A_STATEMENT: usize = 1_000;

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = imports, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ImportRow {
    id: Uuid,
    strategy_id: Uuid,
    user_id: String,
    format: String,
    created: i64,
    duplicates: i64,
    created_at: DateTime<Utc>,
}

impl From<&Import> for ImportRow {
    fn from(i: &Import) -> Self {
        Self {
            id: i.id.as_uuid(),
            strategy_id: i.strategy_id.as_uuid(),
            user_id: i.user_id.as_str().to_owned(),
            format: i.format.as_str().to_owned(),
            created: i64::try_from(i.created).unwrap_or(i64::MAX),
            duplicates: i64::try_from(i.duplicates).unwrap_or(i64::MAX),
            created_at: i.created_at.as_datetime(),
        }
    }
}

impl TryFrom<ImportRow> for Import {
    type Error = StoreError;
    fn try_from(r: ImportRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("imports.{what}"));
        Ok(Self {
            id: ImportId::from_uuid(r.id),
            strategy_id: StrategyId::from_uuid(r.strategy_id),
            user_id: UserId::parse(&r.user_id).map_err(|_| corrupt("user_id"))?,
            format: ImportFormat::parse(&r.format).ok_or_else(|| corrupt("format"))?,
            created: u64::try_from(r.created).map_err(|_| corrupt("created"))?,
            duplicates: u64::try_from(r.duplicates).map_err(|_| corrupt("duplicates"))?,
            created_at: Timestamp::from_datetime(r.created_at),
        })
    }
}

/// Keeps `owner`'s strategy `strategy` from being deleted for the rest of the transaction (`FOR KEY SHARE`, as a
/// trade written into it does: live signals, closes and other writes to the strategy go on meanwhile); whether it
/// exists.
async fn hold_strategy(conn: &mut AsyncPgConnection, owner: &str, strategy: Uuid) -> QueryResult<bool> {
    let owned = strategies::table.find(strategy).filter(strategies::user_id.eq(owner));
    Ok(owned.select(strategies::id).for_key_share().first::<Uuid>(conn).await.optional()?.is_some())
}

/// Makes the imports into `strategy` take turns until the transaction ends (an advisory lock: no row is locked, so
/// nothing else waits on it). Two imports of overlapping files would otherwise wait on each other's keys, in
/// whatever order each file lists them.
async fn imports_take_turns(conn: &mut AsyncPgConnection, strategy: Uuid) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<diesel::sql_types::Text, _>(format!("quantarya-import:{strategy}"))
        .execute(conn)
        .await
        .map(drop)
}

/// Moves the strategy's closed revision on (a closed or cancelled trade was written or removed).
pub(crate) async fn revise(conn: &mut AsyncPgConnection, strategy: Uuid) -> QueryResult<()> {
    diesel::update(strategies::table.find(strategy))
        .set(strategies::closed_revision.eq(strategies::closed_revision + 1))
        .execute(conn)
        .await
        .map(drop)
}

/// Writes `import` and the trades of `trades` the strategy does not hold; the trades made, by id.
async fn write_import(
    conn: &mut AsyncPgConnection,
    import: &Import,
    trades: &[ImportedTrade],
) -> QueryResult<Option<HashSet<Uuid>>> {
    let strategy = import.strategy_id.as_uuid();
    imports_take_turns(conn, strategy).await?;
    if !hold_strategy(conn, import.user_id.as_str(), strategy).await? {
        return Ok(None);
    }
    diesel::insert_into(imports::table).values(ImportRow::from(import)).execute(conn).await?;
    // An export's trades that are in the strategy themselves (an export imported back where it came from).
    let exported: Vec<Uuid> = trades.iter().filter_map(|t| t.key.exported_trade()).map(|id| id.as_uuid()).collect();
    let present: HashSet<Uuid> = if exported.is_empty() {
        HashSet::new()
    } else {
        trades::table
            .filter(trades::strategy_id.eq(strategy))
            .filter(trades::id.eq_any(&exported))
            .select(trades::id)
            .load::<Uuid>(conn)
            .await?
            .into_iter()
            .collect()
    };
    let new: Vec<&ImportedTrade> =
        trades.iter().filter(|t| t.key.exported_trade().is_none_or(|id| !present.contains(&id.as_uuid()))).collect();
    let mut made = HashSet::with_capacity(new.len());
    for chunk in new.chunks(TRADES_A_STATEMENT) {
        let keys: Vec<_> = chunk
            .iter()
            .map(|t| {
                (
                    trade_imports::trade_id.eq(t.trade.id.as_uuid()),
                    trade_imports::import_id.eq(import.id.as_uuid()),
                    trade_imports::strategy_id.eq(strategy),
                    trade_imports::import_key.eq(t.key.as_str()),
                )
            })
            .collect();
        let claimed: Vec<Uuid> = diesel::insert_into(trade_imports::table)
            .values(keys)
            .on_conflict((trade_imports::strategy_id, trade_imports::import_key))
            .do_nothing()
            .returning(trade_imports::trade_id)
            .get_results(conn)
            .await?;
        let claimed: HashSet<Uuid> = claimed.into_iter().collect();
        let won: Vec<&&ImportedTrade> = chunk.iter().filter(|t| claimed.contains(&t.trade.id.as_uuid())).collect();
        if !won.is_empty() {
            let rows: Vec<TradeRow> = won.iter().map(|t| TradeRow::from(&t.trade)).collect();
            diesel::insert_into(trades::table).values(rows).execute(conn).await?;
            // The chunk's events after its trades, which their foreign key names; built a chunk at a time.
            let events: Vec<NewEventRow> = won.iter().map(|t| NewEventRow::from(&t.event)).collect();
            diesel::insert_into(trade_events::table).values(events).execute(conn).await?;
        }
        made.extend(claimed);
    }
    if new.iter().any(|t| made.contains(&t.trade.id.as_uuid()) && t.trade.status != Status::Open) {
        revise(conn, strategy).await?;
    }
    let created = i64::try_from(made.len()).unwrap_or(i64::MAX);
    let duplicates = i64::try_from(trades.len() - made.len()).unwrap_or(i64::MAX);
    diesel::update(imports::table.find(import.id.as_uuid()))
        .set((imports::created.eq(created), imports::duplicates.eq(duplicates)))
        .execute(conn)
        .await?;
    Ok(Some(made))
}

#[async_trait]
impl ImportStore for PgStore {
    #[tracing::instrument(skip_all)]
    async fn insert_import(&self, import: &Import, trades: &[ImportedTrade]) -> Result<Import, StoreError> {
        let mut conn = self.conn().await?;
        let made = conn
            .transaction::<_, diesel::result::Error, _>(async move |conn| write_import(conn, import, trades).await)
            .await
            .map_err(query)?
            .ok_or(StoreError::Missing)?;
        let created = made.len() as u64;
        Ok(Import { created, duplicates: trades.len() as u64 - created, ..import.clone() })
    }

    #[tracing::instrument(skip_all)]
    async fn list_imports(&self, owner: &UserId, strategy: StrategyId) -> Result<Option<Vec<Import>>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<ImportRow> = imports::table
            .filter(imports::strategy_id.eq(strategy.as_uuid()))
            .filter(imports::user_id.eq(owner.as_str()))
            .order((imports::created_at.desc(), imports::id.desc()))
            .select(ImportRow::as_select())
            .load(&mut conn)
            .await
            .map_err(query)?;
        if rows.is_empty() && !owns(&mut conn, owner, strategy).await? {
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
        let mut conn = self.conn().await?;
        let (owner, strategy, id) = (owner.as_str().to_owned(), strategy.as_uuid(), id.as_uuid());
        // In the order a trade's own delete takes its locks (the strategy held, the trades, then the strategy's
        // revision), so a close of one of these trades meanwhile cannot deadlock with it.
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            if !hold_strategy(conn, &owner, strategy).await? {
                return Ok(None);
            }
            let made: Vec<Uuid> = trade_imports::table
                .filter(trade_imports::import_id.eq(id))
                .filter(trade_imports::strategy_id.eq(strategy))
                .select(trade_imports::trade_id)
                .load(conn)
                .await?;
            let deleted =
                diesel::delete(imports::table.find(id).filter(imports::strategy_id.eq(strategy))).execute(conn).await?;
            if deleted == 0 {
                return Ok(None);
            }
            // Its keys went with it (on delete cascade); its trades, with their history, go now.
            let statuses: Vec<String> = diesel::delete(trades::table.filter(trades::id.eq_any(&made)))
                .returning(trades::status)
                .get_results(conn)
                .await?;
            if statuses.iter().any(|status| status != Status::Open.as_str()) {
                revise(conn, strategy).await?;
            }
            Ok(Some(statuses.len() as u64))
        })
        .await
        .map_err(query)
    }
}
