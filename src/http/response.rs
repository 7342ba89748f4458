//! Building responses: JSON bodies with the caching headers each endpoint needs.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use serde::Serialize;

/// Every response body: the whole answer in memory, sent at once.
pub type Body = Full<Bytes>;

/// The challenge every JSON 401 gets unless its error names a precise one (RFC 9110 §15.5.2):
/// the tokenleader-compatible answers, which take tokens, and the default `error.rs` replaces.
pub const BEARER_CHALLENGE: &str = r#"Bearer realm="tokendealer""#;

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
            HeaderValue::from_static(BEARER_CHALLENGE),
        );
    }
    r
}

/// `Cache-Control` letting any cache keep a document for `max_age` seconds (RFC 9111 §5.2.2).
pub fn public_cache_control(max_age: u64) -> HeaderValue {
    // Always a valid header value (ASCII and digits); were it not, no cache keeps the document.
    HeaderValue::try_from(format!("public, max-age={max_age}"))
        .unwrap_or(HeaderValue::from_static("no-cache"))
}

/// Pre-serialized JSON that caches may keep (JWKS, discovery), with its `Cache-Control`.
pub fn cacheable(bytes: Bytes, cache_control: &HeaderValue) -> Response<Body> {
    let mut r = bytes_response(StatusCode::OK, bytes);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, cache_control.clone());
    r
}
