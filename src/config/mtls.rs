//! The `[mtls]` table: client certificates that reach the dealer through a TLS-terminating
//! proxy (RFC 8705 behind a proxy). Off by default: with no trusted proxy, the header is ignored.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smart_default::SmartDefault;

/// `[mtls] trusted_proxies` and `[mtls] client_cert_header`.
#[derive(Debug, Clone, SmartDefault, Serialize, Deserialize)]
#[serde(default)]
pub struct MtlsSettings {
    /// Addresses (IPs or CIDRs) of the proxies whose client certificate header is believed;
    /// empty: none, the header is ignored from everyone.
    pub trusted_proxies: Vec<ProxyAddress>,
    /// The header such a proxy puts the client's certificate in, as URL-encoded PEM (nginx's
    /// `$ssl_client_escaped_cert`, Envoy's `%DOWNSTREAM_PEER_CERT%`).
    #[default("x-ssl-client-cert".to_owned())]
    pub client_cert_header: String,
}

/// A trusted proxy: one address (`10.0.0.7`) or a network (`10.0.0.0/24`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyAddress(pub IpNet);

impl ProxyAddress {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        raw.parse::<IpNet>()
            .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
            .map(Self)
            .map_err(|_| format!("{raw:?} is neither an IP address nor a CIDR"))
    }
}

impl Serialize for ProxyAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ProxyAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl MtlsSettings {
    pub(super) fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            http::HeaderName::from_bytes(self.client_cert_header.as_bytes()).is_ok(),
            "[mtls] client_cert_header must be a header name, got {:?}",
            self.client_cert_header
        );
        Ok(())
    }
}
