//! The signal log on SQLite: entries are queued to the writer (`signal_writer.rs`) and read back scoped by owner,
//! newest first, never more than the newest [`SignalLogEntry::KEPT_PER_STRATEGY`] of a strategy (the writer purges
//! the rest as it writes).

use std::borrow::Cow;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::RunQueryDsl;
use quantarya_domain::{
    ApiKeyId, LoggedBody, LoggedDetail, LoggedOutcome, SignalId, SignalLogEntry, SignalResult, StrategyId, TradeId,
    UserId,
};
use quantarya_ports::StoreError;
use quantarya_ports::outbound::{SignalCursor, SignalLogFilter, SignalLogStore};
use serde_json::{Value, json};

use crate::SqliteStore;
use crate::error::query;
use crate::rows::{corrupt, id_text, micros, stamp, uuid};
use crate::schema::{signal_log, strategies};

/// How long a read of the log waits for the queue to be written.
const READ_FLUSH_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// An outcome's field details as stored: `[{"field": …, "message": …}]`.
pub(crate) fn details_json(outcome: &LoggedOutcome) -> String {
    Value::Array(outcome.details.iter().map(|d| json!({ "field": d.field, "message": d.message })).collect())
        .to_string()
}

fn details_of(stored: &str) -> Result<Vec<LoggedDetail>, StoreError> {
    let broken = || corrupt("a signal log entry's details are not a list of field messages");
    let stored: Value = serde_json::from_str(stored).map_err(|_| broken())?;
    let text = |detail: &Value, key: &str| detail.get(key).and_then(Value::as_str).map(str::to_owned);
    stored
        .as_array()
        .ok_or_else(broken)?
        .iter()
        .map(|detail| {
            Ok(LoggedDetail {
                field: text(detail, "field").ok_or_else(broken)?,
                message: text(detail, "message").ok_or_else(broken)?,
            })
        })
        .collect()
}

/// A row of `signal_log`, as read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = signal_log, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct SignalRow {
    id: String,
    strategy_id: String,
    received_at: i64,
    event: Option<String>,
    status: i32,
    message: String,
    code: Option<String>,
    details: String,
    trade_id: Option<String>,
    repeat: bool,
    api_key_id: Option<String>,
    body: String,
    body_truncated: bool,
}

impl TryFrom<SignalRow> for SignalLogEntry {
    type Error = StoreError;

    fn try_from(row: SignalRow) -> Result<Self, StoreError> {
        let status =
            u16::try_from(row.status).map_err(|_| corrupt(format!("a signal log entry's status is {}", row.status)))?;
        Ok(Self {
            id: SignalId::from_uuid(uuid("signal_log.id", &row.id)?),
            strategy_id: StrategyId::from_uuid(uuid("signal_log.strategy_id", &row.strategy_id)?),
            received_at: stamp("signal_log.received_at", row.received_at)?,
            event: row.event.map(Cow::Owned),
            outcome: LoggedOutcome {
                status,
                message: Cow::Owned(row.message),
                code: row.code,
                details: details_of(&row.details)?,
            },
            trade_id: row.trade_id.map(|t| uuid("signal_log.trade_id", &t).map(TradeId::from_uuid)).transpose()?,
            repeat: row.repeat,
            api_key_id: row
                .api_key_id
                .map(|k| uuid("signal_log.api_key_id", &k).map(ApiKeyId::from_uuid))
                .transpose()?,
            body: LoggedBody::from_stored(row.body, row.body_truncated),
        })
    }
}

#[async_trait]
impl SignalLogStore for SqliteStore {
    fn record_signal(&self, owner: &UserId, entry: SignalLogEntry) -> Result<(), StoreError> {
        self.signals.record(owner, entry)
    }

    #[tracing::instrument(skip_all)]
    async fn flush_signals(&self) -> Result<(), StoreError> {
        self.signals.flush().await
    }

    #[tracing::instrument(skip_all)]
    async fn signal_log(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        filter: &SignalLogFilter,
        after: Option<SignalCursor>,
        limit: usize,
    ) -> Result<Option<Vec<SignalLogEntry>>, StoreError> {
        // What was recorded is read too: the queue is written first, unless that takes too long (the disk is
        // struggling): then the read goes ahead with what is written.
        match tokio::time::timeout(READ_FLUSH_WAIT, self.signals.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::debug!(%error, "the signal log's queue was not written before a read"),
            Err(_) => tracing::debug!("the signal log's queue took too long to write before a read"),
        }
        let strategy = id_text(strategy.as_uuid());
        let mut conn = self.read().await;
        let owned = strategies::table.find(&strategy).filter(strategies::user_id.eq(owner.as_str()));
        let exists = diesel::select(diesel::dsl::exists(owned)).get_result::<bool>(&mut *conn).await.map_err(query)?;
        if !exists {
            return Ok(None);
        }
        let mut listed = signal_log::table
            .filter(signal_log::strategy_id.eq(&strategy))
            .filter(signal_log::received_at.ge(micros(filter.since)))
            .select(SignalRow::as_select())
            .into_boxed();
        let accepted = (i32::from(*SignalResult::ACCEPTED.start()), i32::from(*SignalResult::ACCEPTED.end()));
        match filter.result {
            Some(SignalResult::Accepted) => listed = listed.filter(signal_log::status.between(accepted.0, accepted.1)),
            Some(SignalResult::Refused) => {
                listed = listed.filter(signal_log::status.not_between(accepted.0, accepted.1));
            }
            None => {}
        }
        if let Some(cursor) = after {
            let before = diesel::dsl::sql::<Bool>("(signal_log.received_at, signal_log.id) < (")
                .bind::<BigInt, _>(micros(cursor.received_at))
                .sql(", ")
                .bind::<Text, _>(id_text(cursor.signal_id.as_uuid()))
                .sql(")");
            listed = listed.filter(before);
        }
        let rows: Vec<SignalRow> = listed
            .order((signal_log::received_at.desc(), signal_log::id.desc()))
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .load(&mut *conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(SignalLogEntry::try_from).collect::<Result<_, _>>().map(Some)
    }
}
