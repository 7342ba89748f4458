//! The client certificate a request came with (RFC 8705): the TLS connection's, or — from a
//! trusted proxy only — the one the proxy's header carries, as URL-encoded PEM (nginx's
//! `$ssl_client_escaped_cert`, Envoy's `%DOWNSTREAM_PEER_CERT%`). From a trusted proxy the header
//! is the only source (the connection's own certificate, if any, is the proxy's); from any other
//! address the header is ignored. Also: a certificate an operator registers, PEM to DER.

use http::request::Parts;
use http::{Extensions, HeaderMap, HeaderName};
use ipnet::IpNet;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::domain::{AdminError, ClientCertificate, OAuthError};
use crate::server::{ClientCa, ConnectionInfo};

/// A forwarded certificate chain larger than this is refused: a real one is a few KiB.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Where client certificates come from, and what judges their chains: built once by `startup`.
#[derive(Debug, Clone)]
pub struct ClientCertificates {
    ca: Option<ClientCa>,
    proxies: Vec<IpNet>,
    header: HeaderName,
}

impl ClientCertificates {
    /// `ca` judges chains (none: no certificate chains to anything); the `header` of a request
    /// from one of `proxies` carries its client's certificate.
    pub fn new(ca: Option<ClientCa>, proxies: Vec<IpNet>, header: HeaderName) -> Self {
        Self {
            ca,
            proxies,
            header,
        }
    }

    /// Whether a trusted proxy may forward certificates.
    pub fn from_proxies(&self) -> bool {
        !self.proxies.is_empty()
    }

    /// The client CA, which the TLS listener judges its handshakes' chains by too.
    pub fn ca(&self) -> Option<&ClientCa> {
        self.ca.as_ref()
    }

    /// The certificate the request's client presented, if any: the connection's, or, from a
    /// trusted proxy, its header's. A malformed header from a trusted proxy is a bad request
    /// (the proxy is misconfigured), never a certificate.
    pub fn presented(&self, parts: &Parts) -> Result<Option<ClientCertificate>, OAuthError> {
        self.presented_with(&parts.extensions, &parts.headers)
    }

    /// [`ClientCertificates::presented`], of a request's extensions and headers.
    pub fn presented_with(
        &self,
        extensions: &Extensions,
        headers: &HeaderMap,
    ) -> Result<Option<ClientCertificate>, OAuthError> {
        let Some(conn) = extensions.get::<ConnectionInfo>() else {
            return Ok(None);
        };
        let ip = conn.peer.ip();
        if self.proxies.iter().any(|net| net.contains(&ip)) {
            return self.forwarded(headers);
        }
        Ok(conn
            .peer_certificates
            .as_ref()
            .map(|certs| ClientCertificate {
                der: certs.leaf().to_vec(),
                chained_to_ca: certs.chained_to_ca(),
            }))
    }

    /// The certificate in a trusted proxy's header; an empty header (nginx's, when the client
    /// sent none) is none.
    fn forwarded(&self, headers: &HeaderMap) -> Result<Option<ClientCertificate>, OAuthError> {
        let bad = |why: &'static str| OAuthError::invalid_request(why);
        let mut values = headers.get_all(&self.header).iter();
        let value = match (values.next(), values.next()) {
            (None, _) => return Ok(None),
            (Some(value), None) => value.as_bytes(),
            (Some(_), Some(_)) => return Err(bad("the client certificate header is repeated")),
        };
        if value.is_empty() {
            return Ok(None);
        }
        if value.len() > MAX_HEADER_BYTES {
            return Err(bad("the client certificate header is too large"));
        }
        let pem: Vec<u8> = percent_encoding::percent_decode(value).collect();
        let chain = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .ok()
            .filter(|chain| !chain.is_empty())
            .ok_or(bad("the client certificate header is not URL-encoded PEM"))?;
        let chained_to_ca = self.ca.as_ref().is_some_and(|ca| ca.chains(&chain));
        Ok(chain.first().map(|leaf| ClientCertificate {
            der: leaf.to_vec(),
            chained_to_ca,
        }))
    }
}

/// One PEM certificate, as an operator registers it (`self_signed_tls_client_auth`), in DER.
pub fn certificate_der(pem: &str) -> Result<Vec<u8>, AdminError> {
    let mut certs = CertificateDer::pem_slice_iter(pem.as_bytes());
    match (certs.next(), certs.next()) {
        (Some(Ok(cert)), None) => Ok(cert.to_vec()),
        _ => Err(AdminError::invalid(
            "the client certificate must be one PEM CERTIFICATE block",
        )),
    }
}
