//! What the service measures: every metric's name, kind, labels and meaning, in one table ([`METRICS`]). The
//! adapters record through the [`metrics`] facade under these names; the binary installs a Prometheus recorder
//! when it is asked to serve them, and with none installed a record is a no-op (an atomic load), so a process that
//! serves no metrics pays nothing for them.
//!
//! Labels are bounded sets: a route is its template (`/strategies/{strategy_id}/trades`), never the path that was
//! asked for, a status its class (`2xx`), a refusal its error code.
//!
//! ```
//! use quantarya_ports::metrics::{METRICS, MetricKind, SIGNALS_REFUSED};
//!
//! assert!(METRICS.iter().any(|m| m.name == SIGNALS_REFUSED.name && m.kind == MetricKind::Counter));
//! assert_eq!(SIGNALS_REFUSED.labels, ["code"]);
//! ```

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use metrics::{Counter, Histogram};

/// What a metric counts: a total that only grows, a level read when scraped, or a distribution of durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A total since the process started.
    Counter,
    /// A level, as of the scrape.
    Gauge,
    /// Durations in seconds, in buckets.
    Histogram,
}

impl MetricKind {
    /// The kind as a Prometheus `# TYPE` line names it.
    ///
    /// ```
    /// assert_eq!(quantarya_ports::metrics::MetricKind::Histogram.as_str(), "histogram");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// One metric: its name as Prometheus shows it, its kind, its labels and its help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The name, `quantarya_…`; a counter's ends in `_total`, a histogram's in `_seconds`.
    pub name: &'static str,
    /// What it counts.
    pub kind: MetricKind,
    /// The labels of its series.
    pub labels: &'static [&'static str],
    /// Its `# HELP` text.
    pub help: &'static str,
}

