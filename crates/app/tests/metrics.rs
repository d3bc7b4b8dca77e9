//! `GET /metrics` on `QUANTARYA_METRICS_BIND`: scraped from the real binary after real traffic, and read with a
//! Prometheus text parser, as a Prometheus server would.

mod support;

use std::process::Command;

use prom_text_format_parser::{Metric, Sample, Scrape, Type, ValueType};
use quantarya_ports::metrics::{self, METRICS};
use quantarya_test_db::TestDatabase;
use support::{BIN, Served, free_port, request, strategy_with_key};

/// The scrape of `port`, parsed.
fn scrape(port: u16) -> Scrape {
    let answer = request(port, "GET", "/metrics", &[], "");
    assert_eq!(answer.status, 200, "{answer:?}");
    let media = answer.header("content-type").expect("a media type");
    assert!(media.starts_with("text/plain; version=0.0.4"), "{media}");
    Scrape::parse(&answer.body).unwrap_or_else(|e| panic!("not the Prometheus text format ({e:?}):\n{}", answer.body))
}

/// The family `name` of `scrape`.
fn family<'a>(scrape: &'a Scrape, name: &str) -> &'a Metric {
    scrape.metrics.iter().find(|m| m.name == name).unwrap_or_else(|| panic!("no {name} in the scrape"))
}

/// Whether `sample` carries every label of `labels`.
fn labelled(sample: &Sample, labels: &[(&str, &str)]) -> bool {
    labels.iter().all(|(key, value)| sample.labels.iter().any(|l| l.key == *key && l.value == *value))
}

/// The one value of `kind` in family `name` whose labels include `labels`.
fn one(scrape: &Scrape, name: &str, labels: &[(&str, &str)], kind: ValueType) -> f64 {
    let found: Vec<&Sample> = family(scrape, name)
        .samples
        .iter()
        .filter(|s| s.value.value_type == kind && labelled(s, labels))
        .filter(|s| kind != ValueType::Sample || !s.labels.iter().any(|l| l.key == "le"))
        .collect();
    match found.as_slice() {
        [sample] => sample.value.value.as_f64(),
        _ => panic!("{name}{labels:?}: {} samples, not one", found.len()),
    }
}

/// The value of the counter or gauge `name` with `labels`.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    one(scrape, name, labels, ValueType::Sample)
}

/// How many observations the histogram `name` with `labels` holds.
fn observations(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    assert_eq!(family(scrape, name).kind, Type::Histogram, "{name}");
    one(scrape, name, labels, ValueType::Count)
}

