//! The certificate the listener presents, swapped whole on a reload: new handshakes get the new
//! pair, connections already open keep theirs, and a pair that fails to load changes nothing.
//!
//! Reloads come from SIGHUP (through [`CertificateReloader`]) and from a watch of the two files
//! (and the client CA file, if any): every `watch_interval` their size, modification time and
//! inode are read, and a change that has stayed put for one interval (both files written, not
//! half of one) triggers a reload. The client CA is read again with the pair; each keeps its
//! previous version when its new one fails to load.
//! Polling two `stat`s costs nothing and also sees a replaced file (`mv`, a Kubernetes secret's
//! symlink swap), where an inotify watch on the file would be left on the old inode.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::certs::{self, LoadError};
use super::{ClientCa, TlsFiles};

/// Reading the files for a reload may take this long (a hung network file system).
const LOAD_DEADLINE: Duration = Duration::from_secs(10);

/// The pair presented to new handshakes, and the files it comes from.
pub(super) struct CertStore {
    current: ArcSwap<CertifiedKey>,
    files: TlsFiles,
    /// Judges client certificates; reloaded with the pair.
    client_ca: Option<ClientCa>,
    provider: Arc<CryptoProvider>,
    /// The files as they were at the last load attempt, successful or not; held while loading,
    /// so that reloads run one at a time and the last one wins.
    attempted: Mutex<Stamp>,
}

impl fmt::Debug for CertStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertStore")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl CertStore {
    /// Loads the pair once; failing here fails the start.
    pub(super) fn load(
        files: TlsFiles,
        client_ca: Option<ClientCa>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, LoadError> {
        let stamp = Stamp::of(&files, client_ca.as_ref());
        let pair = certs::load_pair(&files, &provider)?;
        tracing::info!(
            cert = %files.cert.display(),
            sha256 = certs::fingerprint(&pair),
            "TLS certificate loaded"
        );
        Ok(Self {
            current: ArcSwap::from_pointee(pair),
            files,
            client_ca,
            provider,
            attempted: Mutex::new(stamp),
        })
    }

    /// Reads the files again; on success new handshakes use the new pair, on failure the old
    /// one stays and the reason is logged (and returned).
    async fn reload(self: &Arc<Self>, why: &'static str) -> Result<(), LoadError> {
        let mut attempted = self.attempted.lock().await;
        let store = self.clone();
        let loading = tokio::task::spawn_blocking(move || {
            let stamp = Stamp::of(&store.files, store.client_ca.as_ref());
            if let Some(Err(e)) = store.client_ca.as_ref().map(ClientCa::reload) {
                tracing::warn!(reason = %e, "TLS client CA not reloaded: keeping the previous one");
            }
            (stamp, certs::load_pair(&store.files, &store.provider))
        });
        let loaded = match tokio::time::timeout(LOAD_DEADLINE, loading).await {
            Ok(Ok((stamp, loaded))) => {
                *attempted = stamp;
                loaded
            }
            Ok(Err(e)) => Err(LoadError::new(format!("the loading task failed: {e}"))),
            Err(_) => Err(LoadError::new(format!(
                "reading the files took over {LOAD_DEADLINE:?}"
            ))),
        };
        match loaded {
            Ok(pair) => {
                tracing::info!(
                    why,
                    cert = %self.files.cert.display(),
                    sha256 = certs::fingerprint(&pair),
                    "TLS certificate reloaded: new handshakes use it"
                );
                self.current.store(Arc::new(pair));
                Ok(())
            }
            Err(e) => {
                tracing::warn!(why, reason = %e, "TLS certificate not reloaded: keeping the previous one");
                Err(e)
            }
        }
    }

    /// Reloads when the files changed since the last attempt and have not changed since the
    /// previous look (`seen`); returns what it saw.
    async fn reload_if_settled(self: &Arc<Self>, seen: &Stamp) -> Stamp {
        let (files, ca) = (self.files.clone(), self.client_ca.clone());
        let now = tokio::task::spawn_blocking(move || Stamp::of(&files, ca.as_ref()))
            .await
            .unwrap_or_default();
        let changed = *self.attempted.lock().await != now;
        if changed && now == *seen {
            let _ = self.reload("the certificate or key file changed").await;
        }
        now
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// What a reload needs: SIGHUP's handler holds one, and a test may too.
#[derive(Debug, Clone)]
pub struct CertificateReloader(pub(super) Arc<CertStore>);

impl CertificateReloader {
    /// Reads the certificate and key files again (what SIGHUP does). New handshakes use the new
    /// pair; connections already open are not touched. An error (unreadable, unparsable, a key
    /// that is not the certificate's) leaves the previous pair in place, and is logged too.
    pub async fn reload(&self) -> Result<(), LoadError> {
        self.0.reload("reload requested").await
    }

    /// Watches the two files every `interval` until `stop`, reloading them once a change has
    /// settled.
    pub async fn watch(self, interval: Duration, stop: CancellationToken) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seen = Stamp::of(&self.0.files, self.0.client_ca.as_ref());
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = stop.cancelled() => return,
            }
            seen = self.0.reload_if_settled(&seen).await;
        }
    }
}

/// What the watch compares: each file's size, modification time and inode (a missing file, or
/// no client CA, is `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Stamp([Option<(u64, SystemTime, u64)>; 3]);

impl Stamp {
    fn of(files: &TlsFiles, client_ca: Option<&ClientCa>) -> Self {
        use std::os::unix::fs::MetadataExt;
        let one = |path: &std::path::Path| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.len(), meta.modified().ok()?, meta.ino()))
        };
        Self([
            one(&files.cert),
            one(&files.key),
            client_ca.and_then(|ca| one(ca.path())),
        ])
    }
}

/// Reloads the TLS certificate on every SIGHUP (`systemctl reload`). Without TLS a SIGHUP is
/// logged and ignored rather than ending the process, a hang-up's default action. The handler
/// is in place when this returns; the future it returns runs it.
pub fn reload_on_sighup(
    reloader: Option<CertificateReloader>,
) -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup())?;
    Ok(async move {
        while hangups.recv().await.is_some() {
            match &reloader {
                // The outcome is logged by the reload itself.
                Some(reloader) => {
                    let _ = reloader.reload().await;
                }
                None => tracing::info!("SIGHUP: no TLS certificate to reload"),
            }
        }
    })
}
