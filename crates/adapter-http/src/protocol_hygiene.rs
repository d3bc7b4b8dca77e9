//! Rules of the protocol every answer obeys, whatever the route: a request whose body has two framings is refused
//! before anything reads it, so is one with two `Authorization` headers, and no answer to an authenticated request
//! may be kept by a cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, HeaderValue, TRANSFER_ENCODING};
use actix_web::middleware::Next;

use crate::auth_kind::{Auth, route_auth};
use crate::error::ApiError;
use crate::error_code::ErrorCode;

/// Set on a connection once a request on it was refused for its framing. Whatever sits in front of the server may
/// have framed that request's body the other way, so what follows it on the connection may be a request smuggled
/// in: nothing after it is served. (actix-http answers the requests already read from a connection even after an
/// answer that closes it.)
#[derive(Debug, Default, Clone)]
pub struct ConnectionFraming(Arc<AtomicBool>);

impl ConnectionFraming {
    fn refuse(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn is_refused(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Gives each new connection its [`ConnectionFraming`]; for `HttpServer::on_connect`.
pub fn on_connect(_connection: &dyn std::any::Any, data: &mut Extensions) {
    data.insert(ConnectionFraming::default());
}

/// Refuses a request with both `Content-Length` and `Transfer-Encoding`, and every later request on its
/// connection (400 `invalid_body`, and the connection closed, as RFC 9112 section 6.1 asks); marks every answer to
/// an authenticated request `Cache-Control: no-store`.
pub async fn protocol_hygiene<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let connection = req.conn_data::<ConnectionFraming>();
    let framed_twice = req.headers().contains_key(CONTENT_LENGTH) && req.headers().contains_key(TRANSFER_ENCODING);
    if framed_twice || connection.is_some_and(ConnectionFraming::is_refused) {
        if let Some(connection) = connection {
            connection.refuse();
        }
        let error = ApiError::new(
            ErrorCode::InvalidBody,
            "A request on this connection had both Content-Length and Transfer-Encoding, so where its body ends is \
             unknown; nothing more is read from the connection.",
        );
        let mut response = actix_web::ResponseError::error_response(&error);
        response.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
        return Ok(req.into_response(response).map_into_right_body());
    }
    if req.headers().get_all(AUTHORIZATION).nth(1).is_some() {
        // On every route, public ones included (`auth.rs` refuses it too, where credentials are read).
        let error = ApiError::unauthorized();
        let mut response = actix_web::ResponseError::error_response(&error);
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(req.into_response(response).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    if authenticated(&res) {
        res.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res.map_into_left_body())
}

/// Whether the request carried credentials: an `Authorization` header, or any request to a route that takes
/// them (a TradingView alert carries its key in the body).
fn authenticated<B>(res: &ServiceResponse<B>) -> bool {
    let request = res.request();
    request.headers().contains_key(AUTHORIZATION) || route_auth(request).is_some_and(|auth| auth != Auth::None)
}
