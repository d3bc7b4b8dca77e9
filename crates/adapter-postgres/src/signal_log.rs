//! The signal log on PostgreSQL: entries are queued to the writer (`signal_writer.rs`) and read back scoped by
//! owner, newest first, never more than the newest [`SignalLogEntry::KEPT_PER_STRATEGY`] of a strategy.

use std::borrow::Cow;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Int8, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use quantarya_domain::{
    ApiKeyId, LoggedBody, LoggedDetail, LoggedOutcome, SignalId, SignalLogEntry, SignalResult, StrategyId, Timestamp,
    TradeId, UserId,
};
use quantarya_ports::StoreError;
use quantarya_ports::outbound::{SignalCursor, SignalLogFilter, SignalLogStore};
use serde_json::{Value, json};

use crate::PgStore;
use crate::cursor::after_cursor;
use crate::error::query;
use crate::schema::{signal_log, strategies};

/// How long a read of the log waits for this instance's queue to be written.
const READ_FLUSH_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// An outcome's field details as stored: `[{"field": …, "message": …}]`.
pub(crate) fn details_json(outcome: &LoggedOutcome) -> Value {
    Value::Array(outcome.details.iter().map(|d| json!({ "field": d.field, "message": d.message })).collect())
}

fn details_of(stored: &Value) -> Result<Vec<LoggedDetail>, StoreError> {
    let corrupt = || StoreError::Corrupt("a signal log entry's details are not a list of field messages".to_owned());
    let text = |detail: &Value, key: &str| detail.get(key).and_then(Value::as_str).map(str::to_owned);
    stored
        .as_array()
        .ok_or_else(corrupt)?
        .iter()
        .map(|detail| {
            Ok(LoggedDetail {
                field: text(detail, "field").ok_or_else(corrupt)?,
                message: text(detail, "message").ok_or_else(corrupt)?,
            })
        })
        .collect()
}

/// A row of `signal_log`, as read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = signal_log)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub(crate) struct SignalRow {
    id: uuid::Uuid,
    strategy_id: uuid::Uuid,
    received_at: DateTime<Utc>,
    event: Option<String>,
    status: i16,
    message: String,
    code: Option<String>,
    details: Value,
    trade_id: Option<uuid::Uuid>,
    repeat: bool,
    api_key_id: Option<uuid::Uuid>,
    body: String,
    body_truncated: bool,
}

impl TryFrom<SignalRow> for SignalLogEntry {
    type Error = StoreError;

    fn try_from(row: SignalRow) -> Result<Self, StoreError> {
        let status = u16::try_from(row.status)
            .map_err(|_| StoreError::Corrupt(format!("a signal log entry's status is {}", row.status)))?;
        Ok(Self {
            id: SignalId::from_uuid(row.id),
            strategy_id: StrategyId::from_uuid(row.strategy_id),
            received_at: Timestamp::from_datetime(row.received_at),
            event: row.event.map(Cow::Owned),
            outcome: LoggedOutcome {
                status,
                message: Cow::Owned(row.message),
                code: row.code,
                details: details_of(&row.details)?,
            },
            trade_id: row.trade_id.map(TradeId::from_uuid),
            repeat: row.repeat,
            api_key_id: row.api_key_id.map(ApiKeyId::from_uuid),
            body: LoggedBody::from_stored(row.body, row.body_truncated),
        })
    }
}

#[async_trait]
impl SignalLogStore for PgStore {
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
        // What this instance logged is read too: its queue is written first, unless that takes too long (the
        // database is struggling): then the read goes ahead with what is written.
        match tokio::time::timeout(READ_FLUSH_WAIT, self.signals.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::debug!(%error, "the signal log's queue was not written before a read"),
            Err(_) => tracing::debug!("the signal log's queue took too long to write before a read"),
        }
        let mut conn = self.conn().await?;
        let owned = strategies::table.find(strategy.as_uuid()).filter(strategies::user_id.eq(owner.as_str()));
        let exists = diesel::select(diesel::dsl::exists(owned)).get_result::<bool>(&mut conn).await.map_err(query)?;
        if !exists {
            return Ok(None);
        }
        let kept = i64::try_from(SignalLogEntry::KEPT_PER_STRATEGY - 1).unwrap_or(i64::MAX);
        // Only the newest thousand, whatever the writer has not purged yet: the entry at that depth is the floor.
        let newest = diesel::dsl::sql::<Bool>(
            "(signal_log.received_at, signal_log.id) >= ALL (SELECT x.received_at, x.id FROM signal_log x \
             WHERE x.strategy_id = ",
        )
        .bind::<SqlUuid, _>(strategy.as_uuid())
        .sql(" ORDER BY x.received_at DESC, x.id DESC OFFSET ")
        .bind::<Int8, _>(kept)
        .sql(" LIMIT 1)");
        let mut listed = signal_log::table
            .filter(signal_log::strategy_id.eq(strategy.as_uuid()))
            .filter(signal_log::received_at.ge(filter.since.as_datetime()))
            .filter(newest)
            .select(SignalRow::as_select())
            .into_boxed();
        let (first, last) = (SignalResult::ACCEPTED.start(), SignalResult::ACCEPTED.end());
        let accepted = (i16::try_from(*first).unwrap_or(i16::MAX), i16::try_from(*last).unwrap_or(i16::MAX));
        match filter.result {
            Some(SignalResult::Accepted) => listed = listed.filter(signal_log::status.between(accepted.0, accepted.1)),
            Some(SignalResult::Refused) => {
                listed = listed.filter(signal_log::status.not_between(accepted.0, accepted.1));
            }
            None => {}
        }
        if let Some(cursor) = after {
            let (at, id) = (cursor.received_at.as_datetime(), cursor.signal_id.as_uuid());
            listed = listed.filter(after_cursor!("signal_log.received_at, signal_log.id", at, id));
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<SignalRow> = listed
            .order((signal_log::received_at.desc(), signal_log::id.desc()))
            .limit(limit)
            .load(&mut conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(SignalLogEntry::try_from).collect::<Result<_, _>>().map(Some)
    }
}
