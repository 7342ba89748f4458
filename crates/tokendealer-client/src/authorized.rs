//! Sending requests with the source's token — `Bearer`, or `DPoP` with a fresh proof — and
//! trying once more on a 401: with the nonce a resource server asked for, or with a new token.

use reqwest::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{RequestBuilder, Response, StatusCode};

use super::access_token::AccessToken;
use super::dpop_proof::nonce_asked;
use super::error::ClientError;
use super::token_source::TokenSource;

impl TokenSource {
    /// Sends the request made by `build` with the source's token; when the answer is 401,
    /// drops that token, fetches a new one and sends once more.
    ///
    /// A DPoP-bound token (the source was built with [`dpop`](crate::TokenSourceBuilder::dpop)
    /// and the dealer bound it) goes out as `Authorization: DPoP <token>` with a `DPoP` proof
    /// for this request's method and URL, carrying the token's hash (`ath`). A 401 that asks
    /// for a nonce (`WWW-Authenticate: DPoP error="use_dpop_nonce"` with `DPoP-Nonce`, RFC
    /// 9449 §9) is answered by one more request with it, keeping the token; the nonce is
    /// remembered for that server's later requests.
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
        let response = self.send_with(&build, &token).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        if token.dpop && asks_for_nonce(&response) {
            let response = self.send_with(&build, &token).await?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
        }
        self.invalidate_if(&token);
        let token = self.token().await?;
        self.send_with(&build, &token).await
    }

    async fn send_with<F>(&self, build: &F, token: &AccessToken) -> Result<Response, ClientError>
    where
        F: Fn(&reqwest::Client) -> RequestBuilder,
    {
        let (http, request) = build(self.http_client()).build_split();
        let mut request = request?;
        let key = self.dpop_key().filter(|_| token.dpop);
        let scheme = if key.is_some() { "DPoP" } else { "Bearer" };
        let mut authorization = HeaderValue::try_from(format!("{scheme} {}", token.secret()))
            .map_err(|_| ClientError::Config("the token is not a valid header value".into()))?;
        if let Some(key) = key {
            let nonce = self.nonces().get(request.url());
            let proof = key.dpop_proof(
                request.method().as_str(),
                request.url(),
                jsonwebtoken::get_current_timestamp(),
                Some(token.secret()),
                nonce.as_deref(),
            )?;
            let proof = HeaderValue::try_from(proof)
                .map_err(|_| ClientError::Config("the DPoP proof is not a header value".into()))?;
            request.headers_mut().insert("dpop", proof);
        }
        authorization.set_sensitive(true);
        request.headers_mut().insert(AUTHORIZATION, authorization);
        let url = request.url().clone();
        let response = http.execute(request).await?;
        // RFC 9449 §8.2/§9: a server may hand out its next nonce on any answer.
        if let Some(nonce) = nonce_asked(response.headers()) {
            self.nonces().remember(&url, &nonce);
        }
        Ok(response)
    }
}

/// A resource server's `WWW-Authenticate: DPoP error="use_dpop_nonce"` with a `DPoP-Nonce`.
fn asks_for_nonce(response: &Response) -> bool {
    let challenged = response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("use_dpop_nonce"));
    challenged && nonce_asked(response.headers()).is_some()
}
