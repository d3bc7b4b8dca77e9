//! How a signal request names itself over HTTP, so that a retry is recognised: the `Idempotency-Key` header (sent
//! at most once, 1–255 printable ASCII characters) and the canonical hash of the body; and the header that marks
//! an answer replayed from a receipt.

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::header::{HeaderName, HeaderValue};
use quantarya_domain::{BodyHash, IdempotencyKey, JsonObject};
use quantarya_ports::{FieldError, SignalIdentity};

use crate::error::ApiError;
use crate::route::{Param, ParamKind};

/// The request header a client names a request with.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The same header's name as actix looks it up: a `&str` is lowercased into a new `HeaderName` at every lookup.
const IDEMPOTENCY_KEY_HEADER: HeaderName = HeaderName::from_static("idempotency-key");

/// The header of an answer replayed from a receipt.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The header as the route documents it.
pub const IDEMPOTENCY_KEY_PARAM: Param = Param {
    name: IDEMPOTENCY_KEY,
    description: "Names the request for retries: the same key with the same body within 24 hours is answered from \
                  its receipt (200, `Idempotent-Replayed: true`) and changes nothing; with another body it is 422 \
                  `idempotency_key_reused`. Without it, a byte-identical retry within 10 minutes is recognised by \
                  its body.",
    kind: ParamKind::IdempotencyKey,
};

/// The identity of a signal request whose body is `body` (before its `api_key` is taken out; the hash leaves it
/// out).
pub fn identity(req: &HttpRequest, body: &JsonObject) -> Result<SignalIdentity, ApiError> {
    let blame = |message: &str| ApiError::invalid(vec![FieldError::new(IDEMPOTENCY_KEY, message)], false);
    let mut sent = req.headers().get_all(IDEMPOTENCY_KEY_HEADER);
    let key = match (sent.next(), sent.next()) {
        (None, _) => None,
        (Some(value), None) => {
            let text = value.to_str().map_err(|_| blame("must be printable ASCII"))?;
            Some(IdempotencyKey::parse(text).map_err(|e| blame(&e.to_string()))?)
        }
        (Some(_), Some(_)) => return Err(blame("must be sent once")),
    };
    Ok(SignalIdentity { key, body: BodyHash::of(body) })
}

/// `response`, marked as replayed from a receipt.
pub fn replayed(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_looked_up_is_the_one_documented() {
        assert_eq!(IDEMPOTENCY_KEY_HEADER.as_str(), IDEMPOTENCY_KEY.to_ascii_lowercase());
    }
}
