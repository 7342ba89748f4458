//! Client-credentials token fetching with a shared cache and single-flight refresh.

mod builder;
mod fetch;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use reqwest::{IntoUrl, Url};
use tokio::time::Instant;

use super::access_token::AccessToken;
use super::assertion::ClientAssertionKey;
use super::dpop_proof::NonceMemory;
use super::error::ClientError;
use super::signing::SigningKey;

pub use builder::TokenSourceBuilder;
pub(crate) use builder::form_encode;

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1, RFC 7523 §2.2).
#[derive(Debug, Clone, Default)]
pub enum AuthMethod {
    /// HTTP Basic with the form-urlencoded id and secret (the default).
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` as form fields.
    ClientSecretPost,
    /// `private_key_jwt`: each request carries a fresh assertion signed with this key
    /// (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`).
    PrivateKeyJwt(ClientAssertionKey),
    /// The `client_assertion` is the JWT in this file, read again for each request: a
    /// Kubernetes projected service-account token (or any token of an issuer the dealer
    /// trusts), which the kubelet rotates in place. `client_id` is sent only when not empty.
    ClientAssertionFile(PathBuf),
}

/// Fetches client-credentials tokens from the dealer and caches them until shortly before
/// they expire. Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Url,
    client_id: String,
    client_secret: String,
    form: Vec<(&'static str, String)>,
    auth_method: AuthMethod,
    /// When set, every token request carries a proof of this key (RFC 9449).
    dpop: Option<SigningKey>,
    /// The nonces the dealer and resource servers asked DPoP proofs to carry.
    nonces: NonceMemory,
    refresh_margin: Duration,
    http: reqwest::Client,
    cached: ArcSwapOption<AccessToken>,
    /// Held across the request so concurrent callers wait for one fetch instead of starting
    /// many; holds the error of the last fetch when it failed.
    fetching: tokio::sync::Mutex<Option<ClientError>>,
    /// Counts finished fetches, so a waiter can tell that one finished while it waited.
    flights: AtomicU64,
}

impl TokenSource {
    /// Starts configuring a source for `client_id` at `token_endpoint`.
    pub fn builder(
        token_endpoint: impl IntoUrl,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> TokenSourceBuilder {
        TokenSourceBuilder::new(
            token_endpoint.into_url(),
            client_id.into(),
            client_secret.into(),
            AuthMethod::default(),
        )
    }

    /// Starts configuring a source for `client_id` that authenticates with `private_key_jwt`
    /// (RFC 7523 §2.2): no secret; each token request carries a new assertion signed by `key`.
    pub fn private_key_jwt(
        token_endpoint: impl IntoUrl,
        client_id: impl Into<String>,
        key: ClientAssertionKey,
    ) -> TokenSourceBuilder {
        TokenSourceBuilder::new(
            token_endpoint.into_url(),
            client_id.into(),
            String::new(),
            AuthMethod::PrivateKeyJwt(key),
        )
    }

    /// Starts configuring a source that authenticates with the token in `path` (a Kubernetes
    /// projected service-account token the dealer's federation trusts), read for each token
    /// request. The dealer finds the client from the token; name it with
    /// [`TokenSourceBuilder::client_id`] to send `client_id` as well.
    pub fn assertion_file(
        token_endpoint: impl IntoUrl,
        path: impl Into<PathBuf>,
    ) -> TokenSourceBuilder {
        TokenSourceBuilder::new(
            token_endpoint.into_url(),
            String::new(),
            String::new(),
            AuthMethod::ClientAssertionFile(path.into()),
        )
    }

    /// The cached token while it has more than the refresh margin left, else a fresh one.
    pub async fn token(&self) -> Result<AccessToken, ClientError> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let flights_seen = self.inner.flights.load(Ordering::SeqCst);
        let mut last_failure = self.inner.fetching.lock().await;
        // Whoever held the lock before us has probably just refreshed it...
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        // ...or failed, while we waited: share that answer rather than ask again at once.
        if self.inner.flights.load(Ordering::SeqCst) != flights_seen {
            if let Some(error) = &*last_failure {
                return Err(error.clone());
            }
        }
        let fetched = self.fetch().await;
        self.inner.flights.fetch_add(1, Ordering::SeqCst);
        match fetched {
            Ok(token) => {
                *last_failure = None;
                self.inner.cached.store(Some(Arc::new(token.clone())));
                Ok(token)
            }
            Err(error) => {
                *last_failure = Some(error.clone());
                Err(error)
            }
        }
    }

    /// Forgets the cached token, whatever it is.
    pub fn invalidate(&self) {
        self.inner.cached.store(None);
    }

    /// Forgets the cached token only if it is `failed`: callers that saw the same token
    /// rejected then cause one refetch, not one each.
    pub fn invalidate_if(&self, failed: &AccessToken) {
        self.inner.cached.rcu(|current| match current {
            Some(token) if token.secret == failed.secret => None,
            other => other.clone(),
        });
    }

    /// The HTTP client used for the token endpoint and for [`TokenSource::send_authorized`].
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The DPoP key the source proves possession of, when it has one.
    pub fn dpop_key(&self) -> Option<&SigningKey> {
        self.inner.dpop.as_ref()
    }

    pub(crate) fn nonces(&self) -> &NonceMemory {
        &self.inner.nonces
    }

    fn fresh(&self) -> Option<AccessToken> {
        let cached = self.inner.cached.load_full()?;
        let usable_until = cached.expires_at.checked_sub(self.inner.refresh_margin)?;
        (Instant::now() < usable_until).then(|| (*cached).clone())
    }
}
