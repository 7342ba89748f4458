//! How a client authenticates (RFC 8414 token_endpoint_auth_method): by secret, by a signed assertion, by TLS certificate.
//!
//! The TLS methods (RFC 8705) and the certificate a request presents: `tls`.

mod key_rules;
mod tls;

pub use tls::{ClientCertificate, thumbprint};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use serde::{Deserialize, Serialize};

use super::error::AdminError;

/// How a registered client proves who it is at the token, introspection and revocation
/// endpoints. Stored with the client; records from before it existed are `ClientSecret`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// A generated secret, by HTTP Basic or in the form (RFC 6749 §2.3.1).
    #[default]
    ClientSecret,
    /// A JWT signed with one of the client's keys (RFC 7523 §2.2, OpenID Connect Core §9): the
    /// keys inline, or at a URL the dealer fetches. Exactly one of the two is set.
    PrivateKeyJwt {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jwks: Option<PublicKeySet>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jwks_uri: Option<String>,
    },
    /// RFC 8705 §2.1: a certificate chaining to the client CA that carries exactly the one
    /// name registered (RFC 8705 §2.1.2's metadata: one of the three is set).
    TlsClientAuth {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tls_client_auth_subject_dn: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tls_client_auth_san_dns: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tls_client_auth_san_uri: Option<String>,
    },
    /// RFC 8705 §2.2: the one certificate registered, by the SHA-256 of its DER (base64url, as
    /// `x5t#S256` is written).
    SelfSignedTlsClientAuth { x5t_s256: String },
    /// A token of a trusted external issuer (a Kubernetes service account's, a SPIFFE JWT-SVID,
    /// a CI job's OIDC token) sent as the `client_assertion`, whose `sub` is one of these.
    Federated { subjects: Vec<FederatedSubject> },
}

/// The exact `sub` a trusted issuer's tokens carry for one workload (Kubernetes
/// `system:serviceaccount:billing:worker`, SPIFFE `spiffe://prod.example/ns/billing/sa/worker`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FederatedSubject {
    /// The trusted issuer's name (`tokendealer trust add NAME`).
    pub trust: String,
    pub subject: String,
}

