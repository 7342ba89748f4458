//! The discovery documents: RFC 8414 authorization server metadata, and an OpenID Connect
//! Discovery 1.0 document for verifiers, both from one description; and where they are found
//! for an issuer with a path (RFC 8414 §3.1 and §5, OpenID Connect Discovery §4.1).
//!
//! The dealer issues no ID tokens. The OpenID document is there because go-oidc, .NET's
//! JwtBearer, oauth2-proxy and openid-client find an issuer's keys only through it, and go-oidc
//! accepts only the algorithms it lists (RS256 when it lists none).

use crate::domain::assertion::ALGORITHMS;
use bytes::Bytes;
use http::Uri;
use serde::Serialize;

use crate::domain::GrantType;
use crate::domain::keys::Algorithms;

/// RFC 8414's well-known suffix.
pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
/// OpenID Connect Discovery's well-known suffix.
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";

/// Client authentication by secret at the token, introspection and revocation endpoints.
const SECRET_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];

/// Client authentication by a signed assertion (RFC 7523 §2.2), whatever the transport.
const ASSERTION_METHOD: &str = "private_key_jwt";

/// What the dealer can do with client certificates (RFC 8705), as its metadata says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MtlsSupport {
    /// Certificates can reach it: its listener serves TLS (and asks every client for one), or a
    /// trusted proxy forwards them. Then tokens are bound to them (§3.3's
    /// `tls_client_certificate_bound_access_tokens`) and `self_signed_tls_client_auth` works.
    pub certificates: bool,
    /// A client CA is configured: `tls_client_auth` works too.
    pub client_ca: bool,
}

impl MtlsSupport {
    /// The client authentication methods of the three endpoints: the secret's, the assertion's,
    /// then the certificate's.
    fn auth_methods(self) -> Vec<&'static str> {
        let mut methods = SECRET_METHODS.to_vec();
        methods.push(ASSERTION_METHOD);
        if self.certificates && self.client_ca {
            methods.push("tls_client_auth");
        }
        if self.certificates {
            methods.push("self_signed_tls_client_auth");
        }
        methods
    }
}

/// `response_types_supported` is REQUIRED and a list (RFC 8414 §2, OIDC Discovery §3), yet the
/// dealer has no authorization endpoint. `none` (OAuth 2.0 Multiple Response Type Encoding
/// Practices §4, in IANA's registry) is the one value promising no credential from it: an empty
/// list is refused by validators (Authlib's), and `code` or `token` would claim flows the
/// dealer does not have.
const RESPONSE_TYPES: [&str; 1] = ["none"];

/// The RFC 8414 document's members: what every client and verifier reads.
#[derive(Serialize)]
struct OAuthMetadata<'a> {
    issuer: &'a str,
    token_endpoint: String,
    jwks_uri: String,
    grant_types_supported: Vec<&'static str>,
    token_endpoint_auth_methods_supported: Vec<&'static str>,
    introspection_endpoint: String,
    introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    revocation_endpoint: String,
    revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    response_types_supported: [&'static str; 1],
    access_token_signing_alg_values_supported: Vec<&'static str>,
    /// RFC 8705 §3.3: present (true) when client certificates can reach the dealer.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    tls_client_certificate_bound_access_tokens: bool,
    /// The algorithms DPoP proofs may be signed with (RFC 9449 §5.1).
    dpop_signing_alg_values_supported: Vec<&'static str>,
    /// What a client assertion (`private_key_jwt`) may be signed with, at each endpoint.
    token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    introspection_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    revocation_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
}

/// The OpenID Connect document: the RFC 8414 members, and those OIDC Discovery §3 requires
/// that a verifier reads.
#[derive(Serialize)]
struct OpenIdMetadata<'a> {
    #[serde(flatten)]
    oauth: &'a OAuthMetadata<'a>,
    subject_types_supported: [&'static str; 1],
    /// The algorithms its access tokens are signed with: go-oidc's verifier accepts these only.
    id_token_signing_alg_values_supported: Vec<&'static str>,
}

