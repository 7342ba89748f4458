//! A client as the admin API answers it: its registration, its authentication method's public
//! parts, never a secret or its digest (but the one answer that shows a new secret, once).

use serde::Serialize;

use crate::domain::client_auth::{ClientAuthMethod, ClientKeys};
use crate::domain::{Client, FederatedSubject};

/// A client as the admin API shows it: never a secret or its digest.
#[derive(Debug, Serialize)]
pub(super) struct ClientView {
    client_id: String,
    audiences: Vec<String>,
    scopes: Vec<String>,
    grants: Vec<&'static str>,
    token_ttl: u64,
    alg: &'static str,
    dpop_bound_access_tokens: bool,
    disabled: bool,
    created_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_secret_valid_until: Option<u64>,
    /// `private_key_jwt` (RFC 8414's name); absent for a client with a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    token_endpoint_auth_method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwks_uri: Option<String>,
    /// The `kid`s of an inline key set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    kids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_client_auth_subject_dn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_client_auth_san_dns: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_client_auth_san_uri: Option<String>,
    /// `self_signed_tls_client_auth`: the registered certificate's SHA-256, base64url.
    #[serde(rename = "tls_client_certificate_x5t#S256")]
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_client_certificate_x5t_s256: Option<String>,
    /// The trusted issuers' subjects whose tokens authenticate it.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    federated: Vec<FederatedSubject>,
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        Self {
            client_id: c.id.as_str().to_owned(),
            audiences: c.audiences.iter().map(|a| a.as_str().to_owned()).collect(),
            scopes: c.scopes.to_vec(),
            grants: c.grants.iter().map(|g| g.as_str()).collect(),
            token_ttl: c.token_ttl,
            alg: c.alg.as_str(),
            dpop_bound_access_tokens: c.dpop_bound,
            disabled: c.disabled,
            created_at: c.created_at.as_secs(),
            previous_secret_valid_until: c.previous_secret.map(|(_, until)| until.as_secs()),
            token_endpoint_auth_method: (!c.auth_method.uses_secret())
                .then(|| c.auth_method.as_str()),
            jwks_uri: match c.auth_method.keys() {
                Some(ClientKeys::Remote(uri)) => Some(uri.to_owned()),
                _ => None,
            },
            kids: c.auth_method.kids(),
            federated: c.auth_method.federated_subjects().to_vec(),
            tls_client_auth_subject_dn: None,
            tls_client_auth_san_dns: None,
            tls_client_auth_san_uri: None,
            tls_client_certificate_x5t_s256: None,
        }
        .with_tls(&c.auth_method)
    }
}

impl ClientView {
    /// What a TLS method (RFC 8705) checks, shown beside the method's name.
    fn with_tls(self, method: &ClientAuthMethod) -> Self {
        match method.clone() {
            ClientAuthMethod::TlsClientAuth {
                tls_client_auth_subject_dn,
                tls_client_auth_san_dns,
                tls_client_auth_san_uri,
            } => Self {
                tls_client_auth_subject_dn,
                tls_client_auth_san_dns,
                tls_client_auth_san_uri,
                ..self
            },
            ClientAuthMethod::SelfSignedTlsClientAuth { x5t_s256 } => Self {
                tls_client_certificate_x5t_s256: Some(x5t_s256),
                ..self
            },
            _ => self,
        }
    }
}

#[derive(Serialize)]
pub(super) struct WithSecret<'a> {
    #[serde(flatten)]
    pub client: ClientView,
    /// None for a client without a secret (keys or a certificate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<&'a str>,
}
