//! Which spans the binary's subscriber makes: none at all with no trace exporter (a request pays nothing for its
//! span), ours and no other crate's with one. A test binary of its own, one test: a span site's interest is decided
//! across every live subscriber of the process, so another test's subscriber would decide it too.

use quantarya_app::config::TraceArgs;
use quantarya_app::logs;
use quantarya_app::traces::OtlpProtocol;
use tracing_subscriber::EnvFilter;

#[test]
fn with_no_exporter_no_span_is_made_and_with_one_ours_are() {
    let off = TraceArgs { otlp_endpoint: None, otlp_protocol: OtlpProtocol::default() };
    let (subscriber, exporting) = logs::subscriber(EnvFilter::new("info"), std::io::sink, false, &off).expect("built");
    assert!(exporting.is_none());
    tracing::subscriber::with_default(subscriber, || {
        let request = tracing::info_span!(target: "quantarya_adapter_http::logging", "request", request_id = 1);
        assert!(request.is_disabled(), "no layer wants a request's span: none is made");
        let _inside = request.enter();
        let store = tracing::info_span!(target: "quantarya_adapter_sqlite::trades", "insert_trade");
        assert!(store.is_disabled(), "nor a store call's");
        assert!(tracing::enabled!(target: "quantarya_adapter_http::logging", tracing::Level::INFO), "lines are");
    });

    // Nothing listens on the discard port: the spans are made, their export fails quietly.
    let on = TraceArgs { otlp_endpoint: Some("http://127.0.0.1:9".to_owned()), ..off };
    let (subscriber, exporting) = logs::subscriber(EnvFilter::new("info"), std::io::sink, false, &on).expect("built");
    assert!(exporting.is_some());
    tracing::subscriber::with_default(subscriber, || {
        let request = tracing::info_span!(target: "quantarya_adapter_http::logging", "request", request_id = 2);
        assert!(!request.is_disabled(), "a request's span is made");
        let _inside = request.enter();
        assert!(!tracing::info_span!(target: "quantarya_adapter_sqlite::trades", "insert_trade").is_disabled());
        assert!(tracing::info_span!(target: "actix_http::h1", "dispatch").is_disabled(), "not another crate's");
        assert!(tracing::debug_span!(target: "quantarya_ports::journal", "detail").is_disabled(), "not below INFO");
    });
    drop(exporting);
}
