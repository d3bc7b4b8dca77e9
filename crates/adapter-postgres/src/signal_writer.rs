//! The signal log's writer: entries are queued by the request that answered the signal and written by one task, in
//! batches of whatever queued while the last batch was written (one multi-row statement each), so that an accepted
//! signal pays no round trip for its log entry. A flush is queued behind the entries before it, and answered once
//! they are written: a clean stop flushes, and so does a read of the log (an instance reads what it logged).
//!
//! Log batches commit with `synchronous_commit` off: the commit returns before the WAL reaches the disk, which the
//! database does within a fraction of a second by itself. A crash of the database may lose the last moment of log
//! (never a trade); a stop of the service loses nothing, since the database outlives it.
//!
//! The writer also keeps the log bounded: a strategy's entries beyond its newest
//! [`SignalLogEntry::KEPT_PER_STRATEGY`] are purged once [`PURGE_AFTER`] more have been written to it (reads never
//! show more than the newest thousand), and entries past the week every [`SWEEP_EVERY`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::sql_types::{Array, Bool, Int8, Jsonb, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use quantarya_domain::{SignalLogEntry, Timestamp, UserId};
use quantarya_ports::StoreError;
use tokio::sync::{mpsc, oneshot};

use crate::error::{pool, query};

/// How many entries may wait for the writer; beyond, new ones are dropped (the database is down or far behind).
const QUEUE: usize = 16_384;
/// The most entries written by one statement.
const BATCH: usize = 512;
/// How many entries a strategy gains before its excess over the thousand kept is purged.
pub(crate) const PURGE_AFTER: usize = SignalLogEntry::KEPT_PER_STRATEGY / 2;
/// How often entries past the week, and every strategy's excess, are purged.
pub(crate) const SWEEP_EVERY: Duration = Duration::from_secs(10);
/// How often a batch is tried before it is given up (with a warning), and the wait before the first retry.
const ATTEMPTS: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// What the writer is sent.
enum Message {
    /// An entry of its owner's strategy (boxed: a queue slot stays the size of a pointer).
    Entry(Box<(UserId, SignalLogEntry)>),
    /// Answer once everything queued before is written (or given up).
    Flush(oneshot::Sender<Result<(), StoreError>>),
}

/// The sending half: cheap to clone; the writer ends, after writing what is queued, when the last one is dropped.
#[derive(Debug, Clone)]
pub(crate) struct SignalWriter {
    queue: mpsc::Sender<Message>,
    /// Entries dropped because the queue was full, to warn of it now and then rather than on every one.
    dropped: Arc<AtomicU64>,
}

/// A full queue is reported on the first drop and then once every this many.
const WARN_EVERY_DROPS: u64 = 1_000;

impl SignalWriter {
    /// Starts the writer on `runtime`, writing with connections of `pool`.
    pub(crate) fn start(pool: Pool<AsyncPgConnection>, runtime: &tokio::runtime::Handle) -> Self {
        let (queue, received) = mpsc::channel(QUEUE);
        runtime.spawn(run(pool, received));
        Self { queue, dropped: Arc::default() }
    }

    /// Queues `entry`; `Unavailable` when the queue is full or the writer is gone.
    pub(crate) fn record(&self, owner: &UserId, entry: SignalLogEntry) -> Result<(), StoreError> {
        self.queue.try_send(Message::Entry(Box::new((owner.clone(), entry)))).map_err(|_| {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed);
            if dropped % WARN_EVERY_DROPS == 0 {
                tracing::warn!(dropped = dropped + 1, "the signal log's queue is full: entries are being dropped");
            }
            StoreError::Unavailable("the signal log's queue is full".into())
        })
    }

    /// Waits until every entry queued before is written.
    pub(crate) async fn flush(&self) -> Result<(), StoreError> {
        let (done, written) = oneshot::channel();
        let gone = || StoreError::Unavailable("the signal log's writer has stopped".into());
        self.queue.send(Message::Flush(done)).await.map_err(|_| gone())?;
        written.await.map_err(|_| gone())?
    }
}

async fn run(pool: Pool<AsyncPgConnection>, mut received: mpsc::Receiver<Message>) {
    let mut messages = Vec::with_capacity(BATCH);
    let mut purge = Purge::default();
    while received.recv_many(&mut messages, BATCH).await > 0 {
        let mut entries = Vec::with_capacity(messages.len());
        let mut waiting = Vec::new();
        for message in messages.drain(..) {
            match message {
                Message::Entry(entry) => entries.push(*entry),
                Message::Flush(done) => waiting.push(done),
            }
        }
        let written = if entries.is_empty() { Ok(()) } else { write_with_retries(&pool, &entries).await };
        if written.is_ok() {
            purge.count(&entries);
        }
        purge.run_due(&pool).await;
        for done in waiting {
            // A flush learns whether what it waited for was written; a dropped waiter is no one's concern.
            let _ = done.send(match &written {
                Ok(()) => Ok(()),
                Err(error) => Err(StoreError::Unavailable(error.to_string().into())),
            });
        }
    }
}

