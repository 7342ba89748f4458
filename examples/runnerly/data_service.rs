//! Runnerly's Data Service: serves a user's runs to callers whose token carries `runs:read`,
//! and, for a bound token, only to the holder of its DPoP key or client certificate.

use axum::extract::Path;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};
use tokendealer::client::{Claims, RequireAccess, VerifyToken};

/// The scope a caller needs to read runs.
pub const READ_RUNS: &str = "runs:read";

/// The service's routes; `verifier` is local (JWKS) or remote (introspection). DPoP proofs
/// are checked against the URL the request arrived at (fine when clients call it directly).
pub fn router<V>(verifier: V) -> Router
where
    V: VerifyToken + Clone + 'static,
{
    router_at(verifier, None)
}

/// Like [`router`], for a service clients reach at `public_url` (behind a proxy): the URL
/// DPoP proofs must name.
pub fn router_at<V>(verifier: V, public_url: Option<reqwest::Url>) -> Router
where
    V: VerifyToken + Clone + 'static,
{
    let mut access = RequireAccess::new(verifier).scope(READ_RUNS);
    if let Some(url) = public_url {
        access = access.public_url(url);
    }
    Router::new().route("/runs/{user}", get(runs).route_layer(access))
}

/// The handler sees only admitted requests, with the caller's verified claims.
async fn runs(Path(user): Path<String>, Extension(caller): Extension<Claims>) -> Json<Value> {
    Json(json!({
        "user": user,
        "served_to": caller.sub,
        "runs": [
            { "id": 1, "distance_km": 10.2, "duration_s": 3120 },
            { "id": 2, "distance_km": 21.1, "duration_s": 7010 },
        ],
    }))
}
