//! RFC 8705's client authentication methods: `tls_client_auth` (a certificate chaining to the
//! configured client CA, naming the registered subject DN or SAN) and
//! `self_signed_tls_client_auth` (that exact certificate, by the SHA-256 of its DER). The
//! certificate's names are read with `x509-cert`; a registered DN is parsed per RFC 4514 and
//! compared RDN by RDN, attribute values as LDAP's caseIgnoreMatch does (case and insignificant
//! spaces aside), not as strings.

use std::str::FromStr;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;
use x509_cert::der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
use x509_cert::der::{Decode, Tag, Tagged};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::RdnSequence;

use super::ClientAuthMethod;
use crate::domain::auth_failure::FailureReason;
use crate::domain::error::AdminError;

/// A client certificate as a request presented it: the leaf's DER, and whether its chain led to
/// the client CA (at the TLS handshake, or when a trusted proxy's header was read).
#[derive(Clone)]
pub struct ClientCertificate {
    pub der: Vec<u8>,
    pub chained_to_ca: bool,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t_s256", &self.thumbprint())
            .field("chained_to_ca", &self.chained_to_ca)
            .finish()
    }
}

impl ClientCertificate {
    /// Its SHA-256 thumbprint, base64url: what `cnf.x5t#S256` carries (RFC 8705 §3.1).
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.der)
    }
}

/// SHA-256 of a certificate's DER, base64url without padding.
pub fn thumbprint(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, der))
}

impl ClientAuthMethod {
    /// Whether the client authenticates by its TLS certificate (either RFC 8705 method).
    pub fn by_certificate(&self) -> bool {
        matches!(
            self,
            Self::TlsClientAuth { .. } | Self::SelfSignedTlsClientAuth { .. }
        )
    }

    /// `tls_client_auth` for exactly one of a subject DN, a DNS SAN or a URI SAN; the DN must
    /// parse per RFC 4514.
    pub fn tls_client_auth(
        subject_dn: Option<&str>,
        san_dns: Option<&str>,
        san_uri: Option<&str>,
    ) -> Result<Self, AdminError> {
        let given = [subject_dn, san_dns, san_uri];
        if given.iter().flatten().count() != 1 {
            return Err(AdminError::invalid(
                "tls_client_auth needs exactly one of a subject DN, a DNS SAN or a URI SAN",
            ));
        }
        if given
            .iter()
            .flatten()
            .any(|v| v.trim().is_empty() || v.len() > 1024)
        {
            return Err(AdminError::invalid(
                "a certificate name is 1-1024 characters",
            ));
        }
        if let Some(dn) = subject_dn {
            normalized_dn(dn).ok_or_else(|| {
                AdminError::invalid(
                    "the subject DN is not an RFC 4514 string (as `openssl x509 -noout -subject -nameopt RFC2253` prints it, e.g. CN=svc,O=Example)",
                )
            })?;
        }
        Ok(Self::TlsClientAuth {
            tls_client_auth_subject_dn: subject_dn.map(str::to_owned),
            tls_client_auth_san_dns: san_dns.map(str::to_owned),
            tls_client_auth_san_uri: san_uri.map(str::to_owned),
        })
    }

    /// `self_signed_tls_client_auth` for the certificate `der` (one DER certificate).
    pub fn self_signed(der: &[u8]) -> Result<Self, AdminError> {
        x509_cert::Certificate::from_der(der).map_err(|_| {
            AdminError::invalid("the client certificate is not an X.509 certificate")
        })?;
        Ok(Self::SelfSignedTlsClientAuth {
            x5t_s256: thumbprint(der),
        })
    }

