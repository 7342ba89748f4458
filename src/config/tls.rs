//! The TLS settings of the main listener: the certificate and key files, the handshake deadline
//! and how often the files are looked at for a change.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
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

/// The PEM files of the listener's certificate: the chain (leaf first) and its private key;
/// `tls_cert` and `tls_key` in the TOML file. Each is empty unless given only so that one can
/// be read without the other, which `load.rs` then refuses by name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsFiles {
    #[serde(rename = "tls_cert")]
    pub cert: PathBuf,
    #[serde(rename = "tls_key")]
    pub key: PathBuf,
}
