//! The one-statement trade write: the trade's row and its history event bound once each in a leading CTE, then
//! an insert or a versioned update and the event's insert, so each write is one round trip, atomic, with a
//! prepared form diesel caches. The statements are built from one list of the table's columns.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Float8, Json, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use quantarya_domain::{Trade, TradeEvent};
use quantarya_ports::StoreError;

use crate::error::query;
use crate::rows::{TradeRow, changes_json};

/// The columns of a trade and its event, bound once each as `p.<name>` in a leading CTE, so each write is one
/// statement whose prepared form diesel caches (one round trip per write).
const PARAMS: [&str; TRADE_COLUMNS.len() + EVENT_PARAMS.len()] = {
    let mut all = [""; TRADE_COLUMNS.len() + EVENT_PARAMS.len()];
    let mut i = 0;
    while i < all.len() {
        all[i] = if i < TRADE_COLUMNS.len() { TRADE_COLUMNS[i] } else { EVENT_PARAMS[i - TRADE_COLUMNS.len()] };
        i += 1;
    }
    all
};

/// The columns of the `trades` table, in table order: the one list every write statement is built from.
const TRADE_COLUMNS: [&str; 29] = [
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
    "tags",
    "initial_stop_loss",
    "position",
];

/// How many leading columns of [`TRADE_COLUMNS`] are the trade's identity, which an update never sets.
const IDENTITY_COLUMNS: usize = 3;

/// The parameters of the history event written with the trade.
const EVENT_PARAMS: [&str; 5] = ["event_id", "event_kind", "event_at", "event_by", "event_changes"];

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

/// `columns` as a list, each prefixed with `prefix`.
fn listed(columns: &[&str], prefix: &str) -> String {
    columns.iter().map(|c| format!("{prefix}{c}")).collect::<Vec<_>>().join(", ")
}

/// The text of a write statement after the parameter CTE.
fn statement_tail(insert: bool) -> String {
    if insert {
        INSERT_TRADE.replace("P_COLUMNS", &listed(&TRADE_COLUMNS, "p.")).replace("COLUMNS", &listed(&TRADE_COLUMNS, ""))
    } else {
        let set = &TRADE_COLUMNS[IDENTITY_COLUMNS..];
        UPDATE_TRADE.replace("SET_P_COLUMNS", &listed(set, "p.")).replace("SET_COLUMNS", &listed(set, ""))
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
    /// Whether the statement changes a stored trade (an update) rather than adding one.
    const CHANGES_A_STORED_TRADE: bool;

    /// The SQL after the parameter CTE.
    fn tail() -> &'static str;
}

impl WriteKind for InsertTradeStatement {
    const CHANGES_A_STORED_TRADE: bool = false;

    fn tail() -> &'static str {
        &INSERT_TAIL
    }
}

impl WriteKind for UpdateTradeStatement {
    const CHANGES_A_STORED_TRADE: bool = true;

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
        named!(Array<Text>, &r.tags);
        named!(Nullable<Float8>, &r.initial_stop_loss);
        named!(Jsonb, &r.position);
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
pub(crate) async fn write<Kind: WriteKind>(
    conn: &mut diesel_async::AsyncPgConnection,
    trade: &Trade,
    event: &TradeEvent,
) -> Result<(i64, bool, bool), StoreError> {
    write_pipelined::<Kind>(conn, trade, event).await.map_err(query)
}

/// [`write`] on a shared connection, so that it can be sent in one pipeline with other statements.
pub(crate) async fn write_pipelined<Kind: WriteKind>(
    conn: &diesel_async::AsyncPgConnection,
    trade: &Trade,
    event: &TradeEvent,
) -> Result<(i64, bool, bool), diesel::result::Error> {
    TradeWrite::<Kind>::new(trade, event).get_result::<(i64, bool, bool)>(&mut &*conn).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use quantarya_domain::{
        CredentialKind, EventId, NewTrade, Side, Stamp, StrategyId, Symbol, Timestamp, TradeId, UserId,
    };

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

    #[test]
    fn the_statements_name_every_column_of_the_table_once() {
        let insert = statement_tail(true);
        let update = statement_tail(false);
        for column in TRADE_COLUMNS {
            assert!(insert.contains(&format!("p.{column}")), "the insert binds {column}");
        }
        for column in &TRADE_COLUMNS[..IDENTITY_COLUMNS] {
            assert!(!update.contains(&format!("p.{column},")), "an update never sets {column}");
        }
        for column in &TRADE_COLUMNS[IDENTITY_COLUMNS..] {
            assert!(update.contains(&format!("p.{column}")), "an update sets {column}");
        }
    }
}
