//! The metrics listener's one resource: `GET /metrics` in Prometheus text format. Everything
//! else there is a 404; the main listener has no `/metrics` at all.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;

use super::AppState;
use super::error::{Body, Rejection};
use crate::domain::UnixTime;
use crate::domain::keys::{KeyState, SigningAlg};
use crate::telemetry::metrics::CONTENT_TYPE;

/// Answers one request on the metrics listener.
pub async fn handle<B>(
    state: Arc<AppState>,
    req: Request<B>,
) -> Result<Response<Body>, Infallible> {
    let response = match (req.uri().path(), req.method()) {
        ("/metrics", &Method::GET | &Method::HEAD) => scrape(&state),
        ("/metrics", _) => Rejection::MethodNotAllowed("GET, HEAD").into_response(),
        _ => Rejection::NotFound.into_response(),
    };
    Ok(response)
}

fn scrape(state: &AppState) -> Response<Body> {
    let now = UnixTime::now().as_secs();
    let keys = state.issuer.keys().list().unwrap_or_default();
    let age = |alg: SigningAlg| {
        keys.iter()
            .filter(|k| k.alg == alg.as_str() && k.state == KeyState::Active)
            .map(|k| now.saturating_sub(k.activated_at.unwrap_or(k.created_at)))
            .min()
    };
    let metrics = &state.telemetry.metrics;
    metrics.set_scraped(
        state.issuer.signing_queue(),
        SigningAlg::ALL.map(|alg| (alg, age(alg))),
    );
    match metrics.encode() {
        Ok(text) => {
            let mut r = Response::new(Full::new(Bytes::from(text)));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(_) => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"encoding failed\n")));
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    }
}
