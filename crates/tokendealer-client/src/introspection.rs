//! Remote verification: asking the dealer's RFC 7662 introspection endpoint about a token.

use std::future::Future;
use std::sync::Arc;

use reqwest::{IntoUrl, Url};
use serde::Deserialize;

use super::claims::{Claims, WireClaims};
use super::discovery::ServerMetadata;
use super::error::{ClientError, VerifyError};
use super::token_source::form_encode;
use super::verifier::VerifyToken;

/// Verifies tokens by introspection: one request per token, no caching, so revocation is
/// seen at once. Cheap to clone.
#[derive(Clone)]
pub struct IntrospectionVerifier {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    endpoint: Url,
    client_id: String,
    client_secret: String,
    /// `None` only by [`IntrospectionVerifier::any_audience`].
    audience: Option<String>,
    http: reqwest::Client,
}

impl IntrospectionVerifier {
    /// Introspects at `endpoint`, authenticating with HTTP Basic as `client_id`, and accepts
    /// only active tokens whose `aud` contains `audience` (this service's identifier), as
    /// [`super::Verifier`] does.
    pub fn new(
        endpoint: impl IntoUrl,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        audience: impl Into<String>,
    ) -> Result<Self, ClientError> {
        Ok(Self {
            inner: Arc::new(Inner {
                endpoint: endpoint.into_url()?,
                client_id: client_id.into(),
                client_secret: client_secret.into(),
                audience: Some(audience.into()),
                http: reqwest::Client::new(),
            }),
        })
    }

    /// Uses the discovered `introspection_endpoint`.
    pub fn from_metadata(
        metadata: &ServerMetadata,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        audience: impl Into<String>,
    ) -> Result<Self, ClientError> {
        let endpoint = metadata.introspection_endpoint.as_deref().ok_or_else(|| {
            ClientError::Config("the dealer publishes no introspection_endpoint".into())
        })?;
        Self::new(endpoint, client_id, client_secret, audience)
    }

    /// Accepts an active token whatever its `aud`: an explicit choice for a gateway that
    /// checks audiences itself. A service checking its own tokens should not use this.
    pub fn any_audience(self) -> Self {
        self.map_inner(|inner| inner.audience = None)
    }

    /// Uses this HTTP client instead of a default one.
    pub fn http_client(self, client: reqwest::Client) -> Self {
        self.map_inner(|inner| inner.http = client)
    }

    fn map_inner(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Asks the dealer whether `token` is active and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let inner = &*self.inner;
        let unavailable =
            |e: reqwest::Error| VerifyError::Unavailable(format!("introspection: {e}"));
        let answer: Answer = inner
            .http
            .post(inner.endpoint.clone())
            .basic_auth(
                form_encode(&inner.client_id),
                Some(form_encode(&inner.client_secret)),
            )
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .map_err(unavailable)?
            .error_for_status()
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        if !answer.active {
            return Err(VerifyError::Inactive);
        }
        let claims = answer
            .claims
            .into_claims()
            .map_err(VerifyError::Malformed)?;
        if let Some(audience) = &inner.audience {
            if !claims.aud.contains(audience) {
                return Err(VerifyError::WrongAudience);
            }
        }
        Ok(claims)
    }
}

impl VerifyToken for IntrospectionVerifier {
    fn verify_token(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Claims, VerifyError>> + Send {
        self.verify(token)
    }
}

#[derive(Deserialize)]
struct Answer {
    active: bool,
    #[serde(flatten)]
    claims: WireClaims,
}
