//! The one place use-case errors become HTTP statuses, `error.code`s and the error envelope.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use quantarya_ports::{FieldError, JournalError};
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

/// Every `error.code` the service answers with.
pub const ERROR_CODES: [&str; 22] = [
    "invalid_json",
    "invalid_body",
    "unauthorized",
    "api_key_not_allowed",
    "profile_required",
    "not_found",
    "method_not_allowed",
    "request_timeout",
    "invalid_transition",
    "trade_not_manual",
    "user_name_taken",
    "ambiguous_trade",
    "api_key_limit",
    "symbol_mismatch",
    "side_mismatch",
    "concurrent_update",
    "payload_too_large",
    "unsupported_media_type",
    "validation_failed",
    "unknown_field",
    "storage_unavailable",
    "internal_error",
];

fn error_code_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(ERROR_CODES))
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

/// An error answered to a client. Built from use-case errors or by the adapter itself (bad JSON, wrong media
/// type, unknown route); a 5xx logs its cause and shows the client nothing of it.
#[derive(Debug, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Vec<FieldError>,
}

impl ApiError {
    /// An error with no field to blame.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), details: Vec::new() }
    }

    /// 400 `invalid_json`.
    pub fn invalid_json(why: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_json", format!("The request body is not valid JSON: {why}."))
    }

    /// 401 `unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Credentials are missing, malformed, expired, revoked or wrongly signed.",
        )
    }

    /// 404 `not_found`.
    pub fn not_found(what: &str) -> Self {
        let mut what = what.to_owned();
        if let Some(first) = what.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found."))
    }

    /// 422 with every field to blame: `unknown_field` when any field is unknown, else `validation_failed`.
    pub fn invalid(details: Vec<FieldError>, unknown: bool) -> Self {
        let (code, message) = if unknown {
            ("unknown_field", "The request names fields this route does not take.")
        } else {
            ("validation_failed", "Some fields of the request are invalid.")
        };
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, code, message: message.to_owned(), details }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `error.code`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The envelope sent to the client.
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            message: self.message.clone(),
            error: ErrorInfo {
                code: self.code.to_owned(),
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
fn cause_chain(error: &dyn std::error::Error) -> String {
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
                    quantarya_ports::ForbiddenKind::ProfileRequired => {
                        "Create your profile with POST /me before using this route."
                    }
                };
                Self::new(StatusCode::FORBIDDEN, kind.code(), message)
            }
            JournalError::NotFound(what) => Self::not_found(what),
            JournalError::Conflict { kind, message } => {
                Self::new(StatusCode::CONFLICT, kind.code(), format!("{}.", capitalised(&message)))
            }
            JournalError::Invalid(details) => Self::invalid(details, false),
            JournalError::Unavailable(cause) => {
                tracing::error!(cause = %cause_chain(cause.as_ref()), "storage unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "Storage is unavailable right now; nothing was written. Retry later.",
                )
            }
            JournalError::Internal(what) => {
                tracing::error!(cause = %what, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Something went wrong on our side.")
            }
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
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        crate::reply::json(self.status, &self.envelope())
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
            assert_eq!((api.status().as_u16(), api.code()), (status, code));
        }
    }

    #[test]
    fn every_code_the_service_answers_is_in_the_documented_list() {
        use quantarya_ports::{ConflictKind, ForbiddenKind};
        let conflicts = [
            ConflictKind::InvalidTransition,
            ConflictKind::TradeNotManual,
            ConflictKind::UserNameTaken,
            ConflictKind::AmbiguousTrade,
            ConflictKind::ApiKeyLimit,
            ConflictKind::SymbolMismatch,
            ConflictKind::SideMismatch,
            ConflictKind::ConcurrentUpdate,
        ];
        let forbidden = [ForbiddenKind::ApiKeyNotAllowed, ForbiddenKind::ProfileRequired];
        let codes = conflicts.iter().map(|c| c.code()).chain(forbidden.iter().map(|f| f.code()));
        for code in codes {
            assert!(ERROR_CODES.contains(&code), "{code} is answered but not documented");
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
}
