//! Embedded migrations, applied under an advisory lock so that instances starting together take turns.

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The schema, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The advisory lock key that serialises migrations across instances (`quantary` in ASCII).
const MIGRATION_LOCK: i64 = 0x7175_616e_7461_7279;

/// Why migrations could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The database could not be reached.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// A migration failed; nothing of it was applied.
    #[error("a migration failed: {0}")]
    Migration(String),
}

/// Applies every pending migration to `database_url` and returns the versions applied. Several instances may
/// call it at once: they wait for each other on an advisory lock, and the later ones find nothing to do.
pub async fn migrate(database_url: &str) -> Result<Vec<String>, MigrationError> {
    let url = database_url.to_owned();
    let (send, receive) = tokio::sync::oneshot::channel();
    // Diesel's migration harness is synchronous. It runs on a thread of its own, outside any async runtime, where
    // the connection wrapper drives its own: blocking inside the caller's runtime (actix's is single-threaded)
    // would stall or panic.
    std::thread::spawn(move || {
        let _ = send.send(migrate_blocking(&url));
    });
    receive.await.map_err(|_| MigrationError::Migration("the migration thread stopped".to_owned()))?
}

fn migrate_blocking(url: &str) -> Result<Vec<String>, MigrationError> {
    // The wrapper drives its connection on the runtime it finds; give it one with timers and I/O (a URL's
    // `connect_timeout` needs the timer) whose worker thread keeps driving it between the harness's calls.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| MigrationError::Connect(format!("cannot start a runtime: {e}")))?;
    let _entered = runtime.enter();
    let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(url)
        .map_err(|e| MigrationError::Connect(e.to_string()))?;
    conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .map_err(|e| MigrationError::Connect(e.to_string()))?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|e| MigrationError::Migration(e.to_string()));
    let unlocked = conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
    let applied = applied?;
    unlocked.map_err(|e| MigrationError::Migration(e.to_string()))?;
    Ok(applied)
}
