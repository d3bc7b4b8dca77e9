//! A trade write on SQLite: the trade, its history event, a signal's receipt and the strategy's closed revision,
//! in one `BEGIN IMMEDIATE` transaction (the write lock taken first, so the transaction never meets another writer's
//! snapshot halfway), decided in the order the ports ask: the owner's strategy, a stale entry, the receipt the
//! request was judged on, then the trade itself.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use quantarya_domain::{Receipt, SignalAge, Status, Timestamp, Trade, TradeEvent, WebhookEvent};
use quantarya_ports::outbound::ReceiptWrite;
use quantarya_ports::{StoreConflict, StoreError};

use crate::rows::{id_text, micros};
use crate::schema::{receipt_keys, receipt_targets, strategies, trade_events, trades};
use crate::trade_rows::{EventRow, TradeRow};

/// Whether the write adds a trade or changes a stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteKind {
    /// A new trade.
    Insert,
    /// A stored trade at the version before the trade's.
    Update,
}

/// A signal's receipt as the write stores it.
#[derive(Debug)]
pub(crate) struct ReceiptRows {
    target: String,
    key: Option<String>,
    hash: Vec<u8>,
    trade: String,
    event: String,
    at: i64,
    after: Option<String>,
    target_cutoff: i64,
    key_cutoff: i64,
}

fn lifetime_micros(lifetime: quantarya_domain::chrono::TimeDelta) -> i64 {
    lifetime.num_microseconds().unwrap_or(i64::MAX)
}

impl From<&ReceiptWrite> for ReceiptRows {
    fn from(write: &ReceiptWrite) -> Self {
        let r = write.receipt;
        let at = micros(r.at);
        Self {
            target: write.target.key(),
            key: write.key.as_ref().map(|k| k.as_str().to_owned()),
            hash: r.body_hash.as_bytes().to_vec(),
            trade: id_text(r.trade_id.as_uuid()),
            event: id_text(r.event_id.as_uuid()),
            at,
            after: write.after.map(|e| id_text(e.as_uuid())),
            // A receipt counts while younger than its lifetime (`Receipt::counts_at`): at or before these, it does not.
            target_cutoff: at.saturating_sub(lifetime_micros(Receipt::UNKEYED_LIFETIME)),
            key_cutoff: at.saturating_sub(lifetime_micros(Receipt::KEYED_LIFETIME)),
        }
    }
}

/// Everything a write needs, owned (it runs on the writer's thread).
#[derive(Debug)]
pub(crate) struct TradeWrite {
    pub(crate) kind: WriteKind,
    pub(crate) row: TradeRow,
    pub(crate) event: EventRow,
    pub(crate) receipt: Option<ReceiptRows>,
    /// For a new open trade that says when its signal was sent: when it was sent and received, which the
    /// strategy's `max_signal_age` judges ([`SignalAge::refuses`]).
    pub(crate) entry_signal: Option<(Timestamp, Timestamp)>,
    /// The kind of change the write is, as the owner's subscriptions are told of it.
    pub(crate) announces: WebhookEvent,
}

impl TradeWrite {
    pub(crate) fn new(kind: WriteKind, trade: &Trade, event: &TradeEvent, receipt: Option<&ReceiptWrite>) -> Self {
        Self {
            kind,
            row: TradeRow::from(trade),
            event: EventRow::from(event),
            receipt: receipt.map(ReceiptRows::from),
            entry_signal: trade
                .signal_time
                .filter(|_| kind == WriteKind::Insert && trade.status == Status::Open)
                .map(|sent| (sent, trade.created_at)),
            announces: WebhookEvent::of(event, trade),
        }
    }
}

/// Runs `write` in its own immediate transaction: the store's answer, or the database's error.
pub(crate) fn run(connection: &mut SqliteConnection, write: &TradeWrite) -> QueryResult<Result<(), StoreError>> {
    connection.immediate_transaction(|connection| {
        let decided = decide(connection, write)?;
        if decided.is_err() {
            return Ok(decided);
        }
        apply(connection, write)?;
        Ok(Ok(()))
    })
}

/// Whether the write may go ahead, read inside its transaction.
fn decide(connection: &mut SqliteConnection, write: &TradeWrite) -> QueryResult<Result<(), StoreError>> {
    let row = &write.row;
    let age = strategies::table
        .find(&row.strategy_id)
        .filter(strategies::user_id.eq(&row.user_id))
        .select(strategies::max_signal_age_seconds)
        .first::<Option<i32>>(connection)
        .optional()?;
    let Some(age) = age else {
        return Ok(Err(StoreError::Missing));
    };
    let age = age.and_then(|seconds| SignalAge::new(u64::try_from(seconds).ok()?).ok());
    if let (Some(age), Some((sent, received))) = (age, write.entry_signal)
        && age.refuses_signal_of(sent, received)
    {
        return Ok(Err(StoreError::Conflict(StoreConflict::SignalStale)));
    }
    let stored = if write.kind == WriteKind::Update {
        let version = trades::table
            .find(&row.id)
            .filter(trades::strategy_id.eq(&row.strategy_id))
            .filter(trades::user_id.eq(&row.user_id))
            .select(trades::version)
            .first::<i64>(connection)
            .optional()?;
        let Some(version) = version else {
            return Ok(Err(StoreError::Missing));
        };
        Some(version)
    } else {
        None
    };
    if let Some(receipt) = &write.receipt
        && !judged(connection, row, receipt)?
    {
        return Ok(Err(StoreError::Conflict(StoreConflict::ReceiptRaced)));
    }
    match stored {
        Some(version) if version != row.version - 1 => Ok(Err(StoreError::Conflict(StoreConflict::StaleVersion))),
        Some(_) => Ok(Ok(())),
        None => {
            let taken =
                diesel::select(diesel::dsl::exists(trades::table.find(&row.id))).get_result::<bool>(connection)?;
            if taken {
                return Ok(Err(StoreError::Conflict(StoreConflict::AlreadyExists)));
            }
            let slot_taken = match (&row.external_reference, row.status.as_str()) {
                (Some(reference), "OPEN") => diesel::select(diesel::dsl::exists(
                    trades::table
                        .filter(trades::strategy_id.eq(&row.strategy_id))
                        .filter(trades::external_reference.eq(reference))
                        .filter(trades::status.eq(Status::Open.as_str())),
                ))
                .get_result::<bool>(connection)?,
                _ => false,
            };
            Ok(if slot_taken { Err(StoreError::Conflict(StoreConflict::OpenTradeExists)) } else { Ok(()) })
        }
    }
}

