//! Trades and their history. A write and its history event are one statement (one round trip, atomic); reads
//! are scoped by owner in the same statement.

use async_trait::async_trait;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Float8, Json, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use futures_util::TryStreamExt;
use quantarya_domain::{ClosedTrade, ExternalReference, StrategyId, Trade, TradeEvent, TradeId, UserId};
use quantarya_ports::outbound::{
    CloseRange, ClosedTradeVisitor, OpenTradeLookup, TradeCursor, TradeFilter, TradeStore,
};
use quantarya_ports::{StoreConflict, StoreError};

use crate::PgStore;
use crate::error::query;
use crate::rows::{ClosedRow, EventRow, TradeRow, changes_json};
use crate::schema::{strategies, trade_events, trades};

/// The columns of a trade and its event, bound once each as `p.<name>` in a leading CTE, so each write is one
/// statement whose prepared form diesel caches (one round trip per write).
const PARAMS: [&str; 31] = [
    "id",
    "strategy_id",
    "user_id",
    "symbol",
    "side",
    "status",
    "event",
    "entry",
    "stop_loss",
    "take_profit",
    "close_price",
    "opened_at",
    "closed_at",
    "signal_time",
    "timeframe",
    "source",
    "external_reference",
    "signal",
    "market",
    "risk",
    "context",
    "meta",
    "origin",
    "created_at",
    "updated_at",
    "version",
    "event_id",
    "event_kind",
    "event_at",
    "event_by",
    "event_changes",
];

/// The trade columns, in table order, as `p.<column>` expressions.
const TRADE_COLUMNS: &str = "id, strategy_id, user_id, symbol, side, status, event, entry, stop_loss, take_profit, \
    close_price, opened_at, closed_at, signal_time, timeframe, source, external_reference, signal, market, risk, \
    context, meta, origin, created_at, updated_at, version";

/// Inserts the trade (only under its owner's strategy) and its entry event. Reports rows written, whether the
/// owner's strategy exists, and whether the id was taken.
const INSERT_TRADE: &str = "
, owned AS (SELECT 1 FROM strategies s, p WHERE s.id = p.strategy_id AND s.user_id = p.user_id)
, inserted AS (
    INSERT INTO trades (COLUMNS)
    SELECT P_COLUMNS FROM p WHERE EXISTS (SELECT 1 FROM owned)
    ON CONFLICT DO NOTHING
    RETURNING id
)
, logged AS (
    INSERT INTO trade_events (id, trade_id, version, kind, at, by_credential, changes)
    SELECT p.event_id, i.id, p.version, p.event_kind, p.event_at, p.event_by, p.event_changes FROM p, inserted i
)
SELECT (SELECT count(*) FROM inserted), EXISTS (SELECT 1 FROM owned), EXISTS (SELECT 1 FROM trades t, p WHERE t.id = p.id)";

/// Replaces the trade if its stored version is the one before, and appends its event. Reports rows written and
/// whether the trade exists under its owner's strategy.
const UPDATE_TRADE: &str = "
, updated AS (
    UPDATE trades t SET (SET_COLUMNS) = (SELECT SET_P_COLUMNS)
    FROM p
    WHERE t.id = p.id AND t.strategy_id = p.strategy_id AND t.user_id = p.user_id AND t.version = p.version - 1
    RETURNING t.id
)
, logged AS (
    INSERT INTO trade_events (id, trade_id, version, kind, at, by_credential, changes)
    SELECT p.event_id, u.id, p.version, p.event_kind, p.event_at, p.event_by, p.event_changes FROM p, updated u
)
SELECT (SELECT count(*) FROM updated),
       EXISTS (SELECT 1 FROM trades t, p WHERE t.id = p.id AND t.strategy_id = p.strategy_id AND t.user_id = p.user_id),
       FALSE";

/// The columns an update may set (all but the identity of the trade).
const SET_COLUMNS: &str = "symbol, side, status, event, entry, stop_loss, take_profit, close_price, opened_at, \
    closed_at, signal_time, timeframe, source, external_reference, signal, market, risk, context, meta, origin, \
    created_at, updated_at, version";

fn prefixed(columns: &str) -> String {
    columns.split(',').map(|c| format!("p.{}", c.trim())).collect::<Vec<_>>().join(", ")
}

/// The text of a write statement after the parameter CTE.
fn statement_tail(insert: bool) -> String {
    if insert {
        INSERT_TRADE.replace("P_COLUMNS", &prefixed(TRADE_COLUMNS)).replace("COLUMNS", TRADE_COLUMNS)
    } else {
        UPDATE_TRADE.replace("SET_P_COLUMNS", &prefixed(SET_COLUMNS)).replace("SET_COLUMNS", SET_COLUMNS)
    }
}

