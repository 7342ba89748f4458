//! Discovery of the dealer's endpoints from its RFC 8414 authorization server metadata.

use reqwest::{StatusCode, Url};
use serde::Deserialize;

use super::error::ClientError;

const WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";

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
    /// Reads the metadata of the dealer at `base_url` (its issuer, or any URL it is reached
    /// at). For a URL without a path that is `{base_url}/.well-known/oauth-authorization-server`.
    /// With a path (`https://auth.example/tenant-a`), RFC 8414 §3.1's location comes first,
    /// the well-known URI inserted before the path
    /// (`https://auth.example/.well-known/oauth-authorization-server/tenant-a`); when that is
    /// 404, the document appended to the path, as a proxy that forwards the prefix serves it.
    pub async fn discover(http: &reqwest::Client, base_url: &str) -> Result<Self, ClientError> {
        let appended = format!("{}{WELL_KNOWN}", base_url.trim_end_matches('/'));
        let inserted = Url::parse(base_url).ok().and_then(|url| {
            let path = url.path().trim_end_matches('/');
            (!path.is_empty())
                .then(|| format!("{}{WELL_KNOWN}{path}", url.origin().ascii_serialization()))
        });
        if let Some(inserted) = inserted {
            let response = http.get(inserted).send().await?;
            if response.status() != StatusCode::NOT_FOUND {
                return Ok(response.error_for_status()?.json().await?);
            }
        }
        Ok(http
            .get(appended)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }
}
