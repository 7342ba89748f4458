//! The client certificate a request came with (RFC 8705 §3): from the service's own TLS
//! connection, handed over as a request extension, or from a trusted proxy's header.

use std::net::{IpAddr, SocketAddr};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::HeaderMap;
use http::header::HeaderName;

/// The DER of the client certificate presented on the request's TLS connection. A service
/// that terminates TLS itself inserts it into each request's extensions (from
/// `tokio_rustls::server::TlsStream::get_ref().1.peer_certificates()`, the first entry), so
/// [`RequireAccess`](crate::RequireAccess) can check certificate-bound tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCertificate(pub Vec<u8>);

/// The address the request's connection came from, as a request extension: what a
/// certificate header is trusted by (see [`RequireAccess::certificate_header`]).
///
/// [`RequireAccess::certificate_header`]: crate::RequireAccess::certificate_header
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// A TLS-terminating proxy that forwards the client certificate in a header.
#[derive(Debug, Clone)]
pub(crate) struct CertificateProxy {
    pub(crate) header: HeaderName,
    pub(crate) trusted: Vec<IpAddr>,
}

/// The SHA-256 of the certificate the request came with, base64url (RFC 8705 §3.1): from
/// the connection, else from `proxy`'s header when the connection comes from one of its
/// addresses. A header from any other address is ignored, as is one that does not decode.
pub(crate) fn presented_thumbprint(
    extensions: &http::Extensions,
    headers: &HeaderMap,
    proxy: Option<&CertificateProxy>,
) -> Option<String> {
    if let Some(PeerCertificate(der)) = extensions.get::<PeerCertificate>() {
        return Some(thumbprint(der));
    }
    let proxy = proxy?;
    let PeerAddr(peer) = extensions.get::<PeerAddr>()?;
    if !proxy.trusted.contains(&peer.ip()) {
        return None;
    }
    let mut values = headers.get_all(&proxy.header).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    forwarded_der(value.to_str().ok()?).map(|der| thumbprint(&der))
}

/// RFC 8705 §3.1 `x5t#S256`.
pub(crate) fn thumbprint(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der))
}

/// A forwarded certificate as proxies write it: URL-encoded PEM (nginx's
/// `$ssl_client_escaped_cert`, AWS ALB, Traefik) or the bare base64 of the DER.
fn forwarded_der(value: &str) -> Option<Vec<u8>> {
    let decoded = percent_encoding::percent_decode_str(value.trim())
        .decode_utf8()
        .ok()?;
    if decoded.contains("-----BEGIN") {
        let parsed = pem::parse(decoded.as_bytes()).ok()?;
        return (parsed.tag() == "CERTIFICATE").then(|| parsed.into_contents());
    }
    let compact: String = decoded.split_whitespace().collect();
    STANDARD.decode(compact).ok().filter(|der| !der.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_pem_and_bare_base64_give_the_same_certificate() {
        let der = vec![0x30, 0x03, 0x02, 0x01, 0x05];
        let pem = pem::encode(&pem::Pem::new("CERTIFICATE", der.clone()));
        let escaped: String =
            percent_encoding::utf8_percent_encode(&pem, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        assert_eq!(forwarded_der(&escaped), Some(der.clone()));
        assert_eq!(forwarded_der(&STANDARD.encode(&der)), Some(der));
        let key = pem::encode(&pem::Pem::new("PRIVATE KEY", vec![1, 2, 3]));
        assert_eq!(forwarded_der(&key), None, "only a certificate");
        assert_eq!(forwarded_der("%%%not"), None);
    }
}
