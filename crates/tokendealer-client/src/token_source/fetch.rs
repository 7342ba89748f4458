//! One token request: the client's authentication (secret, signed assertion or assertion
//! file), a DPoP proof when the source holds a key (answering one `use_dpop_nonce`), and the
//! answer read into an [`AccessToken`].

use std::borrow::Cow;
use std::time::Duration;

use tokio::time::Instant;

use super::{AuthMethod, TokenSource, form_encode};
use crate::access_token::AccessToken;
use crate::assertion::{JWT_BEARER, read_assertion_file};
use crate::dpop_proof::nonce_asked;
use crate::error::ClientError;
use crate::wire::{ErrorResponse, TokenResponse};

/// RFC 9449 §8: the error a server answers when a proof must carry its nonce.
pub(crate) const USE_DPOP_NONCE: &str = "use_dpop_nonce";

impl TokenSource {
    /// Asks for a token; when the dealer wants a DPoP nonce it has just given, asks once more
    /// with it (RFC 9449 §8). Everything is made anew for the second request: an assertion's
    /// `jti` may already be spent.
    pub(super) async fn fetch(&self) -> Result<AccessToken, ClientError> {
        let (answer, nonce_given) = self.ask().await;
        match answer {
            Err(ClientError::OAuth { ref error, .. })
                if error == USE_DPOP_NONCE && nonce_given && self.inner.dpop.is_some() =>
            {
                self.ask().await.0
            }
            other => other,
        }
    }

    /// One request, and whether its answer carried a `DPoP-Nonce` (now remembered).
    async fn ask(&self) -> (Result<AccessToken, ClientError>, bool) {
        let inner = &*self.inner;
        let now = jsonwebtoken::get_current_timestamp();
        let request = match self.authenticated(now).await {
            Ok(request) => request,
            Err(e) => return (Err(e), false),
        };
        let request = match &inner.dpop {
            None => Ok(request),
            Some(key) => {
                let nonce = inner.nonces.get(&inner.endpoint);
                key.dpop_proof("POST", &inner.endpoint, now, None, nonce.as_deref())
                    .map(|proof| request.header("DPoP", proof))
            }
        };
        let sent_at = Instant::now();
        let response = match request {
            Ok(request) => request.send().await,
            Err(e) => return (Err(e), false),
        };
        let response = match response {
            Ok(response) => response,
            Err(e) => return (Err(e.into()), false),
        };
        let nonce = nonce_asked(response.headers());
        if let Some(nonce) = &nonce {
            inner.nonces.remember(&inner.endpoint, nonce);
        }
        (self.read(response, sent_at).await, nonce.is_some())
    }

    /// The token request with the client's authentication in it.
    async fn authenticated(&self, now: u64) -> Result<reqwest::RequestBuilder, ClientError> {
        let inner = &*self.inner;
        let mut form: Vec<(&str, Cow<'_, str>)> = vec![("grant_type", "client_credentials".into())];
        form.extend(inner.form.iter().map(|(k, v)| (*k, v.as_str().into())));
        let mut request = inner.http.post(inner.endpoint.clone());
        match &inner.auth_method {
            AuthMethod::ClientSecretBasic => {
                request = request.basic_auth(
                    form_encode(&inner.client_id),
                    Some(form_encode(&inner.client_secret)),
                );
            }
            AuthMethod::ClientSecretPost => {
                form.push(("client_id", inner.client_id.as_str().into()));
                form.push(("client_secret", inner.client_secret.as_str().into()));
            }
            AuthMethod::PrivateKeyJwt(key) => {
                let assertion = key.assertion(&inner.client_id, &inner.endpoint, now)?;
                form.push(("client_id", inner.client_id.as_str().into()));
                form.push(("client_assertion_type", JWT_BEARER.into()));
                form.push(("client_assertion", assertion.into()));
            }
            AuthMethod::ClientAssertionFile(path) => {
                let assertion = read_assertion_file(path).await?;
                if !inner.client_id.is_empty() {
                    form.push(("client_id", inner.client_id.as_str().into()));
                }
                form.push(("client_assertion_type", JWT_BEARER.into()));
                form.push(("client_assertion", assertion.into()));
            }
        }
        Ok(request.form(&form))
    }

    async fn read(
        &self,
        response: reqwest::Response,
        sent_at: Instant,
    ) -> Result<AccessToken, ClientError> {
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorResponse>(&body) {
                Ok(e) => ClientError::OAuth {
                    status,
                    error: e.error.into_owned(),
                    description: e.error_description.map(Cow::into_owned),
                },
                Err(_) => ClientError::UnexpectedResponse {
                    status,
                    detail: String::from_utf8_lossy(&body).chars().take(200).collect(),
                },
            });
        }
        let answer: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| ClientError::UnexpectedResponse {
                status,
                detail: format!("not a token response: {e}"),
            })?;
        // A DPoP token is usable only with the key it is bound to; a dealer that ignores the
        // proof answers Bearer, and then the token goes out as one.
        let dpop = match answer.token_type.to_ascii_lowercase().as_str() {
            "bearer" => false,
            "dpop" if self.inner.dpop.is_some() => true,
            _ => {
                return Err(ClientError::UnexpectedResponse {
                    status,
                    detail: format!(
                        "token_type {:?} is not one this source can send",
                        answer.token_type
                    ),
                });
            }
        };
        Ok(AccessToken {
            secret: answer.access_token.into(),
            // Counted from when we asked, so transit time shortens our use, never lengthens it.
            expires_at: sent_at + Duration::from_secs(answer.expires_in),
            scope: answer.scope,
            dpop,
        })
    }
}
