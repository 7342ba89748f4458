//! Runnerly's Strava worker: reads runs from the Data Service with its own client credentials.

use tokendealer::client::TokenSource;

/// A worker that authenticates to the Data Service with tokens from the dealer.
pub struct StravaWorker {
    tokens: TokenSource,
    data_service: String,
}

impl StravaWorker {
    /// `token_endpoint` is the dealer's; `audience` the Data Service's registered audience.
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
            .build()?;
        Ok(Self {
            tokens,
            data_service: data_service.trim_end_matches('/').to_owned(),
        })
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
