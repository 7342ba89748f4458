//! Sending requests with the source's bearer token, refreshing it once on a 401.

use reqwest::{RequestBuilder, Response, StatusCode};

use super::error::ClientError;
use super::token_source::TokenSource;

impl TokenSource {
    /// Sends the request made by `build` with `Authorization: Bearer`; when the answer is 401,
    /// drops that token, fetches a new one and sends once more.
    ///
    /// `build` is called once per attempt because a sent `RequestBuilder` cannot be reused.
    /// Only the token that was refused is dropped, so many requests failing together cause one
    /// refetch.
    ///
    /// ```no_run
    /// # async fn run(source: tokendealer_client::TokenSource) -> Result<(), tokendealer_client::ClientError> {
    /// let runs = source
    ///     .send_authorized(|http| http.get("http://runs.internal/runs"))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_authorized<F>(&self, build: F) -> Result<Response, ClientError>
    where
        F: Fn(&reqwest::Client) -> RequestBuilder,
    {
        let token = self.token().await?;
        let response = build(self.http_client())
            .bearer_auth(token.secret())
            .send()
            .await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        self.invalidate_if(&token);
        let token = self.token().await?;
        Ok(build(self.http_client())
            .bearer_auth(token.secret())
            .send()
            .await?)
    }
}
