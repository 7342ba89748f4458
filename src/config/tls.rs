//! The TLS settings of the main listener: the certificate and key files, the handshake deadline
//! and how often the files are looked at for a change.

use std::path::PathBuf;
use std::time::Duration;

use toml::{Table, Value};

/// HTTPS on the main listener, or plain HTTP.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    /// The certificate chain and private key (PEM); `None` serves plain HTTP.
    pub files: Option<TlsFiles>,
    /// From accept until the TLS handshake is done; then the HTTP deadlines take over.
    pub handshake_timeout: Duration,
    /// How often the two files are checked for a change (which reloads them); zero: only on
    /// SIGHUP.
    pub watch_interval: Duration,
}

pub use crate::server::TlsFiles;

impl Default for TlsSettings {
    fn default() -> Self {
        Self {
            files: None,
            handshake_timeout: Duration::from_secs(10),
            watch_interval: Duration::from_secs(2),
        }
    }
}

impl TlsSettings {
    /// The settings from the resolved layers; a certificate without a key (or the reverse) is an
    /// error that names what is missing.
    pub(super) fn resolve(
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
        handshake_secs: Option<u64>,
        watch_secs: Option<u64>,
    ) -> anyhow::Result<Self> {
        let d = Self::default();
        let files = match (cert, key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) => anyhow::bail!(
                "tls_cert is set but tls_key is not: TLS needs both (--tls-key, TOKENDEALER_TLS_KEY or tls_key)"
            ),
            (None, Some(_)) => anyhow::bail!(
                "tls_key is set but tls_cert is not: TLS needs both (--tls-cert, TOKENDEALER_TLS_CERT or tls_cert)"
            ),
        };
        let settings = Self {
            files,
            handshake_timeout: handshake_secs.map_or(d.handshake_timeout, Duration::from_secs),
            watch_interval: watch_secs.map_or(d.watch_interval, Duration::from_secs),
        };
        anyhow::ensure!(
            !settings.handshake_timeout.is_zero(),
            "tls_handshake_timeout_secs must be positive"
        );
        Ok(settings)
    }

    /// Adds these settings to the TOML that `tokendealer config` prints.
    pub(super) fn print_into(&self, t: &mut Table) {
        let secs = |d: Duration| Value::Integer(i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        if let Some(files) = &self.files {
            let path = |p: &std::path::Path| Value::String(p.display().to_string());
            t.insert("tls_cert".into(), path(&files.cert));
            t.insert("tls_key".into(), path(&files.key));
        }
        t.insert(
            "tls_handshake_timeout_secs".into(),
            secs(self.handshake_timeout),
        );
        t.insert("tls_watch_interval_secs".into(), secs(self.watch_interval));
    }
}
