//! Trades and their history. A write and its history event are one statement (one round trip, atomic); reads
//! are scoped by owner in the same statement.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::TryStreamExt;
use quantarya_domain::{
    ClosedTrade, ExternalReference, IdempotencyKey, SignalTarget, Status, StrategyId, Trade, TradeEvent, TradeId,
    UserId,
};
use quantarya_ports::outbound::{
    CloseRange, ClosedTradeVisitor, OpenTradeLookup, ReceiptWrite, SignalReceipts, TradeCursor, TradeFilter, TradeStore,
};
use quantarya_ports::{StoreConflict, StoreError};

use crate::PgStore;
use crate::closed_row::ClosedRow;
use crate::cursor::after_cursor;
use crate::error::query;
use crate::receipts;
use crate::rows::{EventRow, TradeRow, corrupt};
use crate::schema::{strategies, trade_events, trades};
use crate::trade_write::{
    InsertTradeStatement, ReceiptBinds, TradeWrite, Unreceipted, UpdateTradeStatement, WriteKind, Written, write,
};

impl PgStore {
    /// A trade write, with its receipt in the same statement when it has one; `settle` turns the statement's
    /// counts into the store's answer. The lean statement first, unless the owner is known to subscribe; when it
    /// meets a subscriber (it then wrote nothing) the announcing one, and the owner is known from then on.
    async fn trade_write<Kind: WriteKind>(
        &self,
        trade: &Trade,
        event: &TradeEvent,
        receipt: Option<&ReceiptWrite>,
        settle: fn((i64, bool, bool)) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let owner = trade.user_id.as_str();
        let mut announcing = self.subscribers.knows(owner);
        loop {
            let written = match receipt {
                None => {
                    write(&mut conn, TradeWrite::<Kind, _>::new(trade, event, Unreceipted, announcing), settle).await
                }
                Some(receipt) => {
                    let binds = ReceiptBinds::from(receipt);
                    write(&mut conn, TradeWrite::<Kind, _>::new(trade, event, binds, announcing), settle).await
                }
            }?;
            match written {
                Written::Done => return Ok(()),
                Written::Subscribed if !announcing => {
                    self.subscribers.learn(owner);
                    announcing = true;
                }
                Written::Subscribed => return Err(corrupt("an announcing write reported a subscriber")),
            }
        }
    }
}

/// The store's answer to an insert's counts: rows written, whether the owner's strategy exists, whether the id was
/// taken.
fn inserted(counts: (i64, bool, bool)) -> Result<(), StoreError> {
    match counts {
        (1, _, _) => Ok(()),
        (_, false, _) => Err(StoreError::Missing),
        (_, _, true) => Err(StoreError::Conflict(StoreConflict::AlreadyExists)),
        // The only other unique indexes are the open-trade slots.
        _ => Err(StoreError::Conflict(StoreConflict::OpenTradeExists)),
    }
}

/// The store's answer to an update's counts: rows written, whether the trade exists under its owner's strategy.
fn updated(counts: (i64, bool, bool)) -> Result<(), StoreError> {
    match counts {
        (1, _, _) => Ok(()),
        (_, true, _) => Err(StoreError::Conflict(StoreConflict::StaleVersion)),
        _ => Err(StoreError::Missing),
    }
}

/// Whether `owner` has strategy `id`: asked only when a read found nothing, to tell "none" from "not yours".
pub(crate) async fn owns(
    conn: &mut diesel_async::AsyncPgConnection,
    owner: &UserId,
    id: StrategyId,
) -> Result<bool, StoreError> {
    let owned = strategies::table.find(id.as_uuid()).filter(strategies::user_id.eq(owner.as_str()));
    diesel::select(diesel::dsl::exists(owned)).get_result::<bool>(conn).await.map_err(query)
}

/// A query of an owner's trades, as [`owners_trades`] starts it.
type OwnersTrades<'a> = trades::BoxedQuery<'a, diesel::pg::Pg, diesel::dsl::AsSelect<TradeRow, diesel::pg::Pg>>;

/// The trades of `owner`'s strategy `strategy`, to filter, order and page. The ownership test is evaluated once,
/// before any trade is read: another user's strategy id costs nothing.
fn owners_trades(owner: &UserId, strategy: StrategyId) -> OwnersTrades<'_> {
    let owned = strategies::table.find(strategy.as_uuid()).filter(strategies::user_id.eq(owner.as_str()));
    trades::table
        .filter(diesel::dsl::exists(owned))
        .filter(trades::strategy_id.eq(strategy.as_uuid()))
        .filter(trades::user_id.eq(owner.as_str()))
        .select(TradeRow::as_select())
        .into_boxed()
}

/// The first `limit` trades of `listed` (filtered and ordered); `None` when none came and `owner` has no such
/// strategy.
async fn page(
    conn: &mut diesel_async::AsyncPgConnection,
    owner: &UserId,
    strategy: StrategyId,
    listed: OwnersTrades<'_>,
    limit: usize,
) -> Result<Option<Vec<Trade>>, StoreError> {
    let rows = listed.limit(i64::try_from(limit).unwrap_or(i64::MAX)).load(conn).await.map_err(query)?;
    if rows.is_empty() && !owns(conn, owner, strategy).await? {
        return Ok(None);
    }
    to_trades(rows).map(Some)
}

