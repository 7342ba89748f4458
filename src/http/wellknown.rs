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

/// The URL of the endpoint at `path` (which starts with `/`) under `issuer`: one slash between
/// them whether or not the issuer ends with one. The issuer itself stays as configured.
pub fn endpoint_url(issuer: &str, path: &str) -> String {
    format!("{}{path}", issuer.trim_end_matches('/'))
}

/// The RFC 8414 authorization server metadata, serialized once at start. `issuer` is exactly
/// the configured one, as in the tokens' `iss` (RFC 8414 §3.3).
pub fn metadata_document(issuer: &str) -> anyhow::Result<Bytes> {
    let algs: Vec<&str> = SigningAlg::ALL.iter().map(|a| a.as_str()).collect();
    let url = |path| endpoint_url(issuer, path);
    let doc = serde_json::json!({
        "issuer": issuer,
        "token_endpoint": url("/oauth/token"),
        "jwks_uri": url("/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials", "password"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint": url("/oauth/introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint": url("/oauth/revoke"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": [],
        "access_token_signing_alg_values_supported": algs,
    });
    Ok(Bytes::from(serde_json::to_vec(&doc)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_have_one_slash_after_the_issuer_with_or_without_a_trailing_one() {
        for issuer in ["https://auth.example.com", "https://auth.example.com/"] {
            assert_eq!(
                endpoint_url(issuer, "/oauth/token"),
                "https://auth.example.com/oauth/token"
            );
        }
        assert_eq!(
            endpoint_url("https://x.example/tenant/", "/oauth/token"),
            "https://x.example/tenant/oauth/token"
        );
    }
}