static INSERT_TAIL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| statement_tail(true));
static UPDATE_TAIL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| statement_tail(false));

/// Marks the insert statement, so diesel caches its prepared form.
#[derive(Debug)]
pub(crate) struct InsertTradeStatement;
/// Marks the update statement, so diesel caches its prepared form.
#[derive(Debug)]
pub(crate) struct UpdateTradeStatement;

/// A trade write: the trade's row and its event, as one statement.
#[derive(Debug)]
pub(crate) struct TradeWrite<Kind> {
    row: TradeRow,
    event_id: uuid::Uuid,
    event_kind: &'static str,
    event_at: chrono::DateTime<chrono::Utc>,
    event_by: &'static str,
    event_changes: serde_json::Value,
    kind: std::marker::PhantomData<Kind>,
}

impl<Kind> TradeWrite<Kind> {
    fn new(trade: &Trade, event: &TradeEvent) -> Self {
        Self {
            row: TradeRow::from(trade),
            event_id: event.id.as_uuid(),
            event_kind: event.kind.as_str(),
            event_at: event.at.as_datetime(),
            event_by: event.by.as_str(),
            event_changes: changes_json(&event.changes),
            kind: std::marker::PhantomData,
        }
    }
}

/// Which statement a write is.
pub(crate) trait WriteKind: Send + Sync + 'static {
    /// The SQL after the parameter CTE.
    fn tail() -> &'static str;
}

impl WriteKind for InsertTradeStatement {
    fn tail() -> &'static str {
        &INSERT_TAIL
    }
}

impl WriteKind for UpdateTradeStatement {
    fn tail() -> &'static str {
        &UPDATE_TAIL
    }
}

impl<Kind: WriteKind> QueryId for TradeWrite<Kind> {
    type QueryId = Kind;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Kind: WriteKind> Query for TradeWrite<Kind> {
    type SqlType = (BigInt, Bool, Bool);
}

impl<Kind: WriteKind> QueryFragment<Pg> for TradeWrite<Kind> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let r = &self.row;
        let mut aliases = PARAMS.iter();
        let mut first = true;
        // Each bind is followed by its alias, in PARAMS' order (a test checks that every one is named).
        macro_rules! named {
            ($sql_type:ty, $value:expr) => {{
                out.push_sql(if std::mem::replace(&mut first, false) { "WITH p AS (SELECT " } else { ", " });
                out.push_bind_param::<$sql_type, _>($value)?;
                out.push_sql(" AS ");
                out.push_sql(aliases.next().copied().unwrap_or("unnamed"));
            }};
        }
        named!(SqlUuid, &r.id);
        named!(SqlUuid, &r.strategy_id);
        named!(Text, &r.user_id);
        named!(Text, &r.symbol);
        named!(Text, &r.side);
        named!(Text, &r.status);
        named!(Text, &r.event);
        named!(Nullable<Float8>, &r.entry);
        named!(Nullable<Float8>, &r.stop_loss);
        named!(Nullable<Float8>, &r.take_profit);
        named!(Nullable<Float8>, &r.close_price);
        named!(Timestamptz, &r.opened_at);
        named!(Nullable<Timestamptz>, &r.closed_at);
        named!(Nullable<Timestamptz>, &r.signal_time);
        named!(Nullable<Text>, &r.timeframe);
        named!(Nullable<Text>, &r.source);
        named!(Nullable<Text>, &r.external_reference);
        named!(Nullable<Json>, &r.signal);
        named!(Nullable<Json>, &r.market);
        named!(Nullable<Json>, &r.risk);
        named!(Nullable<Json>, &r.context);
        named!(Nullable<Json>, &r.meta);
        named!(Text, &r.origin);
        named!(Timestamptz, &r.created_at);
        named!(Timestamptz, &r.updated_at);
        named!(BigInt, &r.version);
        named!(SqlUuid, &self.event_id);
        named!(Text, &self.event_kind);
        named!(Timestamptz, &self.event_at);
        named!(Text, &self.event_by);
        named!(Json, &self.event_changes);
        out.push_sql(")");
        out.push_sql(Kind::tail());
        Ok(())
    }
}

