//! The one connection that writes, on a thread of its own: every write of the store is a job sent to it, run in
//! arrival order, its answer sent back. SQLite takes one writer at a time in any case; a thread that owns the
//! connection takes each job as it comes, where an async mutex around a connection whose every statement hops to
//! a blocking thread held the file's write lock across two wake-ups and a scheduler's delay per write
//! (`bench/sqlite`: 1 461 entries/s that way, about 2 200 this way; `docs/decisions.md`).

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};

use diesel::QueryResult;
use diesel::sqlite::SqliteConnection;
use quantarya_ports::StoreError;
use tokio::sync::oneshot;

use crate::error::query;

/// How many writes wait at most before a sender waits for room (off the async threads).
const QUEUE: usize = 1_024;

/// A write: runs on the writer's connection and sends its own answer.
type Job = Box<dyn FnOnce(&mut SqliteConnection) + Send>;

/// Makes a connection with the store's settings.
pub(crate) type Connect = Box<dyn Fn() -> Result<SqliteConnection, StoreError> + Send>;

/// The sending half: cheap to clone; the thread ends, after running what is queued, when the last one is dropped.
#[derive(Clone)]
pub(crate) struct Writer {
    queue: SyncSender<Job>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

fn gone() -> StoreError {
    StoreError::Unavailable("the SQLite writer has stopped".into())
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
        Ok(Self { queue })
    }

    /// Runs `write` on the writer's connection once the writes queued before it have run; its answer, or the
    /// database's error in the ports' vocabulary.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&mut SqliteConnection) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |connection| {
            let _ = answer.send(write(connection));
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
        // A dropped answer is a write that panicked: nothing of it was committed.
        answered.await.map_err(|_| StoreError::Corrupt("a SQLite write failed halfway".to_owned()))?.map_err(query)
    }
}

impl Writer {
    /// [`Writer::write`] for a thread outside the runtime (the signal log's): waits for room and for the answer.
    pub(crate) fn write_blocking<T: Send + 'static>(
        &self,
        write: impl FnOnce(&mut SqliteConnection) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |connection| {
            let _ = answer.send(write(connection));
        });
        self.queue.send(job).map_err(|_| gone())?;
        answered.recv().map_err(|_| StoreError::Corrupt("a SQLite write failed halfway".to_owned()))?.map_err(query)
    }
}

/// Runs jobs until every sender is gone.
fn run(mut connection: SqliteConnection, connect: &Connect, received: &Receiver<Job>) {
    while let Ok(job) = received.recv() {
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut connection))).is_err() {
            // The connection may be inside a transaction diesel no longer tracks: a new one replaces it (closing
            // the old one rolls its transaction back).
            tracing::error!("a SQLite write panicked; its connection is replaced");
            match connect() {
                Ok(fresh) => connection = fresh,
                Err(error) => {
                    tracing::error!(%error, "the SQLite writer cannot reconnect; writes are refused");
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::Connection as _;
    use diesel::connection::SimpleConnection as _;

    use super::*;

    fn memory() -> Result<SqliteConnection, StoreError> {
        SqliteConnection::establish(":memory:").map_err(crate::error::connection)
    }

    #[tokio::test]
    async fn a_panicking_write_fails_alone_and_the_writer_goes_on() {
        let writer = Writer::start(memory().expect("a connection"), Box::new(memory)).expect("started");
        writer.write(|c| c.batch_execute("CREATE TABLE t (n INTEGER)")).await.expect("made");
        let writes: Vec<_> =
            (0..3).map(|n| writer.write(move |c| c.batch_execute(&format!("INSERT INTO t VALUES ({n})")))).collect();
        for write in writes {
            write.await.expect("written");
        }
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let count = |c: &mut SqliteConnection| {
            diesel::RunQueryDsl::get_result::<Count>(diesel::sql_query("SELECT count(*) AS n FROM t"), c)
        };
        assert_eq!(writer.write(count).await.expect("counted").n, 3);
        let panicked = writer.write(|_| -> QueryResult<()> { panic!("a bug in a write") }).await;
        assert!(matches!(panicked, Err(StoreError::Corrupt(_))), "{panicked:?}");
        // The writer goes on, on a new connection (this one in memory: the table went with the old one).
        writer.write(|c| c.batch_execute("CREATE TABLE t (n INTEGER)")).await.expect("the writer still writes");
    }
}
