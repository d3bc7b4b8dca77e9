//! Outbound webhooks from the real binary on PostgreSQL, received by `scripts/webhook-receiver.py`, which verifies
//! every signature with the Python `standardwebhooks` package (an implementation independent of ours): a SIGKILL
//! with deliveries pending loses none, two instances deliver each event once, and SIGTERM finishes the delivery
//! in flight.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use quantarya_test_db::TestDatabase;
use serde_json::{Value, json};
use support::{BIN, Served, free_port};

const SECRET: &str = "webhook-test-secret-0123456789abcdefghij";
/// The Python package the receiver verifies with, pinned.
const VERIFIER: &str = "standardwebhooks==1.3.0";

/// A Python with `standardwebhooks`: a virtual environment under the target directory, made on first use, once
/// for all the tests of this file (they run at once, and two making it side by side trip over each other).
fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(make_python).clone()
}

fn make_python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("standardwebhooks-venv");
    let python = venv.join("bin/python");
    let ready = |python: &Path| {
        Command::new(python).args(["-c", "import standardwebhooks"]).status().is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status();
        assert!(made.is_ok_and(|s| s.success()), "these tests need python3 with venv (Debian: python3-venv)");
        let pip = Command::new(&python).args(["-m", "pip", "install", "-q", VERIFIER]).status();
        assert!(
            pip.is_ok_and(|s| s.success()) && ready(&python),
            "could not install {VERIFIER} from PyPI into {}: install it there by hand to run these tests",
            venv.display()
        );
    }
    python
}

