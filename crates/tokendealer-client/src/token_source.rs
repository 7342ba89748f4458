//! Client-credentials token fetching with a shared cache and single-flight refresh.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use reqwest::{IntoUrl, Url};
use tokio::time::Instant;

use super::access_token::AccessToken;
use super::error::ClientError;
use super::wire::{ErrorResponse, TokenResponse};

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuthMethod {
    /// HTTP Basic with the form-urlencoded id and secret (the default).
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` as form fields.
    ClientSecretPost,
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
    refresh_margin: Duration,
    http: reqwest::Client,
    cached: ArcSwapOption<AccessToken>,
    /// Held across the request so concurrent callers wait for one fetch instead of starting
    /// many; holds the error of the last fetch when it failed.
    fetching: tokio::sync::Mutex<Option<ClientError>>,
    /// Counts finished fetches, so a waiter can tell that one finished while it waited.
    flights: AtomicU64,
}

/// Configures a [`TokenSource`].
pub struct TokenSourceBuilder {
    endpoint: reqwest::Result<Url>,
    client_id: String,
    client_secret: String,
    audience: Option<String>,
    resource: Option<String>,
    scope: Option<String>,
    auth_method: AuthMethod,
    refresh_margin: Duration,
    http: Option<reqwest::Client>,
}

impl TokenSource {
    /// Starts configuring a source for `client_id` at `token_endpoint`.
    pub fn builder(
        token_endpoint: impl IntoUrl,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> TokenSourceBuilder {
        TokenSourceBuilder {
            endpoint: token_endpoint.into_url(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            audience: None,
            resource: None,
            scope: None,
            auth_method: AuthMethod::default(),
            refresh_margin: Duration::from_secs(30),
            http: None,
        }
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

    fn fresh(&self) -> Option<AccessToken> {
        let cached = self.inner.cached.load_full()?;
        let usable_until = cached.expires_at.checked_sub(self.inner.refresh_margin)?;
        (Instant::now() < usable_until).then(|| (*cached).clone())
    }

    async fn fetch(&self) -> Result<AccessToken, ClientError> {
        let inner = &*self.inner;
        let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        form.extend(inner.form.iter().map(|(k, v)| (*k, v.as_str())));
        let request = inner.http.post(inner.endpoint.clone());
        let request = match inner.auth_method {
            AuthMethod::ClientSecretBasic => request.basic_auth(
                form_encode(&inner.client_id),
                Some(form_encode(&inner.client_secret)),
            ),
            AuthMethod::ClientSecretPost => {
                form.push(("client_id", &inner.client_id));
                form.push(("client_secret", &inner.client_secret));
                request
            }
        };
        let sent_at = Instant::now();
        let response = request.form(&form).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorResponse>(&body) {
                Ok(e) => ClientError::OAuth {
                    status,
                    error: e.error.into_owned(),
                    description: e.error_description.map(std::borrow::Cow::into_owned),
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
        if !answer.token_type.eq_ignore_ascii_case("bearer") {
            return Err(ClientError::UnexpectedResponse {
                status,
                detail: format!("token_type {:?} is not Bearer", answer.token_type),
            });
        }
        Ok(AccessToken {
            secret: answer.access_token.into(),
            // Counted from when we asked, so transit time shortens our use, never lengthens it.
            expires_at: sent_at + Duration::from_secs(answer.expires_in),
            scope: answer.scope,
        })
    }
}

impl TokenSourceBuilder {
    /// The `audience` form field: which service the token is for.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The RFC 8707 `resource` form field.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// The requested scopes, sent space-separated.
    pub fn scope(mut self, scopes: &[&str]) -> Self {
        self.scope = Some(scopes.join(" "));
        self
    }

    /// How to authenticate at the token endpoint (default: HTTP Basic).
    pub fn auth_method(mut self, method: AuthMethod) -> Self {
        self.auth_method = method;
        self
    }

    /// How long before expiry a token is replaced (default 30 s).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Uses this HTTP client (timeouts, proxies, TLS roots) instead of a default one.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the source; fails only when the endpoint is not a valid URL.
    pub fn build(self) -> Result<TokenSource, ClientError> {
        let form = [
            ("audience", self.audience),
            ("resource", self.resource),
            ("scope", self.scope),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
        Ok(TokenSource {
            inner: Arc::new(Inner {
                endpoint: self.endpoint?,
                client_id: self.client_id,
                client_secret: self.client_secret,
                form,
                auth_method: self.auth_method,
                refresh_margin: self.refresh_margin,
                http: self.http.unwrap_or_default(),
                cached: ArcSwapOption::empty(),
                fetching: tokio::sync::Mutex::new(None),
                flights: AtomicU64::new(0),
            }),
        })
    }
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded before they go into Basic auth.
pub(crate) fn form_encode(raw: &str) -> String {
    form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}
