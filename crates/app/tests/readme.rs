//! The README's quickstart, command by command, against the real `quantarya` binary; and the binary's other
//! promises: a demo token without a secret, a refusal to run PostgreSQL without JWT configuration, graceful
//! shutdown on SIGTERM, and `openapi`.

mod support;

use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use support::{BIN, Served, free_port, run_script, same_shape};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).expect("README.md")
}

/// The fenced blocks of a README section, as (info string, body) pairs, in order.
fn blocks(section: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
            blocks.push((info.trim().to_owned(), body.join("\n")));
        }
    }
    blocks
}

fn quickstart() -> String {
    let readme = readme();
    let start = readme.find("## Quickstart").expect("a Quickstart section");
    let end = readme[start + 1..].find("\n## ").map_or(readme.len(), |i| start + 1 + i);
    readme[start..end].to_owned()
}

#[test]
fn the_readme_quickstart_reaches_a_closed_trade() {
    let section = quickstart();
    let blocks = blocks(&section);
    let shells: Vec<&String> = blocks.iter().filter(|(info, _)| info == "sh").map(|(_, body)| body).collect();
    // Each answer belongs to the shell block just before it.
    let mut answers: Vec<(usize, &String)> = Vec::new();
    let mut shell_index = 0;
    for (info, body) in &blocks {
        match info.as_str() {
            "sh" => shell_index += 1,
            "json" => answers.push((shell_index - 1, body)),
            _ => {}
        }
    }
    assert!(shells.len() >= 7 && answers.len() >= 6, "the quickstart has its commands and answers");

    // The first block starts the service; the test starts the same binary with the same secret on a free port.
    let serve = shells[0];
    assert!(serve.contains("cargo run --release -p quantarya-app -- serve"), "{serve}");
    let secret = serve
        .lines()
        .find_map(|l| l.strip_prefix("export QUANTARYA_JWT_SECRET="))
        .expect("the serve block sets the secret");
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("quantarya-readme-{port}"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let log = dir.join("server.log");
    let served = Served::start(port, &[("QUANTARYA_JWT_SECRET", secret)], Some(&log));

    let script = shells
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, block)| format!("{block}\necho\necho '@@block-{i}@@'"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("cargo run -q --release -p quantarya-app --", BIN)
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
    assert!(!script.contains("cargo run"), "every cargo command of the quickstart is one the test can run");
    let run = run_script(&script, &dir);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "the quickstart failed:\n{stdout}\n{}", String::from_utf8_lossy(&run.stderr));

    for (block, answer) in answers {
        let start = stdout.find(&format!("@@block-{}@@", block - 1)).map_or(0, |i| i + 12);
        let end = stdout.find(&format!("@@block-{block}@@")).unwrap_or_else(|| panic!("block {block} did not finish"));
        let printed =
            stdout[start..end].trim_start_matches(|c: char| c.is_ascii_digit() || c == '@' || c.is_whitespace());
        let actual: serde_json::Value = serde_json::Deserializer::from_str(printed)
            .into_iter()
            .next()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("block {block} printed no JSON: {printed}"));
        let shown: serde_json::Value = serde_json::from_str(answer).unwrap_or_else(|e| panic!("README answer: {e}"));
        if let Err(difference) = same_shape(&shown, &actual, "") {
            panic!("the README's answer to block {block} is not what the service says: {difference}\n{actual}");
        }
    }
    assert!(stdout.contains("\"status\":\"CLOSED\""), "the quickstart ends with a closed trade:\n{stdout}");
    let key = std::fs::read_to_string(dir.join("key.json")).expect("the quickstart saved key.json");
    let key = key.split("\"raw_api_key\":\"").nth(1).and_then(|r| r.split('"').next()).expect("a raw key");

    let output = served.output().join("\n");
    assert!(output.contains("Storage: SQLite file"), "the service says where it keeps the journal:\n{output}");
    assert!(!output.contains(secret), "the secret is never printed");
    let status = served.terminate();
    assert!(status.success(), "SIGTERM drains and exits 0, got {status}");

    let logs = std::fs::read_to_string(&log).expect("server log");
    assert!(
        logs.contains("route=/strategies/{strategy_id}/trades/{trade_id}/close"),
        "request logs name routes:\n{logs}"
    );
    assert!(logs.contains("request_id="), "request logs carry an id:\n{logs}");
    for secret_text in [secret, key, "eyJ"] {
        assert!(!logs.contains(secret_text), "a credential reached the logs:\n{logs}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serving_without_a_secret_prints_a_working_demo_token() {
    let port = free_port();
    let served = Served::start(port, &[], None);
    let token = served.demo_token();
    let script = format!(
        "curl -s -X POST http://127.0.0.1:{port}/me -H 'Authorization: Bearer {token}' \
         -H 'Content-Type: application/json' -d '{{\"user_name\": \"demo\"}}'"
    );
    let run = run_script(&script, &std::env::temp_dir());
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("\"message\":\"Profile created\""), "{stdout}");
    assert!(served.terminate().success());
}

