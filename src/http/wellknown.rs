//! Public documents: the JWKS, the RFC 8414 metadata and the health check.

use bytes::Bytes;
use http::Response;

use super::AppState;
use super::error::Body;
use super::response::cacheable;
use crate::domain::keys::SigningAlg;

pub fn jwks(state: &AppState) -> Response<Body> {
    cacheable(state.issuer.keys().ring().jwks_json(), state.jwks_max_age)
}

pub fn metadata(state: &AppState) -> Response<Body> {
    cacheable(state.metadata.clone(), state.jwks_max_age)
}

pub fn healthz() -> Response<Body> {
    super::response::bytes_response(
        http::StatusCode::OK,
        Bytes::from_static(br#"{"status":"ok"}"#),
    )
}

/// The RFC 8414 authorization server metadata, serialized once at start.
pub fn metadata_document(issuer: &str) -> anyhow::Result<Bytes> {
    let algs: Vec<&str> = SigningAlg::ALL.iter().map(|a| a.as_str()).collect();
    let doc = serde_json::json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/oauth/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials", "password"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint": format!("{issuer}/oauth/introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": [],
        "access_token_signing_alg_values_supported": algs,
    });
    Ok(Bytes::from(serde_json::to_vec(&doc)?))
}
