//! The metrics endpoint: `GET /metrics` in the Prometheus text format, on an address of its own
//! (`QUANTARYA_METRICS_BIND`), never on the public port, and not at all unless asked for. The names, kinds and help
//! texts are the ports' table (`quantarya_ports::metrics::METRICS`); the adapters record through the `metrics`
//! facade and `metrics-exporter-prometheus` keeps and renders them. The levels (storage connections, pending
//! webhook deliveries) are read when scraped.

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use quantarya_ports::delivery::WebhookDeliverer;
use quantarya_ports::metrics::{
    DB_CONNECTIONS_IN_USE, DB_CONNECTIONS_MAX, DB_CONNECTIONS_WAITING, WEBHOOK_DELIVERIES_PENDING,
};
use quantarya_ports::outbound::StorageHealth;

/// The buckets of every duration histogram, in seconds: from half a millisecond (a signal in memory) to ten
/// seconds (a request's whole budget).
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How often the histograms' recent samples are folded into their buckets between scrapes (keeps memory flat).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The media type of the Prometheus text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Installs the process's metrics recorder: from here on what the adapters record is kept. Call it once, before
/// the service is built.
///
/// # Errors
///
/// When a recorder is installed already.
pub fn install() -> Result<PrometheusHandle, String> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS)
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|e| format!("cannot record metrics: {e}"))?;
    quantarya_ports::metrics::describe();
    Ok(handle)
}

/// Binds the metrics address `metrics`, refusing the public server's port (`public`): metrics are for the
/// operator's scraper, not for the clients of the API.
///
/// # Errors
///
/// When `metrics` names the public port or cannot be bound.
pub fn bind(metrics: &str, public: SocketAddr) -> Result<TcpListener, String> {
    let addresses: Vec<SocketAddr> = metrics
        .to_socket_addrs()
        .map_err(|e| format!("QUANTARYA_METRICS_BIND {metrics} is not an address: {e}"))?
        .collect();
    if addresses.iter().any(|address| address.port() == public.port()) {
        return Err(format!(
            "QUANTARYA_METRICS_BIND {metrics} is the public port: metrics are served on a port of their own"
        ));
    }
    TcpListener::bind(addresses.as_slice()).map_err(|e| format!("cannot serve metrics on {metrics}: {e}"))
}

/// What a scrape reads besides the recorded metrics.
#[derive(Clone)]
pub struct Levels {
    /// The store, for its connections.
    pub health: Arc<dyn StorageHealth>,
    /// The outbox, for its pending deliveries.
    pub deliverer: WebhookDeliverer,
}

impl std::fmt::Debug for Levels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Levels").finish_non_exhaustive()
    }
}

impl Levels {
    /// Sets the level gauges to what they are now. A store that does not answer leaves its gauges as they were
    /// (the scrape still answers, with everything else).
    async fn read(&self) {
        if let Some(pool) = self.health.pool_use() {
            metrics::gauge!(DB_CONNECTIONS_MAX.name).set(pool.max as f64);
            metrics::gauge!(DB_CONNECTIONS_IN_USE.name).set(pool.in_use as f64);
            metrics::gauge!(DB_CONNECTIONS_WAITING.name).set(pool.waiting as f64);
        }
        match self.deliverer.pending().await {
            Ok(pending) => metrics::gauge!(WEBHOOK_DELIVERIES_PENDING.name).set(pending as f64),
            Err(error) => tracing::warn!(%error, "metrics: could not count pending webhook deliveries"),
        }
    }
}

/// What the metrics server's one route shares.
#[derive(Debug)]
struct Scrape {
    handle: PrometheusHandle,
    levels: Levels,
}

/// `GET /metrics`: the levels read now, and every metric recorded so far.
async fn scrape(scrape: web::Data<Scrape>) -> HttpResponse {
    scrape.levels.read().await;
    HttpResponse::Ok().content_type(TEXT_FORMAT).body(scrape.handle.render())
}

/// The metrics server on `listener`: `GET /metrics`, one worker, 404 for anything else. It handles no signal;
/// stop it with its handle. Keeps the histograms' upkeep running while it runs.
///
/// # Errors
///
/// When the server cannot start on `listener`.
pub fn server(listener: TcpListener, handle: PrometheusHandle, levels: Levels) -> std::io::Result<Server> {
    let upkeep = handle.clone();
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let shared = web::Data::new(Scrape { handle, levels });
    Ok(HttpServer::new(move || App::new().app_data(shared.clone()).route("/metrics", web::get().to(scrape)))
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
}
