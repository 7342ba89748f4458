//! Runnerly's Data Service: serves a user's runs to callers whose token carries `runs:read`.

use axum::extract::Path;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};
use tokendealer::client::{Claims, RequireAccess, VerifyToken};

/// The scope a caller needs to read runs.
pub const READ_RUNS: &str = "runs:read";

/// The service's routes; `verifier` is local (JWKS) or remote (introspection).
pub fn router<V>(verifier: V) -> Router
where
    V: VerifyToken + Clone + 'static,
{
    Router::new().route(
        "/runs/{user}",
        get(runs).route_layer(RequireAccess::new(verifier).scope(READ_RUNS)),
    )
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