/// Declares each metric as a constant and [`METRICS`] as the list of them all, from one table.
macro_rules! metrics_table {
    ($($(#[$doc:meta])* $constant:ident = $kind:ident $name:literal [$($label:literal),*] $help:literal;)*) => {
        $(
            $(#[$doc])*
            pub const $constant: Metric =
                Metric { name: $name, kind: MetricKind::$kind, labels: &[$($label),*], help: $help };
        )*
        /// Every metric the service records.
        pub const METRICS: &[Metric] = &[$($constant),*];
    };
}

metrics_table! {
    /// Requests answered, by route template, method and status class.
    HTTP_REQUESTS = Counter "quantarya_http_requests_total" ["route", "method", "status"]
        "HTTP requests answered, by route template, method and status class";
    /// How long requests took, from the head parsed to the answer's head ready, by route template, method and status
    /// class.
    HTTP_REQUEST_DURATION = Histogram "quantarya_http_request_duration_seconds" ["route", "method", "status"]
        "Time from a request's head to its answer's head (a streamed body, an export, goes on after), by route template, method and status class";
    /// Signals applied (a repeat included).
    SIGNALS_ACCEPTED = Counter "quantarya_signals_accepted_total" []
        "Signals accepted (2xx), repeats included";
    /// Signals refused, by the error code they were answered with.
    SIGNALS_REFUSED = Counter "quantarya_signals_refused_total" ["code"]
        "Signals refused, by error code";
    /// Signals answered from a receipt: a repeat of one already applied.
    SIGNAL_REPEATS = Counter "quantarya_signal_repeats_total" []
        "Signals answered as repeats of one already applied (nothing changed)";
    /// Requests refused for being over a budget, by the budget (`key`, `user`, `address`).
    RATE_LIMIT_REFUSALS = Counter "quantarya_rate_limit_refusals_total" ["budget"]
        "Requests refused with 429, by the budget that was spent";
    /// Storage connections busy now.
    DB_CONNECTIONS_IN_USE = Gauge "quantarya_db_connections_in_use" []
        "Storage connections running a statement or held by a request";
    /// Requests waiting for a storage connection now (on SQLite, writes queued behind the writer).
    DB_CONNECTIONS_WAITING = Gauge "quantarya_db_connections_waiting" []
        "Requests waiting for a storage connection (on SQLite: writes queued behind the one writer)";
    /// The most storage connections there may be.
    DB_CONNECTIONS_MAX = Gauge "quantarya_db_connections_max" []
        "The most storage connections the pool may hold";
    /// How long statements took, by outcome (`ok`, `error`).
    DB_STATEMENT_DURATION = Histogram "quantarya_db_statement_duration_seconds" ["outcome"]
        "Time each storage statement took, by outcome";
    /// Webhook deliveries still to be sent now.
    WEBHOOK_DELIVERIES_PENDING = Gauge "quantarya_webhook_deliveries_pending" []
        "Webhook deliveries not delivered yet and still to be attempted";
    /// Webhook deliveries given up after an attempt: the schedule spent, or the endpoint gone (410).
    WEBHOOK_DELIVERIES_FAILED = Counter "quantarya_webhook_deliveries_failed_total" []
        "Webhook deliveries this instance gave up after an attempt (retries spent, or a 410; the other pending deliveries a 410 fails with it are not counted)";
    /// API keys found in the cache of verified keys.
    KEY_CACHE_HITS = Counter "quantarya_key_cache_hits_total" []
        "API keys verified from the cache";
    /// API keys read from storage.
    KEY_CACHE_MISSES = Counter "quantarya_key_cache_misses_total" []
        "API keys read from storage (not in the cache, or the cache not trusted)";
    /// Keys taken out of the cache: a revocation, a notification, a lost notification channel.
    KEY_CACHE_INVALIDATIONS = Counter "quantarya_key_cache_invalidations_total" []
        "Keys taken out of the cache (revoked, changed, or every key when notifications may have been lost)";
}

/// Gives every metric its help text, and every counter without labels its zero (so that a scrape shows 0, not
/// nothing, before the first event); call it once, after a recorder is installed.
pub fn describe() {
    for metric in METRICS {
        match metric.kind {
            MetricKind::Counter => {
                metrics::describe_counter!(metric.name, metric.help);
                if metric.labels.is_empty() {
                    metrics::counter!(metric.name).increment(0);
                }
            }
            MetricKind::Gauge => metrics::describe_gauge!(metric.name, metric.help),
            MetricKind::Histogram => metrics::describe_histogram!(metric.name, metric.help),
        }
    }
}

// The hot records (every request, every signal, every statement) go through handles registered once, on first
// use: an atomic add, not a key built, hashed and looked up in the recorder's map each time. So the recorder must
// be installed before the first record, as `serve` does; a process that installs none keeps no-op handles.

/// The counter `metric` (without labels), registered on first use in `cell`.
fn counter(cell: &'static OnceLock<Counter>, metric: Metric) -> &'static Counter {
    cell.get_or_init(|| metrics::counter!(metric.name))
}

/// The methods the request metrics name; anything else is `other` (a label's values must stay a small set,
/// whatever a client sends).
pub const METHODS: [&str; 10] =
    ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE", "other"];

/// The status classes the request metrics name.
const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// A status's class as the request metrics label it: `2xx`, `4xx`, …
///
/// ```
/// assert_eq!(quantarya_ports::metrics::status_class(429), "4xx");
/// ```
pub fn status_class(status: u16) -> &'static str {
    STATUS_CLASSES[class_index(status)]
}

/// A method's name as the metrics and spans name it: one of [`METHODS`], `other` for any a client made up.
///
/// ```
/// use quantarya_ports::metrics::method_label;
///
/// assert_eq!((method_label("POST"), method_label("BREW")), ("POST", "other"));
/// ```
pub fn method_label(method: &str) -> &'static str {
    METHODS[method_index(method)]
}

fn method_index(method: &str) -> usize {
    let other = METHODS.len() - 1;
    METHODS[..other].iter().position(|known| *known == method).unwrap_or(other)
}

fn class_index(status: u16) -> usize {
    usize::from(status.clamp(100, 599) / 100 - 1)
}

/// The request metrics of one route template: a counter and a duration histogram per method and status class,
/// each registered on its first request.
///
/// ```
/// use std::time::Duration;
/// use quantarya_ports::metrics::RouteMeters;
///
/// let trades = RouteMeters::new("/strategies/{strategy_id}/trades");
/// trades.answered("POST", 201, Duration::from_micros(250)); // kept nowhere: no recorder is installed here
/// ```
pub struct RouteMeters {
    route: &'static str,
    series: [OnceLock<(Counter, Histogram)>; METHODS.len() * STATUS_CLASSES.len()],
}

impl std::fmt::Debug for RouteMeters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteMeters").field("route", &self.route).finish_non_exhaustive()
    }
}

impl RouteMeters {
    /// The meters of the route template `route` (never a path as asked for).
    pub fn new(route: &'static str) -> Self {
        Self { route, series: std::array::from_fn(|_| OnceLock::new()) }
    }

    /// The route template it measures.
    pub fn route(&self) -> &'static str {
        self.route
    }

    /// Records a request answered with `method` (its name), its `status`, and how long it took.
    pub fn answered(&self, method: &str, status: u16, elapsed: Duration) {
        let method = method_index(method);
        let class = class_index(status);
        let (count, time) = self.series[method * STATUS_CLASSES.len() + class].get_or_init(|| {
            let labels = [("route", self.route), ("method", METHODS[method]), ("status", STATUS_CLASSES[class])];
            (metrics::counter!(HTTP_REQUESTS.name, &labels), metrics::histogram!(HTTP_REQUEST_DURATION.name, &labels))
        });
        count.increment(1);
        time.record(elapsed);
    }
}

