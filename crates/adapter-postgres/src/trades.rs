//! Trades and their history. A write and its history event are one statement (one round trip, atomic); reads
//! are scoped by owner in the same statement.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Float8, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use quantarya_domain::{ExternalReference, StrategyId, Trade, TradeEvent, TradeId, UserId};
use quantarya_ports::outbound::{OpenTradeLookup, TradeCursor, TradeFilter, TradeStore};
use quantarya_ports::{StoreConflict, StoreError};

use crate::PgStore;
use crate::error::query;
use crate::rows::{EventRow, TradeRow, changes_json};
use crate::schema::{strategies, trade_events, trades};

/// What a write statement reports about itself.
#[derive(Debug, QueryableByName)]
struct WriteReport {
    /// Rows written.
    #[diesel(sql_type = BigInt)]
    written: i64,
    /// Whether the row the write depends on exists (the owner's strategy, or the trade).
    #[diesel(sql_type = Bool)]
    present: bool,
    /// Whether the trade id is already taken (an insert only).
    #[diesel(sql_type = Bool)]
    id_taken: bool,
}

/// Inserts the trade (only under its owner's strategy) and its entry event, as one statement.
const INSERT_TRADE: &str = r#"
WITH owned AS (
    SELECT 1 FROM strategies WHERE id = $2 AND user_id = $3
), inserted AS (
    INSERT INTO trades (id, strategy_id, user_id, symbol, side, status, event, entry, stop_loss, take_profit,
        close_price, opened_at, closed_at, signal_time, timeframe, source, external_reference, signal, market, risk,
        context, meta, origin, created_at, updated_at, version)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
        $23, $24, $25, $26
    FROM owned
    ON CONFLICT DO NOTHING
    RETURNING id
), event AS (
    INSERT INTO trade_events (id, trade_id, version, kind, at, by_credential, changes)
    SELECT $27, id, $26, $28, $29, $30, $31 FROM inserted
)
SELECT (SELECT count(*) FROM inserted) AS written,
       EXISTS (SELECT 1 FROM owned) AS present,
       EXISTS (SELECT 1 FROM trades WHERE id = $1) AS id_taken
"#;

/// Replaces the trade if its stored version is the one before, and appends its event, as one statement.
const UPDATE_TRADE: &str = r#"
WITH updated AS (
    UPDATE trades SET symbol = $4, side = $5, status = $6, event = $7, entry = $8, stop_loss = $9,
        take_profit = $10, close_price = $11, opened_at = $12, closed_at = $13, signal_time = $14, timeframe = $15,
        source = $16, external_reference = $17, signal = $18, market = $19, risk = $20, context = $21, meta = $22,
        origin = $23, created_at = $24, updated_at = $25, version = $26
    WHERE id = $1 AND strategy_id = $2 AND user_id = $3 AND version = $26 - 1
    RETURNING id
), event AS (
    INSERT INTO trade_events (id, trade_id, version, kind, at, by_credential, changes)
    SELECT $27, id, $26, $28, $29, $30, $31 FROM updated
)
SELECT (SELECT count(*) FROM updated) AS written,
       EXISTS (SELECT 1 FROM trades WHERE id = $1 AND strategy_id = $2 AND user_id = $3) AS present,
       FALSE AS id_taken
"#;

