//! Quantarya's embedded store: the store ports on one SQLite file, through diesel (libsqlite3 bundled, so a fresh
//! machine needs nothing installed) and diesel-async's `SyncConnectionWrapper`.
//!
//! The file is opened in WAL mode with `synchronous=FULL` (an acknowledged write survives a process crash and a
//! power loss), `foreign_keys=ON` and a busy timeout, and its migrations (in this crate's `migrations/`) are applied
//! before the store answers. One connection writes, owned by a thread of its own that runs every write in turn (SQLite
//! allows one writer in any case), four read beside it, and every rule that must hold under concurrency is a
//! constraint or a transaction, as on PostgreSQL.
//!
//! [`SqliteStore`] is every store port, and the store `quantarya serve` keeps its journal in by default.
//!
//! ```no_run
//! # async fn run() -> Result<(), quantarya_ports::StoreError> {
//! use quantarya_adapter_sqlite::SqliteStore;
//! use quantarya_ports::outbound::StorageHealth;
//! let store = SqliteStore::open("quantarya.db")?;
//! store.ping().await?;
//! # Ok(()) }
//! ```

mod account_writes;
mod accounts;
mod copy;
mod copy_writes;
mod error;
mod import_writes;
mod imports;
mod rows;
mod schema;
mod signal_log;
mod signal_writer;
mod trade_rows;
mod trade_write;
mod trades;
mod webhook_rows;
mod webhook_writes;
mod webhooks;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::Connection as _;
use diesel::sqlite::SqliteConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use quantarya_ports::StoreError;
use tokio::sync::{Mutex, MutexGuard};

/// How many connections read.
const READERS: usize = 4;

/// The schema's migrations, applied when a file is opened.
const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// What every connection sets before its first statement: up to five seconds of waiting for a lock before a
/// statement fails as busy (a 503; first, so that the settings after it wait too, for a file another connection
/// holds), write-ahead logging (readers never wait for the writer), `synchronous=FULL` (each commit is on disk before
/// it is acknowledged, power loss included), and the foreign keys the schema declares (SQLite leaves them off by
/// default).
pub const PRAGMAS: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";

type Wrapped = SyncConnectionWrapper<SqliteConnection>;

/// The store on one SQLite file. Cloning it shares its connection.
#[derive(Clone)]
pub struct SqliteStore {
    /// The one connection that writes, on a thread of its own (SQLite takes one writer at a time).
    writer: writer::Writer,
    /// Connections that only read, taken in turn: in WAL mode they read while the writer writes, so a read never
    /// waits behind another request's commit.
    readers: Arc<[Mutex<Wrapped>]>,
    next_reader: Arc<AtomicUsize>,
    /// The signal log's queue and the thread that gathers it into batches for the writer.
    signals: signal_writer::SignalWriter,
    path: Arc<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates) the file at `path`, sets [`PRAGMAS`] and applies the pending migrations. It blocks while
    /// it does (a local file: call it at start, or from `spawn_blocking`).
    ///
    /// # Errors
    ///
    /// `Unavailable` when the file cannot be opened or created, or its migrations do not apply.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let url = path.to_str().ok_or_else(|| error::connection("its path is not UTF-8"))?.to_owned();
        let connect = move || -> Result<SqliteConnection, StoreError> {
            let mut connection = SqliteConnection::establish(&url).map_err(error::connection)?;
            diesel::connection::SimpleConnection::batch_execute(&mut connection, PRAGMAS).map_err(error::query)?;
            connection.set_instrumentation(statement_clock());
            Ok(connection)
        };
        let mut connection = connect()?;
        connection.run_pending_migrations(MIGRATIONS).map_err(error::connection)?;
        let readers = (0..READERS)
            .map(|_| {
                let mut reader = connect()?;
                diesel::connection::SimpleConnection::batch_execute(&mut reader, "PRAGMA query_only = ON;")
                    .map_err(error::query)?;
                Ok(Mutex::new(SyncConnectionWrapper::new(reader)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let writer = writer::Writer::start(connection, Box::new(connect))?;
        let signals = signal_writer::SignalWriter::start(writer.clone())?;
        tracing::info!(path = %path.display(), "SQLite store opened");
        Ok(Self { writer, readers: readers.into(), next_reader: Arc::default(), signals, path: Arc::new(path) })
    }

    /// The file this store keeps its data in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `write` on the writing connection after the writes queued before it.
    async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&mut SqliteConnection) -> diesel::QueryResult<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.writer.write(write).await
    }

    /// A reading connection (the next in turn), once no other statement is using it. A read sees every write
    /// committed before it began.
    async fn read(&self) -> MutexGuard<'_, Wrapped> {
        let at = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.readers[at].lock().await
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

#[cfg(test)]
mod tests {
    use diesel::QueryableByName;
    use diesel::sql_types::{BigInt, Text};
    use diesel_async::RunQueryDsl;
    use quantarya_domain::{Email, ProfileChange, Timestamp, User, UserId, UserName};
    use quantarya_ports::outbound::UserStore;

    use super::*;

    #[derive(QueryableByName)]
    struct Number {
        #[diesel(sql_type = BigInt)]
        value: i64,
    }

    #[derive(QueryableByName)]
    struct Word {
        #[diesel(sql_type = Text)]
        value: String,
    }

    /// The value of `pragma` on the store's writing connection (its column is named `column`).
    async fn number(store: &SqliteStore, pragma: &str, column: &str) -> i64 {
        let sql = format!("SELECT {column} AS value FROM pragma_{pragma}");
        let rows: Vec<Number> =
            store.write(move |c| diesel::RunQueryDsl::load(diesel::sql_query(sql), c)).await.expect("a pragma reads");
        rows.into_iter().next().map(|row| row.value).expect("one row")
    }

    fn someone() -> User {
        let at = Timestamp::from_unix_micros(1_800_000_000_123_456).expect("in range");
        let change =
            ProfileChange { user_name: Some(UserName::parse("someone").expect("valid")), ..Default::default() };
        let (id, email) = (UserId::parse("sqlite-user").expect("valid"), Email::parse("a@example.com").expect("valid"));
        User::create(id, email, change, at).expect("a profile")
    }

    #[tokio::test]
    async fn a_file_opens_with_its_pragmas_and_keeps_what_was_written_across_a_reopen() {
        let directory = tempfile::tempdir().expect("a directory");
        let file = directory.path().join("journal.db");
        let store = SqliteStore::open(&file).expect("opens");
        {
            let mut conn = store.read().await;
            let mode: Vec<Word> = diesel::sql_query("SELECT journal_mode AS value FROM pragma_journal_mode")
                .load(&mut *conn)
                .await
                .expect("reads");
            assert_eq!(mode.into_iter().next().map(|m| m.value).as_deref(), Some("wal"));
        }
        assert_eq!(number(&store, "foreign_keys", "foreign_keys").await, 1);
        assert_eq!(number(&store, "synchronous", "synchronous").await, 2, "FULL");
        assert_eq!(number(&store, "busy_timeout", "timeout").await, 5000);
        let user = someone();
        store.insert_user(&user).await.expect("written");
        drop(store);
        let reopened = SqliteStore::open(&file).expect("opens again: its migrations are applied already");
        assert_eq!(reopened.get_user(&user.id).await.expect("read"), Some(user));
        assert_eq!(reopened.path(), file.as_path());
    }

    #[tokio::test]
    async fn a_path_that_cannot_be_a_database_is_unavailable() {
        let directory = tempfile::tempdir().expect("a directory");
        let opened = SqliteStore::open(directory.path());
        assert!(matches!(opened, Err(StoreError::Unavailable(_))), "{opened:?}");
    }
}
