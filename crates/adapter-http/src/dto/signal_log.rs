//! A strategy's signal log, as `GET /strategies/{strategy_id}/signals` shows it.

use std::borrow::Cow;

use quantarya_domain::{SignalLogEntry, SignalResult};
use serde::Serialize;
use utoipa::ToSchema;

use super::time;
use crate::error::ErrorDetail;

fn result_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(SignalResult::ALL.map(SignalResult::as_str)))
        .description(Some("`accepted` (a success status: applied, or recognised as a repeat) or `refused`."))
        .build()
}

/// What the service answered a signal.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignalOutcomeView {
    /// `accepted` (a success status: applied, or recognised as a repeat) or `refused` (nothing changed).
    #[schema(schema_with = result_schema)]
    pub result: &'static str,
    /// The HTTP status of the answer.
    #[schema(example = 422, minimum = 100, maximum = 599)]
    pub status: u16,
    /// The answer's message.
    #[schema(example = "The signal is older than the strategy's max_signal_age_seconds.")]
    pub message: String,
    /// For a refusal, the answer's `error.code`; `null` for an accepted signal.
    #[schema(required = true, example = "signal_stale")]
    pub code: Option<String>,
    /// For a refusal, the fields the answer blamed (the first 20).
    pub details: Vec<ErrorDetail>,
}

/// One signal that reached the strategy, and what became of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignalLogEntryView {
    /// The entry's id: the `x-request-id` of the answer the signal was given, after `sig_`.
    #[schema(example = "sig_0192f0c17a4b7cde8f0123456789abcd")]
    pub signal_id: String,
    /// When it arrived.
    #[schema(format = DateTime)]
    pub received_at: String,
    /// The body's `event` as sent (`entry`, `update`, `exit`, or whatever it said); `null` when it had none.
    #[schema(required = true, example = "entry")]
    pub event: Option<String>,
    /// The answer.
    pub outcome: SignalOutcomeView,
    /// The trade it created or touched; `null` when none was.
    #[schema(required = true, example = "trd_0192f0c17a4b7cde8f0123456789abcd")]
    pub trade_id: Option<String>,
    /// True when it repeated a signal already applied (it changed nothing).
    pub repeat: bool,
    /// The API key that sent it; `null` for a user token.
    #[schema(required = true, example = "key_0192f0c17a4b7cde8f0123456789abcd")]
    pub api_key_id: Option<String>,
    /// The body as received, without `api_key` (or anything shaped like a key): its first 4 KiB.
    #[schema(example = "{\"event\":\"entry\",\"symbol\":\"BINANCE:BTCUSDT\",\"side\":\"buy\"}")]
    pub body: String,
    /// True when the body was longer than what is kept.
    pub body_truncated: bool,
}

impl From<SignalLogEntry> for SignalLogEntryView {
    fn from(entry: SignalLogEntry) -> Self {
        let result: SignalResult = entry.outcome.result();
        Self {
            signal_id: entry.id.to_string(),
            received_at: time(entry.received_at),
            event: entry.event.map(Cow::into_owned),
            outcome: SignalOutcomeView {
                result: result.as_str(),
                status: entry.outcome.status,
                message: entry.outcome.message.into_owned(),
                code: entry.outcome.code,
                details: entry
                    .outcome
                    .details
                    .into_iter()
                    .map(|d| ErrorDetail { field: d.field, message: d.message })
                    .collect(),
            },
            trade_id: entry.trade_id.map(|t| t.to_string()),
            repeat: entry.repeat,
            api_key_id: entry.api_key_id.map(|k| k.to_string()),
            body_truncated: entry.body.truncated(),
            body: entry.body.as_str().to_owned(),
        }
    }
}
