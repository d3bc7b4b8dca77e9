//! Traces over OTLP: the real binary, told where a collector is by `OTEL_EXPORTER_OTLP_ENDPOINT`, sends a request's
//! span (named by its route template, carrying its request id) and its store calls' spans, children of it, to a
//! local OTLP/HTTP receiver this test runs.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Served, free_port, request};

/// One export as the receiver got it.
struct Export {
    path: String,
    media: String,
    body: Vec<u8>,
}

/// An OTLP/HTTP receiver on a free port: each body posted to it arrives on the channel, and is answered 200 as a
/// collector does.
fn receiver() -> (u16, mpsc::Receiver<Export>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("bound").port();
    let (send, received) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
            let mut line = String::new();
            reader.read_line(&mut line).expect("a request line");
            let path = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
            let (mut length, mut media) = (0, String::new());
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).expect("a header");
                if header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().expect("a length");
                    } else if name.eq_ignore_ascii_case("content-type") {
                        media = value.trim().to_owned();
                    }
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("the body");
            // Handed over before the answer, so that it is there once the exporter has its answer.
            if send.send(Export { path, media, body }).is_err() {
                break;
            }
            let reply =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
            stream.write_all(reply.as_bytes()).expect("answered");
        }
    });
    (port, received)
}

/// One exported span: what the test looks at.
#[derive(Debug, Clone)]
struct Span {
    trace: String,
    id: String,
    parent: String,
    name: String,
    attributes: Value,
}

impl Span {
    /// The string or number value of attribute `key`, as text.
    fn attribute(&self, key: &str) -> Option<String> {
        let found = self.attributes.as_array()?.iter().find(|a| a["key"] == key)?;
        let value = found["value"].as_object()?.values().next()?;
        Some(value.as_str().map_or_else(|| value.to_string(), str::to_owned))
    }
}

/// The spans of an OTLP/JSON export body.
fn spans(body: &Value) -> Vec<Span> {
    let mut found = Vec::new();
    for resource in body["resourceSpans"].as_array().into_iter().flatten() {
        let attributes = resource["resource"]["attributes"].as_array().expect("resource attributes");
        let service = attributes.iter().find(|a| a["key"] == "service.name").expect("a service name");
        assert_eq!(service["value"]["stringValue"], "quantarya", "{resource}");
        for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
            for span in scope["spans"].as_array().into_iter().flatten() {
                found.push(Span {
                    trace: span["traceId"].as_str().unwrap_or_default().to_owned(),
                    id: span["spanId"].as_str().unwrap_or_default().to_owned(),
                    parent: span["parentSpanId"].as_str().unwrap_or_default().to_owned(),
                    name: span["name"].as_str().unwrap_or_default().to_owned(),
                    attributes: span["attributes"].clone(),
                });
            }
        }
    }
    found
}

#[test]
fn a_requests_span_and_its_store_calls_reach_an_otlp_collector_with_their_parent_links() {
    let (collector, exports) = receiver();
    let endpoint = format!("http://127.0.0.1:{collector}");
    let port = free_port();
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let served = Served::start(port, &env, None);
    let token = format!("Bearer {}", served.demo_token());
    let profile = request(
        port,
        "POST",
        "/me",
        &[("Authorization", &token), ("Content-Type", "application/json")],
        r#"{"user_name": "traced"}"#,
    );
    assert_eq!(profile.status, 201, "{profile:?}");
    let listed = request(port, "GET", "/strategies", &[("Authorization", &token)], "");
    assert_eq!(listed.status, 200, "{listed:?}");
    let request_id = listed.header("x-request-id").expect("a request id");

    // The exporter sends what it has every 100 ms, and whatever is left when the server stops.
    let mut exported = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let found = loop {
        while let Ok(export) = exports.try_recv() {
            assert_eq!(export.path, "/v1/traces", "the OTLP path is appended to the endpoint");
            assert_eq!(export.media, "application/json");
            exported.extend(spans(&serde_json::from_slice(&export.body).expect("OTLP/JSON")));
        }
        let request = exported.iter().find(|s| s.attribute("request_id").as_deref() == Some(request_id.as_str()));
        if let Some(request) = request.cloned() {
            let children: Vec<Span> = exported.iter().filter(|s| s.parent == request.id).cloned().collect();
            if !children.is_empty() {
                break Some((request, children));
            }
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(served.terminate().success());
    let (request, children) = found.unwrap_or_else(|| panic!("no request span with its store calls: {exported:#?}"));

    assert_eq!(request.name, "GET /strategies");
    assert!(request.parent.is_empty(), "a request starts its trace: {request:?}");
    assert_eq!(request.attribute("http.route").as_deref(), Some("/strategies"));
    assert_eq!(request.attribute("http.response.status_code").as_deref(), Some("200"));
    assert_eq!(request.attribute("http.request.method").as_deref(), Some("GET"));
    for child in &children {
        assert_eq!(child.trace, request.trace, "{child:?}");
        let module = child.attribute("code.module.name").unwrap_or_default();
        assert!(module.starts_with("quantarya_adapter_sqlite::"), "a store call: {child:?}");
    }
    let names: Vec<&str> = children.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"list_strategies"), "{names:?}");
    // The profile's creation was a request of its own, with a trace of its own.
    let created = exported.iter().find(|s| s.name == "POST /me").expect("the profile's request");
    assert_ne!(created.trace, request.trace);
}

/// The default encoding, protocol buffers, and the spans still batched at a graceful stop: with a batch delay of a
/// minute nothing leaves before the stop, and the request's span (its request id is in the message as text) arrives
/// as the server stops.
#[test]
fn the_spans_batched_at_a_stop_are_sent_as_protocol_buffers_before_the_process_exits() {
    let (collector, exports) = receiver();
    let endpoint = format!("http://127.0.0.1:{collector}");
    let port = free_port();
    let env = [("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()), ("OTEL_BSP_SCHEDULE_DELAY", "60000")];
    let served = Served::start(port, &env, None);
    let token = format!("Bearer {}", served.demo_token());
    let listed = request(port, "GET", "/strategies", &[("Authorization", &token)], "");
    let request_id = listed.header("x-request-id").expect("a request id");
    std::thread::sleep(Duration::from_millis(300));
    assert!(exports.try_recv().is_err(), "nothing is sent before the batch is due");
    assert!(served.terminate().success());
    let sent: Vec<Export> = exports.try_iter().collect();
    assert!(!sent.is_empty(), "the batch is sent at the stop");
    for export in &sent {
        assert_eq!((export.path.as_str(), export.media.as_str()), ("/v1/traces", "application/x-protobuf"));
    }
    let carries = |export: &Export| export.body.windows(request_id.len()).any(|w| w == request_id.as_bytes());
    assert!(sent.iter().any(carries), "the request's span, with its id, is among them");
}
