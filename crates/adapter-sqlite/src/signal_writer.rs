//! The signal log's writer: a thread of its own, fed by a bounded queue, gathering what is queued into batches,
//! each written by the store's writer (`writer.rs`) in one transaction (one `fsync` for many entries, and no second
//! connection contending for the file's write lock), purging each strategy it wrote to down to the newest
//! [`SignalLogEntry::KEPT_PER_STRATEGY`] of the week in the same transaction. Recording a signal never waits for the
//! disk; a flush waits until everything queued before it is written.

use std::collections::BTreeSet;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};
use diesel::sqlite::SqliteConnection;
use quantarya_domain::chrono::Utc;
use quantarya_domain::{SignalLogEntry, Timestamp, UserId};
use quantarya_ports::StoreError;
use tokio::sync::oneshot;

use crate::error::{connection, query};
use crate::rows::{id_text, micros};
use crate::signal_log::details_json;
use crate::writer::Writer;

/// How many messages wait at most; past that, recording a signal is refused (`Unavailable`), never blocked.
const QUEUE: usize = 16_384;

/// The most entries one transaction writes.
const BATCH: usize = 512;

/// How long the writer gathers entries after the first before it writes them.
const GATHER: std::time::Duration = std::time::Duration::from_millis(20);

/// What the writer is sent.
enum Message {
    /// An entry of its owner's strategy (boxed: a queue slot stays the size of a pointer).
    Entry(Box<(UserId, SignalLogEntry)>),
    /// Answer once everything queued before is written (or given up).
    Flush(oneshot::Sender<Result<(), String>>),
}

/// The sending half: cheap to clone; the writer ends, after writing what is queued, when the last one is dropped.
#[derive(Debug, Clone)]
pub(crate) struct SignalWriter {
    queue: SyncSender<Message>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Entry(_) => "Entry",
            Self::Flush(_) => "Flush",
        })
    }
}

impl SignalWriter {
    /// Starts the log's writer on a thread of its own, writing through the store's `writer`.
    pub(crate) fn start(writer: Writer) -> Result<Self, StoreError> {
        let (queue, received) = mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("sqlite-signal-log".to_owned())
            .spawn(move || run(&writer, &received))
            .map_err(crate::error::connection)?;
        Ok(Self { queue })
    }

    /// Queues `entry`; `Unavailable` when the queue is full or the writer is gone.
    pub(crate) fn record(&self, owner: &UserId, entry: SignalLogEntry) -> Result<(), StoreError> {
        self.queue.try_send(Message::Entry(Box::new((owner.clone(), entry)))).map_err(|error| match error {
            TrySendError::Full(_) => StoreError::Unavailable("the signal log's queue is full".into()),
            TrySendError::Disconnected(_) => StoreError::Unavailable("the signal log's writer has stopped".into()),
        })
    }

    /// Waits until every entry queued before is written.
    pub(crate) async fn flush(&self) -> Result<(), StoreError> {
        let (done, written) = oneshot::channel();
        let gone = || StoreError::Unavailable("the signal log's writer has stopped".into());
        match self.queue.try_send(Message::Flush(done)) {
            Ok(()) => {}
            // A full queue drains in a moment: wait for room off the async threads.
            Err(TrySendError::Full(message)) => {
                let queue = self.queue.clone();
                tokio::task::spawn_blocking(move || queue.send(message))
                    .await
                    .map_err(connection)?
                    .map_err(|_| gone())?;
            }
            Err(TrySendError::Disconnected(_)) => return Err(gone()),
        }
        written.await.map_err(|_| gone())?.map_err(|error| StoreError::Unavailable(error.into()))
    }
}