async fn write_with_retries(
    pool: &Pool<AsyncPgConnection>,
    entries: &[(UserId, SignalLogEntry)],
) -> Result<(), StoreError> {
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        match write(pool, entries).await {
            Ok(()) => return Ok(()),
            Err(error) if attempt < ATTEMPTS => {
                tracing::debug!(%error, attempt, "could not write signal log entries; retrying");
                tokio::time::sleep(backoff).await;
                backoff *= 2;
                attempt += 1;
            }
            Err(error) if entries.len() > 1 => {
                // One entry the database refuses must not take the others with it: each alone, once.
                tracing::warn!(%error, entries = entries.len(), "could not write a batch of signal log entries; \
                               writing them one at a time");
                let mut lost = 0;
                for entry in entries {
                    if let Err(error) = write(pool, std::slice::from_ref(entry)).await {
                        tracing::debug!(%error, "could not write a signal log entry");
                        lost += 1;
                    }
                }
                if lost > 0 {
                    tracing::warn!(lost, "signal log entries are lost");
                    return Err(error);
                }
                return Ok(());
            }
            Err(error) => {
                tracing::warn!(%error, "could not write a signal log entry; it is lost");
                return Err(error);
            }
        }
    }
}

/// One statement for the batch; an entry whose strategy is not its owner's (or is gone) is dropped by the join.
const INSERT: &str = "\
INSERT INTO signal_log (id, strategy_id, received_at, event, status, message, code, details, trade_id, repeat, \
                        api_key_id, body, body_truncated)
SELECT b.id, b.strategy_id, b.received_at, b.event, b.status, b.message, b.code, b.details, b.trade_id, b.repeat,
       b.api_key_id, b.body, b.body_truncated
FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::timestamptz[], $5::text[], $6::int2[], $7::text[], $8::text[],
            $9::jsonb[], $10::uuid[], $11::bool[], $12::uuid[], $13::text[], $14::bool[])
     AS b(id, user_id, strategy_id, received_at, event, status, message, code, details, trade_id, repeat, api_key_id,
          body, body_truncated)
JOIN strategies s ON s.id = b.strategy_id AND s.user_id = b.user_id
ON CONFLICT (id) DO NOTHING";

async fn write(pool: &Pool<AsyncPgConnection>, entries: &[(UserId, SignalLogEntry)]) -> Result<(), StoreError> {
    let mut conn = pool.get().await.map_err(pool_error)?;
    conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
        diesel::sql_query("SET LOCAL synchronous_commit TO OFF").execute(conn).await?;
        insert_entries(conn, entries).await.map(drop)
    })
    .await
    .map_err(query)
}

/// Writes `entries` in one statement, each unless its strategy is not its owner's (or is gone) or its id is taken;
/// how many it wrote.
pub(crate) async fn insert_entries(
    conn: &mut AsyncPgConnection,
    entries: &[(UserId, SignalLogEntry)],
) -> diesel::QueryResult<usize> {
    let ids: Vec<uuid::Uuid> = entries.iter().map(|(_, e)| e.id.as_uuid()).collect();
    let owners: Vec<String> = entries.iter().map(|(owner, _)| owner.as_str().to_owned()).collect();
    let strategies: Vec<uuid::Uuid> = entries.iter().map(|(_, e)| e.strategy_id.as_uuid()).collect();
    let received: Vec<chrono::DateTime<chrono::Utc>> =
        entries.iter().map(|(_, e)| e.received_at.as_datetime()).collect();
    let events: Vec<Option<String>> = entries.iter().map(|(_, e)| e.event.as_deref().map(str::to_owned)).collect();
    let statuses: Vec<i16> = entries.iter().map(|(_, e)| i16::try_from(e.outcome.status).unwrap_or(500)).collect();
    let messages: Vec<String> = entries.iter().map(|(_, e)| e.outcome.message.to_string()).collect();
    let codes: Vec<Option<String>> = entries.iter().map(|(_, e)| e.outcome.code.clone()).collect();
    let details: Vec<serde_json::Value> =
        entries.iter().map(|(_, e)| crate::signal_log::details_json(&e.outcome)).collect();
    let trades: Vec<Option<uuid::Uuid>> = entries.iter().map(|(_, e)| e.trade_id.map(|t| t.as_uuid())).collect();
    let repeats: Vec<bool> = entries.iter().map(|(_, e)| e.repeat).collect();
    let keys: Vec<Option<uuid::Uuid>> = entries.iter().map(|(_, e)| e.api_key_id.map(|k| k.as_uuid())).collect();
    let bodies: Vec<String> = entries.iter().map(|(_, e)| e.body.as_str().to_owned()).collect();
    let truncated: Vec<bool> = entries.iter().map(|(_, e)| e.body.truncated()).collect();
    diesel::sql_query(INSERT)
        .bind::<Array<SqlUuid>, _>(ids)
        .bind::<Array<Text>, _>(owners)
        .bind::<Array<SqlUuid>, _>(strategies)
        .bind::<Array<Timestamptz>, _>(received)
        .bind::<Array<Nullable<Text>>, _>(events)
        .bind::<Array<SmallInt>, _>(statuses)
        .bind::<Array<Text>, _>(messages)
        .bind::<Array<Nullable<Text>>, _>(codes)
        .bind::<Array<Jsonb>, _>(details)
        .bind::<Array<Nullable<SqlUuid>>, _>(trades)
        .bind::<Array<Bool>, _>(repeats)
        .bind::<Array<Nullable<SqlUuid>>, _>(keys)
        .bind::<Array<Text>, _>(bodies)
        .bind::<Array<Bool>, _>(truncated)
        .execute(conn)
        .await
}

