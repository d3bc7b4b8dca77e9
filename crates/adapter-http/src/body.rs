//! Reading request bodies: the size cap before anything is parsed, the media type, UTF-8, and JSON objects.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use quantarya_domain::JsonObject;
use quantarya_ports::FieldError;

use crate::error::ApiError;
use crate::error_code::ErrorCode;

/// The largest request body accepted (but for a file to import: [`MAX_FILE_BYTES`]).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The largest file to import accepted.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// Which media types a route's body may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/json` only.
    Json,
    /// `application/json`, or `text/plain` holding JSON (what TradingView sends when it cannot tell).
    JsonOrText,
    /// `text/csv`: a file to import.
    Csv,
}

impl Media {
    /// The largest body of this media accepted.
    pub const fn limit(self) -> usize {
        match self {
            Self::Json | Self::JsonOrText => MAX_BODY_BYTES,
            Self::Csv => MAX_FILE_BYTES,
        }
    }

    /// How long a client may take to send such a body once the headers arrived.
    pub const fn timeout(self) -> std::time::Duration {
        match self {
            Self::Json | Self::JsonOrText => BODY_TIMEOUT,
            Self::Csv => FILE_TIMEOUT,
        }
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, format!("The request body is over {limit} bytes."))
}

/// How long a client may take to send its body once the headers arrived.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// How long a client may take to send a file to import (32 MiB take 27 s at 10 Mbit/s).
pub const FILE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Reads the body, at most [`MAX_BODY_BYTES`] within [`BODY_TIMEOUT`], refusing a larger one before reading or
/// parsing it.
pub async fn read_capped(req: &HttpRequest, payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    read_media(req, payload, Media::Json).await
}

/// Reads a body of `media`, at most its [`Media::limit`] within its [`Media::timeout`], refusing a larger one
/// before reading or parsing it.
pub async fn read_media(req: &HttpRequest, payload: web::Payload, media: Media) -> Result<Vec<u8>, ApiError> {
    actix_web::rt::time::timeout(media.timeout(), read_all(req, payload, media.limit()))
        .await
        .map_err(|_| ApiError::new(ErrorCode::RequestTimeout, "The request body took too long to arrive."))?
}

async fn read_all(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    // What the client declares is not trusted with an allocation: the body grows as it arrives.
    let mut body = Vec::with_capacity(declared.map_or(0, |n| (n as usize).min(MAX_BODY_BYTES)));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::new(ErrorCode::InvalidBody, "The request body could not be read."))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads a JSON object body; `None` when the body is empty. The media type must be one `media` allows (a
/// missing `Content-Type` is taken as JSON), the bytes UTF-8 JSON, and the value an object.
pub async fn json_object(
    req: &HttpRequest,
    payload: web::Payload,
    media: Media,
) -> Result<Option<JsonObject>, ApiError> {
    let bytes = read_capped(req, payload).await?;
    parse_object(req, &bytes, media)
}

/// [`json_object`] of a body already read.
pub fn parse_object(req: &HttpRequest, bytes: &[u8], media: Media) -> Result<Option<JsonObject>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    check_media(req, media)?;
    let text = std::str::from_utf8(bytes).map_err(|_| ApiError::invalid_json("it is not UTF-8"))?;
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(object)) => Ok(Some(object)),
        Ok(_) => Err(ApiError::invalid(vec![FieldError::new("body", "must be a JSON object")], false)),
        Err(error) => Err(ApiError::invalid_json(&error.to_string())),
    }
}

/// Refuses a body whose `Content-Type` is not one `media` allows (a missing one is taken as the route's own).
pub fn check_media(req: &HttpRequest, media: Media) -> Result<(), ApiError> {
    if req.headers().get(CONTENT_TYPE).is_none() {
        return Ok(());
    }
    let mime = req.mime_type().ok().flatten();
    let essence = mime.as_ref().map(|m| (m.type_().as_str(), m.subtype().as_str(), m.suffix().map(|s| s.as_str())));
    let accepted = match essence {
        Some(("text", "csv", _)) => media == Media::Csv,
        Some(("application", "json", _)) | Some(("application", _, Some("json"))) => media != Media::Csv,
        Some(("text", "plain", _)) => media == Media::JsonOrText,
        _ => false,
    };
    if accepted {
        Ok(())
    } else {
        let takes = match media {
            Media::Json => "application/json",
            Media::JsonOrText => "application/json or text/plain holding JSON",
            Media::Csv => "text/csv",
        };
        Err(ApiError::new(ErrorCode::UnsupportedMediaType, format!("This route takes {takes}.")))
    }
}
