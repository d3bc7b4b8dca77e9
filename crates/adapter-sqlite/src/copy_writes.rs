//! A copied journal's writes on SQLite: each call one immediate transaction on the store's writer, every row
//! inserted only when its key is free (`ON CONFLICT DO NOTHING`), so a copy run again writes nothing twice.

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use quantarya_domain::{SignalLogEntry, Status, UserId};
use quantarya_ports::StoreError;
use quantarya_ports::outbound::{AccountRows, TradeRows, TrailRows, Written};

use crate::imports::ImportRow;
use crate::rows::{ApiKeyRow, StrategyRow, UserRow, id_text, micros};
use crate::schema::{
    api_keys, imports, receipt_keys, receipt_targets, strategies, trade_events, trade_imports, trades, users,
    webhook_deliveries, webhook_trades, webhooks,
};
use crate::signal_writer::insert_entry;
use crate::trade_rows::{EventRow, TradeRow};
use crate::trade_write::revise;
use crate::webhook_rows::{DeliveryRow, WebhookRow};

/// An account's rows, ready to write.
pub(crate) struct AccountWrite {
    user: UserRow,
    strategies: Vec<StrategyRow>,
    api_keys: Vec<ApiKeyRow>,
    webhooks: Vec<WebhookRow>,
    imports: Vec<ImportRow>,
}

impl From<&AccountRows> for AccountWrite {
    fn from(a: &AccountRows) -> Self {
        Self {
            user: UserRow::from(&a.user),
            strategies: a.strategies.iter().map(StrategyRow::from).collect(),
            api_keys: a.api_keys.iter().map(ApiKeyRow::from).collect(),
            webhooks: a.webhooks.iter().map(WebhookRow::from).collect(),
            imports: a.imports.iter().map(ImportRow::from).collect(),
        }
    }
}

/// Sums what each insert of `rows` wrote.
fn each<R>(rows: &[R], mut insert: impl FnMut(&R) -> QueryResult<usize>) -> QueryResult<Written> {
    let mut new = 0;
    for row in rows {
        new += insert(row)?;
    }
    Ok(Written::of(rows.len(), new))
}

/// Writes an account's rows that are not there.
pub(crate) fn account(connection: &mut SqliteConnection, a: &AccountWrite) -> QueryResult<Written> {
    connection.immediate_transaction(|c| {
        let mut written = each(std::slice::from_ref(&a.user), |row| {
            diesel::insert_into(users::table).values(row).on_conflict(users::id).do_nothing().execute(c)
        })?;
        written += each(&a.strategies, |row| {
            diesel::insert_into(strategies::table).values(row).on_conflict(strategies::id).do_nothing().execute(c)
        })?;
        written += each(&a.api_keys, |row| {
            diesel::insert_into(api_keys::table).values(row).on_conflict(api_keys::id).do_nothing().execute(c)
        })?;
        written += each(&a.webhooks, |row| {
            diesel::insert_into(webhooks::table).values(row).on_conflict(webhooks::id).do_nothing().execute(c)
        })?;
        written += each(&a.imports, |row| {
            diesel::insert_into(imports::table).values(row).on_conflict(imports::id).do_nothing().execute(c)
        })?;
        Ok(written)
    })
}

/// A trade's rows, ready to write.
pub(crate) struct TradeWrite {
    row: TradeRow,
    events: Vec<EventRow>,
    /// The import that made it and its key there.
    import: Option<(String, String)>,
}

impl From<&TradeRows> for TradeWrite {
    fn from(t: &TradeRows) -> Self {
        Self {
            row: TradeRow::from(&t.trade),
            events: t.events.iter().map(EventRow::from).collect(),
            import: t.import.as_ref().map(|link| (id_text(link.import_id.as_uuid()), link.key.as_str().to_owned())),
        }
    }
}