/// `serve` with no setting keeps the journal in the data directory's `quantarya.db`, says so, and finds it again
/// after a restart: the demo user's profile, made before the restart, is there after it (the demo token is new
/// each start; the user is the same).
#[test]
fn the_default_store_is_a_file_that_outlives_a_restart() {
    let port = free_port();
    let data = support::data_dir(port);
    let served = Served::start_in(&data, port, &[], None);
    let token = served.demo_token();
    let create = format!(
        "curl -s -X POST http://127.0.0.1:{port}/me -H 'Authorization: Bearer {token}' \
         -H 'Content-Type: application/json' -d '{{\"user_name\": \"kept\"}}'"
    );
    let made = run_script(&create, &data);
    assert!(String::from_utf8_lossy(&made.stdout).contains("Profile created"), "{made:?}");
    let said = served.output().join("\n");
    assert!(said.contains(&format!("Storage: SQLite file {}", data.join("quantarya.db").display())), "{said}");
    assert!(served.terminate().success());
    assert!(data.join("quantarya.db").is_file(), "the journal is a file in the data directory");

    let port = free_port();
    let again = Served::start_in(&data, port, &[], None);
    let token = again.demo_token();
    let read = run_script(&format!("curl -s http://127.0.0.1:{port}/me -H 'Authorization: Bearer {token}'"), &data);
    assert!(String::from_utf8_lossy(&read.stdout).contains("\"user_name\":\"kept\""), "{read:?}");
    assert!(again.terminate().success());
    let _ = std::fs::remove_dir_all(&data);
}

/// `quantarya migrate` makes a SQLite file's schema (the data directory's, or the one `DATABASE_URL` names), and
/// again changes nothing; memory has nothing to migrate.
#[test]
fn migrate_works_on_a_sqlite_file() {
    let data = support::data_dir(free_port());
    let migrate = |env: &[(&str, String)]| {
        let mut command = Command::new(BIN);
        command.arg("migrate").env_remove("DATABASE_URL").env("QUANTARYA_DATA_DIR", &data);
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().expect("runs")
    };
    for _ in 0..2 {
        let done = migrate(&[]);
        assert!(done.status.success(), "{done:?}");
        assert!(String::from_utf8_lossy(&done.stdout).contains("is up to date"), "{done:?}");
    }
    assert!(data.join("quantarya.db").is_file());
    let named = data.join("named.db");
    let done = migrate(&[("DATABASE_URL", format!("sqlite://{}", named.display()))]);
    assert!(done.status.success() && named.is_file(), "{done:?}");
    let memory = migrate(&[("DATABASE_URL", "memory:".to_owned())]);
    assert!(!memory.status.success(), "{memory:?}");
    let _ = std::fs::remove_dir_all(&data);
}

/// `--in-memory` keeps nothing, writes no file, and says so loudly.
#[test]
fn in_memory_is_asked_for_and_says_it_keeps_nothing() {
    let port = free_port();
    let data = support::data_dir(port);
    let mut command = Command::new(BIN);
    command.args(["serve", "--in-memory", "--bind", &format!("127.0.0.1:{port}")]);
    let served = Served::start_command(command, &data, port);
    let _token = served.demo_token();
    let said = served.output().join("\n");
    assert!(said.contains("IN MEMORY"), "{said}");
    assert!(served.terminate().success());
    assert!(!data.join("quantarya.db").exists(), "nothing was written to the data directory");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn postgres_without_jwt_configuration_refuses_to_start_and_says_what_to_set() {
    let output = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        .env_remove("QUANTARYA_JWT_SECRET")
        .env_remove("QUANTARYA_JWT_PUBLIC_KEY")
        .env_remove("QUANTARYA_JWT_JWKS_URL")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("QUANTARYA_JWT_SECRET"), "{stderr}");
    assert!(!stderr.contains("postgres://"), "the database URL is not echoed: {stderr}");
}

