//! The HTTP edge: routing, request parsing and error responses, called by the transport
//! (`crate::server`) through [`Routes`] and [`Metrics`].
//! By API: `oauth/`, `admin/` (one table row per operation), `tokenleader/`, `console/`;
//! shared: the route table (`routes.rs`), its one authorization step (`access.rs`), request
//! parsing (`request.rs`, `body.rs`) and the one error → response map (`error.rs`).

mod access;
mod admin;
mod body;
pub mod client_cert;
pub mod console;
mod error;
mod handler;
pub mod metrics_endpoint;
mod oauth;
mod peer;
mod probes;
mod request;
mod response;
mod routes;
mod state;
mod tokenleader;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http::{Method, Request, Response, Version, header};
use hyper::body::Incoming;
use oauth::wellknown;
use routes::Handler;
use tracing::Instrument;

pub use body::BodyBudget;
pub use client_cert::ClientCertificates;
pub use error::Rejection;
pub use handler::{Metrics, Routes};
pub use oauth::discovery::{Discovery, MtlsSupport, endpoint_url};
pub use response::{Body, public_cache_control};
pub use routes::patterns as route_patterns;
pub use state::AppState;

use crate::domain::origin::RequestId;
use crate::domain::{OAuthError, UnixTime};
use crate::telemetry::metrics::Refusal;

/// The request id header: kept when valid, made otherwise, on every response.
/// (A `HeaderName`, not a string: a string is parsed into one on every use.)
pub const X_REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-request-id");

/// Answers one request. Never fails: every error becomes a response, and every response carries
/// the request's `X-Request-Id`, as does every log line written while it is handled.
pub async fn handle(
    state: Arc<AppState>,
    peer: SocketAddr,
    mut req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| RequestId::parse(v.as_bytes()))
        .unwrap_or_else(RequestId::random);
    req.extensions_mut().insert(request_id.clone());
    // At error level, so the id is on every line a request writes whatever `RUST_LOG` lets through.
    let span = tracing::error_span!("request", request_id = %request_id);
    let mut response = answer(&state, peer, req, started).instrument(span).await;
    if let Ok(value) = http::HeaderValue::from_str(request_id.as_str()) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    Ok(response)
}

async fn answer(
    state: &AppState,
    peer: SocketAddr,
    req: Request<Incoming>,
    started: Instant,
) -> Response<Body> {
    // Copying the method and path costs two allocations per request: only when debug is on.
    let logged = tracing::enabled!(tracing::Level::DEBUG)
        .then(|| (req.method().clone(), req.uri().path().to_owned()));
    let head = req.method() == Method::HEAD;
    let mut matched = None;
    let routed = if host_is_valid(&req) {
        route(state, req, &mut matched).await
    } else {
        Err(OAuthError::invalid_request("exactly one valid Host header is required").into())
    };
    let refusal = routed.as_ref().err().and_then(Rejection::refusal);
    let mut response = routed.unwrap_or_else(Rejection::into_response);
    let metrics = &state.telemetry.metrics;
    // An unready instance's probe answer is no refused request.
    if response.status() == http::StatusCode::SERVICE_UNAVAILABLE
        && !matched.is_some_and(routes::is_probe)
    {
        metrics.refused(refusal.unwrap_or(Refusal::Overloaded));
    }
    if head {
        without_body(&mut response);
    }
    if let Some((method, path)) = logged {
        tracing::debug!(%peer, %method, %path, status = response.status().as_u16(), "request");
    }
    metrics.request_done(matched, started.elapsed());
    response
}