/// Where a `private_key_jwt` client's keys are.
#[derive(Debug, Clone, Copy)]
pub enum ClientKeys<'a> {
    Inline(&'a PublicKeySet),
    Remote(&'a str),
}

impl ClientAuthMethod {
    /// The RFC 8414 name of the method.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::ClientSecret => "client_secret_basic",
            Self::PrivateKeyJwt { .. } => "private_key_jwt",
            Self::TlsClientAuth { .. } => "tls_client_auth",
            Self::SelfSignedTlsClientAuth { .. } => "self_signed_tls_client_auth",
            // The same client assertion (RFC 7523 §2.2), signed by the workload's issuer.
            Self::Federated { .. } => "private_key_jwt",
        }
    }

    /// The external subjects bound to the client: none unless it is federated.
    pub fn federated_subjects(&self) -> &[FederatedSubject] {
        match self {
            Self::Federated { subjects } => subjects,
            _ => &[],
        }
    }

    /// Whether the client authenticates with its secret (else it has no usable secret).
    pub fn uses_secret(&self) -> bool {
        matches!(self, Self::ClientSecret)
    }

    /// Where the keys of a `private_key_jwt` client are; `None` for other methods.
    pub fn keys(&self) -> Option<ClientKeys<'_>> {
        match self {
            Self::PrivateKeyJwt {
                jwks: Some(set), ..
            } => Some(ClientKeys::Inline(set)),
            Self::PrivateKeyJwt {
                jwks_uri: Some(uri),
                ..
            } => Some(ClientKeys::Remote(uri)),
            _ => None,
        }
    }

    /// `private_key_jwt` with exactly one of an inline set (JSON) or a `jwks_uri`.
    pub fn private_key_jwt(
        jwks: Option<&serde_json::Value>,
        jwks_uri: Option<&str>,
    ) -> Result<Self, AdminError> {
        match (jwks, jwks_uri) {
            (Some(set), None) => Ok(Self::PrivateKeyJwt {
                jwks: Some(PublicKeySet::parse(set).map_err(AdminError::Invalid)?),
                jwks_uri: None,
            }),
            (None, Some(uri)) => Ok(Self::PrivateKeyJwt {
                jwks: None,
                jwks_uri: Some(parse_jwks_uri(uri)?),
            }),
            _ => Err(AdminError::invalid("give jwks or jwks_uri, not both")),
        }
    }

    /// The `kid`s of an inline set, for `client show`.
    pub fn kids(&self) -> Vec<String> {
        match self.keys() {
            Some(ClientKeys::Inline(set)) => set
                .keys()
                .iter()
                .filter_map(|k| k.common.key_id.clone())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The most keys a client's set may hold (several for a rotation; a set is tried key by key
/// when an assertion names no `kid`, so it stays small).
pub const MAX_CLIENT_KEYS: usize = 16;
/// The longest `jwks_uri`.
const MAX_URI_BYTES: usize = 2048;

/// A JWK Set of public signing keys: RSA (2048–8192 bits), EC P-256 or P-384, or Ed25519; no
/// private or symmetric member anywhere; `kid`s distinct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PublicKeySet(JwkSet);

impl PublicKeySet {
    /// Checks a set as registered or fetched; the error says which rule it broke.
    pub fn parse(raw: &serde_json::Value) -> Result<Self, std::borrow::Cow<'static, str>> {
        let keys = raw
            .get("keys")
            .and_then(serde_json::Value::as_array)
            .ok_or("a JWK Set is an object with a \"keys\" array")?;
        if keys.is_empty() || keys.len() > MAX_CLIENT_KEYS {
            return Err(format!("a JWK Set holds 1 to {MAX_CLIENT_KEYS} keys").into());
        }
        for (index, key) in keys.iter().enumerate() {
            let object = key.as_object().ok_or("each key is a JSON object")?;
            key_rules::check_public(object, index)?;
        }
        let set: JwkSet = serde_json::from_value(raw.clone())
            .map_err(|e| format!("the JWK Set is malformed: {e}"))?;
        let mut kids = std::collections::HashSet::new();
        for (index, key) in set.keys.iter().enumerate() {
            key_rules::check_key(key, index)?;
            if let Some(kid) = &key.common.key_id
                && !kids.insert(kid.as_str())
            {
                return Err(format!("kid {kid:?} appears twice").into());
            }
        }
        Ok(Self(set))
    }

    /// A set as fetched from a `jwks_uri`: a key breaking the rules is skipped (and logged),
    /// not fatal to the others; a set left without a usable key is refused.
    pub fn parse_fetched(raw: &serde_json::Value) -> Result<Self, std::borrow::Cow<'static, str>> {
        let keys = raw
            .get("keys")
            .and_then(serde_json::Value::as_array)
            .ok_or("a JWK Set is an object with a \"keys\" array")?;
        let mut kept = Vec::new();
        for (index, key) in keys.iter().enumerate() {
            let one = serde_json::json!({ "keys": [key] });
            match Self::parse(&one) {
                Ok(mut set) => kept.append(&mut set.0.keys),
                Err(why) => tracing::warn!(index, why = %why, "a fetched key was skipped"),
            }
        }
        let kept = serde_json::to_value(JwkSet { keys: kept })
            .map_err(|e| format!("the JWK Set is malformed: {e}"))?;
        Self::parse(&kept).map_err(|why| format!("no usable key: {why}").into())
    }

    pub fn keys(&self) -> &[Jwk] {
        &self.0.keys
    }
}

/// An absolute `https` URL (or `http`, which only the fetcher's development setting accepts,
/// and only on loopback), without credentials or fragment.
fn parse_jwks_uri(raw: &str) -> Result<String, AdminError> {
    let url = url::Url::parse(raw).map_err(|_| AdminError::invalid("jwks_uri is not a URL"))?;
    // Plain http only to this host (development: the fetcher takes it only with
    // `[client_assertions] jwks_allow_http_loopback`); anywhere else it could never be fetched.
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if let Some(why) = super::fetch_address::forbidden_literal(&url) {
        return Err(AdminError::Invalid(
            format!("jwks_uri names {why}, which is never fetched from").into(),
        ));
    }
    let ok = raw.len() <= MAX_URI_BYTES
        && (url.scheme() == "https" || (url.scheme() == "http" && loopback))
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none();
    ok.then(|| url.to_string()).ok_or(AdminError::invalid(
        "jwks_uri must be an https URL (plain http only to a loopback address) without credentials or fragment",
    ))
}

#[cfg(test)]
mod tests;
