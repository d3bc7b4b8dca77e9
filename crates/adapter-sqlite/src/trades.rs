//! Trades and their history on SQLite. A write is one immediate transaction (`trade_write.rs`); a read is scoped by
//! owner in its own statement; closed trades reach statistics a page at a time in close order, so that a long
//! history needs no memory per trade.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::RunQueryDsl;
use quantarya_domain::{
    BodyHash, EventId, ExternalReference, IdempotencyKey, Receipt, SignalTarget, Status, StrategyId, Trade, TradeEvent,
    TradeId, UserId,
};
use quantarya_ports::StoreError;
use quantarya_ports::outbound::{
    CloseRange, ClosedTradeVisitor, OpenTradeLookup, ReceiptWrite, SignalReceipts, TradeCursor, TradeFilter, TradeStore,
};

use crate::SqliteStore;
use crate::error::query;
use crate::rows::{corrupt, id_text, micros, stamp, uuid};
use crate::schema::{receipt_keys, receipt_targets, strategies, trade_events, trades};
use crate::trade_rows::{EventRow, TradeRow, closed};
use crate::trade_write::{self, TradeWrite, WriteKind};

/// How many closed trades statistics read at a time.
const CLOSED_PAGE: i64 = 1_000;

/// A query of an owner's trades, to filter, order and page.
type OwnersTrades<'a> =
    trades::BoxedQuery<'a, diesel::sqlite::Sqlite, diesel::dsl::AsSelect<TradeRow, diesel::sqlite::Sqlite>>;

fn owners_trades<'a>(owner: &'a UserId, strategy: &'a str) -> OwnersTrades<'a> {
    trades::table
        .filter(trades::strategy_id.eq(strategy))
        .filter(trades::user_id.eq(owner.as_str()))
        .select(TradeRow::as_select())
        .into_boxed()
}

fn to_trades(rows: Vec<TradeRow>) -> Result<Vec<Trade>, StoreError> {
    rows.into_iter().map(Trade::try_from).collect()
}

/// A receipt as stored: body hash, trade, event, time.
type ReceiptRow = (Vec<u8>, String, String, i64);

fn receipt(row: ReceiptRow) -> Result<Receipt, StoreError> {
    let (hash, trade, event, at) = row;
    let body_hash: [u8; 32] = hash.try_into().map_err(|_| corrupt("a receipt's body hash is not 32 bytes"))?;
    Ok(Receipt {
        body_hash: BodyHash::from_bytes(body_hash),
        trade_id: TradeId::from_uuid(uuid("receipt.trade_id", &trade)?),
        event_id: EventId::from_uuid(uuid("receipt.event_id", &event)?),
        at: stamp("receipt.at", at)?,
    })
}

impl SqliteStore {
    /// A trade write in its own immediate transaction, on the store's writer.
    async fn trade_write(&self, write: TradeWrite) -> Result<(), StoreError> {
        self.write(move |connection| trade_write::run(connection, &write)).await?
    }

    /// Whether `owner` has strategy `id`: asked when a read found nothing, to tell "none" from "not yours".
    pub(crate) async fn owns(&self, owner: &UserId, strategy: &str) -> Result<bool, StoreError> {
        let mut conn = self.read().await;
        let owned = strategies::table.find(strategy).filter(strategies::user_id.eq(owner.as_str()));
        diesel::select(diesel::dsl::exists(owned)).get_result::<bool>(&mut *conn).await.map_err(query)
    }

    /// The first `limit` trades of `listed`; `None` when none came and `owner` has no such strategy.
    async fn page(
        &self,
        owner: &UserId,
        strategy: &str,
        listed: OwnersTrades<'_>,
        limit: usize,
    ) -> Result<Option<Vec<Trade>>, StoreError> {
        let rows = {
            let mut conn = self.read().await;
            listed.limit(i64::try_from(limit).unwrap_or(i64::MAX)).load(&mut *conn).await.map_err(query)?
        };
        if rows.is_empty() && !self.owns(owner, strategy).await? {
            return Ok(None);
        }
        to_trades(rows).map(Some)
    }
}

/// A keyset cursor's condition on the trades: `(columns) op (at, id)`, with `columns` and `op` ours.
type Cursor = Box<dyn BoxableExpression<trades::table, diesel::sqlite::Sqlite, SqlType = Bool>>;

