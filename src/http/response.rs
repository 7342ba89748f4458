//! Building responses: JSON bodies with the caching headers each endpoint needs.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use serde::Serialize;

use super::error::Body;

/// A JSON response that must never be cached: tokens, secrets, errors (RFC 6749 §5.1).
pub fn json_no_store<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<Body> {
    // Serializing our own types cannot fail; fall back to an empty object rather than panic.
    let bytes = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = bytes_response(status, Bytes::from(bytes));
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

/// A JSON response from bytes serialized ahead of time.
///
/// Every JSON response is built here, so this is where a 401 gets its challenge (RFC 9110
/// §15.5.2) whoever builds it: `Bearer realm`, which `error.rs` replaces with the precise
/// challenge of the error it answers.
pub fn bytes_response(status: StatusCode, bytes: Bytes) -> Response<Body> {
    let mut r = Response::new(Full::new(bytes));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if status == StatusCode::UNAUTHORIZED {
        h.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(super::error::BEARER_CHALLENGE),
        );
    }
    r
}

/// Pre-serialized JSON that caches may keep for `max_age` seconds (JWKS, discovery).
pub fn cacheable(bytes: Bytes, max_age: u64) -> Response<Body> {
    let mut r = bytes_response(StatusCode::OK, bytes);
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        r.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    r
}
