//! Running the real `quantarya` binary in tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_quantarya");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("bound").port()
}

/// Whether `GET /healthz` answers 200: the server is running, not merely bound.
pub fn healthy(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let mut response = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut response).is_ok()
        && response.starts_with("HTTP/1.1 200")
}

/// A running `quantarya serve`, its stdout lines arriving on a channel.
pub struct Served {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line received so far.
    seen: std::cell::RefCell<Vec<String>>,
}

/// A fresh directory for a server's data (its SQLite file), removed by the caller when done with it.
pub fn data_dir(port: u16) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("quantarya-data-{port}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a data directory");
    dir
}

impl Served {
    /// Starts the server with its journal in a fresh data directory; its logs (stderr) go to `log` when given.
    pub fn start(port: u16, env: &[(&str, &str)], log: Option<&std::path::Path>) -> Self {
        Self::start_in(&data_dir(port), port, env, log)
    }

    /// Starts the server with its journal in `data`; its logs (stderr) go to `log` when given.
    pub fn start_in(data: &std::path::Path, port: u16, env: &[(&str, &str)], log: Option<&std::path::Path>) -> Self {
        let mut command = Command::new(BIN);
        command.args(["serve", "--bind", &format!("127.0.0.1:{port}")]);
        Self::start_with(command, data, port, env, log)
    }

    /// Starts `command` (a `serve` on `port`) with its journal in `data`.
    pub fn start_command(command: Command, data: &std::path::Path, port: u16) -> Self {
        Self::start_with(command, data, port, &[], None)
    }

    fn start_with(
        mut command: Command,
        data: &std::path::Path,
        port: u16,
        env: &[(&str, &str)],
        log: Option<&std::path::Path>,
    ) -> Self {
        let stderr = match log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
            None => Stdio::null(),
        };
        command
            .env_remove("DATABASE_URL")
            .env_remove("QUANTARYA_JWT_SECRET")
            .env("QUANTARYA_DATA_DIR", data)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("quantarya starts");
        let stdout = child.stdout.take().expect("piped");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while !healthy(port) {
            assert!(Instant::now() < deadline, "quantarya did not start serving");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, lines, seen: std::cell::RefCell::default() }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every stdout line printed so far.
    pub fn output(&self) -> Vec<String> {
        let mut seen = self.seen.borrow_mut();
        seen.extend(self.lines.try_iter());
        seen.clone()
    }

    /// Sends `signal` (`TERM`, `INT`) to the server.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args([&format!("-{signal}"), &pid]).status().expect("kill runs");
        assert!(sent.success());
    }

    /// Sends SIGTERM and waits: the server drains and exits 0.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        self.child.wait().expect("it exits")
    }

    /// Waits for the process to exit by itself.
    pub fn wait(mut self) -> std::process::ExitStatus {
        self.child.wait().expect("it exits")
    }

    /// The demo token printed at start.
    pub fn demo_token(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let lines = self.output();
            if let Some(token) = lines.iter().find(|l| l.starts_with("eyJ")) {
                return token.clone();
            }
            assert!(Instant::now() < deadline, "no demo token printed: {lines:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `actual` is what the README shows: the same keys and values, where a shown string with `…` stands for
/// any string starting with the text before it.
pub fn same_shape(shown: &serde_json::Value, actual: &serde_json::Value, path: &str) -> Result<(), String> {
    use serde_json::Value;
    match (shown, actual) {
        (Value::String(s), Value::String(a)) if s.contains('…') => {
            let prefix = s.split('…').next().unwrap_or_default();
            if a.starts_with(prefix) { Ok(()) } else { Err(format!("{path}: {a:?} does not start with {prefix:?}")) }
        }
        (Value::Object(s), Value::Object(a)) => {
            let shown_keys: Vec<&String> = s.keys().collect();
            let actual_keys: Vec<&String> = a.keys().collect();
            if shown_keys != actual_keys {
                return Err(format!("{path}: keys {shown_keys:?} shown, {actual_keys:?} answered"));
            }
            s.iter().try_for_each(|(k, v)| same_shape(v, &a[k], &format!("{path}.{k}")))
        }
        (Value::Array(s), Value::Array(a)) if s.len() == a.len() => {
            s.iter().zip(a).enumerate().try_for_each(|(i, (s, a))| same_shape(s, a, &format!("{path}[{i}]")))
        }
        (Value::Number(s), Value::Number(a)) if s.as_f64() == a.as_f64() => Ok(()),
        (s, a) if s == a => Ok(()),
        (s, a) => Err(format!("{path}: {s} shown, {a} answered")),
    }
}

pub fn run_script(script: &str, dir: &std::path::Path) -> std::process::Output {
    Command::new("timeout")
        .args(["120", "bash", "-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("bash runs")
}

/// An answer to [`request`]: its status, its head's header lines, and its body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    /// The value of header `name` (any case), if sent.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
        })
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 request to `127.0.0.1:port` on a connection of its own (closed after the answer).
pub fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("a timeout");
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(text.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status");
    Answer { status, head: head.to_owned(), body: body.to_owned() }
}

/// With `token`: a profile, a strategy and a signals-only key of it; the strategy's id, the raw key and its id.
pub fn strategy_with_key(port: u16, token: &str) -> (String, String, String) {
    let bearer = format!("Bearer {token}");
    let json = [("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
    let profile = request(port, "POST", "/me", &json, r#"{"user_name": "watcher"}"#);
    assert_eq!(profile.status, 201, "{profile:?}");
    let strategy = request(port, "POST", "/strategies", &json, r#"{"title": "Watched"}"#);
    assert_eq!(strategy.status, 201, "{strategy:?}");
    let strategy = strategy.json()["data"]["strategy_id"].as_str().expect("an id").to_owned();
    let key = format!(r#"{{"key_name": "alerts", "scopes": ["signals"], "strategy_ids": ["{strategy}"]}}"#);
    let key = request(port, "POST", "/api-keys", &json, &key);
    assert_eq!(key.status, 201, "{key:?}");
    let data = &key.json()["data"];
    let text = |field: &str| data[field].as_str().unwrap_or_else(|| panic!("no {field}: {data}")).to_owned();
    (strategy, text("raw_api_key"), text("api_key_id"))
}
