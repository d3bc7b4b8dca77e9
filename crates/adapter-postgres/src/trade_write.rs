//! The one-statement trade write, bound: the trade's row, its history event and a signal's receipt as the
//! parameters of one of four statements (`write_statement.rs` holds their text), each with a prepared form diesel
//! caches. A write is one round trip, atomic.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use diesel::sql_types::{
    Array, BigInt, Bool, Bytea, Float8, Json, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use quantarya_domain::{Receipt, Trade, TradeEvent, WebhookEvent};
use quantarya_ports::outbound::ReceiptWrite;
use quantarya_ports::{StoreConflict, StoreError};

use crate::error::query;
use crate::rows::{TradeRow, changes_json};
use crate::write_statement::{PARAMS, Shape, statement_tail};

/// Marks the insert statements.
#[derive(Debug)]
pub(crate) struct InsertTradeStatement;
/// Marks the update statements.
#[derive(Debug)]
pub(crate) struct UpdateTradeStatement;

/// Which statement a write is.
pub(crate) trait WriteKind: Send + Sync + 'static {
    /// Whether the statement changes a stored trade (an update) rather than adding one.
    const CHANGES_A_STORED_TRADE: bool;
}

impl WriteKind for InsertTradeStatement {
    const CHANGES_A_STORED_TRADE: bool = false;
}

impl WriteKind for UpdateTradeStatement {
    const CHANGES_A_STORED_TRADE: bool = true;
}

/// A write without a receipt.
#[derive(Debug)]
pub(crate) struct Unreceipted;

/// A signal's receipt, as the statement binds it.
#[derive(Debug)]
pub(crate) struct ReceiptBinds {
    pub(crate) target: String,
    pub(crate) key: Option<String>,
    pub(crate) hash: Vec<u8>,
    pub(crate) trade: uuid::Uuid,
    pub(crate) event: uuid::Uuid,
    pub(crate) at: DateTime<Utc>,
    pub(crate) after: Option<uuid::Uuid>,
    pub(crate) target_cutoff: DateTime<Utc>,
    pub(crate) key_cutoff: DateTime<Utc>,
}

impl From<&ReceiptWrite> for ReceiptBinds {
    fn from(write: &ReceiptWrite) -> Self {
        let r = write.receipt;
        let at = r.at.as_datetime();
        Self {
            target: write.target.key(),
            key: write.key.as_ref().map(|k| k.as_str().to_owned()),
            hash: r.body_hash.as_bytes().to_vec(),
            trade: r.trade_id.as_uuid(),
            event: r.event_id.as_uuid(),
            at,
            after: write.after.map(|e| e.as_uuid()),
            target_cutoff: at - Receipt::UNKEYED_LIFETIME,
            key_cutoff: at - Receipt::KEYED_LIFETIME,
        }
    }
}

/// Whether a write carries a receipt: [`Unreceipted`] or [`ReceiptBinds`].
pub(crate) trait ReceiptMode: std::fmt::Debug + Send + Sync + 'static {
    /// The receipt's binds, if the write has one.
    fn binds(&self) -> Option<&ReceiptBinds>;
}

impl ReceiptMode for Unreceipted {
    fn binds(&self) -> Option<&ReceiptBinds> {
        None
    }
}

impl ReceiptMode for ReceiptBinds {
    fn binds(&self) -> Option<&ReceiptBinds> {
        Some(self)
    }
}

/// The eight statements' text, built once.
static TAILS: LazyLock<[String; 8]> = LazyLock::new(|| Shape::ALL.map(statement_tail));

/// A trade write: the trade's row, its event and, for a signal, its receipt, as one statement.
#[derive(Debug)]
pub(crate) struct TradeWrite<Kind, Mode> {
    pub(crate) row: TradeRow,
    pub(crate) event_id: uuid::Uuid,
    pub(crate) event_kind: &'static str,
    pub(crate) event_at: DateTime<Utc>,
    pub(crate) event_by: &'static str,
    pub(crate) event_changes: serde_json::Value,
    pub(crate) event_announces: &'static str,
    pub(crate) receipt: Mode,
    /// Whether the statement announces the change to the owner's subscriptions, or is the lean one.
    pub(crate) announcing: bool,
    kind: std::marker::PhantomData<Kind>,
}

impl<Kind, Mode> TradeWrite<Kind, Mode> {
    pub(crate) fn new(trade: &Trade, event: &TradeEvent, receipt: Mode, announcing: bool) -> Self {
        Self {
            row: TradeRow::from(trade),
            event_id: event.id.as_uuid(),
            event_kind: event.kind.as_str(),
            event_at: event.at.as_datetime(),
            event_by: event.by.as_str(),
            event_changes: changes_json(&event.changes),
            event_announces: WebhookEvent::of(event, trade).as_str(),
            receipt,
            announcing,
            kind: std::marker::PhantomData,
        }
    }
}

