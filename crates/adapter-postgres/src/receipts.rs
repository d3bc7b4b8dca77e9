//! Signal receipts on PostgreSQL: the latest receipt of each target and the keyed receipts, read with their
//! strategy's owner, and written in the transaction of the trade change they belong to. The rows are locked before
//! the change is written, and a receipt that was not there when the signal was judged is inserted (not upserted),
//! so of racing requests the primary keys let one through and the others fail with `ReceiptRaced`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use quantarya_domain::{
    BodyHash, EventId, IdempotencyKey, Receipt, SignalTarget, StrategyId, Timestamp, Trade, TradeEvent, TradeId, UserId,
};
use quantarya_ports::outbound::{ReceiptWrite, SignalReceipts};
use quantarya_ports::{StoreConflict, StoreError};

use crate::error::query;
use crate::schema::{receipt_keys, receipt_targets, strategies, trades};
use crate::trade_write::{WriteKind, write_pipelined};

/// The rows of `$table` (a receipt table) of one strategy of one owner.
macro_rules! of_strategy {
    ($table:ident, $owner:expr, $strategy:expr) => {
        $table::table.filter($table::user_id.eq($owner)).filter($table::strategy_id.eq($strategy))
    };
}

/// The receipt of `$table` whose `$column` is `$key`, in one strategy of one owner.
macro_rules! receipt_at {
    ($table:ident, $column:ident, $owner:expr, $strategy:expr, $key:expr) => {
        of_strategy!($table, $owner, $strategy).filter($table::$column.eq($key))
    };
}

/// The stored fields of a receipt of `$table`.
macro_rules! receipt_fields {
    ($table:ident) => {
        ($table::body_hash, $table::trade_id, $table::event_id, $table::at)
    };
}

/// Writes `$row` as the receipt of `$table` under `$column = $key` on the shared connection `$conn` (so it can be
/// pipelined): replacing the row (locked) when `$replace`, else inserting it, so that a racing request that wrote it
/// first makes the insert fail.
macro_rules! write_receipt {
    ($conn:expr, $table:ident, $column:ident, $owner:expr, $strategy:expr, $key:expr, $row:expr, $replace:expr) => {{
        let (hash, trade_id, event_id, at) = $row;
        let values = (
            $table::body_hash.eq(hash),
            $table::trade_id.eq(trade_id),
            $table::event_id.eq(event_id),
            $table::at.eq(at),
        );
        if $replace {
            diesel::update(receipt_at!($table, $column, $owner, $strategy, $key))
                .set(values)
                .execute(&mut &*$conn)
                .await
        } else {
            let identity = ($table::user_id.eq($owner), $table::strategy_id.eq($strategy), $table::$column.eq($key));
            diesel::insert_into($table::table).values((identity, values)).execute(&mut &*$conn).await
        }
    }};
}

/// The purges: at most 256 of a strategy's oldest receipts that no longer count, found through the
/// `(strategy_id, at)` index (the strategy alone names them: it has one owner), so a write's purge costs what it
/// removes, never a walk of the receipts that still count. A backlog goes over the next writes.
const PURGE_TARGETS: &str = "DELETE FROM receipt_targets WHERE ctid IN (SELECT ctid FROM receipt_targets \
    WHERE strategy_id = $1 AND at <= $2 ORDER BY at LIMIT 256 FOR UPDATE SKIP LOCKED)";
const PURGE_KEYS: &str = "DELETE FROM receipt_keys WHERE ctid IN (SELECT ctid FROM receipt_keys \
    WHERE strategy_id = $1 AND at <= $2 ORDER BY at LIMIT 256 FOR UPDATE SKIP LOCKED)";

/// A receipt as stored: body hash, trade, event, time.
type ReceiptRow = (Vec<u8>, uuid::Uuid, uuid::Uuid, DateTime<Utc>);

fn receipt(row: ReceiptRow) -> Result<Receipt, StoreError> {
    let (hash, trade, event, at) = row;
    let body_hash: [u8; 32] =
        hash.try_into().map_err(|_| StoreError::Corrupt("a receipt's body hash is not 32 bytes".to_owned()))?;
    Ok(Receipt {
        body_hash: BodyHash::from_bytes(body_hash),
        trade_id: TradeId::from_uuid(trade),
        event_id: EventId::from_uuid(event),
        at: Timestamp::from_datetime(at),
    })
}

/// An error inside a receipted write's transaction: the store's own, or a query's (which rolls it back too).
#[derive(Debug)]
pub(crate) enum TxError {
    Store(StoreError),
    Query(diesel::result::Error),
}

impl From<diesel::result::Error> for TxError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Query(error)
    }
}