/// Writes what arrives until every sender is gone.
fn run(writer: &Writer, received: &Receiver<Message>) {
    while let Ok(first) = received.recv() {
        // What arrives within a moment of the first joins it (one commit, one `fsync`, for all), unless a flush
        // is waiting or the batch is full.
        let (mut entries, mut flushes) = (Vec::new(), Vec::new());
        let gathering = std::time::Instant::now() + GATHER;
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Entry(entry) => entries.push(*entry),
                Message::Flush(done) => flushes.push(done),
            }
            if entries.len() < BATCH {
                next = match flushes.is_empty() {
                    true => received.recv_timeout(gathering.saturating_duration_since(std::time::Instant::now())).ok(),
                    false => received.try_recv().ok(),
                };
            }
        }
        let count = entries.len();
        let written = if entries.is_empty() {
            Ok(())
        } else {
            writer.write_blocking(move |connection| Ok(write(connection, &entries))).and_then(|written| written)
        };
        if let Err(error) = &written {
            tracing::warn!(%error, entries = count, "signal log entries were not written");
        }
        for done in flushes {
            let _ = done.send(written.as_ref().map(|_| ()).map_err(ToString::to_string));
        }
    }
}

/// Writes `entries` (each only when its strategy is its owner's) and purges each strategy written to, in one
/// transaction.
fn write(connection: &mut SqliteConnection, entries: &[(UserId, SignalLogEntry)]) -> Result<(), StoreError> {
    let since = micros(SignalLogEntry::kept_since(Timestamp::from_datetime(Utc::now())));
    let kept = i64::try_from(SignalLogEntry::KEPT_PER_STRATEGY).unwrap_or(i64::MAX);
    connection
        .immediate_transaction::<_, diesel::result::Error, _>(|connection| {
            let mut touched = BTreeSet::new();
            for (owner, entry) in entries {
                insert_entry(connection, owner, entry)?;
                touched.insert(id_text(entry.strategy_id.as_uuid()));
            }
            for strategy in touched {
                diesel::sql_query(
                    "DELETE FROM signal_log WHERE strategy_id = ?1 AND (received_at < ?2 OR id IN \
                     (SELECT id FROM signal_log WHERE strategy_id = ?1 ORDER BY received_at DESC, id DESC \
                     LIMIT -1 OFFSET ?3))",
                )
                .bind::<Text, _>(&strategy)
                .bind::<BigInt, _>(since)
                .bind::<BigInt, _>(kept)
                .execute(connection)?;
            }
            Ok(())
        })
        .map_err(query)
}

/// Writes `entry` unless its strategy is not `owner`'s or its id is taken; whether it did.
pub(crate) fn insert_entry(
    connection: &mut SqliteConnection,
    owner: &UserId,
    entry: &SignalLogEntry,
) -> QueryResult<bool> {
    let strategy = id_text(entry.strategy_id.as_uuid());
    diesel::sql_query(
        "INSERT INTO signal_log (id, strategy_id, received_at, event, status, message, code, details, \
         trade_id, repeat, api_key_id, body, body_truncated) \
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? \
         WHERE EXISTS (SELECT 1 FROM strategies WHERE id = ? AND user_id = ?) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind::<Text, _>(id_text(entry.id.as_uuid()))
    .bind::<Text, _>(&strategy)
    .bind::<BigInt, _>(micros(entry.received_at))
    .bind::<Nullable<Text>, _>(entry.event.as_deref())
    .bind::<Integer, _>(i32::from(entry.outcome.status))
    .bind::<Text, _>(entry.outcome.message.as_ref())
    .bind::<Nullable<Text>, _>(entry.outcome.code.as_deref())
    .bind::<Text, _>(details_json(&entry.outcome))
    .bind::<Nullable<Text>, _>(entry.trade_id.map(|t| id_text(t.as_uuid())))
    .bind::<Bool, _>(entry.repeat)
    .bind::<Nullable<Text>, _>(entry.api_key_id.map(|k| id_text(k.as_uuid())))
    .bind::<Text, _>(entry.body.as_str())
    .bind::<Bool, _>(entry.body.truncated())
    .bind::<Text, _>(&strategy)
    .bind::<Text, _>(owner.as_str())
    .execute(connection)
    .map(|written| written == 1)
}