/// Calls `$each!(sql type, value)` for every column of the trade row `$row`, in [`TRADE_COLUMNS`]' order: the one
/// list a trade's binds are made from (the write statement's, a copied delivery's snapshot).
macro_rules! each_trade_column {
    ($row:expr, $each:ident) => {{
        let r = $row;
        $each!(SqlUuid, &r.id);
        $each!(SqlUuid, &r.strategy_id);
        $each!(Text, &r.user_id);
        $each!(Text, &r.symbol);
        $each!(Text, &r.side);
        $each!(Text, &r.status);
        $each!(Text, &r.event);
        $each!(Nullable<Float8>, &r.entry);
        $each!(Nullable<Float8>, &r.stop_loss);
        $each!(Nullable<Float8>, &r.take_profit);
        $each!(Nullable<Float8>, &r.close_price);
        $each!(Timestamptz, &r.opened_at);
        $each!(Nullable<Timestamptz>, &r.closed_at);
        $each!(Nullable<Timestamptz>, &r.signal_time);
        $each!(Nullable<Text>, &r.timeframe);
        $each!(Nullable<Text>, &r.source);
        $each!(Nullable<Text>, &r.external_reference);
        $each!(Nullable<Json>, &r.signal);
        $each!(Nullable<Json>, &r.market);
        $each!(Nullable<Json>, &r.risk);
        $each!(Nullable<Json>, &r.context);
        $each!(Nullable<Json>, &r.meta);
        $each!(Text, &r.origin);
        $each!(Timestamptz, &r.created_at);
        $each!(Timestamptz, &r.updated_at);
        $each!(BigInt, &r.version);
        $each!(Array<Text>, &r.tags);
        $each!(Nullable<Float8>, &r.initial_stop_loss);
        $each!(Jsonb, &r.position);
        $each!(Bool, &r.live);
    }};
}
pub(crate) use each_trade_column;

/// Calls `$each!(sql type, value)` for every parameter of `$write`, in [`PARAMS`]' order (a test checks that each is
/// named once, in order), the receipt's last when it has one: the one list the binds and the rendering for pgbench
/// share.
macro_rules! each_param {
    ($write:expr, $each:ident) => {{
        let w = $write;
        $crate::trade_write::each_trade_column!(&w.row, $each);
        $each!(SqlUuid, &w.event_id);
        $each!(Text, &w.event_kind);
        $each!(Timestamptz, &w.event_at);
        $each!(Text, &w.event_by);
        $each!(Json, &w.event_changes);
        $each!(Text, &w.event_announces);
        if let Some(b) = $crate::trade_write::ReceiptMode::binds(&w.receipt) {
            $each!(Text, &b.target);
            $each!(Nullable<Text>, &b.key);
            $each!(Bytea, &b.hash);
            $each!(SqlUuid, &b.trade);
            $each!(SqlUuid, &b.event);
            $each!(Timestamptz, &b.at);
            $each!(Nullable<SqlUuid>, &b.after);
            $each!(Timestamptz, &b.target_cutoff);
            $each!(Timestamptz, &b.key_cutoff);
        }
    }};
}
pub(crate) use each_param;

impl<Kind: WriteKind, Mode: ReceiptMode> QueryId for TradeWrite<Kind, Mode> {
    type QueryId = (Kind, Mode);
    // Two texts share the type (announcing and lean): diesel caches each prepared form by its text instead.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Kind: WriteKind, Mode: ReceiptMode> Query for TradeWrite<Kind, Mode> {
    type SqlType = (BigInt, Bool, Bool, Bool, Bool, Bool);
}

impl<Kind: WriteKind, Mode: ReceiptMode> TradeWrite<Kind, Mode> {
    /// The statement's text after the parameter CTE.
    pub(crate) fn tail(&self) -> &'static str {
        let shape = Shape {
            update: Kind::CHANGES_A_STORED_TRADE,
            receipted: self.receipt.binds().is_some(),
            announcing: self.announcing,
        };
        &TAILS[shape.index()]
    }
}

impl<Kind: WriteKind, Mode: ReceiptMode> QueryFragment<Pg> for TradeWrite<Kind, Mode> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut aliases = PARAMS.iter();
        let mut first = true;
        macro_rules! named {
            ($sql_type:ty, $value:expr) => {{
                out.push_sql(if std::mem::replace(&mut first, false) { "WITH p AS (SELECT " } else { ", " });
                out.push_bind_param::<$sql_type, _>($value)?;
                out.push_sql(" AS ");
                out.push_sql(aliases.next().copied().unwrap_or("unnamed"));
            }};
        }
        each_param!(self, named);
        out.push_sql(")");
        out.push_sql(self.tail());
        Ok(())
    }
}

/// What a write statement reports: rows written; whether the parent exists (the owner's strategy of an insert,
/// the trade under it of an update); whether an insert's id was taken; whether what a receipted write was judged
/// on still held (always, without a receipt); whether the strategy refused an insert's signal as too old; whether
/// a lean statement met a subscriber of the owner (and so wrote nothing).
pub(crate) type Report = (i64, bool, bool, bool, bool, bool);

