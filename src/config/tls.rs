//! The TLS settings of the main listener: the certificate and key files, the client CA, the
//! handshake deadline and how often the files are looked at for a change.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smart_default::SmartDefault;

use super::units::secs;

/// HTTPS on the main listener, or plain HTTP.
#[derive(Debug, Clone, SmartDefault, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsSettings {
    /// The certificate chain and private key (PEM); `None` serves plain HTTP. Read as a pair
    /// (`load.rs`): one without the other is an error.
    #[serde(flatten, skip_deserializing)]
    pub files: Option<TlsFiles>,
    /// The CA certificates (PEM) a `tls_client_auth` client's certificate must chain to (RFC
    /// 8705 §2.1); `None`: only self-signed client certificates can authenticate.
    #[serde(rename = "tls_client_ca")]
    pub client_ca: Option<PathBuf>,
    /// From accept until the TLS handshake is done; then the HTTP deadlines take over.
    #[default(Duration::from_secs(10))]
    #[serde(rename = "tls_handshake_timeout_secs", with = "secs")]
    pub handshake_timeout: Duration,
    /// How often the two files are checked for a change (which reloads them); zero: only on
    /// SIGHUP.
    #[default(Duration::from_secs(2))]
    #[serde(rename = "tls_watch_interval_secs", with = "secs")]
    pub watch_interval: Duration,
}

/// The PEM files of the listener's certificate (the transport's type): `tls_cert` and `tls_key`
/// in the TOML file. Each is empty unless given only so that one can be read without the other,
/// which `load.rs` then refuses by name. Spelt here, like `io`, so that the transport does not
/// have to know how the settings file names them.
pub use crate::server::TlsFiles;

#[derive(Default, Serialize, Deserialize)]
#[serde(default, rename = "TlsFiles")]
struct FileKeys {
    tls_cert: PathBuf,
    tls_key: PathBuf,
}

impl Serialize for TlsFiles {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let keys = FileKeys {
            tls_cert: self.cert.clone(),
            tls_key: self.key.clone(),
        };
        keys.serialize(s)
    }
}

impl<'de> Deserialize<'de> for TlsFiles {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let keys = FileKeys::deserialize(d)?;
        Ok(Self {
            cert: keys.tls_cert,
            key: keys.tls_key,
        })
    }
}