/// Times a connection's statements into [`DB_STATEMENT_DURATION`]: a store's connection calls
/// [`StatementClock::started`] as a statement starts and [`StatementClock::finished`] as it ends (diesel's
/// instrumentation events, say). Statements pipelined on one connection (started before the one before them
/// finished) finish in the order they started, so each is timed from its own start.
///
/// ```
/// use quantarya_ports::metrics::StatementClock;
///
/// let mut clock = StatementClock::default();
/// clock.started();
/// clock.started(); // pipelined behind the first
/// clock.finished(false); // the first, recorded (nowhere, with no recorder installed)
/// clock.finished(false); // the second
/// assert_eq!(clock.running(), 0);
/// clock.finished(false); // none started: nothing recorded
/// ```
#[derive(Debug, Default)]
pub struct StatementClock(VecDeque<Instant>);

impl StatementClock {
    /// A statement starts.
    pub fn started(&mut self) {
        self.0.push_back(Instant::now());
    }

    /// The oldest statement still running ends, `failed` or not.
    pub fn finished(&mut self, failed: bool) {
        static OUTCOMES: [OnceLock<Histogram>; 2] = [OnceLock::new(), OnceLock::new()];
        if let Some(started) = self.0.pop_front() {
            let outcome = usize::from(failed);
            let histogram = OUTCOMES[outcome]
                .get_or_init(|| metrics::histogram!(DB_STATEMENT_DURATION.name, "outcome" => ["ok", "error"][outcome]));
            histogram.record(started.elapsed());
        }
    }

    /// How many statements have started and not finished.
    pub fn running(&self) -> usize {
        self.0.len()
    }
}

/// Records a signal accepted, a repeat of one already applied or not.
pub fn signal_accepted(repeat: bool) {
    static ACCEPTED: OnceLock<Counter> = OnceLock::new();
    static REPEATS: OnceLock<Counter> = OnceLock::new();
    counter(&ACCEPTED, SIGNALS_ACCEPTED).increment(1);
    if repeat {
        counter(&REPEATS, SIGNAL_REPEATS).increment(1);
    }
}

/// Records a signal refused with the error code `code`.
pub fn signal_refused(code: &'static str) {
    metrics::counter!(SIGNALS_REFUSED.name, "code" => code).increment(1);
}

/// Records a request refused for being over the budget `budget` (`key`, `user`, `address`).
pub fn rate_limited(budget: &'static str) {
    metrics::counter!(RATE_LIMIT_REFUSALS.name, "budget" => budget).increment(1);
}

/// Records a webhook delivery given up (its retries spent, or its endpoint gone).
pub fn delivery_failed() {
    static FAILED: OnceLock<Counter> = OnceLock::new();
    counter(&FAILED, WEBHOOK_DELIVERIES_FAILED).increment(1);
}

/// Records an API key found in the cache of verified keys (`hit`) or read from storage.
pub fn key_cache_lookup(hit: bool) {
    static HITS: OnceLock<Counter> = OnceLock::new();
    static MISSES: OnceLock<Counter> = OnceLock::new();
    if hit { counter(&HITS, KEY_CACHE_HITS) } else { counter(&MISSES, KEY_CACHE_MISSES) }.increment(1);
}

/// Records `n` keys taken out of the cache of verified keys.
pub fn key_cache_invalidated(n: u64) {
    static INVALIDATIONS: OnceLock<Counter> = OnceLock::new();
    counter(&INVALIDATIONS, KEY_CACHE_INVALIDATIONS).increment(n);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_class() {
        let classes: Vec<&str> = [0, 100, 204, 302, 404, 429, 500, 599, 999].map(status_class).to_vec();
        assert_eq!(classes, ["1xx", "1xx", "2xx", "3xx", "4xx", "4xx", "5xx", "5xx", "5xx"]);
    }

    #[test]
    fn names_follow_prometheus_conventions_and_are_unique() {
        let mut names: Vec<_> = METRICS.iter().map(|m| m.name).collect();
        for metric in METRICS {
            assert!(metric.name.starts_with("quantarya_"), "{}", metric.name);
            match metric.kind {
                MetricKind::Counter => assert!(metric.name.ends_with("_total"), "{}", metric.name),
                MetricKind::Histogram => assert!(metric.name.ends_with("_seconds"), "{}", metric.name),
                MetricKind::Gauge => assert!(!metric.name.ends_with("_total"), "{}", metric.name),
            }
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), METRICS.len(), "a name used twice");
    }
}