#[test]
fn a_scrape_parses_and_counts_requests_by_route_template_signals_repeats_refusals_and_storage() {
    let (port, metrics_port) = (free_port(), free_port());
    let bind = format!("127.0.0.1:{metrics_port}");
    // An address budget of 2 a minute: anonymous requests past it are refused.
    let served = Served::start(port, &[("QUANTARYA_METRICS_BIND", &bind), ("QUANTARYA_RATE_ANON_PER_MIN", "2")], None);
    assert!(
        served.output().iter().any(|line| line.contains(&format!("http://{bind}/metrics"))),
        "{:?}",
        served.output()
    );
    let token = served.demo_token();
    let (strategy, key, _) = strategy_with_key(port, &token);

    // Metrics are never on the public port (an anonymous request: 404, or 429 past the address's budget).
    let mut anonymous = vec![request(port, "GET", "/metrics", &[], "").status];
    assert!(matches!(anonymous[0], 404 | 429), "{anonymous:?}");

    let trades = format!("/strategies/{strategy}/trades");
    let entry = format!(r#"{{"api_key": "{key}", "symbol": "ES1!", "side": "BUY", "entry": 5000}}"#);
    let keyed = [("Content-Type", "text/plain"), ("Idempotency-Key", "metrics-1")];
    assert_eq!(request(port, "POST", &trades, &keyed, &entry).status, 201);
    let repeat = request(port, "POST", &trades, &keyed, &entry);
    assert_eq!((repeat.status, repeat.header("idempotent-replayed").as_deref()), (200, Some("true")), "{repeat:?}");
    let invalid = format!(r#"{{"api_key": "{key}", "symbol": "ES1!", "side": "SIDEWAYS"}}"#);
    assert_eq!(request(port, "POST", &trades, &[("Content-Type", "text/plain")], &invalid).status, 422);
    let statuses: Vec<u16> = (0..3).map(|_| request(port, "GET", "/u/nobody", &[], "").status).collect();
    assert_eq!(statuses[2], 429, "{statuses:?}");
    anonymous.extend(statuses);
    // A signal with a key that is no one's, once the address's budget is spent: its 401 is answered as a 429, and
    // counted as the refusal it was answered with.
    let nobody = [("Content-Type", "application/json"), ("Authorization", "Bearer qk_nobody")];
    let limited = request(port, "POST", &trades, &nobody, "{}");
    assert_eq!(limited.status, 429, "{limited:?}");
    anonymous.push(limited.status);
    let refused = anonymous.iter().filter(|status| **status == 429).count() as f64;

    let scrape = scrape(metrics_port);
    let route = "/strategies/{strategy_id}/trades";
    let post = [("route", route), ("method", "POST")];
    assert_eq!(value(&scrape, metrics::HTTP_REQUESTS.name, &[post[0], post[1], ("status", "2xx")]), 2.0);
    assert_eq!(value(&scrape, metrics::HTTP_REQUESTS.name, &[post[0], post[1], ("status", "4xx")]), 2.0);
    assert_eq!(observations(&scrape, metrics::HTTP_REQUEST_DURATION.name, &[post[0], post[1], ("status", "2xx")]), 2.0);
    assert_eq!(value(&scrape, metrics::HTTP_REQUESTS.name, &[("route", "/u/{user_name}"), ("status", "4xx")]), 3.0);
    // Labelled by template only: no series names the strategy, the profile asked for, or any other raw path.
    for metric in &scrape.metrics {
        for label in metric.samples.iter().flat_map(|s| s.labels.iter()) {
            assert!(!label.value.contains(&strategy) && !label.value.contains("nobody"), "{}: {label:?}", metric.name);
        }
    }
    assert_eq!(value(&scrape, metrics::SIGNALS_ACCEPTED.name, &[]), 2.0);
    assert_eq!(value(&scrape, metrics::SIGNAL_REPEATS.name, &[]), 1.0);
    assert_eq!(value(&scrape, metrics::SIGNALS_REFUSED.name, &[("code", "validation_failed")]), 1.0);
    assert_eq!(value(&scrape, metrics::SIGNALS_REFUSED.name, &[("code", "rate_limited")]), 1.0);
    assert_eq!(value(&scrape, metrics::RATE_LIMIT_REFUSALS.name, &[("budget", "address")]), refused);
    // The default store is a SQLite file: four reading connections and the writer, none busy between requests.
    assert_eq!(value(&scrape, metrics::DB_CONNECTIONS_MAX.name, &[]), 5.0);
    assert_eq!(value(&scrape, metrics::DB_CONNECTIONS_IN_USE.name, &[]), 0.0);
    assert_eq!(value(&scrape, metrics::DB_CONNECTIONS_WAITING.name, &[]), 0.0);
    assert!(observations(&scrape, metrics::DB_STATEMENT_DURATION.name, &[("outcome", "ok")]) >= 4.0);
    assert_eq!(value(&scrape, metrics::WEBHOOK_DELIVERIES_PENDING.name, &[]), 0.0);
    assert_eq!(value(&scrape, metrics::WEBHOOK_DELIVERIES_FAILED.name, &[]), 0.0);
    // SQLite keeps no key cache; its counters stand at zero.
    assert_eq!(value(&scrape, metrics::KEY_CACHE_HITS.name, &[]), 0.0);

    // Every metric of the table is in the scrape, of its kind, with its help.
    for metric in METRICS {
        let scraped = family(&scrape, metric.name);
        let kind = metric.kind.as_str().parse::<Type>().expect("a kind the parser knows");
        assert_eq!((scraped.kind, scraped.help_desc.as_deref()), (kind, Some(metric.help)));
    }
    assert_eq!(request(metrics_port, "GET", "/", &[], "").status, 404, "one route only");
    assert!(served.terminate().success());
}

/// On PostgreSQL: the pool's gauges are deadpool's, and the key cache counts its misses, hits and invalidations.
#[test]
fn on_postgres_the_pool_and_the_key_cache_are_measured() {
    const SECRET: &str = "metrics-on-postgres-secret-0123456789-abcdef";
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let database = runtime.block_on(TestDatabase::create_empty()).unwrap_or_else(|e| panic!("{e}"));
    let (port, metrics_port) = (free_port(), free_port());
    let bind = format!("127.0.0.1:{metrics_port}");
    let env = [
        ("DATABASE_URL", database.url()),
        ("QUANTARYA_JWT_SECRET", SECRET),
        ("QUANTARYA_DB_POOL_SIZE", "6"),
        ("QUANTARYA_METRICS_BIND", bind.as_str()),
    ];
    let served = Served::start(port, &env, None);
    let minted = Command::new(BIN)
        .args(["token", "--sub", "pg-watcher", "--email", "pg@example.com"])
        .env("QUANTARYA_JWT_SECRET", SECRET)
        .output()
        .expect("a token");
    let token = String::from_utf8(minted.stdout).expect("text").trim().to_owned();
    let (strategy, key, key_id) = strategy_with_key(port, &token);
    let trades = format!("/strategies/{strategy}/trades");
    let plain = [("Content-Type", "text/plain")];
    // The cache is trusted once its listening connection is up: until then every key is read from the database.
    let mut hits = 0.0;
    for n in 0..100 {
        let entry = format!(
            r#"{{"api_key": "{key}", "symbol": "ES1!", "side": "BUY", "entry": 5000, "external_reference": "r{n}"}}"#
        );
        assert_eq!(request(port, "POST", &trades, &plain, &entry).status, 201);
        hits = value(&scrape(metrics_port), metrics::KEY_CACHE_HITS.name, &[]);
        if hits > 0.0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(hits > 0.0, "the key was never found in the cache");
    let before = scrape(metrics_port);
    assert!(value(&before, metrics::KEY_CACHE_MISSES.name, &[]) >= 1.0, "the first use reads the database");
    assert_eq!(value(&before, metrics::KEY_CACHE_INVALIDATIONS.name, &[]), 0.0);
    assert_eq!(value(&before, metrics::DB_CONNECTIONS_MAX.name, &[]), 6.0);
    assert_eq!(value(&before, metrics::DB_CONNECTIONS_WAITING.name, &[]), 0.0);
    assert!(observations(&before, metrics::DB_STATEMENT_DURATION.name, &[("outcome", "ok")]) >= 3.0);

    let bearer = format!("Bearer {token}");
    let revoked = request(port, "DELETE", &format!("/api-keys/{key_id}"), &[("Authorization", &bearer)], "");
    assert_eq!(revoked.status, 200, "{revoked:?}");
    let after = scrape(metrics_port);
    assert!(value(&after, metrics::KEY_CACHE_INVALIDATIONS.name, &[]) >= 1.0, "the revoked key left the cache");
    assert!(served.terminate().success());
}

#[test]
fn metrics_are_off_by_default_and_never_share_the_public_port() {
    let port = free_port();
    let served = Served::start(port, &[], None);
    assert!(!served.output().iter().any(|line| line.contains("/metrics")), "{:?}", served.output());
    assert_eq!(request(port, "GET", "/metrics", &[], "").status, 404);
    assert!(served.terminate().success());

    let data = support::data_dir(port);
    let same = Command::new(BIN)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--metrics-bind", &format!("127.0.0.1:{port}")])
        .env("QUANTARYA_DATA_DIR", &data)
        .output()
        .expect("runs");
    let _ = std::fs::remove_dir_all(&data);
    assert!(!same.status.success());
    assert!(String::from_utf8_lossy(&same.stderr).contains("is the public port"), "{same:?}");
}

/// The table of `docs/observability.md`, made from the ports' table.
fn documented_table() -> String {
    let mut table = String::from("| metric | kind | labels | meaning |\n|---|---|---|---|\n");
    for metric in METRICS {
        let kind = metric.kind.as_str();
        let labels: Vec<String> = metric.labels.iter().map(|label| format!("`{label}`")).collect();
        table.push_str(&format!("| `{}` | {kind} | {} | {} |\n", metric.name, labels.join(", "), metric.help));
    }
    table
}

#[test]
fn the_observability_page_lists_every_metric_as_the_service_defines_it() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/observability.md"))
        .expect("docs/observability.md");
    let begin = "<!-- metrics: begin -->\n";
    let start = page.find(begin).expect("the table's begin marker") + begin.len();
    let end = page.find("<!-- metrics: end -->").expect("the table's end marker");
    let expected = documented_table();
    assert!(page[start..end] == expected, "docs/observability.md's table is stale; paste this:\n{expected}");
}
