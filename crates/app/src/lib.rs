//! The `quantarya` binary's library half: configuration, wiring the adapters into a service, and the server.
//! `main.rs` only parses the command line and calls in here, so tests start exactly what users start.

#![warn(missing_docs)]

pub mod config;
pub mod copy;
pub mod healthcheck;
pub mod logs;
pub mod memory;
pub mod metrics;
pub mod secret;
pub mod settings;
pub mod storage;
pub mod traces;
pub mod ttl;
pub mod webhooks;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::HttpServer;
use actix_web::dev::{Server, ServerHandle};
use quantarya_adapter_http::dto::webhook::TradeJson;
use quantarya_adapter_http::rate_limit::RateLimitSettings;
use quantarya_adapter_http::{AppState, InFlight, JwtConfig, JwtVerifier, app};
use quantarya_adapter_memory::MemoryStore;
use quantarya_adapter_postgres::{PgStore, PoolSettings};
use quantarya_adapter_sqlite::SqliteStore;
use quantarya_adapter_webhooks::{Endpoints, HttpSender};
use quantarya_ports::delivery::{DeliverySettings, WebhookDeliverer};
use quantarya_ports::outbound::{RandomIds, StorageHealth, SystemClock};
use quantarya_ports::{EveryStore, Journal, JournalService, Ports, Stores};

/// How long the server waits for in-flight requests after SIGTERM or Ctrl-C.
pub const SHUTDOWN_GRACE_SECONDS: u64 = 30;

/// What `serve` runs: the journal the HTTP server answers with, and the deliverer of its webhooks.
#[derive(Clone)]
pub struct Service {
    /// The use cases.
    pub journal: Arc<dyn Journal>,
    /// The outbox's deliverer, over the same store.
    pub deliverer: WebhookDeliverer,
    /// Whether the store answers, and how its connections are used.
    pub health: Arc<dyn StorageHealth>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("deliverer", &self.deliverer).finish_non_exhaustive()
    }
}

/// How webhooks are delivered.
#[derive(Debug, Clone, Default)]
pub struct WebhookSettings {
    /// Which endpoints may receive deliveries.
    pub endpoints: Endpoints,
    /// Retries, claims and batches.
    pub delivery: DeliverySettings,
}

/// The service over `store`, verifying user JWTs with `jwt`.
pub fn service_over<S: EveryStore>(
    store: Arc<S>,
    jwt: &JwtConfig,
    webhooks: &WebhookSettings,
) -> Result<Service, String> {
    let tokens = Arc::new(JwtVerifier::new(jwt).map_err(|e| e.to_string())?);
    let sender = HttpSender::new(webhooks.endpoints).map_err(|e| e.to_string())?;
    let stores = Stores::of(store);
    let health = stores.health.clone();
    let clock = Arc::new(SystemClock);
    let deliverer = WebhookDeliverer::new(
        stores.webhooks.clone(),
        Arc::new(sender),
        Arc::new(TradeJson),
        clock.clone(),
        webhooks.delivery.clone(),
    );
    let journal = Arc::new(JournalService::new(Ports {
        stores,
        tokens,
        clock,
        ids: Arc::new(RandomIds),
        endpoints: Arc::new(webhooks.endpoints),
    }));
    Ok(Service { journal, deliverer, health })
}

/// The service over a fresh in-memory store.
pub fn memory_service(jwt: &JwtConfig, webhooks: &WebhookSettings) -> Result<Service, String> {
    service_over(Arc::new(MemoryStore::new()), jwt, webhooks)
}

/// `error` and its causes, outermost first, separated by `: `.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// The service over the SQLite file at `path` (made if missing, with its migrations applied).
pub async fn sqlite_service(
    path: &std::path::Path,
    jwt: &JwtConfig,
    webhooks: &WebhookSettings,
) -> Result<Service, String> {
    let path = path.to_path_buf();
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot open the SQLite store: {}", with_causes(&e)))?;
    service_over(Arc::new(store), jwt, webhooks)
}

/// The service over PostgreSQL at `database_url`, after applying pending migrations (under an advisory lock, so
/// instances starting together are safe), with `pool_size` connections at most (else the default).
pub async fn postgres_service(
    database_url: &str,
    jwt: &JwtConfig,
    pool_size: Option<usize>,
    webhooks: &WebhookSettings,
) -> Result<Service, String> {
    let applied = quantarya_adapter_postgres::migrate(database_url).await.map_err(|e| e.to_string())?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied migrations");
    }
    let defaults = PoolSettings::default();
    let settings = PoolSettings { max_size: pool_size.unwrap_or(defaults.max_size), ..defaults };
    let store = PgStore::connect(database_url, settings).map_err(|e| e.to_string())?;
    service_over(Arc::new(store), jwt, webhooks)
}

/// The HTTP server over `journal` on `listener`. The state is built once, outside the worker factory, so every
/// worker shares one store. It handles no signal itself: [`ShutdownSignals`] stops it gracefully on SIGTERM and
/// Ctrl-C (SIGINT).
pub fn server(
    listener: TcpListener,
    journal: Arc<dyn Journal>,
    workers: Option<usize>,
    limits: &RateLimitSettings,
) -> std::io::Result<(Server, InFlight)> {
    let state = AppState::new(journal, quantarya_adapter_http::openapi_json(), limits);
    let in_flight = state.in_flight.clone();
    let mut server = HttpServer::new(move || app(state.clone()))
        .on_connect(quantarya_adapter_http::protocol_hygiene::on_connect)
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE_SECONDS)
        .listen(listener)?;
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok((server.run(), in_flight))
}

/// SIGTERM and Ctrl-C (SIGINT) handlers, installed before the server starts so that no signal finds the default
/// action (an abrupt exit) in place.
#[derive(Debug)]
pub struct ShutdownSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    /// Installs the handlers; must run inside the runtime.
    pub fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self { interrupt: signal(SignalKind::interrupt())?, terminate: signal(SignalKind::terminate())? })
    }

    /// Waits for either signal, then stops the server gracefully: it stops accepting connections, waits until no
    /// request is in flight (for up to [`SHUTDOWN_GRACE_SECONDS`]), then stops, and the server future resolves.
    /// (actix's own handling stops at once on SIGINT, and its graceful stop was seen to drop a request whose body
    /// was still arriving; counting requests ourselves makes the drain certain.)
    pub async fn stop_gracefully(mut self, handle: ServerHandle, in_flight: InFlight) {
        tokio::select! {
            _ = self.interrupt.recv() => tracing::info!("Ctrl-C: draining in-flight requests"),
            _ = self.terminate.recv() => tracing::info!("SIGTERM: draining in-flight requests"),
        }
        handle.pause().await;
        if in_flight.drained(std::time::Duration::from_secs(SHUTDOWN_GRACE_SECONDS)).await {
            handle.stop(true).await;
        } else {
            // The grace period is spent: stop now rather than wait another shutdown timeout.
            tracing::warn!(requests = in_flight.count(), "requests still in flight after the grace period");
            handle.stop(false).await;
        }
    }
}
