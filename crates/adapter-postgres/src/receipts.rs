//! Signal receipts on PostgreSQL, read: the latest receipt of each target and the keyed receipts, with their
//! strategy's owner. They are written in the statement of the trade change they belong to (`write_statement.rs`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use quantarya_domain::{
    BodyHash, EventId, IdempotencyKey, Receipt, SignalTarget, StrategyId, Timestamp, TradeId, UserId,
};
use quantarya_ports::StoreError;
use quantarya_ports::outbound::SignalReceipts;

use crate::error::query;
use crate::schema::{receipt_keys, receipt_targets};

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