/// Writes the trades that are not there, each with its history and import link; moves the closed revision of each
/// strategy that gains a closed or cancelled trade.
pub(crate) fn trades(connection: &mut SqliteConnection, page: &[TradeWrite]) -> QueryResult<Written> {
    connection.immediate_transaction(|c| {
        let mut written = Written::default();
        let mut revised = BTreeSet::new();
        for t in page {
            let row = &t.row;
            let extra = t.events.len() + usize::from(t.import.is_some());
            let new = diesel::insert_into(trades::table).values(row).on_conflict(trades::id).do_nothing().execute(c)?;
            if new == 0 {
                written += Written::of(1 + extra, 0);
                continue;
            }
            written += Written::of(1, 1);
            written += each(&t.events, |event| {
                diesel::insert_into(trade_events::table)
                    .values(event)
                    .on_conflict(trade_events::id)
                    .do_nothing()
                    .execute(c)
            })?;
            if let Some((import, key)) = &t.import {
                let linked = diesel::insert_into(trade_imports::table)
                    .values((
                        trade_imports::trade_id.eq(&row.id),
                        trade_imports::import_id.eq(import),
                        trade_imports::strategy_id.eq(&row.strategy_id),
                        trade_imports::import_key.eq(key),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)?;
                written += Written::of(1, linked);
            }
            if row.status != Status::Open.as_str() {
                revised.insert(row.strategy_id.clone());
            }
        }
        for strategy in revised {
            revise(c, &strategy)?;
        }
        Ok(written)
    })
}

/// A receipt's row: where it is held (strategy, target or key), its hash, trade, event and time.
struct ReceiptWrite {
    strategy: String,
    held: String,
    keyed: bool,
    hash: Vec<u8>,
    trade: String,
    event: String,
    at: i64,
}

/// What refers to an owner's trades, ready to write.
pub(crate) struct TrailWrite {
    owner: String,
    receipts: Vec<ReceiptWrite>,
    signals: Vec<(UserId, SignalLogEntry)>,
    deliveries: Vec<(DeliveryRow, String)>,
}

impl TrailWrite {
    pub(crate) fn new(owner: &UserId, trail: &TrailRows) -> Result<Self, StoreError> {
        let receipts = trail
            .receipts
            .iter()
            .map(|kept| {
                let (held, keyed) = kept.hold.stored();
                let r = kept.receipt;
                ReceiptWrite {
                    strategy: id_text(kept.strategy_id.as_uuid()),
                    held,
                    keyed,
                    hash: r.body_hash.as_bytes().to_vec(),
                    trade: id_text(r.trade_id.as_uuid()),
                    event: id_text(r.event_id.as_uuid()),
                    at: micros(r.at),
                }
            })
            .collect();
        let deliveries = trail
            .deliveries
            .iter()
            .map(|d| {
                let snapshot = serde_json::to_string(&TradeRow::from(&d.trade))
                    .map_err(|e| StoreError::Corrupt(format!("a delivery's trade does not serialise: {e}")))?;
                Ok((DeliveryRow::from(&d.delivery), snapshot))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Self {
            owner: owner.as_str().to_owned(),
            receipts,
            signals: trail.signals.iter().map(|entry| (owner.clone(), entry.clone())).collect(),
            deliveries,
        })
    }
}

/// Writes an owner's receipts, signal log entries and deliveries that are not there.
pub(crate) fn trail(connection: &mut SqliteConnection, t: &TrailWrite) -> QueryResult<Written> {
    connection.immediate_transaction(|c| {
        let mut written = each(&t.receipts, |r| {
            if r.keyed {
                diesel::insert_into(receipt_keys::table)
                    .values((
                        receipt_keys::user_id.eq(&t.owner),
                        receipt_keys::strategy_id.eq(&r.strategy),
                        receipt_keys::idempotency_key.eq(&r.held),
                        receipt_keys::body_hash.eq(&r.hash),
                        receipt_keys::trade_id.eq(&r.trade),
                        receipt_keys::event_id.eq(&r.event),
                        receipt_keys::at.eq(r.at),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)
            } else {
                diesel::insert_into(receipt_targets::table)
                    .values((
                        receipt_targets::user_id.eq(&t.owner),
                        receipt_targets::strategy_id.eq(&r.strategy),
                        receipt_targets::target.eq(&r.held),
                        receipt_targets::body_hash.eq(&r.hash),
                        receipt_targets::trade_id.eq(&r.trade),
                        receipt_targets::event_id.eq(&r.event),
                        receipt_targets::at.eq(r.at),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)
            }
        })?;
        written += each(&t.signals, |(owner, entry)| insert_entry(c, owner, entry).map(usize::from))?;
        written += each(&t.deliveries, |(delivery, snapshot)| {
            diesel::insert_into(webhook_trades::table)
                .values((webhook_trades::event_id.eq(delivery.event_id()), webhook_trades::trade.eq(snapshot)))
                .on_conflict_do_nothing()
                .execute(c)?;
            diesel::insert_into(webhook_deliveries::table).values(delivery).on_conflict_do_nothing().execute(c)
        })?;
        Ok(written)
    })
}
