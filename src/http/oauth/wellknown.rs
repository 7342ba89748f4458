//! Public documents: the JWKS and the discovery documents (RFC 8414, OpenID Connect).
//!
//! The JWKS and the discovery documents are the only resources open to browsers on other origins
//! (CORS): they hold nothing secret and a browser-based client or verifier needs them. Every
//! answer of theirs carries `Access-Control-Allow-Origin: *`, whether or not the request had an `Origin`, so
//! a cache keeps one copy for everybody (no `Vary: Origin`). No credentialed request is ever
//! allowed, and no other route answers CORS at all.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;

use super::discovery::Document;
use crate::http::error::Rejection;
use crate::http::response::{Body, cacheable};
use crate::http::state::AppState;

const PUBLIC_METHODS: &str = "GET, HEAD, OPTIONS";
/// Request headers a preflight is granted when it asks for none, or for some we cannot echo.
const SAFE_HEADERS: &str =
    "Accept, Accept-Language, Cache-Control, If-Modified-Since, If-None-Match";
/// How long a browser may reuse a preflight answer, in seconds (browsers cap it lower).
const PREFLIGHT_MAX_AGE: &str = "86400";

/// Answers a public document: `GET`/`HEAD` with `document`, `OPTIONS` (a CORS preflight or a plain
/// one) with 204, anything else 405.
pub fn public<B>(
    req: &Request<B>,
    document: impl FnOnce() -> Response<Body>,
) -> Result<Response<Body>, Rejection> {
    let mut response = match *req.method() {
        Method::GET | Method::HEAD => document(),
        Method::OPTIONS => preflight(req.headers()),
        _ => return Err(Rejection::MethodNotAllowed(PUBLIC_METHODS)),
    };
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(response)
}

fn preflight(request: &HeaderMap) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::NO_CONTENT;
    let allowed_headers = request
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .filter(|v| is_header_name_list(v.as_bytes()))
        .cloned()
        .unwrap_or(HeaderValue::from_static(SAFE_HEADERS));
    let h = r.headers_mut();
    let methods = HeaderValue::from_static(PUBLIC_METHODS);
    h.insert(header::ALLOW, methods.clone());
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allowed_headers);
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    // The allowed headers echo the request's.
    h.insert(
        header::VARY,
        HeaderValue::from_static("Access-Control-Request-Headers"),
    );
    r
}

/// A short comma-separated list of header names (RFC 9110 tokens), safe to echo: the document
/// is public and no credentials are allowed, so any header the page wants to send is harmless.
fn is_header_name_list(value: &[u8]) -> bool {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    value.len() <= 1024
        && value.split(|&b| b == b',').all(|name| {
            let name = name.trim_ascii();
            !name.is_empty() && name.iter().all(|&b| tchar(b))
        })
}

pub fn jwks(state: &AppState) -> Response<Body> {
    cacheable(
        state.issuer.keys().ring().jwks_json(),
        &state.public_cache_control,
    )
}

/// A discovery document (the route has checked that the path names this issuer's).
pub fn metadata(state: &AppState, which: Document) -> Response<Body> {
    cacheable(state.metadata.document(which), &state.public_cache_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_header_name_lists_are_echoed_to_a_preflight() {
        assert!(is_header_name_list(b"x-requested-with, if-none-match"));
        assert!(!is_header_name_list(b"a\"b"));
        assert!(!is_header_name_list(b"a,,b"));
        assert!(!is_header_name_list(b""));
    }
}
