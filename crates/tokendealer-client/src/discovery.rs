//! Discovery of the dealer's endpoints from its RFC 8414 authorization server metadata.

use serde::Deserialize;

use super::error::ClientError;

/// The dealer's RFC 8414 metadata, as far as resource servers need it.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerMetadata {
    /// The `iss` its tokens carry.
    pub issuer: String,
    /// Where its public keys are.
    pub jwks_uri: String,
    /// Where clients get tokens.
    pub token_endpoint: Option<String>,
    /// Where tokens can be introspected (RFC 7662).
    pub introspection_endpoint: Option<String>,
}

impl ServerMetadata {
    /// Reads `{base_url}/.well-known/oauth-authorization-server`.
    pub async fn discover(http: &reqwest::Client, base_url: &str) -> Result<Self, ClientError> {
        let url = format!(
            "{}/.well-known/oauth-authorization-server",
            base_url.trim_end_matches('/')
        );
        Ok(http
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }
}