fn after_cursor(columns: &'static str, op: &'static str, at: i64, id: String) -> Cursor {
    Box::new(
        diesel::dsl::sql::<Bool>(&format!("({columns}) {op} ("))
            .bind::<BigInt, _>(at)
            .sql(", ")
            .bind::<Text, _>(id)
            .sql(")"),
    )
}

#[async_trait]
impl TradeStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn insert_trade<'r>(
        &self,
        trade: &Trade,
        event: &TradeEvent,
        receipt: Option<&'r ReceiptWrite>,
    ) -> Result<(), StoreError> {
        self.trade_write(TradeWrite::new(WriteKind::Insert, trade, event, receipt)).await
    }

    #[tracing::instrument(skip_all)]
    async fn update_trade<'r>(
        &self,
        trade: &Trade,
        event: &TradeEvent,
        receipt: Option<&'r ReceiptWrite>,
    ) -> Result<(), StoreError> {
        self.trade_write(TradeWrite::new(WriteKind::Update, trade, event, receipt)).await
    }

    #[tracing::instrument(skip_all)]
    async fn signal_receipts<'k>(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        target: &SignalTarget,
        key: Option<&'k IdempotencyKey>,
    ) -> Result<SignalReceipts, StoreError> {
        let (owner, strategy) = (owner.as_str(), id_text(strategy.as_uuid()));
        let mut conn = self.read().await;
        let latest = receipt_targets::table
            .find((owner, &strategy, target.key()))
            .select((
                receipt_targets::body_hash,
                receipt_targets::trade_id,
                receipt_targets::event_id,
                receipt_targets::at,
            ))
            .first::<ReceiptRow>(&mut *conn)
            .await
            .optional()
            .map_err(query)?;
        let keyed = match key {
            Some(key) => receipt_keys::table
                .find((owner, &strategy, key.as_str()))
                .select((receipt_keys::body_hash, receipt_keys::trade_id, receipt_keys::event_id, receipt_keys::at))
                .first::<ReceiptRow>(&mut *conn)
                .await
                .optional()
                .map_err(query)?,
            None => None,
        };
        Ok(SignalReceipts { latest: latest.map(receipt).transpose()?, keyed: keyed.map(receipt).transpose()? })
    }

    #[tracing::instrument(skip_all)]
    async fn receipt_count(&self, owner: &UserId, strategy: StrategyId) -> Result<u64, StoreError> {
        let (owner, strategy) = (owner.as_str(), id_text(strategy.as_uuid()));
        let mut conn = self.read().await;
        let targets: i64 = receipt_targets::table
            .filter(receipt_targets::user_id.eq(owner))
            .filter(receipt_targets::strategy_id.eq(&strategy))
            .count()
            .get_result(&mut *conn)
            .await
            .map_err(query)?;
        let keys: i64 = receipt_keys::table
            .filter(receipt_keys::user_id.eq(owner))
            .filter(receipt_keys::strategy_id.eq(&strategy))
            .count()
            .get_result(&mut *conn)
            .await
            .map_err(query)?;
        Ok(u64::try_from(targets + keys).unwrap_or(0))
    }

    #[tracing::instrument(skip_all)]
    async fn get_trade(&self, owner: &UserId, strategy: StrategyId, id: TradeId) -> Result<Option<Trade>, StoreError> {
        let strategy = id_text(strategy.as_uuid());
        let mut conn = self.read().await;
        let row = owners_trades(owner, &strategy)
            .filter(trades::id.eq(id_text(id.as_uuid())))
            .first(&mut *conn)
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
        let strategy = id_text(strategy.as_uuid());
        let mut open = owners_trades(owner, &strategy).filter(trades::status.eq(Status::Open.as_str()));
        open = match lookup {
            OpenTradeLookup::Reference(reference) => {
                open.filter(trades::external_reference.eq(reference.as_str().to_owned()))
            }
            OpenTradeLookup::Symbol(symbol) => open.filter(trades::symbol.eq(symbol.as_str().to_owned())),
        };
        self.page(owner, &strategy, open.order(trades::id.asc()), usize::MAX).await
    }

    #[tracing::instrument(skip_all)]
    async fn latest_with_reference(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        reference: &ExternalReference,
    ) -> Result<Option<Trade>, StoreError> {
        let strategy = id_text(strategy.as_uuid());
        let mut conn = self.read().await;
        let row = owners_trades(owner, &strategy)
            .filter(trades::external_reference.eq(reference.as_str().to_owned()))
            .order(trades::id.desc())
            .first(&mut *conn)
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
        let strategy = id_text(strategy.as_uuid());
        let mut listed = owners_trades(owner, &strategy);
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
            listed = listed.filter(trades::opened_at.ge(micros(from)));
        }
        if let Some(to) = filter.to {
            listed = listed.filter(trades::opened_at.le(micros(to)));
        }
        if let Some(cursor) = after {
            let (at, id) = (micros(cursor.opened_at), id_text(cursor.trade_id.as_uuid()));
            listed = listed.filter(after_cursor("trades.opened_at, trades.id", "<", at, id));
        }
        let listed = listed.order((trades::opened_at.desc(), trades::id.desc()));
        self.page(owner, &strategy, listed, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn trades_oldest_first(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Option<Vec<Trade>>, StoreError> {
        let strategy = id_text(strategy.as_uuid());
        let mut listed = owners_trades(owner, &strategy);
        if let Some(cursor) = after {
            let (at, id) = (micros(cursor.opened_at), id_text(cursor.trade_id.as_uuid()));
            listed = listed.filter(after_cursor("trades.opened_at, trades.id", ">", at, id));
        }
        let listed = listed.order((trades::opened_at.asc(), trades::id.asc()));
        self.page(owner, &strategy, listed, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn trade_events(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Vec<TradeEvent>, StoreError> {
        let mut conn = self.read().await;
        let rows = trade_events::table
            .inner_join(trades::table)
            .filter(trades::id.eq(id_text(id.as_uuid())))
            .filter(trades::strategy_id.eq(id_text(strategy.as_uuid())))
            .filter(trades::user_id.eq(owner.as_str()))
            .order(trade_events::version.asc())
            .select(EventRow::as_select())
            .load(&mut *conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(TradeEvent::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn delete_trade(&self, owner: &UserId, strategy: StrategyId, id: TradeId) -> Result<bool, StoreError> {
        let (owner, strategy, id) = (owner.as_str().to_owned(), id_text(strategy.as_uuid()), id_text(id.as_uuid()));
        self.write(move |connection| trade_write::delete(connection, &owner, &strategy, &id)).await
    }

    #[tracing::instrument(skip_all)]
    async fn count_cancelled(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        range: CloseRange,
    ) -> Result<(u64, u64), StoreError> {
        let mut cancelled = trades::table
            .filter(trades::strategy_id.eq(id_text(strategy.as_uuid())))
            .filter(trades::user_id.eq(owner.as_str()))
            .filter(trades::status.eq(Status::Cancelled.as_str()))
            .select(diesel::dsl::sql::<(BigInt, BigInt)>("count(*), coalesce(sum(trades.live), 0)"))
            .into_boxed();
        if let Some(from) = range.from {
            cancelled = cancelled.filter(trades::closed_at.ge(micros(from)));
        }
        if let Some(to) = range.to {
            cancelled = cancelled.filter(trades::closed_at.le(micros(to)));
        }
        let mut conn = self.read().await;
        let (all, live): (i64, i64) = cancelled.first(&mut *conn).await.map_err(query)?;
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
        let strategy = id_text(strategy.as_uuid());
        let mut after: Option<(i64, String)> = None;
        let mut any = false;
        loop {
            let mut closed_page = owners_trades(owner, &strategy).filter(trades::status.eq(Status::Closed.as_str()));
            if let Some(from) = range.from {
                closed_page = closed_page.filter(trades::closed_at.ge(micros(from)));
            }
            if let Some(to) = range.to {
                closed_page = closed_page.filter(trades::closed_at.le(micros(to)));
            }
            if let Some((at, id)) = after.take() {
                closed_page = closed_page.filter(after_cursor("trades.closed_at, trades.id", ">", at, id));
            }
            let rows: Vec<TradeRow> = {
                let mut conn = self.read().await;
                closed_page
                    .order((trades::closed_at.asc(), trades::id.asc()))
                    .limit(CLOSED_PAGE)
                    .load(&mut *conn)
                    .await
                    .map_err(query)?
            };
            let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) == CLOSED_PAGE;
            if let Some(last) = rows.last() {
                after = last.closed_at.map(|at| (at, last.id.clone()));
            }
            for row in rows {
                any = true;
                visitor.visit(closed(row)?);
            }
            if !full || after.is_none() {
                break;
            }
        }
        if !any {
            return self.owns(owner, &strategy).await;
        }
        Ok(true)
    }
}
