//! The binary's log levels: a client's broken connection is a WARN line, never an ERROR one.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use support::{Served, free_port};

#[test]
fn a_client_that_does_not_speak_http_is_logged_at_warn_not_error() {
    let port = free_port();
    let log = std::env::temp_dir().join(format!("quantarya-logs-{}-{port}.log", std::process::id()));
    let served = Served::start(port, &[], Some(&log));
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("a timeout");
    stream.write_all(b"\x16\x03\x01 this is not HTTP\r\n\r\n").expect("sent");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 400"), "{answer:?}");
    assert!(served.terminate().success());

    let lines = std::fs::read_to_string(&log).expect("the log");
    let _ = std::fs::remove_file(&log);
    assert!(lines.lines().any(|l| l.contains(" WARN ") && l.contains("a client broke its connection")), "{lines}");
    assert!(!lines.contains("ERROR"), "a client's mistake was logged at ERROR:\n{lines}");
}
