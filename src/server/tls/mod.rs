//! Native TLS on the main listener: rustls with the aws-lc-rs provider, TLS 1.2 and 1.3, ALPN
//! `h2` and `http/1.1`, and a certificate that can be replaced while serving.
//!
//! The handshake itself runs in the connection task, under its own deadline
//! (`connection::handshake`); this module owns the certificate files, the material read from
//! them and the rustls configuration.

mod certs;
mod client_ca;
mod reload;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::crypto::aws_lc_rs;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

pub use self::certs::LoadError;
use self::client_ca::AnyClientCert;
pub use self::client_ca::ClientCa;
use self::reload::CertStore;
pub use self::reload::{CertificateReloader, reload_on_sighup};

/// ALPN protocol ids, the server's preference first.
pub const ALPN_H2: &[u8] = b"h2";
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// The PEM files of the listener's certificate: the chain (leaf first) and its private key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The listener's TLS: the acceptor for handshakes, the client CA certificates are judged by,
/// and the handle that reloads both.
#[derive(Clone)]
pub struct Tls {
    pub(super) acceptor: TlsAcceptor,
    pub(super) client_ca: Option<ClientCa>,
    reloader: CertificateReloader,
    watch_interval: Duration,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("reloader", &self.reloader)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Loads the certificate and key and builds the server configuration; [`Tls::watch`] will
    /// look at the files every `watch_interval` (zero: only reloads asked for, as on SIGHUP).
    /// Every client is asked for a certificate and none is required; `client_ca`, if any, is
    /// what a presented chain is judged by (reloaded with the certificate). Fails (with the
    /// reason, never the key) when the files cannot be read or do not make a pair.
    pub fn load(
        files: &TlsFiles,
        client_ca: Option<ClientCa>,
        watch_interval: Duration,
    ) -> anyhow::Result<Self> {
        let provider = Arc::new(aws_lc_rs::default_provider());
        let store = Arc::new(CertStore::load(
            files.clone(),
            client_ca.clone(),
            provider.clone(),
        )?);
        let mut config = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_client_cert_verifier(Arc::new(AnyClientCert::new(&provider)))
            .with_cert_resolver(store.clone());
        config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            client_ca,
            reloader: CertificateReloader(store),
            watch_interval,
        })
    }

    /// Starts the watch of the certificate files (unless its interval is zero); it ends with
    /// `stop`.
    pub fn watch(&self, stop: CancellationToken) -> Option<JoinHandle<()>> {
        let interval = self.watch_interval;
        (!interval.is_zero()).then(|| tokio::spawn(self.reloader().watch(interval, stop)))
    }

    /// The handle that reloads the certificate (SIGHUP's, or a watch of the files).
    pub fn reloader(&self) -> CertificateReloader {
        self.reloader.clone()
    }
}