fn to_trades(rows: Vec<TradeRow>) -> Result<Vec<Trade>, StoreError> {
    rows.into_iter().map(Trade::try_from).collect()
}

#[async_trait]
impl TradeStore for PgStore {
    #[tracing::instrument(skip_all)]
    async fn insert_trade<'r>(
        &self,
        trade: &Trade,
        event: &TradeEvent,
        receipt: Option<&'r ReceiptWrite>,
    ) -> Result<(), StoreError> {
        self.trade_write::<InsertTradeStatement>(trade, event, receipt, inserted).await
    }

    #[tracing::instrument(skip_all)]
    async fn update_trade<'r>(
        &self,
        trade: &Trade,
        event: &TradeEvent,
        receipt: Option<&'r ReceiptWrite>,
    ) -> Result<(), StoreError> {
        self.trade_write::<UpdateTradeStatement>(trade, event, receipt, updated).await
    }

    #[tracing::instrument(skip_all)]
    async fn signal_receipts<'k>(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        target: &SignalTarget,
        key: Option<&'k IdempotencyKey>,
    ) -> Result<SignalReceipts, StoreError> {
        receipts::signal_receipts(&mut *self.conn().await?, owner, strategy, target, key).await
    }

    #[tracing::instrument(skip_all)]
    async fn receipt_count(&self, owner: &UserId, strategy: StrategyId) -> Result<u64, StoreError> {
        receipts::receipt_count(&mut *self.conn().await?, owner, strategy).await
    }

    #[tracing::instrument(skip_all)]
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

    #[tracing::instrument(skip_all)]
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

    #[tracing::instrument(skip_all)]
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

    #[tracing::instrument(skip_all)]
    async fn list_trades(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        filter: &TradeFilter,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Trade>>, StoreError> {
        let mut conn = self.conn().await?;
        let mut listed = owners_trades(owner, strategy);
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
            listed = listed.filter(after_cursor!("trades.opened_at, trades.id", at, id));
        }
        let listed = listed.order((trades::opened_at.desc(), trades::id.desc()));
        page(&mut conn, owner, strategy, listed, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn trades_oldest_first(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Trade>>, StoreError> {
        let mut conn = self.conn().await?;
        let mut listed = owners_trades(owner, strategy);
        if let Some(cursor) = after {
            let (at, id) = (cursor.opened_at.as_datetime(), cursor.trade_id.as_uuid());
            listed = listed.filter(after_cursor!(">", "trades.opened_at, trades.id", at, id));
        }
        let listed = listed.order((trades::opened_at.asc(), trades::id.asc()));
        page(&mut conn, owner, strategy, listed, limit).await
    }

    #[tracing::instrument(skip_all)]
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

    #[tracing::instrument(skip_all)]
    async fn count_cancelled(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        range: CloseRange,
    ) -> Result<(u64, u64), StoreError> {
        let mut conn = self.conn().await?;
        let mut cancelled = trades::table
            .filter(trades::strategy_id.eq(strategy.as_uuid()))
            .filter(trades::user_id.eq(owner.as_str()))
            .filter(trades::status.eq("CANCELLED"))
            .select(diesel::dsl::sql::<(diesel::sql_types::BigInt, diesel::sql_types::BigInt)>(
                "count(*), count(*) FILTER (WHERE trades.live)",
            ))
            .into_boxed();
        if let Some(from) = range.from {
            cancelled = cancelled.filter(trades::closed_at.ge(from.as_datetime()));
        }
        if let Some(to) = range.to {
            cancelled = cancelled.filter(trades::closed_at.le(to.as_datetime()));
        }
        let (all, live): (i64, i64) = cancelled.first(&mut conn).await.map_err(query)?;
        Ok((u64::try_from(all).unwrap_or(0), u64::try_from(live).unwrap_or(0)))
    }

    #[tracing::instrument(skip_all)]
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

    /// In one transaction, taking its locks in the order the trade writes take them: the owner's strategy key-share
    /// locked (which keeps the strategy's deletion out), the trade deleted, and, if the trade was closed or
    /// cancelled, the strategy's closed revision moved on. (A stronger first lock on the strategy would deadlock with
    /// a write that holds the trade and waits to move the revision.)
    #[tracing::instrument(skip_all)]
    async fn delete_trade(&self, owner: &UserId, strategy: StrategyId, id: TradeId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let (owner, strategy, id) = (owner.as_str().to_owned(), strategy.as_uuid(), id.as_uuid());
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            let owned = strategies::table.find(strategy).filter(strategies::user_id.eq(&owner));
            if owned.select(strategies::id).for_key_share().first::<uuid::Uuid>(conn).await.optional()?.is_none() {
                return Ok(false);
            }
            let deleted: Option<String> = diesel::delete(
                trades::table.find(id).filter(trades::strategy_id.eq(strategy)).filter(trades::user_id.eq(&owner)),
            )
            .returning(trades::status)
            .get_result(conn)
            .await
            .optional()?;
            if deleted.as_deref().is_some_and(|status| status != Status::Open.as_str()) {
                diesel::update(strategies::table.find(strategy))
                    .set(strategies::closed_revision.eq(strategies::closed_revision + 1))
                    .execute(conn)
                    .await?;
            }
            Ok(deleted.is_some())
        })
        .await
        .map_err(query)
    }
}