/// Finds the request's row in [`routes`] (its index goes to `matched`), applies the
/// authorization it declares, then runs its handler.
async fn route(
    state: &AppState,
    mut req: Request<Incoming>,
    matched: &mut Option<usize>,
) -> Result<Response<Body>, Rejection> {
    // HEAD is GET without the body (RFC 9110 §9.3.2): every handler serves both by serving GET,
    // and `handle` takes the body off.
    if req.method() == Method::HEAD {
        *req.method_mut() = Method::GET;
        req.extensions_mut().insert(access::CameAsHead);
    }
    let (index, route) = find_route(state, &mut req)?;
    *matched = Some(index);
    let now = UnixTime::now();
    if route.access.takes_token() {
        // Boxed: the token checks' future (a proof's spending) would size every request's.
        Box::pin(access::authorize(route.access, state, &req, now)).await?;
    }
    // Every handler that waits runs boxed: a future is as large as its largest branch, and
    // hyper moves the request's future (this one inside it) by value, so unboxed, every request
    // would copy the state of the largest handler (kilobytes), several times over.
    match route.handler {
        Handler::Token => Box::pin(oauth::token::token(state, req)).await,
        Handler::Introspect => Box::pin(oauth::introspection::introspect(state, req)).await,
        Handler::Revoke => Box::pin(oauth::revocation::revoke(state, req)).await,
        Handler::Jwks => wellknown::public(&req, || wellknown::jwks(state)),
        Handler::Metadata(which) if state.metadata.serves(req.uri().path(), which) => {
            wellknown::public(&req, || wellknown::metadata(state, which))
        }
        Handler::Metadata(_) => Err(Rejection::NotFound),
        Handler::Healthz => Ok(probes::healthz()),
        Handler::Readyz => Ok(probes::readyz(state)),
        Handler::Tokenleader => Box::pin(tokenleader::route(state, req)).await,
        Handler::ActiveKey => tokenleader::catalog::active_key(state, req.uri().query()),
        Handler::Catalog => tokenleader::catalog::route(state, req),
        // Off, the console's rows are not found (`routes::find`).
        Handler::Console => Ok(Box::pin(console::route(state, req, now)).await),
        Handler::Admin => Box::pin(admin::dispatch(state, req, now)).await,
    }
}

/// The request's row; for an issuer with a path, a request under that path (as a proxy that
/// forwards the issuer's path delivers `{issuer}/oauth/token`) is routed, and handled, as the
/// same request without it. Tried only when the path as it came finds nothing: a row's own path
/// always wins. The console stays at `/console` only: its links and cookies are rooted there.
fn find_route(
    state: &AppState,
    req: &mut Request<Incoming>,
) -> Result<(usize, &'static routes::Route), Rejection> {
    let console = state.console.settings.enabled;
    let found = routes::find(req.uri().path(), req.method(), console);
    let Err(Rejection::NotFound) = found else {
        return found;
    };
    let Some(inner) = state.metadata.inner_uri(req.uri()) else {
        return found;
    };
    let row = routes::find(inner.path(), req.method(), false)?;
    *req.uri_mut() = inner;
    Ok(row)
}

/// A HEAD answer: the GET answer's headers, its length, no body. hyper drops the body itself on
/// HTTP/1 but would send it on HTTP/2, where a HEAD stream must end with the headers.
fn without_body(response: &mut Response<Body>) {
    use hyper::body::Body as _;
    if let Some(len) = response.body().size_hint().exact() {
        response
            .headers_mut()
            .entry(header::CONTENT_LENGTH)
            .or_insert_with(|| len.into());
    }
    *response.body_mut() = Body::default();
}

/// RFC 9112 §3.2: an HTTP/1.1 request without `Host`, or any request with several or a malformed
/// one, gets a 400. HTTP/1.0 may omit it; HTTP/2 carries the authority in `:authority` instead.
fn host_is_valid<B>(req: &Request<B>) -> bool {
    let mut hosts = req.headers().get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) => req.version() != Version::HTTP_11,
        (Some(host), None) => {
            host.is_empty() || http::uri::Authority::try_from(host.as_bytes()).is_ok()
        }
        (Some(_), Some(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn future_size<A, B, C, F: Future>(_: impl Fn(A, B, C) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// hyper moves each request's future by value, and a future is as large as the largest
    /// state of what it awaits: the handlers that wait run boxed, so a JWKS request does not
    /// copy the state of the console's (several KiB before they were boxed).
    #[test]
    fn a_request_s_future_stays_small_however_large_a_handler_s_is() {
        let size = future_size(handle);
        assert!(size <= 3 * 1024, "a request's future takes {size} bytes");
    }
}
