//! A trusted external issuer: its name, its exact `iss`, where its keys come from and the
//! audience its tokens must carry; parsed once from what an operator wrote.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::jwks::PublicJwkSet;
use crate::domain::fetch_address::FetchAllowance;
use crate::domain::{AdminError, UnixTime};

/// Longest issuer URL, `jwks_uri` or audience accepted.
const MAX_URL_BYTES: usize = 512;

/// A trusted issuer's name: 1–64 characters from `A-Z a-z 0-9 - . _ ~`, so that it reads the
/// same in a URL path and in `NAME=SUBJECT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustName(String);

impl TrustName {
    pub fn parse(raw: &str) -> Result<Self, AdminError> {
        let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
        let ok = (1..=64).contains(&raw.len()) && raw.bytes().all(unreserved);
        ok.then(|| Self(raw.to_owned())).ok_or(AdminError::invalid(
            "a trusted issuer's name is 1-64 characters from A-Z a-z 0-9 - . _ ~",
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrustName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a trusted issuer's public keys come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum IssuerKeys {
    /// A JWK Set given at `trust add` (public members only).
    Inline { jwks: serde_json::Value },
    /// Fetched from this URL.
    JwksUri { jwks_uri: String },
    /// The `jwks_uri` of `ISSUER/.well-known/openid-configuration`.
    Discovered,
}

/// A trusted issuer as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrustedIssuer {
    pub name: String,
    /// Compared to a token's `iss` as an exact string.
    pub issuer: String,
    pub keys: IssuerKeys,
    /// What the issuer's tokens must carry in `aud`.
    pub audience: String,
    pub created_at: u64,
}

impl TrustedIssuer {
    /// Where the discovery document of this issuer is, for keys that are discovered.
    pub fn discovery_url(&self) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        )
    }
}

/// A trusted issuer as an operator wrote it: the admin API's JSON, the console's form.
#[derive(Debug, Clone, Copy)]
pub struct TrustRequest<'a> {
    pub name: &'a str,
    pub issuer: &'a str,
    /// A JWK Set, as JSON text.
    pub jwks: Option<&'a str>,
    pub jwks_uri: Option<&'a str>,
    /// `None`: the dealer's own issuer.
    pub audience: Option<&'a str>,
}

/// A trusted issuer to add, already validated.
#[derive(Debug, Clone)]
pub struct NewTrustedIssuer {
    pub name: TrustName,
    pub issuer: String,
    pub keys: IssuerKeys,
    pub audience: String,
}

impl NewTrustedIssuer {
    /// Parses `request`; `dealer_issuer` is the audience when none is given (a Kubernetes pod
    /// asks for a projected token with that audience).
    pub fn parse(request: &TrustRequest<'_>, dealer_issuer: &str) -> Result<Self, AdminError> {
        let name = TrustName::parse(request.name)?;
        let issuer = web_url("issuer", request.issuer)?;
        if issuer.query().is_some() || issuer.fragment().is_some() {
            return Err(AdminError::invalid(
                "an issuer URL has no query or fragment (OpenID Connect Discovery §3)",
            ));
        }
        let keys = match (request.jwks, request.jwks_uri) {
            (Some(_), Some(_)) => {
                return Err(AdminError::invalid("give jwks or jwks_uri, not both"));
            }
            (Some(text), None) => IssuerKeys::Inline {
                jwks: PublicJwkSet::parse(text)?.into_value(),
            },
            (None, Some(uri)) => {
                web_url("jwks_uri", uri)?;
                IssuerKeys::JwksUri {
                    jwks_uri: uri.to_owned(),
                }
            }
            (None, None) => IssuerKeys::Discovered,
        };
        let audience = request.audience.unwrap_or(dealer_issuer);
        let printable = |s: &str| s.chars().all(|c| !c.is_control() && !c.is_whitespace());
        if audience.is_empty() || audience.len() > MAX_URL_BYTES || !printable(audience) {
            return Err(AdminError::invalid(
                "audience is 1-512 printable characters without spaces",
            ));
        }
        Ok(Self {
            name,
            issuer: request.issuer.to_owned(),
            keys,
            audience: audience.to_owned(),
        })
    }

