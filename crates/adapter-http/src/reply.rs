//! Success envelopes: `{"message": …, "data": …}`, with `next_cursor` beside `data` on paginated lists.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;

use crate::error_code::ErrorCode;

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    message: &'a str,
    data: T,
}

#[derive(Serialize)]
struct PagedEnvelope<'a, T: Serialize> {
    message: &'a str,
    data: T,
    next_cursor: Option<String>,
}

/// 200 with `data`.
pub fn ok<T: Serialize>(message: &str, data: T) -> HttpResponse {
    with_status(StatusCode::OK, message, data)
}

/// 201 with `data`.
pub fn created<T: Serialize>(message: &str, data: T) -> HttpResponse {
    with_status(StatusCode::CREATED, message, data)
}

/// The media type of every body this service sends.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// The room a body is serialised into at first: a trade's answer (about 1.3 KiB) fits, so the signal path's
/// answer is written into one allocation instead of growing through five (serde_json starts at 128 bytes).
const FIRST_ROOM: usize = 2048;

/// `status` with `body` serialised as JSON.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    let mut bytes = Vec::with_capacity(FIRST_ROOM);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => HttpResponse::build(status).content_type(JSON_UTF8).body(bytes),
        Err(error) => {
            tracing::error!(
                request_id = crate::request_id::field(),
                %error,
                "a response body does not serialise"
            );
            let code = ErrorCode::InternalError;
            HttpResponse::build(code.status()).content_type(JSON_UTF8).body(format!(
                r#"{{"message":"Something went wrong on our side.","error":{{"code":"{code}","details":[]}}}}"#
            ))
        }
    }
}

/// `status` with `data`.
pub fn with_status<T: Serialize>(status: StatusCode, message: &str, data: T) -> HttpResponse {
    json(status, &Envelope { message, data })
}

/// 200 with a page of `data` and the cursor of the next page.
pub fn page<T: Serialize>(message: &str, data: T, next_cursor: Option<String>) -> HttpResponse {
    json(StatusCode::OK, &PagedEnvelope { message, data, next_cursor })
}