fn pool_error(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    pool(error)
}

/// Deletes, for each strategy named, its entries older than its newest [`SignalLogEntry::KEPT_PER_STRATEGY`]. The
/// floor (the newest entry past the thousand) is found once per strategy, by the log's index.
const PURGE_EXCESS: &str = "\
DELETE FROM signal_log l
USING (SELECT s.id AS strategy_id, f.received_at, f.id
       FROM unnest($1::uuid[]) AS s(id)
       CROSS JOIN LATERAL (SELECT x.received_at, x.id FROM signal_log x WHERE x.strategy_id = s.id
                           ORDER BY x.received_at DESC, x.id DESC OFFSET $2 LIMIT 1) f) AS floor
WHERE l.strategy_id = floor.strategy_id AND (l.received_at, l.id) <= (floor.received_at, floor.id)";

/// Which strategies have gained entries since their last purge, and when the last sweep ran.
#[derive(Debug)]
struct Purge {
    gained: HashMap<uuid::Uuid, usize>,
    swept: Instant,
}

impl Default for Purge {
    /// The first batch sweeps: a store that starts purges what passed the week while none was running.
    fn default() -> Self {
        let due = Instant::now().checked_sub(SWEEP_EVERY).unwrap_or_else(Instant::now);
        Self { gained: HashMap::new(), swept: due }
    }
}

impl Purge {
    fn count(&mut self, entries: &[(UserId, SignalLogEntry)]) {
        for (_, entry) in entries {
            *self.gained.entry(entry.strategy_id.as_uuid()).or_default() += 1;
        }
    }

    /// Purges the strategies that gained [`PURGE_AFTER`] entries; every [`SWEEP_EVERY`], every strategy that gained
    /// any, and what is past the week. A purge that fails is tried again at the next sweep (or sooner, when its strategy
    /// gains more).
    async fn run_due(&mut self, pool: &Pool<AsyncPgConnection>) {
        let sweep = self.swept.elapsed() >= SWEEP_EVERY;
        let due: Vec<uuid::Uuid> =
            self.gained.iter().filter(|(_, gained)| sweep || **gained >= PURGE_AFTER).map(|(id, _)| *id).collect();
        if due.is_empty() && !sweep {
            return;
        }
        let purged = async {
            let mut conn = pool.get().await.map_err(pool_error)?;
            if !due.is_empty() {
                let kept = i64::try_from(SignalLogEntry::KEPT_PER_STRATEGY).unwrap_or(i64::MAX);
                diesel::sql_query(PURGE_EXCESS)
                    .bind::<Array<SqlUuid>, _>(&due)
                    .bind::<Int8, _>(kept)
                    .execute(&mut conn)
                    .await
                    .map_err(query)?;
            }
            if sweep {
                let since = SignalLogEntry::kept_since(Timestamp::from_datetime(chrono::Utc::now()));
                diesel::sql_query("DELETE FROM signal_log WHERE received_at < $1")
                    .bind::<Timestamptz, _>(since.as_datetime())
                    .execute(&mut conn)
                    .await
                    .map_err(query)?;
            }
            Ok::<(), StoreError>(())
        };
        if sweep {
            self.swept = Instant::now();
        }
        match purged.await {
            Ok(()) => {
                for id in &due {
                    self.gained.remove(id);
                }
            }
            Err(error) => tracing::warn!(%error, "could not purge the signal log; trying again at the next sweep"),
        }
    }
}
