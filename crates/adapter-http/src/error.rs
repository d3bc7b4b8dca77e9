//! The one place use-case errors become HTTP statuses, `error.code`s and the error envelope.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use quantarya_ports::{FieldError, JournalError};

use crate::error_code::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;

/// One field to blame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// The request field (or `body`, or a query parameter).
    pub field: String,
    /// Why it was refused.
    pub message: String,
}

fn error_code_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(ErrorCode::names()))
        .description(Some("A stable snake_case code a client can branch on."))
        .build()
}

/// The machine-readable part of an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorInfo {
    /// A stable snake_case code a client can branch on.
    #[schema(schema_with = error_code_schema)]
    pub code: String,
    /// The fields to blame; empty when no field is.
    pub details: Vec<ErrorDetail>,
}

/// Every error body: a sentence for people and a code for programs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// One human sentence.
    pub message: String,
    /// The code and the fields to blame.
    pub error: ErrorInfo,
}

/// The most field details one error answer lists.
pub const MAX_DETAILS: usize = 50;

/// The most characters of a field name or a message one detail repeats: both may quote the client's text.
pub const MAX_DETAIL_CHARS: usize = 100;

/// Cuts `text` to [`MAX_DETAIL_CHARS`] characters, marking the cut with `…`.
fn shorten(text: &mut String) {
    if let Some((cut, _)) = text.char_indices().nth(MAX_DETAIL_CHARS) {
        text.truncate(cut);
        text.push('…');
    }
}

/// An error answered to a client. Built from use-case errors or by the adapter itself (bad JSON, wrong media
/// type, unknown route); a 5xx logs its cause and shows the client nothing of it.
#[derive(Debug, thiserror::Error)]
#[error("{} {code}: {message}", code.status())]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    details: Vec<FieldError>,
}

impl ApiError {
    /// An error with no field to blame.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: Vec::new() }
    }

    /// 400 `invalid_json`.
    pub fn invalid_json(why: &str) -> Self {
        Self::new(ErrorCode::InvalidJson, format!("The request body is not valid JSON: {why}."))
    }

    /// 401 `unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(ErrorCode::Unauthorized, "Credentials are missing, malformed, expired, revoked or wrongly signed.")
    }

    /// 404 `not_found`.
    pub fn not_found(what: &str) -> Self {
        let mut what = what.to_owned();
        if let Some(first) = what.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        Self::new(ErrorCode::NotFound, format!("{what} not found."))
    }

    /// 422 with the fields to blame: `unknown_field` when any field is unknown, else `validation_failed`. At most
    /// [`MAX_DETAILS`] are listed (the message says how many there were), each repeating at most
    /// [`MAX_DETAIL_CHARS`] characters of its field and message, so an answer stays small whatever the request held.
    pub fn invalid(mut details: Vec<FieldError>, unknown: bool) -> Self {
        let (code, message) = if unknown {
            (ErrorCode::UnknownField, "The request names fields this route does not take")
        } else {
            (ErrorCode::ValidationFailed, "Some fields of the request are invalid")
        };
        let message = if details.len() > MAX_DETAILS {
            format!("{message}; the first {MAX_DETAILS} of {} are listed.", details.len())
        } else {
            format!("{message}.")
        };
        details.truncate(MAX_DETAILS);
        for detail in &mut details {
            shorten(&mut detail.field);
            shorten(&mut detail.message);
        }
        Self { code, message, details }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// The `error.code`.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// 500 `internal_error`, after logging `cause` (which the client never sees).
    pub fn internal(cause: &str) -> Self {
        tracing::error!(request_id = crate::request_id::field(), cause, "internal error");
        Self::new(ErrorCode::InternalError, "Something went wrong on our side.")
    }

    /// The envelope sent to the client.
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            message: self.message.clone(),
            error: ErrorInfo {
                code: self.code.as_str().to_owned(),
                details: self
                    .details
                    .iter()
                    .map(|d| ErrorDetail { field: d.field.clone(), message: d.message.clone() })
                    .collect(),
            },
        }
    }
}

