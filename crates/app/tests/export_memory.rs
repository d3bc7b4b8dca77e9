//! The export streams: a strategy of 200 000 trades goes out as CSV while the server's resident memory stays within
//! a few pages of trades of what it was, however large the file.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::{BIN, Served, free_port};

const SECRET: &str = "export-memory-test-secret-0123456789abcdef";

/// Trades imported, in files of [`PER_FILE`] (a file may be at most 32 MiB).
const TRADES: u64 = 200_000;
const PER_FILE: u64 = 50_000;

/// The resident memory of process `pid`, in bytes.
fn resident(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    kib * 1024
}

/// A TradingView list of trades numbered from `first`, each closed a minute after it opened.
fn list(first: u64, count: u64) -> String {
    let mut file = String::from("Trade #,Type,Signal,Date/Time,Price USD,Contracts\n");
    for n in first..first + count {
        // One a minute from 2001-01-01 (a common year): 200 000 minutes are within its first 139 days.
        let (mut day, minute) = (n / 1440, n % 1440);
        let mut month = 1;
        for length in [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] {
            if day < length {
                break;
            }
            day -= length;
            month += 1;
        }
        let at = format!("2001-{month:02}-{:02} {:02}:{:02}", day + 1, minute / 60, minute % 60);
        file.push_str(&format!(
            "{n},Entry long,Long,{at},{},1\n{n},Exit long,Close,{at},{},1\n",
            100 + n % 7,
            101 + n % 5
        ));
    }
    file
}

fn curl(args: &[&str]) -> String {
    let output = Command::new("curl").args(["-s", "--fail-with-body"]).args(args).output().expect("curl runs");
    assert!(output.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn an_export_of_200_000_trades_streams_in_constant_memory() {
    let port = free_port();
    let served = Served::start(port, &[("QUANTARYA_JWT_SECRET", SECRET)], None);
    let base = format!("http://127.0.0.1:{port}");
    let token = Command::new(BIN)
        .args(["token", "--sub", "exporter", "--email", "exporter@example.com"])
        .env("QUANTARYA_JWT_SECRET", SECRET)
        .output()
        .expect("a token");
    let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();
    let auth = format!("Authorization: Bearer {token}");
    let json = "Content-Type: application/json";
    curl(&["-X", "POST", &format!("{base}/me"), "-H", &auth, "-H", json, "-d", r#"{"user_name": "exporter"}"#]);
    let strategy =
        curl(&["-X", "POST", &format!("{base}/strategies"), "-H", &auth, "-H", json, "-d", r#"{"title": "Big"}"#]);
    let strategy: serde_json::Value = serde_json::from_str(&strategy).expect("JSON");
    let strategy = strategy["data"]["strategy_id"].as_str().expect("an id").to_owned();

    let dir = std::env::temp_dir().join(format!("quantarya-export-memory-{port}"));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("list.csv");
    let imports = format!("{base}/strategies/{strategy}/imports?format=tradingview&symbol=AAPL");
    for first in (1..=TRADES).step_by(PER_FILE as usize) {
        std::fs::write(&file, list(first, PER_FILE)).expect("written");
        let data = format!("@{}", file.display());
        let answer =
            curl(&["-X", "POST", &imports, "-H", &auth, "-H", "Content-Type: text/csv", "--data-binary", &data]);
        assert!(answer.contains(&format!("\"created\":{PER_FILE}")), "{answer}");
    }

    let before = resident(served.pid());
    let mut export = Command::new("curl")
        .args(["-s", "--fail", "-o", "/dev/null", "-w", "%{size_download}", "-H", &auth])
        .arg(format!("{base}/strategies/{strategy}/export"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("curl runs");
    let mut peak = before;
    while export.try_wait().expect("curl is there").is_none() {
        peak = peak.max(resident(served.pid()));
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = export.wait_with_output().expect("curl finished");
    assert!(output.status.success(), "the export failed");
    let sent: u64 = String::from_utf8_lossy(&output.stdout).trim().parse().expect("a size");
    let _ = std::fs::remove_dir_all(&dir);
    let grown = peak.saturating_sub(before);
    assert!(sent > 100 * 1024 * 1024, "200 000 trades make a large file: {sent} bytes");
    assert!(
        grown < 32 * 1024 * 1024,
        "the server grew by {} MiB while it sent {} MiB",
        grown / (1024 * 1024),
        sent / (1024 * 1024)
    );
}