/// The receiver script on a port of its own.
struct Receiver {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Receiver {
    fn start(dir: &Path, mode: &str) -> Self {
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/webhook-receiver.py");
        std::fs::write(dir.join("mode"), mode).expect("mode file");
        let child = Command::new(python())
            .arg(script)
            .args([
                "--port",
                &port.to_string(),
                "--secret-file",
                "secret",
                "--log",
                "deliveries.jsonl",
                "--mode",
                "mode",
            ])
            .current_dir(dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("the receiver starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the receiver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port, dir: dir.to_owned() }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn set_mode(&self, mode: &str) {
        std::fs::write(self.dir.join("mode"), mode).expect("mode file");
    }

    fn set_secret(&self, secret: &str) {
        std::fs::write(self.dir.join("secret"), secret).expect("secret file");
    }

    /// Every line logged so far.
    fn entries(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.dir.join("deliveries.jsonl")).unwrap_or_default();
        text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
    }

    /// How many 2xx answers each event id got, once every id of `events` got one (or after `within`).
    fn delivered(&self, events: &BTreeSet<String>, within: Duration) -> BTreeMap<String, usize> {
        let deadline = Instant::now() + within;
        loop {
            let mut answered: BTreeMap<String, usize> = BTreeMap::new();
            for entry in self.entries().iter().filter(|e| e["status"].as_u64().is_some_and(|s| s < 300)) {
                *answered.entry(entry["id"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
            }
            if events.iter().all(|id| answered.contains_key(id)) || Instant::now() > deadline {
                return answered;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `method` on the service at `port`, with a bearer token and a JSON body; the answer's body.
fn call(port: u16, method: &str, path: &str, token: &str, body: Option<Value>) -> Value {
    let mut command = Command::new("curl");
    command.args(["-s", "-X", method, &format!("http://127.0.0.1:{port}{path}")]);
    command.args(["-H", &format!("Authorization: Bearer {token}")]);
    if let Some(body) = body {
        command.args(["-H", "Content-Type: application/json", "-d", &body.to_string()]);
    }
    let output = command.output().expect("curl runs");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

fn token(sub: &str) -> String {
    let output = Command::new(BIN)
        .args(["token", "--sub", sub, "--email", &format!("{sub}@example.com")])
        .env("QUANTARYA_JWT_SECRET", SECRET)
        .output()
        .expect("runs");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The environment of an instance on `url` that may deliver to the loopback receiver, retrying every second.
fn env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", url.to_owned()),
        ("QUANTARYA_JWT_SECRET", SECRET.to_owned()),
        ("QUANTARYA_WEBHOOKS_ALLOW_INSECURE", "1".to_owned()),
        ("QUANTARYA_WEBHOOKS_RETRY_SCHEDULE", vec!["1"; 60].join(",")),
    ]
}

fn serve(port: u16, env: &[(&'static str, String)]) -> Served {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Served::start(port, &pairs, None)
}

/// A trader with a strategy, a key and a subscription to `receiver`: (user token, strategy id, key, webhook id).
fn trader(port: u16, receiver: &Receiver, sub: &str) -> (String, String, String, String) {
    let user = token(sub);
    let me = call(port, "POST", "/me", &user, Some(json!({"user_name": sub})));
    assert_eq!(me["data"]["user_name"], sub, "{me}");
    let strategy = call(port, "POST", "/strategies", &user, Some(json!({"title": "Hooked"})));
    let strategy = strategy["data"]["strategy_id"].as_str().expect("a strategy").to_owned();
    let key = call(port, "POST", "/api-keys", &user, Some(json!({"key_name": "bot", "scopes": ["signals"]})));
    let key = key["data"]["raw_api_key"].as_str().expect("a key").to_owned();
    let hook = call(port, "POST", "/webhooks", &user, Some(json!({"url": receiver.url()})));
    let secret = hook["data"]["secret"].as_str().unwrap_or_else(|| panic!("a secret: {hook}"));
    receiver.set_secret(secret);
    (user, strategy, key, hook["data"]["webhook_id"].as_str().expect("an id").to_owned())
}

/// Opens and closes `count` trades through the ports given in turn; every event id of their histories.
fn trade(ports: &[u16], user: &str, strategy: &str, key: &str, count: usize) -> BTreeSet<String> {
    let path = format!("/strategies/{strategy}/trades");
    let mut trades = Vec::new();
    for i in 0..count {
        let port = ports[i % ports.len()];
        let entry = json!({"symbol": "EURUSD", "side": "BUY", "entry": 1.08, "external_reference": format!("r{i}")});
        let opened = call(port, "POST", &path, key, Some(entry));
        trades.push(opened["data"]["trade_id"].as_str().unwrap_or_else(|| panic!("opened: {opened}")).to_owned());
        let exit = json!({"event": "exit", "external_reference": format!("r{i}"), "close_price": 1.09});
        assert_eq!(call(ports[(i + 1) % ports.len()], "POST", &path, key, Some(exit))["data"]["status"], "CLOSED");
    }
    let mut events = BTreeSet::new();
    for id in trades {
        let history = call(ports[0], "GET", &format!("{path}/{id}/events"), user, None);
        for event in history["data"].as_array().expect("a history") {
            events.insert(event["event_id"].as_str().expect("an event id").to_owned());
        }
    }
    events
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("quantarya-{name}-{}", free_port()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn database() -> (tokio::runtime::Runtime, TestDatabase) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let database = runtime.block_on(TestDatabase::create()).unwrap_or_else(|e| panic!("{e}"));
    (runtime, database)
}

/// Every entry the receiver logged was verified, and named one of `events`.
fn all_verified(receiver: &Receiver, events: &BTreeSet<String>) {
    for entry in receiver.entries().iter().filter(|e| e.get("arrived").is_none()) {
        assert_eq!(entry["verified"], true, "the signature verifies independently: {entry}");
        assert!(events.contains(entry["id"].as_str().unwrap_or_default()), "webhook-id is an event id: {entry}");
    }
}

#[test]
fn a_sigkill_with_deliveries_pending_loses_none() {
    let (_runtime, database) = database();
    let dir = temp_dir("webhooks-kill");
    let receiver = Receiver::start(&dir, "down");
    let env = env(database.url());
    let port = free_port();
    let first = serve(port, &env);
    let (user, strategy, key, hook) = trader(port, &receiver, "hook-killed");
    let events = trade(&[port], &user, &strategy, &key, 4);
    assert_eq!(events.len(), 8, "an opening and a closing each");
    // Attempts are being made (and refused) when the process is killed.
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.entries().len() < 3 {
        assert!(Instant::now() < deadline, "no attempt reached the receiver");
        std::thread::sleep(Duration::from_millis(100));
    }
    first.signal("KILL");
    assert!(!first.wait().success(), "killed");

    receiver.set_mode("up");
    let port = free_port();
    let _second = serve(port, &env);
    // A claim the killed instance held ends within 20 s; each is then taken over.
    let answered = receiver.delivered(&events, Duration::from_secs(60));
    let missing: Vec<_> = events.iter().filter(|id| !answered.contains_key(*id)).collect();
    assert!(missing.is_empty(), "every event is delivered after the restart; missing {missing:?}");
    all_verified(&receiver, &events);
    let refused = receiver.entries().iter().filter(|e| e["status"] == 503).count();
    assert!(refused >= 3, "the first attempts were refused and retried with the same ids");
    let listed = call(port, "GET", &format!("/webhooks/{hook}/deliveries"), &user, None);
    let states: BTreeSet<&str> =
        listed["data"].as_array().expect("a page").iter().filter_map(|d| d["state"].as_str()).collect();
    assert_eq!(states, BTreeSet::from(["delivered"]), "{listed}");
}

#[test]
fn two_instances_deliver_each_event_once() {
    let (_runtime, database) = database();
    let dir = temp_dir("webhooks-two");
    let receiver = Receiver::start(&dir, "up");
    let env = env(database.url());
    let (a, b) = (free_port(), free_port());
    let _first = serve(a, &env);
    let _second = serve(b, &env);
    let (user, strategy, key, _) = trader(a, &receiver, "hook-twice");
    let events = trade(&[a, b], &user, &strategy, &key, 10);
    assert_eq!(events.len(), 20);
    let answered = receiver.delivered(&events, Duration::from_secs(30));
    assert_eq!(answered.keys().cloned().collect::<BTreeSet<_>>(), events, "every event, and nothing else");
    // Let a second delivery of anything show itself.
    std::thread::sleep(Duration::from_secs(3));
    let answered = receiver.delivered(&events, Duration::ZERO);
    let twice: Vec<_> = answered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "each event is delivered once: {twice:?}");
    all_verified(&receiver, &events);
}

#[test]
fn sigterm_finishes_the_delivery_in_flight() {
    let (_runtime, database) = database();
    let dir = temp_dir("webhooks-term");
    let receiver = Receiver::start(&dir, "slow:3");
    let env = env(database.url());
    let port = free_port();
    let served = serve(port, &env);
    let (user, strategy, key, hook) = trader(port, &receiver, "hook-drained");
    let path = format!("/strategies/{strategy}/trades");
    let entry = json!({"symbol": "EURUSD", "side": "BUY", "entry": 1.08, "external_reference": "drain"});
    assert_eq!(call(port, "POST", &path, &key, Some(entry))["data"]["status"], "OPEN");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !receiver.entries().iter().any(|e| e["arrived"] == true) {
        assert!(Instant::now() < deadline, "the delivery never reached the receiver");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(served.terminate().success(), "a clean stop");
    let answered: Vec<_> = receiver.entries().into_iter().filter(|e| e["status"] == 204).collect();
    assert_eq!(answered.len(), 1, "the delivery in flight was answered before the process ended");

    receiver.set_mode("up");
    let port = free_port();
    let _again = serve(port, &env);
    std::thread::sleep(Duration::from_secs(3));
    let listed = call(port, "GET", &format!("/webhooks/{hook}/deliveries"), &user, None);
    let delivery = &listed["data"][0];
    assert_eq!((delivery["state"].as_str(), delivery["attempts"].as_u64()), (Some("delivered"), Some(1)), "{listed}");
    let answered = receiver.entries().into_iter().filter(|e| e["status"] == 204).count();
    assert_eq!(answered, 1, "recorded as delivered, so not sent again");
}
