//! The answers of a refused request: RFC 6750 §3 `Bearer` challenges, RFC 9449 §7.1 `DPoP`
//! ones for DPoP-bound tokens, with RFC 9728's `resource_metadata` when the service has it.

use http::header::{CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Response, StatusCode};

use super::binding::{Binding, BindingRefusal};
use super::error::VerifyError;

/// Why a request is not let through.
pub(crate) enum Refusal {
    /// No token at all.
    Missing,
    /// The token did not verify.
    Invalid(VerifyError),
    /// The token is bound and this request does not prove the binding.
    Unbound(BindingRefusal),
    /// The token lacks a scope or a role.
    Insufficient { why: String, scopes: String },
}

/// The refusal as an RFC 6750 answer; `metadata_url` joins every challenge as RFC 9728's
/// `resource_metadata`.
pub(crate) fn refuse<B: From<String>>(
    refusal: Refusal,
    metadata_url: Option<&str>,
    binding: &Binding,
) -> Response<B> {
    // Only DPoP challenges name the algorithms; admitted requests never build the list.
    let algs = || binding.algs();
    let (status, mut challenge, body) = match &refusal {
        Refusal::Missing => (
            StatusCode::UNAUTHORIZED,
            Some("Bearer".to_owned()),
            serde_json::json!({"error": "invalid_token", "error_description": "An access token is required"}),
        ),
        Refusal::Invalid(e) if !e.is_token_problem() => (
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            serde_json::json!({"error": "temporarily_unavailable", "error_description": e.public_description()}),
        ),
        Refusal::Invalid(e) => (
            StatusCode::UNAUTHORIZED,
            Some(format!(
                r#"Bearer error="invalid_token", error_description="{}""#,
                e.public_description()
            )),
            serde_json::json!({"error": "invalid_token", "error_description": e.public_description()}),
        ),
        Refusal::Unbound(BindingRefusal::Busy) => (
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            serde_json::json!({"error": "temporarily_unavailable", "error_description": "Too many DPoP proofs are held to check another now"}),
        ),
        Refusal::Unbound(BindingRefusal::Token { description, dpop }) => {
            let scheme = if *dpop { "DPoP" } else { "Bearer" };
            let mut challenge =
                format!(r#"{scheme} error="invalid_token", error_description="{description}""#);
            if *dpop {
                challenge.push_str(&format!(r#", algs="{}""#, algs()));
            }
            (
                StatusCode::UNAUTHORIZED,
                Some(challenge),
                serde_json::json!({"error": "invalid_token", "error_description": description}),
            )
        }
        Refusal::Unbound(BindingRefusal::NonceRequired(_)) => (
            StatusCode::UNAUTHORIZED,
            Some(format!(
                r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="{}""#,
                algs()
            )),
            serde_json::json!({"error": "use_dpop_nonce", "error_description": "Resource server requires nonce in DPoP proof"}),
        ),
        Refusal::Unbound(BindingRefusal::Proof(description)) => (
            StatusCode::UNAUTHORIZED,
            Some(format!(
                r#"DPoP error="invalid_dpop_proof", error_description="{}", algs="{}""#,
                quotable(description),
                algs()
            )),
            serde_json::json!({"error": "invalid_dpop_proof", "error_description": description}),
        ),
        Refusal::Insufficient { why, scopes } => {
            let mut challenge = format!(
                r#"Bearer error="insufficient_scope", error_description="{}""#,
                quotable(why)
            );
            if !scopes.is_empty() {
                challenge.push_str(&format!(r#", scope="{}""#, quotable(scopes)));
            }
            (
                StatusCode::FORBIDDEN,
                Some(challenge),
                serde_json::json!({"error": "insufficient_scope", "error_description": why}),
            )
        }
    };
    if let (Some(challenge), Some(url)) = (challenge.as_mut(), metadata_url) {
        let separator = if challenge == "Bearer" { " " } else { ", " };
        challenge.push_str(&format!(
            r#"{separator}resource_metadata="{}""#,
            quotable(url)
        ));
    }
    let mut response = Response::new(B::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Refusal::Unbound(BindingRefusal::NonceRequired(nonce)) = &refusal {
        // Base64url: always a valid header value.
        if let Ok(value) = HeaderValue::from_str(nonce) {
            headers.insert("dpop-nonce", value);
        }
    }
    if let Some(challenge) = challenge {
        // Scopes and rules come from the service's own configuration; should one hold a byte
        // a header cannot, a bare challenge is still a correct answer.
        let value = HeaderValue::from_str(&challenge)
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        headers.insert(WWW_AUTHENTICATE, value);
    }
    response
}

/// RFC 6750 §3 forbids `"` and `\` inside these quoted values; scopes and rule names are
/// configuration, so offending characters are dropped rather than trusted.
fn quotable(value: &str) -> String {
    value.chars().filter(|c| !matches!(c, '"' | '\\')).collect()
}
