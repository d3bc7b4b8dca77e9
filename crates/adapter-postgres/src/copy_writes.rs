//! A copied journal's writes on PostgreSQL, each inside the transaction the caller opened: rows inserted a chunk
//! at a time in multi-row statements, only where their key is free (`ON CONFLICT DO NOTHING`), so a copy run again
//! writes nothing twice.

use std::collections::{BTreeSet, HashSet};

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Float8, Json, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use quantarya_domain::{SignalLogEntry, Status, UserId};
use quantarya_ports::outbound::{AccountRows, TradeRows, TrailRows, Written};
use uuid::Uuid;

use crate::imports::{ImportRow, revise};
use crate::rows::{ApiKeyRow, NewEventRow, StrategyRow, TradeRow, UserRow};
use crate::schema::{
    api_keys, imports, receipt_keys, receipt_targets, strategies, trade_events, trade_imports, trades, users,
    webhook_deliveries, webhooks,
};
use crate::signal_writer::insert_entries;
use crate::trade_write::each_trade_column;
use crate::webhook_rows::{DeliveryRow, WebhookRow};
use crate::write_statement::TRADE_COLUMNS;

/// Rows a statement: at most 30 parameters a row (a trade's columns), well under PostgreSQL's 65 535.
const ROWS_A_STATEMENT: usize = 1_000;

/// Writes an account's rows that are not there.
pub(crate) async fn account(conn: &mut AsyncPgConnection, a: &AccountRows) -> QueryResult<Written> {
    let user = diesel::insert_into(users::table)
        .values(UserRow::from(&a.user))
        .on_conflict(users::id)
        .do_nothing()
        .execute(conn)
        .await?;
    let mut written = Written::of(1, user);
    let rows: Vec<StrategyRow> = a.strategies.iter().map(StrategyRow::from).collect();
    let new = diesel::insert_into(strategies::table)
        .values(&rows)
        .on_conflict(strategies::id)
        .do_nothing()
        .execute(conn)
        .await?;
    written += Written::of(rows.len(), new);
    let rows: Vec<ApiKeyRow> = a.api_keys.iter().map(ApiKeyRow::from).collect();
    let new =
        diesel::insert_into(api_keys::table).values(&rows).on_conflict(api_keys::id).do_nothing().execute(conn).await?;
    written += Written::of(rows.len(), new);
    let rows: Vec<WebhookRow> = a.webhooks.iter().map(WebhookRow::from).collect();
    let new =
        diesel::insert_into(webhooks::table).values(&rows).on_conflict(webhooks::id).do_nothing().execute(conn).await?;
    written += Written::of(rows.len(), new);
    let rows: Vec<ImportRow> = a.imports.iter().map(ImportRow::from).collect();
    let new =
        diesel::insert_into(imports::table).values(&rows).on_conflict(imports::id).do_nothing().execute(conn).await?;
    Ok(written + Written::of(rows.len(), new))
}

/// Writes the trades that are not there, each with its history and import link; moves the closed revision of each
/// strategy that gains a closed or cancelled trade.
pub(crate) async fn trades(conn: &mut AsyncPgConnection, page: &[TradeRows]) -> QueryResult<Written> {
    let mut written = Written::default();
    let mut made: HashSet<Uuid> = HashSet::with_capacity(page.len());
    for chunk in page.chunks(ROWS_A_STATEMENT) {
        let rows: Vec<TradeRow> = chunk.iter().map(|t| TradeRow::from(&t.trade)).collect();
        // Only an id already there is skipped: another open trade holding a reference is a conflict.
        let new: Vec<Uuid> = diesel::insert_into(trades::table)
            .values(&rows)
            .on_conflict(trades::id)
            .do_nothing()
            .returning(trades::id)
            .get_results(conn)
            .await?;
        written += Written::of(rows.len(), new.len());
        made.extend(new);
    }
    let (fresh, held): (Vec<&TradeRows>, Vec<&TradeRows>) =
        page.iter().partition(|t| made.contains(&t.trade.id.as_uuid()));
    let left: usize = held.iter().map(|t| t.events.len() + usize::from(t.import.is_some())).sum();
    written += Written::of(left, 0);
    let events: Vec<NewEventRow> = fresh.iter().flat_map(|t| t.events.iter().map(NewEventRow::from)).collect();
    for chunk in events.chunks(ROWS_A_STATEMENT) {
        let new = diesel::insert_into(trade_events::table)
            .values(chunk)
            .on_conflict(trade_events::id)
            .do_nothing()
            .execute(conn)
            .await?;
        written += Written::of(chunk.len(), new);
    }
    let links: Vec<_> = fresh
        .iter()
        .filter_map(|t| {
            t.import.as_ref().map(|link| {
                (
                    trade_imports::trade_id.eq(t.trade.id.as_uuid()),
                    trade_imports::import_id.eq(link.import_id.as_uuid()),
                    trade_imports::strategy_id.eq(t.trade.strategy_id.as_uuid()),
                    trade_imports::import_key.eq(link.key.as_str()),
                )
            })
        })
        .collect();
    for chunk in links.chunks(ROWS_A_STATEMENT) {
        let new =
            diesel::insert_into(trade_imports::table).values(chunk).on_conflict_do_nothing().execute(conn).await?;
        written += Written::of(chunk.len(), new);
    }
    let revised: BTreeSet<Uuid> =
        fresh.iter().filter(|t| t.trade.status != Status::Open).map(|t| t.trade.strategy_id.as_uuid()).collect();
    for strategy in revised {
        revise(conn, strategy).await?;
    }
    Ok(written)
}