/// Runs a trade write: rows written, whether its parent exists, whether its id was taken.
async fn write<Kind: WriteKind>(
    conn: &mut diesel_async::AsyncPgConnection,
    trade: &Trade,
    event: &TradeEvent,
) -> Result<(i64, bool, bool), StoreError> {
    TradeWrite::<Kind>::new(trade, event).get_result::<(i64, bool, bool)>(conn).await.map_err(query)
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
        match write::<InsertTradeStatement>(&mut conn, trade, event).await? {
            (1, _, _) => Ok(()),
            (_, false, _) => Err(StoreError::Missing),
            (_, _, true) => Err(StoreError::Conflict(StoreConflict::AlreadyExists)),
            // The only other unique indexes are the open-trade slots.
            _ => Err(StoreError::Conflict(StoreConflict::OpenTradeExists)),
        }
    }

    async fn update_trade(&self, trade: &Trade, event: &TradeEvent) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        match write::<UpdateTradeStatement>(&mut conn, trade, event).await? {
            (1, _, _) => Ok(()),
            (_, true, _) => Err(StoreError::Conflict(StoreConflict::StaleVersion)),
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
        let conn = self.conn().await?;
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
        // The ownership test is pipelined with the read (one round trip): it only matters when nothing is open.
        let owned = strategies::table.find(strategy.as_uuid()).filter(strategies::user_id.eq(owner.as_str()));
        let shared: &diesel_async::AsyncPgConnection = &conn;
        let owned = diesel::select(diesel::dsl::exists(owned)).get_result::<bool>(&mut &*shared);
        let rows = open.order(trades::id.asc()).load::<TradeRow>(&mut &*shared);
        let (rows, owned) = futures_util::future::try_join(rows, owned).await.map_err(query)?;
        if rows.is_empty() && !owned {
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
        let owned = strategies::table.find(strategy.as_uuid()).filter(strategies::user_id.eq(owner.as_str()));
        // The ownership test is evaluated once, before any trade is read: another user's strategy id costs nothing.
        let mut listed = trades::table
            .filter(diesel::dsl::exists(owned))
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
            // A row comparison, which the (strategy_id, opened_at DESC, id DESC) index can seek to.
            let (at, id) = (cursor.opened_at.as_datetime(), cursor.trade_id.as_uuid());
            listed = listed.filter(
                diesel::dsl::sql::<Bool>("(trades.opened_at, trades.id) < (")
                    .bind::<Timestamptz, _>(at)
                    .sql(", ")
                    .bind::<SqlUuid, _>(id)
                    .sql(")"),
            );
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

    async fn visit_closed_trades<'v>(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        range: CloseRange,
        visitor: &'v mut (dyn ClosedTradeVisitor + 'v),
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let mut closed = trades::table
            .filter(trades::strategy_id.eq(strategy.as_uuid()))
            .filter(trades::user_id.eq(owner.as_str()))
            .filter(trades::status.eq("CLOSED"))
            .select(ClosedRow::as_select())
            .into_boxed();
        if let Some(from) = range.from {
            closed = closed.filter(trades::closed_at.ge(from.as_datetime()));
        }
        if let Some(to) = range.to {
            closed = closed.filter(trades::closed_at.le(to.as_datetime()));
        }
        // Streamed row by row: statistics over a long history need no memory per trade here either.
        let mut rows = closed
            .order((trades::closed_at.asc(), trades::id.asc()))
            .load_stream::<ClosedRow>(&mut conn)
            .await
            .map_err(query)?;
        let mut any = false;
        while let Some(row) = rows.try_next().await.map_err(query)? {
            any = true;
            visitor.visit(ClosedTrade::try_from(row)?);
        }
        drop(rows);
        if !any && !owns(&mut conn, owner, strategy).await? {
            return Ok(false);
        }
        Ok(true)
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

#[cfg(test)]
mod tests {
    use super::*;
    use quantarya_domain::{CredentialKind, EventId, NewTrade, Side, Stamp, StrategyId, Symbol, Timestamp, UserId};

    fn sample() -> (Trade, TradeEvent) {
        let new = NewTrade::open(Symbol::parse("EURUSD").expect("valid"), Side::Buy);
        let at = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid");
        let stamp = Stamp { event_id: EventId::from_uuid(uuid::Uuid::nil()), at, by: CredentialKind::User };
        let t = Trade::open(
            TradeId::from_uuid(uuid::Uuid::nil()),
            StrategyId::from_uuid(uuid::Uuid::nil()),
            UserId::parse("u").expect("valid"),
            new,
            stamp,
        )
        .expect("valid");
        (t.trade, t.event)
    }

    #[test]
    fn every_bind_of_a_write_is_named_once_in_order() {
        let (trade, event) = sample();
        for sql in [
            diesel::debug_query::<Pg, _>(&TradeWrite::<InsertTradeStatement>::new(&trade, &event)).to_string(),
            diesel::debug_query::<Pg, _>(&TradeWrite::<UpdateTradeStatement>::new(&trade, &event)).to_string(),
        ] {
            assert!(!sql.contains("unnamed"), "{sql}");
            for (i, name) in PARAMS.iter().enumerate() {
                assert!(sql.contains(&format!("${} AS {name}", i + 1)), "${} should be {name}: {sql}", i + 1);
            }
            assert!(!sql.contains(&format!("${}", PARAMS.len() + 1)), "no bind beyond the named ones");
        }
    }
}