/// What became of a write: done (as `settle` said), or not written because the lean statement met a subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    /// Written, with its event (and its announcement when the statement announced).
    Done,
    /// Nothing was written: the owner has a subscription, so the change must be written announcing.
    Subscribed,
}

/// Runs a trade write, with its receipt when it has one, and turns the report into the store's answer: `settle`
/// reads the counts of the change (the same with a receipt or without).
pub(crate) async fn write<Kind: WriteKind, Mode: ReceiptMode>(
    conn: &mut diesel_async::AsyncPgConnection,
    write: TradeWrite<Kind, Mode>,
    settle: fn((i64, bool, bool)) -> Result<(), StoreError>,
) -> Result<Written, StoreError> {
    // Only a receipted write is judged again when it loses a race; a plain one reports what the database said.
    let receipted = write.receipt.binds().is_some();
    let report = write.get_result::<Report>(conn).await;
    let (written, parent, taken, judged, stale, subscribed) =
        report.map_err(|error| if receipted { lost_race(error) } else { query(error) })?;
    if !parent {
        return Err(StoreError::Missing);
    }
    if stale {
        return Err(StoreError::Conflict(StoreConflict::SignalStale));
    }
    if !judged {
        // Without a receipt only the strategy can be judged gone (deleted while the write waited for it).
        return Err(if receipted { StoreError::Conflict(StoreConflict::ReceiptRaced) } else { StoreError::Missing });
    }
    if subscribed {
        return Ok(Written::Subscribed);
    }
    settle((written, parent, taken)).map(|()| Written::Done)
}

/// A statement that deadlocked with another (a deletion taking the same rows in another order), or that a
/// stricter isolation level than READ COMMITTED refused, was rolled back whole: a lost race, judged again like any
/// other. diesel names no deadlock kind, so its message tells (servers answer in English unless `lc_messages` says
/// otherwise).
fn lost_race(error: diesel::result::Error) -> StoreError {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
            StoreError::Conflict(StoreConflict::ReceiptRaced)
        }
        Error::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
            StoreError::Conflict(StoreConflict::ReceiptRaced)
        }
        other => query(other),
    }
}

/// The trade `new` opens (nil ids, user `u`, at a fixed time, by `by`) and its entry event: what the statements'
/// tests bind.
#[cfg(test)]
pub(crate) fn sample(new: quantarya_domain::NewTrade, by: quantarya_domain::CredentialKind) -> (Trade, TradeEvent) {
    use quantarya_domain::{EventId, Stamp, StrategyId, Timestamp, TradeId, UserId};
    let at = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid");
    let stamp = Stamp { event_id: EventId::from_uuid(uuid::Uuid::nil()), at, by };
    let (id, strategy) = (TradeId::from_uuid(uuid::Uuid::nil()), StrategyId::from_uuid(uuid::Uuid::nil()));
    let opened = Trade::open(id, strategy, UserId::parse("u").expect("valid"), new, stamp).expect("valid");
    (opened.trade, opened.event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write_statement::{EVENT_PARAMS, TRADE_COLUMNS};
    use diesel::debug_query;
    use quantarya_domain::{BodyHash, CredentialKind, NewTrade, Side, SignalTarget, Symbol};

    #[test]
    fn every_bind_of_a_write_is_named_once_in_order() {
        let (trade, event) =
            sample(NewTrade::open(Symbol::parse("EURUSD").expect("valid"), Side::Buy), CredentialKind::User);
        let receipt = || ReceiptWrite {
            target: SignalTarget::Symbol(trade.symbol.clone()),
            key: None,
            receipt: Receipt {
                body_hash: BodyHash::from_bytes([7; 32]),
                trade_id: trade.id,
                event_id: event.id,
                at: event.at,
            },
            after: None,
        };
        fn sql<Kind: WriteKind, Mode: ReceiptMode>(write: TradeWrite<Kind, Mode>) -> String {
            debug_query::<Pg, _>(&write).to_string()
        }
        let unreceipted = TRADE_COLUMNS.len() + EVENT_PARAMS.len();
        let receipted = || ReceiptBinds::from(&receipt());
        for (sql, binds) in [
            (sql(TradeWrite::<InsertTradeStatement, _>::new(&trade, &event, Unreceipted, false)), unreceipted),
            (sql(TradeWrite::<UpdateTradeStatement, _>::new(&trade, &event, Unreceipted, true)), unreceipted),
            (sql(TradeWrite::<InsertTradeStatement, _>::new(&trade, &event, receipted(), true)), PARAMS.len()),
            (sql(TradeWrite::<UpdateTradeStatement, _>::new(&trade, &event, receipted(), false)), PARAMS.len()),
        ] {
            assert!(!sql.contains("unnamed"), "{sql}");
            for (i, name) in PARAMS[..binds].iter().enumerate() {
                assert!(sql.contains(&format!("${} AS {name}", i + 1)), "${} should be {name}: {sql}", i + 1);
            }
            assert!(!sql.contains(&format!("${}", binds + 1)), "no bind beyond the named ones");
        }
    }
}
