//! Quantarya's PostgreSQL store: every store port of `quantarya-ports` on diesel-async with a deadpool pool,
//! with exactly the semantics of the in-memory store (the conformance suite in `tests/` runs on both).
//!
//! The rules that must hold across instances live in the schema: foreign keys with cascading deletes, user names
//! unique regardless of case, unique key hashes, partial unique indexes for one open trade per strategy and
//! reference, a `version` checked on every trade update, `CHECK`s for statuses, prices and the lifecycle's
//! invariants. The signal path is short: a trade write with its history event is one statement, a signal's API
//! key is verified from an in-process cache that every instance keeps current with `LISTEN`/`NOTIFY`, and its
//! signal log entry is written by a batching writer off the request's path.
//!
//! ```no_run
//! use quantarya_adapter_postgres::{PgStore, PoolSettings, migrate};
//!
//! # async fn start() -> Result<(), Box<dyn std::error::Error>> {
//! let url = "postgres://postgres@127.0.0.1:5432/quantarya";
//! migrate(url).await?;
//! let store = PgStore::connect(url, PoolSettings::default())?;
//! # let _ = store;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod accounts;
mod changes_text;
mod closed_row;
mod copy;
mod copy_writes;
mod cursor;
mod error;
mod imports;
mod key_cache;
mod migrate;
mod pgbench;
mod receipts;
mod rows;
mod schema;
mod signal_log;
mod signal_writer;
mod subscribers;
mod trade_write;
mod trades;
mod webhook_rows;
mod webhooks;
mod write_statement;

use std::sync::Arc;
use std::time::Duration;

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use futures_util::FutureExt;
use quantarya_ports::StoreError;

pub use migrate::{MigrationError, migrate};
pub use pgbench::signal_insert_statement;

/// How the connection pool is sized and how long it waits.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_size: usize,
    /// How long a request waits for a connection (or for one to be made) before storage counts as unavailable.
    pub timeout: Duration,
}

impl Default for PoolSettings {
    /// Four times the core count, the best of `bench/run`'s sweep (on a 2-core machine, 8 connections served the
    /// most signals in six of seven sweeps, 10–25% more than 4; 16 did in the other, by 4%), waiting at most 5 s.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Self { max_size: 4 * cores, timeout: Duration::from_secs(5) }
    }
}

/// Why a store could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the PostgreSQL connection pool: {0}")]
pub struct ConnectError(String);

/// Every store port on PostgreSQL. Cheap to clone: clones share the pool and the cache of verified keys.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool<AsyncPgConnection>,
    keys: Arc<key_cache::KeyCache>,
    /// The task keeping `keys` current; it stops with the last clone.
    _listener: Arc<key_cache::Listener>,
    /// The runtime the store lives in, where writes off a request's path run.
    runtime: tokio::runtime::Handle,
    /// The queue of the signal log's writer, which writes in batches off the request's path.
    signals: signal_writer::SignalWriter,
    /// Owners this instance knows to have webhook subscriptions (which trade statement to run first).
    subscribers: Arc<subscribers::Subscribers>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PgStore").field("size", &status.size).field("max_size", &status.max_size).finish()
    }
}

impl PgStore {
    /// A store over a pool of connections to `database_url`. Connections are made on demand, so this does not
    /// fail when the database is down; requests then answer `Unavailable` until it is back.
    ///
    /// Call it inside the runtime that lives as long as the store (the process's main runtime): every
    /// connection's driver task runs there, so connections outlive the HTTP workers that happen to open them.
    pub fn connect(database_url: &str, settings: PoolSettings) -> Result<Self, ConnectError> {
        let mut config: tokio_postgres::Config =
            database_url.parse().map_err(|e: tokio_postgres::Error| ConnectError(e.to_string()))?;
        // A dead peer is noticed within seconds, not when TCP gives up; a stuck statement is cancelled.
        config
            .connect_timeout(settings.timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .tcp_user_timeout(settings.timeout * 3);
        let options = config.get_options().map_or(String::new(), |o| format!("{o} "));
        let timeout_ms = (settings.timeout * 3).as_millis();
        config.options(format!(
            "{options}-c statement_timeout={timeout_ms} -c idle_in_transaction_session_timeout={timeout_ms}"
        ));
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| ConnectError("PgStore::connect must be called inside a Tokio runtime".to_owned()))?;
        let (keys, listener) = key_cache::start(config.clone(), &runtime);
        let store_runtime = runtime.clone();
        let mut manager_config = ManagerConfig::default();
        // Broken connections are dropped (the driver task ended, or a transaction was left open); a healthy one is
        // handed out without a test query, which would cost a round trip per request.
        manager_config.recycling_method = RecyclingMethod::Fast;
        manager_config.custom_setup = Box::new(move |_url| {
            let (config, runtime) = (config.clone(), runtime.clone());
            async move {
                let spawned = runtime.spawn(async move {
                    let (client, connection) = config
                        .connect(tokio_postgres::NoTls)
                        .await
                        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                    let mut connection = AsyncPgConnection::try_from_client_and_connection(client, connection).await?;
                    diesel_async::AsyncConnection::set_instrumentation(&mut connection, statement_clock());
                    Ok(connection)
                });
                spawned.await.map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?
            }
            .boxed()
        });
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, manager_config);
        let pool = Pool::builder(manager)
            .max_size(settings.max_size)
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(settings.timeout))
            .create_timeout(Some(settings.timeout))
            .recycle_timeout(Some(settings.timeout))
            .build()
            .map_err(|e| ConnectError(e.to_string()))?;
        let signals = signal_writer::SignalWriter::start(pool.clone(), &store_runtime);
        let subscribers = Arc::new(subscribers::Subscribers::new());
        Ok(Self { pool, keys, _listener: Arc::new(listener), runtime: store_runtime, signals, subscribers })
    }

    /// Whether this store's cache of verified API keys is trusted now (its listening connection is up). Until it
    /// is, every key is read from the database.
    pub fn verifies_keys_from_cache(&self) -> bool {
        self.keys.is_listening()
    }

    /// One pooled connection for one request; an unreachable database is `Unavailable`.
    async fn conn(&self) -> Result<Object<AsyncPgConnection>, StoreError> {
        self.pool.get().await.map_err(error::pool)
    }
}

/// Times each statement of a connection into the statement latency metric.
fn statement_clock() -> impl diesel::connection::Instrumentation {
    let mut clock = quantarya_ports::metrics::StatementClock::default();
    move |event: diesel::connection::InstrumentationEvent<'_>| match event {
        diesel::connection::InstrumentationEvent::StartQuery { .. } => clock.started(),
        diesel::connection::InstrumentationEvent::FinishQuery { error, .. } => clock.finished(error.is_some()),
        _ => {}
    }
}
