//! Runnerly's Strava worker: reads runs from the Data Service with its own client credentials,
//! its tokens bound to a DPoP key it holds (RFC 9449): a token copied from a log or a proxy is
//! of no use without that key.

use tokendealer::client::TokenSource;

/// A worker that authenticates to the Data Service with tokens from the dealer.
pub struct StravaWorker {
    tokens: TokenSource,
    data_service: String,
}

impl StravaWorker {
    /// `token_endpoint` is the dealer's; `audience` the Data Service's registered audience.
    /// The worker makes a new ES256 key for DPoP when it starts; a dealer without DPoP issues
    /// bearer tokens instead, which it then sends as such.
    pub fn new(
        token_endpoint: &str,
        client_id: &str,
        client_secret: &str,
        audience: &str,
        data_service: &str,
    ) -> Result<Self, tokendealer::client::ClientError> {
        let tokens = TokenSource::builder(token_endpoint, client_id, client_secret)
            .audience(audience)
            .scope(&["runs:read"])
            .dpop()
            .build()?;
        Ok(Self::with_source(tokens, data_service))
    }

    /// A worker whose tokens come from `tokens`, configured by the caller: e.g. one that
    /// authenticates with its Kubernetes service-account token (`TokenSource::assertion_file`).
    pub fn with_source(tokens: TokenSource, data_service: &str) -> Self {
        Self {
            tokens,
            data_service: data_service.trim_end_matches('/').to_owned(),
        }
    }

    /// The worker's token source (its cached token, for the operator's eyes).
    pub fn tokens(&self) -> &TokenSource {
        &self.tokens
    }

    /// Reads a user's runs. A 401 (expired, revoked, or re-keyed token) is handled by the token
    /// source: it fetches a fresh token and retries once.
    pub async fn read_runs(
        &self,
        user: &str,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let url = format!("{}/runs/{user}", self.data_service);
        let response = self.tokens.send_authorized(|http| http.get(&url)).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the data service answered {status}").into());
        }
        Ok(response.json().await?)
    }
}
