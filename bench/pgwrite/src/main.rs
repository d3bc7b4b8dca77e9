//! Prints a pgbench script that runs the PostgreSQL store's own write statement for the signal the benchmark posts
//! (a new referenced entry with an API key, its history event and its receipt), with its id, event id and reference
//! fresh in each transaction.
//!
//! Usage: `quantarya-bench-pgwrite <user id> <strategy id> [announcing]` (an existing user's strategy, `strat_…`;
//! `announcing` prints the statement for an owner who subscribes to webhooks, else the lean one).

use std::process::ExitCode;

use quantarya_adapter_postgres::signal_insert_statement;
use quantarya_domain::{
    BodyHash, CredentialKind, EventId, ExternalReference, NewTrade, Price, Receipt, Side, SignalTarget, Source, Stamp,
    StrategyId, Symbol, Timeframe, Trade, TradeId, UserId,
};
use quantarya_ports::outbound::{Clock, ReceiptWrite, SystemClock};

/// Each transaction's own values: trade and event ids and reference from one random number `:n` (pgbench's
/// `\set`), and its times from the clock, as the service stamps them (so the purges move on with the run).
fn fresh() -> Vec<(&'static str, String)> {
    let before = |lifetime: chrono::TimeDelta| format!("now() - interval '{} seconds'", lifetime.num_seconds());
    let mut fresh: Vec<(&str, String)> = [
        ("id", "md5('trade' || :n)"),
        ("receipt_trade", "md5('trade' || :n)"),
        ("event_id", "md5('event' || :n)"),
        ("receipt_event", "md5('event' || :n)"),
        ("external_reference", "'o-' || :n"),
        // A colon in a literal would read as a pgbench variable: `\\072` is one.
        ("receipt_target", "E'ref\\072o-' || :n"),
    ]
    .into_iter()
    .chain(["opened_at", "created_at", "updated_at", "event_at", "receipt_at"].map(|name| (name, "now()")))
    .map(|(name, expression)| (name, expression.to_owned()))
    .collect();
    fresh.push(("target_cutoff", before(Receipt::UNKEYED_LIFETIME)));
    fresh.push(("key_cutoff", before(Receipt::KEYED_LIFETIME)));
    fresh
}

fn script(user: &str, strategy: &str, announcing: bool) -> Result<String, String> {
    let user = UserId::parse(user).map_err(|e| format!("user id: {e}"))?;
    let strategy = StrategyId::parse(strategy).map_err(|e| format!("strategy id: {e}"))?;
    let value = |e: quantarya_domain::ValueError| e.to_string();
    // The body bench/entry.lua posts, as the HTTP adapter reads it.
    let new = NewTrade {
        entry: Some(Price::new(64000.5).map_err(value)?),
        stop_loss: Some(Price::new(63000.0).map_err(value)?),
        external_reference: Some(ExternalReference::parse("o-0").map_err(value)?),
        source: Some(Source::parse("tradingview").map_err(value)?),
        timeframe: Some(Timeframe::parse("15").map_err(value)?),
        ..NewTrade::open(Symbol::parse("BINANCE:BTCUSDT.P").map_err(value)?, Side::Buy)
    };
    let stamp =
        Stamp { event_id: EventId::from_uuid(uuid::Uuid::now_v7()), at: SystemClock.now(), by: CredentialKind::ApiKey };
    let reference = new.external_reference.clone();
    let opened = Trade::open(TradeId::from_uuid(uuid::Uuid::now_v7()), strategy, user, new, stamp)
        .map_err(|e| format!("the entry: {e}"))?;
    let receipt = ReceiptWrite {
        target: SignalTarget::Reference(reference.ok_or("the entry has a reference")?),
        key: None,
        receipt: Receipt {
            body_hash: BodyHash::from_bytes([7; 32]),
            trade_id: opened.trade.id,
            event_id: opened.event.id,
            at: opened.event.at,
        },
        after: None,
    };
    let fresh = fresh();
    let fresh: Vec<(&str, &str)> = fresh.iter().map(|(name, expression)| (*name, expression.as_str())).collect();
    let statement = signal_insert_statement(&opened.trade, &opened.event, &receipt, &fresh, announcing)?;
    Ok(format!("\\set n random(1, 1000000000000000)\n{statement};\n"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (user, strategy, announcing) = match args.as_slice() {
        [user, strategy] => (user, strategy, false),
        [user, strategy, flag] if flag == "announcing" => (user, strategy, true),
        _ => {
            eprintln!("usage: quantarya-bench-pgwrite <user id> <strategy id> [announcing]");
            return ExitCode::FAILURE;
        }
    };
    match script(user, strategy, announcing) {
        Ok(script) => {
            print!("{script}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
