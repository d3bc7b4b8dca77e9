//! `quantarya serve` on its default SQLite file, killed with SIGKILL while signals pour in: after a new start on the
//! same file, every trade whose entry was acknowledged (201) is there, with its history.

mod support;

use support::{BIN, Served, data_dir, free_port, run_script};

const SECRET: &str = "sqlite-restart-test-secret-0123456789ab";

/// Senders posting entries at once, and entries each sends at most (each with a reference of its own).
const SENDERS: usize = 6;
const ENTRIES: usize = 60;

#[test]
fn a_sigkill_under_load_loses_no_acknowledged_trade() {
    let data = data_dir(free_port());
    let port = free_port();
    let served = Served::start_in(&data, port, &[("QUANTARYA_JWT_SECRET", SECRET)], None);
    let setup = format!(
        r#"
        export QUANTARYA_JWT_SECRET={SECRET}
        base=http://127.0.0.1:{port}
        TOKEN=$({BIN} token --sub killed --email killed@example.com)
        echo "$TOKEN" > token
        curl -sf -X POST $base/me -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"user_name": "killed"}}' > /dev/null
        curl -sf -X POST $base/strategies -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"title": "Killed"}}' \
          | sed -E 's/.*"strategy_id":"([^"]+)".*/\1/' > strategy_id
        curl -sf -X POST $base/api-keys -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"key_name": "bot"}}' \
          | sed -E 's/.*"raw_api_key":"([^"]+)".*/\1/' > key
        "#
    );
    let run = run_script(&setup, &data);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));

    // Each sender writes "<reference> <status>" for every answer it got; a refused connection ends it.
    let load = format!(
        r#"
        base=http://127.0.0.1:{port}
        KEY=$(cat key); STRATEGY=$(cat strategy_id)
        for s in $(seq 1 {SENDERS}); do
          (for n in $(seq 1 {ENTRIES}); do
             code=$(curl -s -o /dev/null -w '%{{http_code}}' -X POST $base/strategies/$STRATEGY/trades -H 'Content-Type: text/plain' \
               -d '{{"api_key": "'"$KEY"'", "symbol": "EURUSD", "side": "BUY", "entry": 1.08, "external_reference": "s'$s'-'$n'"}}') || break
             echo "s$s-$n $code" >> answers-$s
           done) &
        done
        wait
        "#
    );
    let loading = std::thread::spawn({
        let data = data.clone();
        move || run_script(&load, &data)
    });
    // Let a good part of the load be answered, then kill the server where it stands.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while acknowledged(&data).len() < SENDERS * ENTRIES / 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    served.signal("KILL");
    let killed = served.wait();
    assert!(!killed.success(), "SIGKILL ends it at once: {killed}");
    let _ = loading.join();
    let acknowledged = acknowledged(&data);
    assert!(!acknowledged.is_empty(), "some entries were acknowledged before the kill");

    let port = free_port();
    let again = Served::start_in(&data, port, &[("QUANTARYA_JWT_SECRET", SECRET)], None);
    let read = format!(
        r#"
        base=http://127.0.0.1:{port}
        TOKEN=$(cat token); STRATEGY=$(cat strategy_id)
        curl -sf "$base/strategies/$STRATEGY/trades?limit=500" -H "Authorization: Bearer $TOKEN" > after.json
        "#
    );
    let run = run_script(&read, &data);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(data.join("after.json")).expect("the list");
    let listed: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let kept: std::collections::BTreeSet<String> = listed["data"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|trade| trade["external_reference"].as_str().map(str::to_owned))
        .collect();
    let lost: Vec<&String> = acknowledged.iter().filter(|reference| !kept.contains(*reference)).collect();
    assert!(lost.is_empty(), "acknowledged entries lost by the kill: {lost:?} (kept {})", kept.len());
    assert!(again.terminate().success());
    let _ = std::fs::remove_dir_all(&data);
}

/// The references whose entry was answered 201 so far.
fn acknowledged(data: &std::path::Path) -> Vec<String> {
    (1..=SENDERS)
        .filter_map(|s| std::fs::read_to_string(data.join(format!("answers-{s}"))).ok())
        .flat_map(|text| {
            text.lines().filter_map(|line| line.strip_suffix(" 201").map(str::to_owned)).collect::<Vec<_>>()
        })
        .collect()
}
