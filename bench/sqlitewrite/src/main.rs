//! `quantarya-bench-sqlitewrite FILE SECONDS SYNCHRONOUS`: makes the store's schema in FILE (a new file), then for
//! SECONDS writes what a new referenced entry writes (the trade's row, its entry event, its receipt) with plain SQL
//! through the sqlite3 library, one `BEGIN IMMEDIATE` transaction per entry, at `PRAGMA synchronous = SYNCHRONOUS`
//! (`FULL` or `NORMAL`); prints the entries written per second. The ceiling bench/sqlite compares the service to.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;
use quantarya_adapter_sqlite::{PRAGMAS, SqliteStore};

const STRATEGY: &str = "0192f0c1-7a4b-7cde-8f01-23456789abcd";

/// A trade's position document as the store writes one for an entry without a size.
const POSITION: &str = r#"{"point_value":1.0,"fees":"0","fills":[{"kind":"entry","at":"2026-12-07T10:00:00Z","price":64000.5,"quantity":null,"fees":"0"}],"max_favorable_price":null,"max_adverse_price":null,"realized_pnl":null}"#;

/// An entry event's changes as the store writes them.
const CHANGES: &str = r#"[{"field":"symbol","value":"BINANCE:BTCUSDT.P"},{"field":"side","value":"BUY"},{"field":"entry","value":64000.5},{"field":"stop_loss","value":63000.0},{"field":"external_reference","value":"o"},{"field":"source","value":"tradingview"},{"field":"timeframe","value":"15"}]"#;

fn setup(file: &str) -> Result<SqliteConnection, String> {
    drop(SqliteStore::open(file).map_err(|e| format!("the schema: {e:?}"))?);
    let mut connection = SqliteConnection::establish(file).map_err(|e| e.to_string())?;
    connection.batch_execute(PRAGMAS).map_err(|e| e.to_string())?;
    connection
        .batch_execute(&format!(
            "INSERT INTO users (id, email, user_name, public_profile_enabled, created_at, updated_at) \
             VALUES ('bench', 'bench@example.com', 'bench', 0, 0, 0); \
             INSERT INTO strategies (id, user_id, title, is_public, created_at, updated_at) \
             VALUES ('{STRATEGY}', 'bench', 'Bench', 0, 0, 0);"
        ))
        .map_err(|e| e.to_string())?;
    Ok(connection)
}

/// One entry: its trade, its event and its receipt, in one immediate transaction.
fn entry(connection: &mut SqliteConnection, n: i64) -> QueryResult<()> {
    let (trade, event, reference) = (format!("t-{n:016}"), format!("e-{n:016}"), format!("o-{n}"));
    let at = 1_800_000_000_000_000 + n;
    connection.immediate_transaction(|connection| {
        diesel::sql_query(
            "INSERT INTO trades (id, strategy_id, user_id, symbol, side, status, event, entry, stop_loss, opened_at, \
             timeframe, source, external_reference, origin, created_at, updated_at, version, tags, \
             initial_stop_loss, position, live) \
             VALUES (?1, ?2, 'bench', 'BINANCE:BTCUSDT.P', 'BUY', 'OPEN', 'entry', 64000.5, 63000.0, ?3, '15', \
             'tradingview', ?4, 'api_key', ?3, ?3, 1, '[]', 63000.0, ?5, 1)",
        )
        .bind::<Text, _>(&trade)
        .bind::<Text, _>(STRATEGY)
        .bind::<BigInt, _>(at)
        .bind::<Text, _>(&reference)
        .bind::<Text, _>(POSITION)
        .execute(connection)?;
        diesel::sql_query(
            "INSERT INTO trade_events (id, trade_id, version, kind, at, by_credential, changes) \
             VALUES (?1, ?2, 1, 'entry', ?3, 'api_key', ?4)",
        )
        .bind::<Text, _>(&event)
        .bind::<Text, _>(&trade)
        .bind::<BigInt, _>(at)
        .bind::<Text, _>(CHANGES)
        .execute(connection)?;
        diesel::sql_query(
            "INSERT OR REPLACE INTO receipt_targets (user_id, strategy_id, target, body_hash, trade_id, event_id, at) \
             VALUES ('bench', ?1, ?2, zeroblob(32), ?3, ?4, ?5)",
        )
        .bind::<Text, _>(STRATEGY)
        .bind::<Text, _>(format!("ref:{reference}"))
        .bind::<Text, _>(&trade)
        .bind::<Text, _>(&event)
        .bind::<BigInt, _>(at)
        .execute(connection)?;
        Ok(())
    })
}

fn run(file: &str, seconds: u64, synchronous: &str) -> Result<f64, String> {
    let mut connection = setup(file)?;
    connection.batch_execute(&format!("PRAGMA synchronous = {synchronous};")).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut written = 0_i64;
    while started.elapsed() < Duration::from_secs(seconds) {
        entry(&mut connection, written).map_err(|e| e.to_string())?;
        written += 1;
    }
    Ok(written as f64 / started.elapsed().as_secs_f64())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(file), Some(seconds), Some(synchronous)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: quantarya-bench-sqlitewrite FILE SECONDS FULL|NORMAL");
        return ExitCode::FAILURE;
    };
    let (Ok(seconds), true) = (seconds.parse::<u64>(), matches!(synchronous.as_str(), "FULL" | "NORMAL")) else {
        eprintln!("usage: quantarya-bench-sqlitewrite FILE SECONDS FULL|NORMAL");
        return ExitCode::FAILURE;
    };
    match run(file, seconds, synchronous) {
        Ok(rate) => {
            println!("{rate:.0}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("quantarya-bench-sqlitewrite: {error}");
            ExitCode::FAILURE
        }
    }
}