/// Writes a cause and its sources on one line, for logs.
pub(crate) fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl From<JournalError> for ApiError {
    fn from(error: JournalError) -> Self {
        match error {
            JournalError::Unauthorized => Self::unauthorized(),
            JournalError::Forbidden(kind) => {
                let message = match kind {
                    quantarya_ports::ForbiddenKind::ApiKeyNotAllowed => {
                        "API keys work on the trade routes only; use a user token here."
                    }
                    quantarya_ports::ForbiddenKind::ApiKeyScope => {
                        "This API key may not do this: its scopes or strategies do not cover it, or the trade was \
                         entered by hand or imported."
                    }
                    quantarya_ports::ForbiddenKind::ProfileRequired => {
                        "Create your profile with POST /me before using this route."
                    }
                };
                Self::new(ErrorCode::from(kind), message)
            }
            JournalError::NotFound(what) => Self::not_found(what),
            JournalError::Conflict { kind, message } => {
                Self::new(ErrorCode::from(kind), format!("{}.", capitalised(&message)))
            }
            JournalError::Invalid(details) => Self::invalid(details, false),
            JournalError::Refused { kind, message } => {
                Self::new(ErrorCode::from(kind), format!("{}.", capitalised(&message)))
            }
            JournalError::Unavailable(cause) => {
                tracing::error!(
                    request_id = crate::request_id::field(),
                    cause = %cause_chain(cause.as_ref()),
                    "storage unavailable"
                );
                Self::new(
                    ErrorCode::StorageUnavailable,
                    "Storage is unavailable right now; nothing was written. Retry later.",
                )
            }
            JournalError::Internal(what) => Self::internal(&what),
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    /// The envelope, with its code kept on the response for what measures answers (the signal metrics).
    fn error_response(&self) -> HttpResponse {
        let mut response = crate::reply::json(self.status(), &self.envelope());
        response.extensions_mut().insert(self.code());
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quantarya_ports::{ConflictKind, ForbiddenKind};

    #[test]
    fn journal_errors_map_to_the_contracts_statuses_and_codes() {
        let cases: Vec<(JournalError, u16, &str)> = vec![
            (JournalError::Unauthorized, 401, "unauthorized"),
            (JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed), 403, "api_key_not_allowed"),
            (JournalError::Forbidden(ForbiddenKind::ProfileRequired), 403, "profile_required"),
            (JournalError::NotFound("trade"), 404, "not_found"),
            (JournalError::conflict(ConflictKind::InvalidTransition, "no"), 409, "invalid_transition"),
            (JournalError::conflict(ConflictKind::TradeNotManual, "no"), 409, "trade_not_manual"),
            (JournalError::invalid("symbol", "must not be empty"), 422, "validation_failed"),
            (JournalError::Unavailable("db down".into()), 503, "storage_unavailable"),
        ];
        for (error, status, code) in cases {
            let api = ApiError::from(error);
            assert_eq!((api.status().as_u16(), api.code().as_str()), (status, code));
        }
    }

    #[test]
    fn storage_causes_never_reach_the_client() {
        let api = ApiError::from(JournalError::Unavailable("password authentication failed for user x".into()));
        let body = serde_json::to_string(&api.envelope()).expect("serialises");
        assert!(!body.contains("password"), "{body}");
    }

    #[test]
    fn field_errors_are_listed_in_details() {
        let api = ApiError::from(JournalError::invalid("closed_at", "must not be before opened_at"));
        let envelope = api.envelope();
        assert_eq!(
            envelope.error.details,
            vec![ErrorDetail { field: "closed_at".into(), message: "must not be before opened_at".into() }]
        );
    }

    #[test]
    fn an_answer_lists_at_most_fifty_details_of_bounded_length() {
        let long = "é".repeat(10_000);
        let many: Vec<FieldError> = (0..3000).map(|i| FieldError::new(format!("{long}{i}"), &long)).collect();
        let envelope = ApiError::invalid(many, true).envelope();
        assert_eq!(envelope.error.details.len(), MAX_DETAILS);
        assert_eq!(
            envelope.message,
            "The request names fields this route does not take; the first 50 of 3000 are listed."
        );
        let first = &envelope.error.details[0];
        assert_eq!(first.field.chars().count(), MAX_DETAIL_CHARS + 1);
        assert!(first.field.ends_with('…') && first.message.ends_with('…'));
        let encoded = serde_json::to_string(&envelope).expect("serialises");
        assert!(encoded.len() < 64 * 1024, "{} bytes", encoded.len());

        let few = ApiError::invalid(vec![FieldError::new("symbol", "is required")], false).envelope();
        assert_eq!(few.message, "Some fields of the request are invalid.");
        assert_eq!(few.error.details[0].field, "symbol");
    }
}