impl From<StoreError> for TxError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl TxError {
    /// The store's answer. A deadlock rolled the transaction back whole, so it is a lost race, judged again.
    pub(crate) fn into_store(self) -> StoreError {
        match self {
            Self::Store(error) => error,
            Self::Query(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("deadlock detected") =>
            {
                StoreError::Conflict(StoreConflict::ReceiptRaced)
            }
            Self::Query(error) => query(error),
        }
    }
}

fn raced() -> TxError {
    TxError::Store(StoreError::Conflict(StoreConflict::ReceiptRaced))
}

/// The receipts a signal to `target` of `owner`'s strategy is judged by.
pub(crate) async fn signal_receipts(
    conn: &mut AsyncPgConnection,
    owner: &UserId,
    strategy: StrategyId,
    target: &SignalTarget,
    key: Option<&IdempotencyKey>,
) -> Result<SignalReceipts, StoreError> {
    let (owner, strategy) = (owner.as_str(), strategy.as_uuid());
    let latest = receipt_at!(receipt_targets, target, owner, strategy, target.key())
        .select(receipt_fields!(receipt_targets))
        .first::<ReceiptRow>(conn)
        .await
        .optional()
        .map_err(query)?;
    let keyed = match key {
        Some(key) => receipt_at!(receipt_keys, idempotency_key, owner, strategy, key.as_str())
            .select(receipt_fields!(receipt_keys))
            .first::<ReceiptRow>(conn)
            .await
            .optional()
            .map_err(query)?,
        None => None,
    };
    Ok(SignalReceipts { latest: latest.map(receipt).transpose()?, keyed: keyed.map(receipt).transpose()? })
}

/// How many receipts `owner`'s strategy holds.
pub(crate) async fn receipt_count(
    conn: &mut AsyncPgConnection,
    owner: &UserId,
    strategy: StrategyId,
) -> Result<u64, StoreError> {
    let (owner, strategy) = (owner.as_str(), strategy.as_uuid());
    let targets =
        of_strategy!(receipt_targets, owner, strategy).count().get_result::<i64>(conn).await.map_err(query)?;
    let keys = of_strategy!(receipt_keys, owner, strategy).count().get_result::<i64>(conn).await.map_err(query)?;
    Ok(u64::try_from(targets + keys).unwrap_or(0))
}

/// Writes a trade change and its receipt in one transaction; `settle` turns the change's result into the store's
/// answer (the same as without a receipt).
pub(crate) async fn write_with_receipt<Kind: WriteKind>(
    conn: &mut AsyncPgConnection,
    trade: &Trade,
    event: &TradeEvent,
    receipt: &ReceiptWrite,
    settle: fn((i64, bool, bool)) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let (owner, strategy) = (trade.user_id.as_str().to_owned(), trade.strategy_id.as_uuid());
    let target = receipt.target.key();
    let key = receipt.key.as_ref().map(|k| k.as_str().to_owned());
    let r = receipt.receipt;
    let at = r.at.as_datetime();
    let row = (r.body_hash.as_bytes().to_vec(), r.trade_id.as_uuid(), r.event_id.as_uuid(), at);
    conn.transaction::<_, TxError, _>(async move |conn| {
        // The locks in one pipeline (one round trip), the change, then its receipts and the purge in another.
        // Pipelined statements run in the order
        // sent, so the lock order is the one deletions use, which hold the strategy (or the trade) while their
        // cascade reaches the receipts: the strategy first, then the trade an update changes, then the receipt
        // rows. A failure anywhere rolls the whole transaction back.
        let shared: &AsyncPgConnection = conn;
        let owned = strategies::table
            .find(strategy)
            .filter(strategies::user_id.eq(&owner))
            .select(strategies::id)
            .for_key_share()
            .first::<uuid::Uuid>(&mut &*shared);
        let stored = async {
            if !Kind::CHANGES_A_STORED_TRADE {
                return Ok(Some(trade.id.as_uuid()));
            }
            trades::table
                .find(trade.id.as_uuid())
                .filter(trades::strategy_id.eq(strategy))
                .filter(trades::user_id.eq(&owner))
                .select(trades::id)
                .for_no_key_update()
                .first::<uuid::Uuid>(&mut &*shared)
                .await
                .optional()
        };
        // Judged on this latest receipt, or on none: lock it, and refuse the write if it moved on.
        let latest = receipt_at!(receipt_targets, target, &owner, strategy, &target)
            .select(receipt_targets::event_id)
            .for_update()
            .first::<uuid::Uuid>(&mut &*shared);
        let held = async {
            match &key {
                Some(key) => receipt_at!(receipt_keys, idempotency_key, &owner, strategy, key)
                    .select(receipt_keys::at)
                    .for_update()
                    .first::<DateTime<Utc>>(&mut &*shared)
                    .await
                    .optional(),
                None => Ok(None),
            }
        };
        let (owned, stored, latest, held) = futures_util::future::try_join4(
            async { owned.await.optional() },
            stored,
            async { latest.await.optional() },
            held,
        )
        .await?;
        if owned.is_none() || stored.is_none() {
            return Err(TxError::Store(StoreError::Missing));
        }
        if latest != receipt.after.map(|e| e.as_uuid()) {
            return Err(raced());
        }
        let held_since = held.map(Timestamp::from_datetime);
        if held_since.is_some_and(|since| at - since.as_datetime() < Receipt::KEYED_LIFETIME) {
            return Err(raced());
        }
        // The change first: its receipt names it, so a change the statement did not make (a stale version, a taken
        // reference) must be told before the receipt is written.
        settle(write_pipelined::<Kind>(shared, trade, event).await?)?;
        let target_receipt = async {
            write_receipt!(shared, receipt_targets, target, &owner, strategy, &target, row.clone(), latest.is_some())
        };
        // An expired receipt under the key is locked and replaced; a new key is inserted.
        let key_receipt = async {
            match &key {
                Some(key) => {
                    write_receipt!(
                        shared,
                        receipt_keys,
                        idempotency_key,
                        &owner,
                        strategy,
                        key,
                        row.clone(),
                        held.is_some()
                    )
                }
                None => Ok(0),
            }
        };
        // Purge what no longer counts, skipping rows another request holds (it replaces them itself): so two
        // purges never wait on each other.
        let purge = |statement: &'static str, lifetime: chrono::TimeDelta| {
            diesel::sql_query(statement)
                .bind::<SqlUuid, _>(strategy)
                .bind::<Timestamptz, _>(at - lifetime)
                .execute(&mut &*shared)
        };
        let purges = (purge(PURGE_TARGETS, Receipt::UNKEYED_LIFETIME), purge(PURGE_KEYS, Receipt::KEYED_LIFETIME));
        futures_util::future::try_join4(target_receipt, key_receipt, purges.0, purges.1).await?;
        Ok(())
    })
    .await
    .map_err(TxError::into_store)
}