/// Whether the target's latest receipt is still the one the request was judged on, and no receipt that counts
/// holds its key.
fn judged(connection: &mut SqliteConnection, row: &TradeRow, receipt: &ReceiptRows) -> QueryResult<bool> {
    let latest = receipt_targets::table
        .find((&row.user_id, &row.strategy_id, &receipt.target))
        .select(receipt_targets::event_id)
        .first::<String>(connection)
        .optional()?;
    if latest != receipt.after {
        return Ok(false);
    }
    let Some(key) = &receipt.key else {
        return Ok(true);
    };
    let held = receipt_keys::table
        .find((&row.user_id, &row.strategy_id, key))
        .filter(receipt_keys::at.gt(receipt.key_cutoff))
        .select(receipt_keys::at)
        .first::<i64>(connection)
        .optional()?;
    Ok(held.is_none())
}

/// Writes the trade, its event, the receipt and the strategy's revision.
fn apply(connection: &mut SqliteConnection, write: &TradeWrite) -> QueryResult<()> {
    let row = &write.row;
    match write.kind {
        WriteKind::Insert => {
            diesel::insert_into(trades::table).values(row).execute(connection)?;
        }
        WriteKind::Update => {
            diesel::update(trades::table.find(&row.id)).set(row).execute(connection)?;
        }
    }
    diesel::insert_into(trade_events::table).values(&write.event).execute(connection)?;
    crate::webhook_writes::announce(connection, row, &write.event.id, write.announces, write.event.at)?;
    if let Some(receipt) = &write.receipt {
        diesel::replace_into(receipt_targets::table)
            .values((
                receipt_targets::user_id.eq(&row.user_id),
                receipt_targets::strategy_id.eq(&row.strategy_id),
                receipt_targets::target.eq(&receipt.target),
                receipt_targets::body_hash.eq(&receipt.hash),
                receipt_targets::trade_id.eq(&receipt.trade),
                receipt_targets::event_id.eq(&receipt.event),
                receipt_targets::at.eq(receipt.at),
            ))
            .execute(connection)?;
        if let Some(key) = &receipt.key {
            diesel::replace_into(receipt_keys::table)
                .values((
                    receipt_keys::user_id.eq(&row.user_id),
                    receipt_keys::strategy_id.eq(&row.strategy_id),
                    receipt_keys::idempotency_key.eq(key),
                    receipt_keys::body_hash.eq(&receipt.hash),
                    receipt_keys::trade_id.eq(&receipt.trade),
                    receipt_keys::event_id.eq(&receipt.event),
                    receipt_keys::at.eq(receipt.at),
                ))
                .execute(connection)?;
        }
        diesel::delete(
            receipt_targets::table
                .filter(receipt_targets::strategy_id.eq(&row.strategy_id))
                .filter(receipt_targets::at.le(receipt.target_cutoff)),
        )
        .execute(connection)?;
        diesel::delete(
            receipt_keys::table
                .filter(receipt_keys::strategy_id.eq(&row.strategy_id))
                .filter(receipt_keys::at.le(receipt.key_cutoff)),
        )
        .execute(connection)?;
    }
    if row.status != Status::Open.as_str() {
        revise(connection, &row.strategy_id)?;
    }
    Ok(())
}

/// Removes trade `id` of `owner`'s strategy with its history and receipts (by cascade); a trade that was closed or
/// cancelled moves the strategy's closed revision on, in the same transaction. Whether it existed.
pub(crate) fn delete(connection: &mut SqliteConnection, owner: &str, strategy: &str, id: &str) -> QueryResult<bool> {
    connection.immediate_transaction(|connection| {
        let status = trades::table
            .find(id)
            .filter(trades::strategy_id.eq(strategy))
            .filter(trades::user_id.eq(owner))
            .select(trades::status)
            .first::<String>(connection)
            .optional()?;
        let Some(status) = status else {
            return Ok(false);
        };
        diesel::delete(trades::table.find(id)).execute(connection)?;
        if status != Status::Open.as_str() {
            revise(connection, strategy)?;
        }
        Ok(true)
    })
}

/// Moves the strategy's closed revision on: its cached statistics are stale.
pub(crate) fn revise(connection: &mut SqliteConnection, strategy: &str) -> QueryResult<()> {
    diesel::update(strategies::table.find(strategy))
        .set(strategies::closed_revision.eq(strategies::closed_revision + 1))
        .execute(connection)
        .map(|_| ())
}
