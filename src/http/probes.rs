//! The probes: liveness (`/healthz`, `/livez`) and readiness (`/readyz`), for load balancers and
//! orchestrators.

use bytes::Bytes;
use http::{Response, StatusCode};

use super::response::{Body, bytes_response, json_no_store};
use super::state::AppState;

/// Liveness: 200 whenever the process answers. Nothing it depends on is checked: a restart
/// would cure neither a database out of reach nor a stop under way (that is `/readyz`'s).
pub fn healthz() -> Response<Body> {
    bytes_response(StatusCode::OK, Bytes::from_static(br#"{"status":"ok"}"#))
}

/// Readiness: 200 `{"status":"ready"}` while a token request would be served; else 503 with
/// why, `{"status":"not_ready","reason":…,"description":…}`. Never cached: it changes.
pub fn readyz(state: &AppState) -> Response<Body> {
    match state.readiness.check() {
        Ok(()) => json_no_store(StatusCode::OK, &serde_json::json!({ "status": "ready" })),
        Err(why) => json_no_store(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({
                "status": "not_ready",
                "reason": why.reason(),
                "description": why.description(),
            }),
        ),
    }
}