/// Inserts the trade as an announced change left it, unless its event has one already.
struct SnapshotInsert {
    event_id: Uuid,
    row: TradeRow,
}

impl QueryId for SnapshotInsert {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for SnapshotInsert {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("INSERT INTO webhook_trades (event_id");
        for column in TRADE_COLUMNS {
            out.push_sql(", ");
            out.push_identifier(column)?;
        }
        out.push_sql(") VALUES (");
        out.push_bind_param::<SqlUuid, _>(&self.event_id)?;
        macro_rules! bound {
            ($sql_type:ty, $value:expr) => {{
                out.push_sql(", ");
                out.push_bind_param::<$sql_type, _>($value)?;
            }};
        }
        each_trade_column!(&self.row, bound);
        out.push_sql(") ON CONFLICT (event_id) DO NOTHING");
        Ok(())
    }
}

/// Writes an owner's receipts, signal log entries and deliveries that are not there.
pub(crate) async fn trail(conn: &mut AsyncPgConnection, owner: &UserId, t: &TrailRows) -> QueryResult<Written> {
    let mut written = Written::default();
    for kept in &t.receipts {
        let r = kept.receipt;
        let (hash, trade, event, at) =
            (r.body_hash.as_bytes().to_vec(), r.trade_id.as_uuid(), r.event_id.as_uuid(), r.at.as_datetime());
        let strategy = kept.strategy_id.as_uuid();
        let (held, keyed) = kept.hold.stored();
        let new = match keyed {
            false => {
                diesel::insert_into(receipt_targets::table)
                    .values((
                        receipt_targets::user_id.eq(owner.as_str()),
                        receipt_targets::strategy_id.eq(strategy),
                        receipt_targets::target.eq(&held),
                        receipt_targets::body_hash.eq(hash),
                        receipt_targets::trade_id.eq(trade),
                        receipt_targets::event_id.eq(event),
                        receipt_targets::at.eq(at),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)
                    .await?
            }
            true => {
                diesel::insert_into(receipt_keys::table)
                    .values((
                        receipt_keys::user_id.eq(owner.as_str()),
                        receipt_keys::strategy_id.eq(strategy),
                        receipt_keys::idempotency_key.eq(&held),
                        receipt_keys::body_hash.eq(hash),
                        receipt_keys::trade_id.eq(trade),
                        receipt_keys::event_id.eq(event),
                        receipt_keys::at.eq(at),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)
                    .await?
            }
        };
        written += Written::of(1, new);
    }
    let entries: Vec<(UserId, SignalLogEntry)> = t.signals.iter().map(|e| (owner.clone(), e.clone())).collect();
    for chunk in entries.chunks(ROWS_A_STATEMENT) {
        written += Written::of(chunk.len(), insert_entries(conn, chunk).await?);
    }
    let mut announced = HashSet::new();
    for d in &t.deliveries {
        let event_id = d.delivery.event_id.as_uuid();
        if announced.insert(event_id) {
            SnapshotInsert { event_id, row: TradeRow::from(&d.trade) }.execute(conn).await?;
        }
    }
    let rows: Vec<DeliveryRow> = t.deliveries.iter().map(|d| DeliveryRow::from(&d.delivery)).collect();
    for chunk in rows.chunks(ROWS_A_STATEMENT) {
        let new =
            diesel::insert_into(webhook_deliveries::table).values(chunk).on_conflict_do_nothing().execute(conn).await?;
        written += Written::of(chunk.len(), new);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use diesel::debug_query;

    use super::*;

    #[test]
    fn a_snapshot_names_every_trade_column_once_and_binds_one_value_each() {
        let (trade, _) = crate::trade_write::sample(
            quantarya_domain::NewTrade::open(
                quantarya_domain::Symbol::parse("ES1!").expect("a symbol"),
                quantarya_domain::Side::Buy,
            ),
            quantarya_domain::CredentialKind::ApiKey,
        );
        let insert = SnapshotInsert { event_id: Uuid::nil(), row: TradeRow::from(&trade) };
        let shown = debug_query::<Pg, _>(&insert).to_string();
        let sql = shown.split(" -- binds").next().unwrap_or_default();
        for column in TRADE_COLUMNS {
            assert_eq!(sql.matches(&format!("\"{column}\"")).count(), 1, "{column} in {sql}");
        }
        let binds = TRADE_COLUMNS.len() + 1;
        assert!(sql.contains(&format!("${binds})")), "one bind a column and the event: {sql}");
        assert!(!sql.contains(&format!("${}", binds + 1)), "{sql}");
    }
}
