//! Configuring a [`TokenSource`]: what it asks for, how it authenticates, which key it binds
//! tokens to, and the HTTP client (with a client certificate for mutual TLS) it sends with.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use arc_swap::ArcSwapOption;
use reqwest::Url;

use super::{AuthMethod, Inner, TokenSource};
use crate::error::ClientError;
use crate::signing::SigningKey;

/// Configures a [`TokenSource`].
pub struct TokenSourceBuilder {
    endpoint: reqwest::Result<Url>,
    client_id: String,
    client_secret: String,
    audience: Option<String>,
    resource: Option<String>,
    scope: Option<String>,
    auth_method: AuthMethod,
    dpop: Option<DpopChoice>,
    refresh_margin: Duration,
    http: Option<reqwest::Client>,
    identity: Option<reqwest::Result<reqwest::Identity>>,
    roots: Vec<reqwest::Result<reqwest::Certificate>>,
}

enum DpopChoice {
    Generate,
    Key(SigningKey),
}

impl TokenSourceBuilder {
    pub(super) fn new(
        endpoint: reqwest::Result<Url>,
        client_id: String,
        client_secret: String,
        auth_method: AuthMethod,
    ) -> Self {
        Self {
            endpoint,
            client_id,
            client_secret,
            audience: None,
            resource: None,
            scope: None,
            auth_method,
            dpop: None,
            refresh_margin: Duration::from_secs(30),
            http: None,
            identity: None,
            roots: Vec::new(),
        }
    }

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

    /// How to authenticate at the token endpoint (default: HTTP Basic with the secret).
    pub fn auth_method(mut self, method: AuthMethod) -> Self {
        self.auth_method = method;
        self
    }

    /// The client id, for sources made by [`TokenSource::assertion_file`], which send none
    /// unless given one.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// Binds tokens to a new ES256 key made at [`build`](Self::build) (RFC 9449): token
    /// requests carry a DPoP proof, and [`TokenSource::send_authorized`] sends the
    /// DPoP-bound token with a fresh proof for each request.
    pub fn dpop(mut self) -> Self {
        self.dpop = Some(DpopChoice::Generate);
        self
    }

    /// Like [`dpop`](Self::dpop) with this key (e.g. `SigningKey::generate(Algorithm::EdDSA)`,
    /// or one kept across restarts).
    pub fn dpop_key(mut self, key: SigningKey) -> Self {
        self.dpop = Some(DpopChoice::Key(key));
        self
    }

    /// Presents this client certificate on every TLS connection, to the dealer and to the
    /// services [`TokenSource::send_authorized`] calls (RFC 8705 mutual TLS; the dealer then
    /// binds tokens to it). `pem` holds the certificate chain (leaf first) and the private
    /// key (PKCS#8, PKCS#1 or SEC1). Not with [`http_client`](Self::http_client): give such a
    /// client `reqwest::ClientBuilder::identity` yourself.
    pub fn client_certificate(mut self, pem: &[u8]) -> Self {
        self.identity = Some(reqwest::Identity::from_pem(pem));
        self
    }

    /// Also trusts this CA (PEM) for the default HTTP client's TLS connections, e.g. the
    /// dealer's private CA. Not with [`http_client`](Self::http_client).
    pub fn root_certificate(mut self, pem: &[u8]) -> Self {
        self.roots.push(reqwest::Certificate::from_pem(pem));
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

    /// Builds the source; fails when the endpoint is not a valid URL, a certificate or key
    /// does not parse, or the settings contradict each other.
    pub fn build(self) -> Result<TokenSource, ClientError> {
        let form = [
            ("audience", self.audience),
            ("resource", self.resource),
            ("scope", self.scope),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
        if matches!(self.auth_method, AuthMethod::PrivateKeyJwt(_)) && self.client_id.is_empty() {
            return Err(ClientError::Config(
                "private_key_jwt needs the client id: it is the assertion's iss and sub".into(),
            ));
        }
        let http = match (self.http, self.identity, self.roots.is_empty()) {
            (Some(http), None, true) => http,
            (Some(_), _, _) => {
                return Err(ClientError::Config(
                    "a client certificate or root certificate cannot be added to a given HTTP \
                     client: configure that client with them instead"
                        .into(),
                ));
            }
            (None, identity, _) => {
                let mut builder = reqwest::Client::builder();
                if let Some(identity) = identity {
                    builder = builder.identity(identity.map_err(certificate_error)?);
                }
                let roots = self.roots.into_iter().collect::<Result<Vec<_>, _>>();
                let roots = roots.map_err(certificate_error)?;
                if !roots.is_empty() {
                    builder = builder.tls_certs_merge(roots);
                }
                builder.build()?
            }
        };
        let dpop = match self.dpop {
            None => None,
            Some(DpopChoice::Key(key)) => Some(key),
            Some(DpopChoice::Generate) => {
                Some(SigningKey::generate(jsonwebtoken::Algorithm::ES256)?)
            }
        };
        Ok(TokenSource {
            inner: Arc::new(Inner {
                endpoint: self.endpoint?,
                client_id: self.client_id,
                client_secret: self.client_secret,
                form,
                auth_method: self.auth_method,
                dpop,
                nonces: Default::default(),
                refresh_margin: self.refresh_margin,
                http,
                cached: ArcSwapOption::empty(),
                fetching: tokio::sync::Mutex::new(None),
                flights: AtomicU64::new(0),
            }),
        })
    }
}

fn certificate_error(e: reqwest::Error) -> ClientError {
    ClientError::Config(format!("the certificate or its key does not parse: {e}"))
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded before they go into Basic auth.
pub(crate) fn form_encode(raw: &str) -> String {
    form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}
