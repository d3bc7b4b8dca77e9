//! `DATABASE_URL=… quantarya serve`: instances migrate together safely, and a trader's data survives a restart of
//! the real binary.

mod support;

use std::process::Command;

use quantarya_test_db::TestDatabase;
use support::{BIN, Served, free_port, run_script};

const SECRET: &str = "postgres-restart-test-secret-0123456789";

fn json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}: {text}", path.display()))
}

#[test]
fn serve_on_postgres_migrates_once_and_keeps_a_traders_data_across_restarts() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let database = runtime.block_on(TestDatabase::create_empty()).unwrap_or_else(|e| panic!("{e}"));
    let url = database.url().to_owned();

    // Three instances migrate an empty database at once: they take turns on the advisory lock.
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(BIN)
                .arg("migrate")
                .env("DATABASE_URL", &url)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("starts")
        })
        .collect();
    let migrations: Vec<_> = children.into_iter().map(|child| child.wait_with_output().expect("finishes")).collect();
    assert!(migrations.iter().all(|o| o.status.success()), "{migrations:?}");
    let applied = migrations.iter().filter(|o| String::from_utf8_lossy(&o.stdout).contains("Applied ")).count();
    assert_eq!(applied, 1, "exactly one instance applies the schema: {migrations:?}");
    let again = Command::new(BIN).arg("migrate").env("DATABASE_URL", &url).output().expect("runs");
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"), "{again:?}");

    let dir = std::env::temp_dir().join(format!("quantarya-pg-restart-{}", free_port()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let port = free_port();
    let served = Served::start(port, &[("DATABASE_URL", &url), ("QUANTARYA_JWT_SECRET", SECRET)], None);
    assert!(served.output().iter().any(|l| l.contains("Storage: PostgreSQL")), "it says where data lives");
    let script = format!(
        r#"
        export QUANTARYA_JWT_SECRET={SECRET}
        base=http://127.0.0.1:{port}
        TOKEN=$({BIN} token --sub pg-trader --email pg@example.com)
        echo "$TOKEN" > token
        curl -s -X POST $base/me -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"user_name": "pg-trader"}}' > me.json
        curl -s -X POST $base/strategies -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"title": "Durable"}}' > strategy.json
        STRATEGY=$(sed -E 's/.*"strategy_id":"([^"]+)".*/\1/' strategy.json)
        echo "$STRATEGY" > strategy_id
        curl -s -X POST $base/api-keys -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"key_name": "bot"}}' > key.json
        KEY=$(sed -E 's/.*"raw_api_key":"([^"]+)".*/\1/' key.json)
        echo "$KEY" > key
        curl -s -X POST $base/strategies/$STRATEGY/trades -H 'Content-Type: text/plain' -d '{{"api_key": "'"$KEY"'", "symbol": "EURUSD", "side": "BUY", "entry": 1.08, "external_reference": "Long"}}' > entry.json
        curl -s -X POST $base/strategies/$STRATEGY/trades -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{{"event": "exit", "external_reference": "Long", "close_price": 1.09}}' > exit.json
        TRADE=$(sed -E 's/.*"trade_id":"([^"]+)".*/\1/' exit.json)
        curl -s $base/strategies/$STRATEGY/trades/$TRADE/events -H "Authorization: Bearer $TOKEN" > events_before.json
        "#
    );
    let run = run_script(&script, &dir);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let exited = json(&dir.join("exit.json"));
    assert_eq!(exited["data"]["status"], "CLOSED", "{exited}");
    assert!(served.terminate().success());

    let port = free_port();
    let served = Served::start(port, &[("DATABASE_URL", &url), ("QUANTARYA_JWT_SECRET", SECRET)], None);
    let trade = exited["data"]["trade_id"].as_str().expect("a trade id");
    let script = format!(
        r#"
        base=http://127.0.0.1:{port}
        TOKEN=$(cat token); KEY=$(cat key); STRATEGY=$(cat strategy_id)
        curl -s $base/strategies/$STRATEGY/trades/{trade} -H "Authorization: Bearer $KEY" > trade_after.json
        curl -s $base/strategies/$STRATEGY/trades/{trade}/events -H "Authorization: Bearer $TOKEN" > events_after.json
        curl -s $base/me -H "Authorization: Bearer $TOKEN" > me_after.json
        curl -s $base/strategies/$STRATEGY/signals -H "Authorization: Bearer $TOKEN" > signals_after.json
        "#
    );
    let run = run_script(&script, &dir);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(json(&dir.join("trade_after.json"))["data"], exited["data"], "the trade is back as acknowledged");
    assert_eq!(json(&dir.join("events_after.json")), json(&dir.join("events_before.json")), "with its history");
    assert_eq!(json(&dir.join("me_after.json"))["data"]["user_name"], "pg-trader");
    // The signal log the first instance queued was written by the time it stopped.
    let signals = json(&dir.join("signals_after.json"));
    let statuses: Vec<_> = signals["data"]
        .as_array()
        .map(|all| all.iter().map(|e| e["outcome"]["status"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(statuses, [200, 201], "the exit, then the entry: {signals}");
    assert!(served.terminate().success());

    let _ = std::fs::remove_dir_all(&dir);
    runtime.block_on(database.drop_database()).unwrap_or_else(|e| panic!("{e}"));
}

/// `quantarya copy` moves a journal served from the default SQLite file into an empty PostgreSQL database, shows
/// no URL (nor a password when it fails), and a second run (its target given by the environment) writes nothing; `serve` on PostgreSQL then answers the trader's token and key with
/// the same trade, history and signal log, and the next signal closes the copied trade.
#[test]
fn copy_moves_a_served_sqlite_journal_into_postgres_where_serve_finds_it() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let database = runtime.block_on(TestDatabase::create_empty()).unwrap_or_else(|e| panic!("{e}"));
    let url = database.url().to_owned();
    let port = free_port();
    let dir = support::data_dir(port);
    let served = Served::start_in(&dir, port, &[("QUANTARYA_JWT_SECRET", SECRET)], None);
    let script = format!(
        r#"
        export QUANTARYA_JWT_SECRET={SECRET}
        base=http://127.0.0.1:{port}
        TOKEN=$({BIN} token --sub file-trader --email file@example.com)
        echo "$TOKEN" > token
        curl -s -X POST $base/me -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"user_name": "file-trader"}}' > me.json
        curl -s -X POST $base/strategies -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"title": "Moving"}}' > strategy.json
        STRATEGY=$(sed -E 's/.*"strategy_id":"([^"]+)".*/\1/' strategy.json)
        echo "$STRATEGY" > strategy_id
        curl -s -X POST $base/api-keys -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"key_name": "bot"}}' > key.json
        KEY=$(sed -E 's/.*"raw_api_key":"([^"]+)".*/\1/' key.json)
        echo "$KEY" > key
        curl -s -X POST $base/strategies/$STRATEGY/trades -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{{"symbol": "EURUSD", "side": "BUY", "entry": 1.08, "external_reference": "Long"}}' > entry.json
        TRADE=$(sed -E 's/.*"trade_id":"([^"]+)".*/\1/' entry.json)
        curl -s $base/strategies/$STRATEGY/trades/$TRADE/events -H "Authorization: Bearer $TOKEN" > events_before.json
        "#
    );
    let run = run_script(&script, &dir);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let entered = json(&dir.join("entry.json"));
    assert_eq!(entered["data"]["status"], "OPEN", "{entered}");
    assert!(served.terminate().success());

    let file = format!("sqlite://{}", dir.join("quantarya.db").display());
    let first = Command::new(BIN).args(["copy", "--from", &file, "--to", &url]).output().expect("runs");
    let said = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(first.status.success(), "{first:?}");
    assert!(said.contains("Copied 1 account(s) and 1 trade(s) from the SQLite file"), "{said}");
    assert!(said.contains("to PostgreSQL") && said.contains(", 0 already there."), "{said}");
    assert!(!said.contains(&url), "no URL is shown: {said}");
    // Again, the target given by the environment (a URL with a password stays out of the process list).
    let second =
        Command::new(BIN).args(["copy", "--from", &file]).env("QUANTARYA_COPY_TO", &url).output().expect("runs");
    assert!(String::from_utf8_lossy(&second.stdout).contains(": 0 row(s) written"), "{second:?}");
    // A target that cannot be reached fails, and its password is shown nowhere.
    let unreachable = "postgres://quantarya:hunter2-secret@127.0.0.1:1/nowhere";
    let failed = Command::new(BIN).args(["copy", "--from", &file, "--to", unreachable]).output().expect("runs");
    assert!(!failed.status.success(), "{failed:?}");
    let shown = format!("{}{}", String::from_utf8_lossy(&failed.stdout), String::from_utf8_lossy(&failed.stderr));
    assert!(!shown.is_empty() && !shown.contains("hunter2-secret"), "{shown}");

    let port = free_port();
    let served = Served::start(port, &[("DATABASE_URL", &url), ("QUANTARYA_JWT_SECRET", SECRET)], None);
    let trade = entered["data"]["trade_id"].as_str().expect("a trade id");
    let script = format!(
        r#"
        base=http://127.0.0.1:{port}
        TOKEN=$(cat token); KEY=$(cat key); STRATEGY=$(cat strategy_id)
        curl -s $base/strategies/$STRATEGY/trades/{trade} -H "Authorization: Bearer $KEY" > trade_after.json
        curl -s $base/strategies/$STRATEGY/trades/{trade}/events -H "Authorization: Bearer $TOKEN" > events_after.json
        curl -s $base/strategies/$STRATEGY/signals -H "Authorization: Bearer $TOKEN" > signals_after.json
        curl -s -X POST $base/strategies/$STRATEGY/trades -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{{"event": "exit", "external_reference": "Long", "close_price": 1.09}}' > exit.json
        "#
    );
    let run = run_script(&script, &dir);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(json(&dir.join("trade_after.json"))["data"], entered["data"], "the trade arrived as acknowledged");
    assert_eq!(json(&dir.join("events_after.json")), json(&dir.join("events_before.json")), "with its history");
    let signals = json(&dir.join("signals_after.json"));
    assert_eq!(signals["data"].as_array().map(Vec::len), Some(1), "and its signal log: {signals}");
    let exited = json(&dir.join("exit.json"));
    assert_eq!(
        (&exited["data"]["trade_id"], &exited["data"]["status"]),
        (&entered["data"]["trade_id"], &"CLOSED".into())
    );
    assert!(served.terminate().success());

    let _ = std::fs::remove_dir_all(&dir);
    runtime.block_on(database.drop_database()).unwrap_or_else(|e| panic!("{e}"));
}
