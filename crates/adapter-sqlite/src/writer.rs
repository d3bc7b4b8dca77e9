//! The one connection that writes, on a thread of its own: every write of the store is a job sent to it, run in
//! arrival order, its answer sent back. SQLite takes one writer at a time in any case; a thread that owns the
//! connection takes each job as it comes, where an async mutex around a connection whose every statement hops to
//! a blocking thread held the file's write lock across two wake-ups and a scheduler's delay per write
//! (`bench/sqlite`: 1 461 entries/s that way, about 2 200 this way; `docs/decisions.md`).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};

use diesel::QueryResult;
use diesel::sqlite::SqliteConnection;
use quantarya_ports::StoreError;
use tokio::sync::oneshot;

use crate::error::query;

/// How many writes wait at most before a sender waits for room (off the async threads).
const QUEUE: usize = 1_024;

/// A write: runs on the writer's connection and sends its own answer; given none (the writer lost its connection
/// and cannot make one), it answers `Unavailable`.
type Job = Box<dyn FnOnce(Option<&mut SqliteConnection>) + Send>;

/// Makes a connection with the store's settings.
pub(crate) type Connect = Box<dyn Fn() -> Result<SqliteConnection, StoreError> + Send>;

/// The sending half: cheap to clone; the thread ends, after running what is queued, when the last one is dropped.
#[derive(Clone)]
pub(crate) struct Writer {
    queue: SyncSender<Job>,
    /// Writes queued or running: each job holds a [`Queued`] until it has run (or is dropped unrun).
    queued: Arc<AtomicUsize>,
}

/// One write counted in [`Writer::queued`] for as long as it lives.
struct Queued(Arc<AtomicUsize>);

impl Queued {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(count))
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

fn gone() -> StoreError {
    StoreError::Unavailable("the SQLite writer has stopped".into())
}

/// The job that runs `write` and sends its answer on `answer`, counted in `queued` until it has run.
fn job<T: Send + 'static>(
    queued: &Arc<AtomicUsize>,
    write: impl FnOnce(&mut SqliteConnection) -> QueryResult<T> + Send + 'static,
    answer: impl FnOnce(Result<T, StoreError>) + Send + 'static,
) -> Job {
    let counted = Queued::new(queued);
    Box::new(move |connection| {
        let _counted = counted;
        answer(match connection {
            Some(connection) => write(connection).map_err(query),
            None => Err(StoreError::Unavailable("the SQLite file cannot be opened for writing".into())),
        });
    })
}

/// A write that panicked: its answer was dropped, and the transaction it had open rolled back with its connection.
fn panicked() -> StoreError {
    StoreError::Corrupt("a SQLite write failed halfway".to_owned())
}

impl Writer {
    /// Starts the writer on a thread of its own, writing through `connection`; `connect` makes it a new one should a
    /// write panic halfway (its transaction is rolled back with the connection it leaves).
    pub(crate) fn start(connection: SqliteConnection, connect: Connect) -> Result<Self, StoreError> {
        let (queue, received) = mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || run(connection, &connect, &received))
            .map_err(crate::error::connection)?;
        Ok(Self { queue, queued: Arc::default() })
    }

    /// How many writes are queued or running now.
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Runs `write` on the writer's connection once the writes queued before it have run; its answer, or the
    /// database's error in the ports' vocabulary.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&mut SqliteConnection) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = oneshot::channel();
        let job = job(&self.queued, write, move |answered| {
            let _ = answer.send(answered);
        });
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job)) => {
                let queue = self.queue.clone();
                tokio::task::spawn_blocking(move || queue.send(job))
                    .await
                    .map_err(crate::error::connection)?
                    .map_err(|_| gone())?;
            }
            Err(TrySendError::Disconnected(_)) => return Err(gone()),
        }
        answered.await.map_err(|_| panicked())?
    }
}

impl Writer {
    /// [`Writer::write`] for a thread outside the runtime (the signal log's): waits for room and for the answer.
    pub(crate) fn write_blocking<T: Send + 'static>(
        &self,
        write: impl FnOnce(&mut SqliteConnection) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = mpsc::sync_channel(1);
        let job = job(&self.queued, write, move |answered| {
            let _ = answer.send(answered);
        });
        self.queue.send(job).map_err(|_| gone())?;
        answered.recv().map_err(|_| panicked())?
    }
}

/// Runs jobs until every sender is gone. A job that panics leaves its connection behind (it may be inside a
/// transaction diesel no longer tracks; closing it rolls that back): the next job gets a new one, or, while none can
/// be made, answers `Unavailable`.
fn run(connection: SqliteConnection, connect: &Connect, received: &Receiver<Job>) {
    let mut connection = Some(connection);
    while let Ok(job) = received.recv() {
        if connection.is_none() {
            connection = connect()
                .inspect_err(|error| tracing::error!(%error, "the SQLite writer cannot open its connection"))
                .ok();
        }
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(connection.as_mut()))).is_err() {
            tracing::error!("a SQLite write panicked; its connection is replaced");
            connection = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::Connection as _;
    use diesel::connection::SimpleConnection as _;

    use super::*;

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    fn count(c: &mut SqliteConnection) -> QueryResult<i64> {
        diesel::RunQueryDsl::get_result::<Count>(diesel::sql_query("SELECT count(*) AS n FROM t"), c).map(|c| c.n)
    }

    #[tokio::test]
    async fn a_write_that_panics_inside_its_transaction_is_rolled_back_and_the_writer_goes_on() {
        let directory = tempfile::tempdir().expect("a directory");
        let url = directory.path().join("w.db").to_string_lossy().into_owned();
        let connect = move || SqliteConnection::establish(&url).map_err(crate::error::connection);
        let writer = Writer::start(connect().expect("a connection"), Box::new(connect)).expect("started");
        writer.write(|c| c.batch_execute("CREATE TABLE t (n INTEGER)")).await.expect("made");
        for n in 0..3 {
            writer.write(move |c| c.batch_execute(&format!("INSERT INTO t VALUES ({n})"))).await.expect("written");
        }
        let panicked = writer
            .write(|c| {
                c.immediate_transaction(|c| -> QueryResult<()> {
                    c.batch_execute("INSERT INTO t VALUES (99)")?;
                    panic!("a bug halfway through a write")
                })
            })
            .await;
        assert!(matches!(panicked, Err(StoreError::Corrupt(_))), "{panicked:?}");
        assert_eq!(writer.write(count).await.expect("counted on a new connection"), 3, "the half-write is gone");
        writer.write(|c| c.batch_execute("INSERT INTO t VALUES (4)")).await.expect("the writer still writes");
        assert_eq!(writer.write(count).await.expect("counted"), 4);
    }

    #[tokio::test]
    async fn a_writer_without_a_connection_answers_unavailable() {
        let unopenable = || SqliteConnection::establish("/nonexistent/dir/w.db").map_err(crate::error::connection);
        let first = SqliteConnection::establish(":memory:").expect("a connection");
        let writer = Writer::start(first, Box::new(unopenable)).expect("started");
        let panicked = writer.write(|_| -> QueryResult<()> { panic!("a bug") }).await;
        assert!(matches!(panicked, Err(StoreError::Corrupt(_))), "{panicked:?}");
        let refused = writer.write(|c| c.batch_execute("SELECT 1")).await;
        assert!(matches!(refused, Err(StoreError::Unavailable(_))), "{refused:?}");
    }
}