    /// Refuses keys the fetcher could never get under `allowance`: the URL fetched (the
    /// issuer's, for discovery, or the `jwks_uri`) names a literal address it would refuse, the
    /// same judgement it makes before each fetch. A host name is not resolved here: what it
    /// resolves to is judged at every fetch (and may change by then), so a name that leads to a
    /// refused address is added, and its tokens refused (`address_refused`). Inline keys fetch
    /// nothing, so their issuer's address is not judged.
    pub fn check_fetchable(&self, allowance: FetchAllowance) -> Result<(), AdminError> {
        let (what, fetched, document) = match &self.keys {
            IssuerKeys::Inline { .. } => return Ok(()),
            IssuerKeys::JwksUri { jwks_uri } => ("jwks_uri", jwks_uri, "its key set"),
            IssuerKeys::Discovered => ("issuer", &self.issuer, "its discovery document"),
        };
        let url = url::Url::parse(fetched)
            .map_err(|_| AdminError::Invalid(format!("{what} is not a URL").into()))?;
        match allowance.literal_refusal(&url) {
            None => Ok(()),
            Some(why) => Err(AdminError::Invalid(
                format!(
                    "{what} names {why}, so {document} could not be fetched under the current [client_assertions] settings: change that setting or give the keys inline (jwks)"
                )
                .into(),
            )),
        }
    }

    pub fn into_record(self, now: UnixTime) -> TrustedIssuer {
        TrustedIssuer {
            name: self.name.as_str().to_owned(),
            issuer: self.issuer,
            keys: self.keys,
            audience: self.audience,
            created_at: now.as_secs(),
        }
    }
}

/// An `https` URL, or `http` on a loopback host (a development issuer on this machine; whether
/// its keys may be fetched over plain HTTP is the fetcher's setting), as written.
fn web_url(what: &'static str, raw: &str) -> Result<url::Url, AdminError> {
    let bad = || {
        AdminError::Invalid(format!("{what} must be an https URL of at most {MAX_URL_BYTES} bytes (http only on a loopback address)").into())
    };
    if raw.len() > MAX_URL_BYTES {
        return Err(bad());
    }
    let url = url::Url::parse(raw).map_err(|_| bad())?;
    if let Some(why) = crate::domain::fetch_address::forbidden_literal(&url) {
        return Err(AdminError::Invalid(
            format!("{what} names {why}, which is never fetched from").into(),
        ));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(issuer: &'a str, jwks_uri: Option<&'a str>) -> TrustRequest<'a> {
        TrustRequest {
            name: "k8s",
            issuer,
            jwks: None,
            jwks_uri,
            audience: None,
        }
    }

    #[test]
    fn an_issuer_is_https_or_loopback_http_and_keeps_its_exact_spelling() {
        let dealer = "https://dealer.example";
        let made = NewTrustedIssuer::parse(&request("https://k8s.example/", None), dealer).unwrap();
        assert_eq!(made.issuer, "https://k8s.example/");
        assert_eq!(
            (made.keys, made.audience.as_str()),
            (IssuerKeys::Discovered, dealer)
        );
        assert!(NewTrustedIssuer::parse(&request("http://127.0.0.1:8443", None), dealer).is_ok());
        for bad in [
            "http://k8s.example",
            "ftp://x",
            "https://k8s.example/?a=1",
            "k8s",
        ] {
            assert!(
                NewTrustedIssuer::parse(&request(bad, None), dealer).is_err(),
                "{bad}"
            );
        }
        let uri = Some("http://k8s.example/openid/v1/jwks");
        assert!(NewTrustedIssuer::parse(&request("https://k8s.example", uri), dealer).is_err());
    }

    #[test]
    fn a_name_is_unreserved_characters_only() {
        assert!(TrustName::parse("prod-cluster_1.eu~x").is_ok());
        for bad in ["", "a=b", "a/b", "a b", &"a".repeat(65)] {
            assert!(TrustName::parse(bad).is_err(), "{bad}");
        }
    }
}
