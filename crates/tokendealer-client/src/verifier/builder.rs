//! Configuring a [`Verifier`]: algorithms, leeway, JWKS cooldown, the legacy profile.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, AlgorithmFamily};

use super::{Inner, Verifier};
use crate::error::ClientError;
use crate::jwks::KeyCache;

/// Configures a [`Verifier`].
pub struct VerifierBuilder {
    pub(super) jwks_uri: reqwest::Result<reqwest::Url>,
    pub(super) issuer: String,
    pub(super) audience: String,
    pub(super) algorithms: Vec<Algorithm>,
    pub(super) leeway: Duration,
    pub(super) cooldown: Duration,
    pub(super) accept_legacy: bool,
    pub(super) http: Option<reqwest::Client>,
}

impl VerifierBuilder {
    /// Accepted signature algorithms (default `[RS512]`). HMAC algorithms are refused at
    /// [`build`](Self::build): a public key must never double as a shared secret.
    pub fn algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        self.algorithms = algorithms.to_vec();
        self
    }

    /// Clock skew tolerated on `exp` and `nbf` (default 30 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Least time between two JWKS fetches caused by unknown `kid`s (default 30 s).
    pub fn jwks_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Also accept tokens of the older tokenleader profile (`typ: JWT`, user object in `sub`,
    /// no `iss`/`aud`/`jti`); off by default. Such tokens usually carry no `kid`, so every
    /// published key is tried; only the allowed algorithms and the signature protect them.
    pub fn accept_legacy_tokenleader(mut self, accept: bool) -> Self {
        self.accept_legacy = accept;
        self
    }

    /// Uses this HTTP client for JWKS fetches.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the verifier; no request is made until the first token arrives.
    pub fn build(self) -> Result<Verifier, ClientError> {
        if self.algorithms.is_empty()
            || self
                .algorithms
                .iter()
                .any(|a| a.family() == AlgorithmFamily::Hmac)
        {
            return Err(ClientError::Config(
                "algorithms must be a non-empty list of asymmetric algorithms".into(),
            ));
        }
        Ok(Verifier {
            inner: Arc::new(Inner {
                keys: KeyCache::new(
                    self.jwks_uri?,
                    self.http.unwrap_or_default(),
                    self.cooldown.as_secs(),
                ),
                algorithms: self.algorithms,
                leeway: self.leeway.as_secs(),
                accept_legacy: self.accept_legacy,
                issuer: self.issuer,
                audience: self.audience,
            }),
        })
    }
}