/// The algorithms a client assertion may use (never `none` or HS*), `Ed25519` (RFC 9864) beside
/// `EdDSA`, named as DPoP's are.
fn assertion_algs() -> Vec<&'static str> {
    tokendealer_client::dpop::algorithm_names(&ALGORITHMS)
}

/// Which document a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    OAuth,
    OpenId,
}

/// Both documents, serialized once at start, and the issuer's path they are also served under.
pub struct Discovery {
    oauth: Bytes,
    openid: Bytes,
    /// The issuer's path without its final `/` (RFC 8414 §3.1): `/tenant-a`, or empty.
    issuer_path: String,
}

impl Discovery {
    /// The documents of `issuer` (exactly as configured, as in the tokens' `iss`: RFC 8414
    /// §3.3) for a dealer signing with `algorithms`, taking client certificates as `mtls` says.
    pub fn new(issuer: &str, algorithms: Algorithms, mtls: MtlsSupport) -> anyhow::Result<Self> {
        let url = |path| endpoint_url(issuer, path);
        let methods = mtls.auth_methods();
        let oauth = OAuthMetadata {
            issuer,
            token_endpoint: url("/oauth/token"),
            jwks_uri: url("/.well-known/jwks.json"),
            grant_types_supported: GrantType::ALL.iter().map(|g| g.as_str()).collect(),
            token_endpoint_auth_methods_supported: methods.clone(),
            introspection_endpoint: url("/oauth/introspect"),
            introspection_endpoint_auth_methods_supported: methods.clone(),
            revocation_endpoint: url("/oauth/revoke"),
            revocation_endpoint_auth_methods_supported: methods,
            response_types_supported: RESPONSE_TYPES,
            access_token_signing_alg_values_supported: algorithms.names(),
            dpop_signing_alg_values_supported: crate::domain::dpop::algorithm_names(),
            token_endpoint_auth_signing_alg_values_supported: assertion_algs(),
            introspection_endpoint_auth_signing_alg_values_supported: assertion_algs(),
            revocation_endpoint_auth_signing_alg_values_supported: assertion_algs(),
            tls_client_certificate_bound_access_tokens: mtls.certificates,
        };
        let openid = OpenIdMetadata {
            oauth: &oauth,
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: algorithms.names(),
        };
        Ok(Self {
            oauth: Bytes::from(serde_json::to_vec(&oauth)?),
            openid: Bytes::from(serde_json::to_vec(&openid)?),
            issuer_path: issuer_path(issuer).to_owned(),
        })
    }

    /// The serialized document.
    pub fn document(&self, which: Document) -> Bytes {
        match which {
            Document::OAuth => self.oauth.clone(),
            Document::OpenId => self.openid.clone(),
        }
    }

    /// Whether `path` (`/.well-known/oauth-authorization-server…` or
    /// `/.well-known/openid-configuration…`) names this dealer's document: the bare suffix, or
    /// the suffix followed by the issuer's path (RFC 8414 §3.1's insertion). The bare form is
    /// answered even for an issuer with a path: a proxy that strips the issuer's path delivers
    /// `{issuer}/.well-known/…` so, and the document's `issuer` lets a client asking for another
    /// issuer refuse it (RFC 8414 §3.3). The suffix with another path is not this issuer's: 404.
    pub fn serves(&self, path: &str, which: Document) -> bool {
        let suffix = match which {
            Document::OAuth => OAUTH_METADATA,
            Document::OpenId => OPENID_CONFIGURATION,
        };
        path.strip_prefix(suffix).is_some_and(|rest| {
            rest.is_empty() || (!self.issuer_path.is_empty() && rest == self.issuer_path)
        })
    }