    /// Whether `presented` authenticates a client registered with this TLS method; `Err` says
    /// why not, for the metrics and the audit log only. (Not for `ClientSecret`.)
    pub fn check_certificate(
        &self,
        presented: Option<&ClientCertificate>,
    ) -> Result<(), FailureReason> {
        let cert = presented.ok_or(FailureReason::NoCertificate)?;
        match self {
            Self::ClientSecret | Self::PrivateKeyJwt { .. } | Self::Federated { .. } => {
                Err(FailureReason::WrongMethod)
            }
            Self::SelfSignedTlsClientAuth { x5t_s256 } => {
                let same = cert.thumbprint().as_bytes().ct_eq(x5t_s256.as_bytes());
                bool::from(same)
                    .then_some(())
                    .ok_or(FailureReason::WrongCertificate)
            }
            Self::TlsClientAuth {
                tls_client_auth_subject_dn,
                tls_client_auth_san_dns,
                tls_client_auth_san_uri,
            } => {
                if !cert.chained_to_ca {
                    return Err(FailureReason::CertificateNotFromCa);
                }
                let parsed = x509_cert::Certificate::from_der(&cert.der)
                    .map_err(|_| FailureReason::WrongCertificate)?;
                let tbs = &parsed.tbs_certificate;
                let matches = match (
                    tls_client_auth_subject_dn,
                    tls_client_auth_san_dns,
                    tls_client_auth_san_uri,
                ) {
                    (Some(dn), _, _) => {
                        normalized_dn(dn).is_some_and(|want| normalize(&tbs.subject) == want)
                    }
                    (_, Some(dns), _) => sans(&parsed).iter().any(|n| match n {
                        GeneralName::DnsName(d) => d.as_str().eq_ignore_ascii_case(dns),
                        _ => false,
                    }),
                    (_, _, Some(uri)) => sans(&parsed).iter().any(|n| match n {
                        GeneralName::UniformResourceIdentifier(u) => u.as_str() == uri,
                        _ => false,
                    }),
                    _ => false,
                };
                matches.then_some(()).ok_or(FailureReason::WrongCertificate)
            }
        }
    }
}

/// The method's name, and what a TLS method checks: `tls_client_auth (subject CN=svc)`.
impl std::fmt::Display for ClientAuthMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())?;
        match self {
            Self::ClientSecret | Self::PrivateKeyJwt { .. } | Self::Federated { .. } => Ok(()),
            Self::TlsClientAuth {
                tls_client_auth_subject_dn: dn,
                tls_client_auth_san_dns: dns,
                tls_client_auth_san_uri: uri,
            } => match (dn, dns, uri) {
                (Some(dn), _, _) => write!(f, " (subject {dn})"),
                (_, Some(dns), _) => write!(f, " (DNS name {dns})"),
                (_, _, Some(uri)) => write!(f, " (URI {uri})"),
                _ => Ok(()),
            },
            Self::SelfSignedTlsClientAuth { x5t_s256 } => {
                write!(f, " (certificate SHA-256 {x5t_s256})")
            }
        }
    }
}

/// The subject alternative names of a certificate (none if it has no readable extension).
fn sans(cert: &x509_cert::Certificate) -> Vec<GeneralName> {
    cert.tbs_certificate
        .get::<SubjectAltName>()
        .ok()
        .flatten()
        .map(|(_, san)| san.0)
        .unwrap_or_default()
}

/// One attribute of a DN as compared: its type, and its value either as text folded per
/// caseIgnoreMatch (lower case, spaces trimmed and runs of them made one) or as DER.
type Attribute = (String, Result<String, Vec<u8>>);

/// A DN as compared: its RDNs in order, each a sorted set of attributes (RFC 4514 §2.2: the
/// order inside a multi-valued RDN does not matter).
fn normalize(name: &RdnSequence) -> Vec<Vec<Attribute>> {
    name.0
        .iter()
        .map(|rdn| {
            let mut set: Vec<Attribute> = rdn
                .0
                .iter()
                .map(|atv| (atv.oid.to_string(), text(&atv.value)))
                .collect();
            set.sort();
            set
        })
        .collect()
}

/// A registered RFC 4514 DN, normalized; `None` if it does not parse.
fn normalized_dn(raw: &str) -> Option<Vec<Vec<Attribute>>> {
    RdnSequence::from_str(raw.trim())
        .ok()
        .filter(|name| !name.0.is_empty())
        .map(|name| normalize(&name))
}

/// A directory string's text, folded; any other value as its DER.
fn text(value: &x509_cert::attr::AttributeValue) -> Result<String, Vec<u8>> {
    let raw = match value.tag() {
        Tag::Utf8String => Utf8StringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::PrintableString => PrintableStringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::Ia5String => Ia5StringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::TeletexString => TeletexStringRef::try_from(value).ok().map(|s| s.as_str()),
        _ => None,
    };
    match raw {
        Some(text) => Ok(text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()),
        None => Err(x509_cert::der::Encode::to_der(value).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests;