/// Runs one of the write statements with the trade's columns as `$1`–`$26` and the event's as `$27`–`$31`.
async fn write(
    conn: &mut diesel_async::AsyncPgConnection,
    statement: &'static str,
    trade: &Trade,
    event: &TradeEvent,
) -> Result<WriteReport, StoreError> {
    let r = TradeRow::from(trade);
    diesel::sql_query(statement)
        .bind::<SqlUuid, _>(r.id)
        .bind::<SqlUuid, _>(r.strategy_id)
        .bind::<Text, _>(r.user_id)
        .bind::<Text, _>(r.symbol)
        .bind::<Text, _>(r.side)
        .bind::<Text, _>(r.status)
        .bind::<Text, _>(r.event)
        .bind::<Nullable<Float8>, _>(r.entry)
        .bind::<Nullable<Float8>, _>(r.stop_loss)
        .bind::<Nullable<Float8>, _>(r.take_profit)
        .bind::<Nullable<Float8>, _>(r.close_price)
        .bind::<Timestamptz, _>(r.opened_at)
        .bind::<Nullable<Timestamptz>, _>(r.closed_at)
        .bind::<Nullable<Timestamptz>, _>(r.signal_time)
        .bind::<Nullable<Text>, _>(r.timeframe)
        .bind::<Nullable<Text>, _>(r.source)
        .bind::<Nullable<Text>, _>(r.external_reference)
        .bind::<Nullable<Jsonb>, _>(r.signal)
        .bind::<Nullable<Jsonb>, _>(r.market)
        .bind::<Nullable<Jsonb>, _>(r.risk)
        .bind::<Nullable<Jsonb>, _>(r.context)
        .bind::<Nullable<Jsonb>, _>(r.meta)
        .bind::<Text, _>(r.origin)
        .bind::<Timestamptz, _>(r.created_at)
        .bind::<Timestamptz, _>(r.updated_at)
        .bind::<BigInt, _>(r.version)
        .bind::<SqlUuid, _>(event.id.as_uuid())
        .bind::<Text, _>(event.kind.as_str())
        .bind::<Timestamptz, _>(event.at.as_datetime())
        .bind::<Text, _>(event.by.as_str())
        .bind::<Jsonb, _>(changes_json(&event.changes))
        .get_result::<WriteReport>(conn)
        .await
        .map_err(query)
}

/// Whether `owner` has strategy `id`: asked only when a read found nothing, to tell "none" from "not yours".
async fn owns(conn: &mut diesel_async::AsyncPgConnection, owner: &UserId, id: StrategyId) -> Result<bool, StoreError> {
    let owned = strategies::table.find(id.as_uuid()).filter(strategies::user_id.eq(owner.as_str()));
    diesel::select(diesel::dsl::exists(owned)).get_result::<bool>(conn).await.map_err(query)
}

fn to_trades(rows: Vec<TradeRow>) -> Result<Vec<Trade>, StoreError> {
    rows.into_iter().map(Trade::try_from).collect()
}