    /// `path` without the issuer's path in front (`/tenant-a/oauth/token` → `/oauth/token`), for
    /// a proxy that forwards the issuer's path as it is; `None` if it does not start with it.
    pub fn under_issuer<'a>(&self, path: &'a str) -> Option<&'a str> {
        if self.issuer_path.is_empty() {
            return None;
        }
        path.strip_prefix(self.issuer_path.as_str())
            .filter(|rest| rest.starts_with('/'))
    }

    /// `uri` with [`Discovery::under_issuer`]'s path, its query kept; `None` if its path is not
    /// under the issuer's.
    pub fn inner_uri(&self, uri: &Uri) -> Option<Uri> {
        let inner = self.under_issuer(uri.path())?;
        let path_and_query = match uri.query() {
            Some(query) => format!("{inner}?{query}"),
            None => inner.to_owned(),
        };
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = Some(path_and_query.parse().ok()?);
        Uri::from_parts(parts).ok()
    }
}

/// The path of `issuer` without its final `/`; empty when it has none.
fn issuer_path(issuer: &str) -> &str {
    let after_scheme = issuer.split_once("://").map_or(issuer, |(_, rest)| rest);
    after_scheme
        .find('/')
        .and_then(|at| after_scheme.get(at..))
        .unwrap_or_default()
        .trim_end_matches('/')
}

/// The URL of the endpoint at `path` (which starts with `/`) under `issuer`: one slash between
/// them whether or not the issuer ends with one. The issuer itself stays as configured.
pub fn endpoint_url(issuer: &str, path: &str) -> String {
    format!("{}{path}", issuer.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_have_one_slash_after_the_issuer_with_or_without_a_trailing_one() {
        for issuer in ["https://auth.example.com", "https://auth.example.com/"] {
            assert_eq!(
                endpoint_url(issuer, "/oauth/token"),
                "https://auth.example.com/oauth/token"
            );
        }
        assert_eq!(
            endpoint_url("https://x.example/tenant/", "/oauth/token"),
            "https://x.example/tenant/oauth/token"
        );
    }

    #[test]
    fn an_issuer_path_loses_its_final_slash_and_a_host_alone_has_none() {
        for (issuer, path) in [
            ("https://auth.example", ""),
            ("https://auth.example/", ""),
            ("http://127.0.0.1:5001", ""),
            ("https://auth.example/tenant-a", "/tenant-a"),
            ("https://auth.example/tenant-a/", "/tenant-a"),
            ("https://auth.example:8443/a/b", "/a/b"),
        ] {
            assert_eq!(issuer_path(issuer), path, "{issuer}");
        }
    }

    #[test]
    fn a_path_issuer_is_found_by_insertion_bare_or_under_its_path_and_no_other() {
        let d = Discovery::new(
            "https://auth.example/tenant-a",
            Algorithms::ALL,
            MtlsSupport::default(),
        )
        .unwrap();
        assert!(d.serves("/.well-known/oauth-authorization-server", Document::OAuth));
        assert!(d.serves(
            "/.well-known/oauth-authorization-server/tenant-a",
            Document::OAuth
        ));
        assert!(d.serves(
            "/.well-known/openid-configuration/tenant-a",
            Document::OpenId
        ));
        assert!(!d.serves(
            "/.well-known/oauth-authorization-server/tenant-b",
            Document::OAuth
        ));
        assert!(!d.serves(
            "/.well-known/oauth-authorization-server/tenant-a/x",
            Document::OAuth
        ));
        assert_eq!(
            d.under_issuer("/tenant-a/oauth/token"),
            Some("/oauth/token")
        );
        assert_eq!(d.under_issuer("/tenant-ab/oauth/token"), None);
        let uri = Uri::from_static("/tenant-a/admin/clients?limit=1");
        assert_eq!(d.inner_uri(&uri).unwrap(), "/admin/clients?limit=1");
        let root = Discovery::new(
            "https://auth.example/",
            Algorithms::ALL,
            MtlsSupport::default(),
        )
        .unwrap();
        assert!(!root.serves("/.well-known/openid-configuration/", Document::OpenId));
        assert_eq!(root.under_issuer("/oauth/token"), None);
    }
}