#[test]
fn the_token_and_openapi_commands_print_what_they_promise() {
    let token = Command::new(BIN)
        .args(["token", "--sub", "alice", "--email", "alice@example.com", "--ttl", "15m"])
        .env("QUANTARYA_JWT_SECRET", "a-secret-of-at-least-thirty-two-bytes!!")
        .output()
        .expect("runs");
    assert!(token.status.success());
    assert_eq!(String::from_utf8_lossy(&token.stdout).trim().split('.').count(), 3, "a JWT");
    let no_secret = Command::new(BIN)
        .args(["token", "--sub", "alice", "--email", "alice@example.com"])
        .env_remove("QUANTARYA_JWT_SECRET")
        .output()
        .expect("runs");
    assert!(!no_secret.status.success());
    let bad_ttl = Command::new(BIN)
        .args(["token", "--sub", "a", "--email", "a@b.c", "--ttl", "forever"])
        .env("QUANTARYA_JWT_SECRET", "a-secret-of-at-least-thirty-two-bytes!!")
        .output()
        .expect("runs");
    assert!(!bad_ttl.status.success());

    let openapi = Command::new(BIN).arg("openapi").output().expect("runs");
    assert!(openapi.status.success());
    assert_eq!(String::from_utf8_lossy(&openapi.stdout).trim(), quantarya_adapter_http::openapi_json().trim());
}

/// Half a request is on the wire when the signal arrives; the server finishes it, answers, then exits 0.
fn a_signal_drains_the_request_in_flight(signal: &str) {
    use std::io::{Read, Write};
    let port = free_port();
    let served = Served::start(port, &[], None);
    let token = served.demo_token();
    let body = br#"{"user_name": "drained"}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout set");
    // A first request on the same connection, answered in full: from then on the connection is a worker's, so
    // the second request is in flight when the signal comes (not waiting in the accept queue).
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").expect("first request sent");
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while !first.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("first response head");
        first.push(byte[0]);
    }
    let head_text = String::from_utf8_lossy(&first).to_lowercase();
    let length: usize = head_text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("a content length");
    let mut first_body = vec![0u8; length];
    stream.read_exact(&mut first_body).expect("first response body");
    assert!(head_text.starts_with("http/1.1 200"), "{head_text}");
    let head = format!(
        "POST /me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("headers sent");
    stream.write_all(&body[..5]).expect("half the body sent");
    std::thread::sleep(Duration::from_millis(200));
    served.signal(signal);
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body[5..]).expect("the rest of the body sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("a response");
    assert!(response.starts_with("HTTP/1.1 201"), "SIG{signal}: the request in flight was answered: {response}");
    let status = served.wait();
    assert!(status.success(), "SIG{signal}: exits 0 after draining, got {status}");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "and no longer listens");
}

#[test]
fn sigterm_drains_in_flight_requests_then_exits_0() {
    a_signal_drains_the_request_in_flight("TERM");
}

#[test]
fn ctrl_c_drains_in_flight_requests_then_exits_0() {
    a_signal_drains_the_request_in_flight("INT");
}

#[test]
fn the_committed_openapi_document_is_the_one_the_binary_prints() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json"))
        .expect("docs/openapi.json");
    let printed = Command::new(BIN).arg("openapi").output().expect("runs");
    assert!(printed.status.success());
    assert!(
        committed == String::from_utf8_lossy(&printed.stdout),
        "docs/openapi.json is out of date: regenerate it with\n    cargo run -q -p quantarya-app -- openapi > docs/openapi.json"
    );
}

/// The README's Configuration table is the one `serve`'s own definitions make (`quantarya_app::settings`), and
/// `serve --help` names every setting of it, environment variables included: one place, no drift.
#[test]
fn the_readme_lists_every_setting_as_serve_defines_it() {
    let readme = readme();
    let (begin, end) = ("<!-- settings: begin -->\n", "<!-- settings: end -->");
    let start = readme.find(begin).map(|i| i + begin.len()).expect("the settings table's start marker");
    let stop = readme[start..].find(end).map(|i| start + i).expect("its end marker");
    let made = quantarya_app::settings::serve_settings_table();
    assert!(
        readme[start..stop] == made,
        "the README's settings table is not what `serve` defines; replace it with:\n{made}"
    );
    let help = Command::new(BIN).args(["serve", "--help"]).output().expect("runs");
    let help = String::from_utf8_lossy(&help.stdout);
    for line in made.lines().skip(2) {
        // The first two cells: the variable and the flag, each in backticks or empty.
        for name in line.split('|').skip(1).take(2).map(|cell| cell.trim().trim_matches('`')) {
            assert!(help.contains(name), "`serve --help` does not name {name}:\n{help}");
        }
    }
}