#[async_trait]
impl TradeStore for PgStore {
    async fn insert_trade(&self, trade: &Trade, event: &TradeEvent) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let report = write(&mut conn, INSERT_TRADE, trade, event).await?;
        match report {
            WriteReport { written: 1, .. } => Ok(()),
            WriteReport { present: false, .. } => Err(StoreError::Missing),
            WriteReport { id_taken: true, .. } => Err(StoreError::Conflict(StoreConflict::AlreadyExists)),
            // The only other unique indexes are the open-trade slots.
            _ => Err(StoreError::Conflict(StoreConflict::OpenTradeExists)),
        }
    }

    async fn update_trade(&self, trade: &Trade, event: &TradeEvent) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        match write(&mut conn, UPDATE_TRADE, trade, event).await? {
            WriteReport { written: 1, .. } => Ok(()),
            WriteReport { present: true, .. } => Err(StoreError::Conflict(StoreConflict::StaleVersion)),
            _ => Err(StoreError::Missing),
        }
    }

    async fn get_trade(&self, owner: &UserId, strategy: StrategyId, id: TradeId) -> Result<Option<Trade>, StoreError> {
        let mut conn = self.conn().await?;
        let row = trades::table
            .find(id.as_uuid())
            .filter(trades::strategy_id.eq(strategy.as_uuid()))
            .filter(trades::user_id.eq(owner.as_str()))
            .select(TradeRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(query)?;
        row.map(Trade::try_from).transpose()
    }

    async fn open_trades(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        lookup: &OpenTradeLookup,
    ) -> Result<Option<Vec<Trade>>, StoreError> {
        let mut conn = self.conn().await?;
        let mut open = trades::table
            .filter(trades::strategy_id.eq(strategy.as_uuid()))
            .filter(trades::user_id.eq(owner.as_str()))
            .filter(trades::status.eq("OPEN"))
            .select(TradeRow::as_select())
            .into_boxed();
        open = match lookup {
            OpenTradeLookup::Reference(reference) => open.filter(trades::external_reference.eq(reference.as_str())),
            OpenTradeLookup::Symbol(symbol) => open.filter(trades::symbol.eq(symbol.as_str())),
        };
        let rows = open.order(trades::id.asc()).load(&mut conn).await.map_err(query)?;
        if rows.is_empty() && !owns(&mut conn, owner, strategy).await? {
            return Ok(None);
        }
        to_trades(rows).map(Some)
    }

    async fn latest_with_reference(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        reference: &ExternalReference,
    ) -> Result<Option<Trade>, StoreError> {
        let mut conn = self.conn().await?;
        let row = trades::table
            .filter(trades::strategy_id.eq(strategy.as_uuid()))
            .filter(trades::user_id.eq(owner.as_str()))
            .filter(trades::external_reference.eq(reference.as_str()))
            .order(trades::id.desc())
            .select(TradeRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(query)?;
        row.map(Trade::try_from).transpose()
    }

    async fn list_trades(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        filter: &TradeFilter,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Trade>>, StoreError> {
        let mut conn = self.conn().await?;
        let mut listed = trades::table
            .filter(trades::strategy_id.eq(strategy.as_uuid()))
            .filter(trades::user_id.eq(owner.as_str()))
            .select(TradeRow::as_select())
            .into_boxed();
        if let Some(status) = filter.status {
            listed = listed.filter(trades::status.eq(status.as_str()));
        }
        if let Some(symbol) = &filter.symbol {
            listed = listed.filter(trades::symbol.eq(symbol.as_str().to_owned()));
        }
        if let Some(side) = filter.side {
            listed = listed.filter(trades::side.eq(side.as_str()));
        }
        if let Some(from) = filter.from {
            listed = listed.filter(trades::opened_at.ge(from.as_datetime()));
        }
        if let Some(to) = filter.to {
            listed = listed.filter(trades::opened_at.le(to.as_datetime()));
        }
        if let Some(cursor) = after {
            let (at, id) = (cursor.opened_at.as_datetime(), cursor.trade_id.as_uuid());
            listed = listed.filter(trades::opened_at.lt(at).or(trades::opened_at.eq(at).and(trades::id.lt(id))));
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = listed
            .order((trades::opened_at.desc(), trades::id.desc()))
            .limit(limit)
            .load(&mut conn)
            .await
            .map_err(query)?;
        if rows.is_empty() && !owns(&mut conn, owner, strategy).await? {
            return Ok(None);
        }
        to_trades(rows).map(Some)
    }

    async fn trade_events(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Vec<TradeEvent>, StoreError> {
        let mut conn = self.conn().await?;
        let rows = trade_events::table
            .inner_join(trades::table)
            .filter(trades::id.eq(id.as_uuid()))
            .filter(trades::strategy_id.eq(strategy.as_uuid()))
            .filter(trades::user_id.eq(owner.as_str()))
            .order(trade_events::version.asc())
            .select(EventRow::as_select())
            .load(&mut conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(TradeEvent::try_from).collect()
    }

    async fn delete_trade(&self, owner: &UserId, strategy: StrategyId, id: TradeId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let deleted = diesel::delete(
            trades::table
                .find(id.as_uuid())
                .filter(trades::strategy_id.eq(strategy.as_uuid()))
                .filter(trades::user_id.eq(owner.as_str())),
        )
        .execute(&mut conn)
        .await
        .map_err(query)?;
        Ok(deleted > 0)
    }
}
