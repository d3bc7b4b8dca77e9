//! Imports on SQLite, written: one immediate transaction an import (so two imports of one file take turns, and each
//! trade is made once). Each trade's key is claimed first in `trade_imports` (a key the strategy holds is skipped by
//! its unique `(strategy_id, import_key)`), then the trade and its history event are written.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use quantarya_domain::Status;

use crate::imports::{ImportRow, Imported};
use crate::schema::{imports, strategies, trade_events, trade_imports, trades};
use crate::trade_write::revise;

fn owned(connection: &mut SqliteConnection, owner: &str, strategy: &str) -> QueryResult<bool> {
    let owned = strategies::table.find(strategy).filter(strategies::user_id.eq(owner));
    diesel::select(diesel::dsl::exists(owned)).get_result(connection)
}

/// Writes `import` and those of `file` the strategy does not hold; how many it made, or `None` without the strategy.
pub(crate) fn write_import(
    connection: &mut SqliteConnection,
    import: &ImportRow,
    file: &[Imported],
) -> QueryResult<Option<u64>> {
    connection.immediate_transaction(|connection| {
        if !owned(connection, &import.user_id, &import.strategy_id)? {
            return Ok(None);
        }
        diesel::insert_into(imports::table).values(import).execute(connection)?;
        // An export's trades that are in the strategy themselves (an export imported back where it came from).
        let exported: Vec<&String> = file.iter().filter_map(|t| t.exported.as_ref()).collect();
        let present: HashSet<String> = if exported.is_empty() {
            HashSet::new()
        } else {
            trades::table
                .filter(trades::strategy_id.eq(&import.strategy_id))
                .filter(trades::id.eq_any(exported))
                .select(trades::id)
                .load::<String>(connection)?
                .into_iter()
                .collect()
        };
        let (mut made, mut any_closed) = (0_u64, false);
        for imported in file.iter().filter(|t| t.exported.as_ref().is_none_or(|id| !present.contains(id))) {
            let claimed = diesel::insert_into(trade_imports::table)
                .values((
                    trade_imports::trade_id.eq(&imported.trade.id),
                    trade_imports::import_id.eq(&import.id),
                    trade_imports::strategy_id.eq(&import.strategy_id),
                    trade_imports::import_key.eq(&imported.key),
                ))
                .on_conflict((trade_imports::strategy_id, trade_imports::import_key))
                .do_nothing()
                .execute(connection)?;
            if claimed == 0 {
                continue;
            }
            diesel::insert_into(trades::table).values(&imported.trade).execute(connection)?;
            diesel::insert_into(trade_events::table).values(&imported.event).execute(connection)?;
            made += 1;
            any_closed |= imported.closed;
        }
        if any_closed {
            revise(connection, &import.strategy_id)?;
        }
        let total = u64::try_from(file.len()).unwrap_or(u64::MAX);
        diesel::update(imports::table.find(&import.id))
            .set((
                imports::created.eq(i64::try_from(made).unwrap_or(i64::MAX)),
                imports::duplicates.eq(i64::try_from(total - made).unwrap_or(i64::MAX)),
            ))
            .execute(connection)?;
        Ok(Some(made))
    })
}

/// Removes import `id` of `owner`'s strategy with the trades it made; how many went.
pub(crate) fn delete_import(
    connection: &mut SqliteConnection,
    owner: &str,
    strategy: &str,
    id: &str,
) -> QueryResult<Option<u64>> {
    connection.immediate_transaction(|connection| {
        if !owned(connection, owner, strategy)? {
            return Ok(None);
        }
        let made: Vec<String> = trade_imports::table
            .filter(trade_imports::import_id.eq(id))
            .filter(trade_imports::strategy_id.eq(strategy))
            .select(trade_imports::trade_id)
            .load(connection)?;
        let deleted =
            diesel::delete(imports::table.find(id).filter(imports::strategy_id.eq(strategy))).execute(connection)?;
        if deleted == 0 {
            return Ok(None);
        }
        // Its keys went with it (on delete cascade); its trades, with their history, go now.
        let statuses: Vec<String> = diesel::delete(trades::table.filter(trades::id.eq_any(&made)))
            .returning(trades::status)
            .get_results(connection)?;
        if statuses.iter().any(|status| status != Status::Open.as_str()) {
            revise(connection, strategy)?;
        }
        Ok(Some(u64::try_from(statuses.len()).unwrap_or(u64::MAX)))
    })
}
