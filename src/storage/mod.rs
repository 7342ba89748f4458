//! The sled database: one tree per record kind; the only module that knows sled.
//!
//! Every write goes through the one [`Writer`] thread, which flushes before it acknowledges: an
//! acknowledged admin write survives a crash, no two flushes ever overlap (sled 0.34.7 deadlocks
//! when they do), and no sled write runs on an async worker. sled's own periodic flusher is off
//! for the same reason. Reads run where they are asked for: lock-free lookups in the page cache.

mod clients;
mod denylist;
mod federated_index;
mod keyfiles;
mod keys;
mod operators;
pub mod postgres;
mod records;
mod single_use;
mod trusted_issuers;
mod users;
mod writer;

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;

use anyhow::Context;
pub use denylist::Denylist;
pub use keyfiles::KeyFiles;
pub use operators::OperatorTree;
pub use postgres::{DbTls, MasterKey, PgOptions, PgSingleUse, PgStore, split_tls};
pub use records::{ClientRecord, PreviousSecret};
pub use single_use::SingleUseTree;
pub use trusted_issuers::TrustTree;
pub use users::{UserStore, encode_entry};
pub use writer::{DEFAULT_QUEUE, DEFAULT_WRITE_TIMEOUT, Writer};

/// An engine's result, its error whatever its type, as the domain's ports answer it: a
/// [`StoreError`](crate::domain::StoreError), unavailable when a
/// [`StoreUnavailable`](crate::domain::StoreUnavailable) is in the error's chain.
pub(crate) trait StoreErr<T> {
    fn store_err(self) -> crate::domain::ports::StoreResult<T>;
}

impl<T, E: Into<anyhow::Error>> StoreErr<T> for Result<T, E> {
    fn store_err(self) -> crate::domain::ports::StoreResult<T> {
        self.map_err(|e| crate::domain::StoreError::from(e.into()))
    }
}

/// sled's page cache unless configured: enough for the hot records of a large registry.
pub const DEFAULT_CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// Keys in the clients tree that no client id can take (ids are printable ASCII, 0x21–0x7E).
const RESERVED_PREFIX: &[u8] = b"\x7f";
/// A stored stand-in record, decoded when an unknown client authenticates.
const DECOY_KEY: &[u8] = b"\x7fdecoy";
/// Never stored: looked up beside a known client, so hits and misses pair up.
const ABSENT_KEY: &[u8] = b"\x7fabsent";
const DECOY_RECORD: &[u8] = br#"{"v":"1","client_id":"decoy-client","secret_sha256":"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a","audiences":["https://decoy.invalid"],"scopes":["decoy"],"grants":["client_credentials"],"token_ttl":3600,"disabled":true,"created_at":0}"#;

/// Handle to the open database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    clients: sled::Tree,
    keys: sled::Tree,
    /// The trusted issuers, which the clients' federated bindings name (see `federated_index`).
    trusts: sled::Tree,
    /// The last client record an authentication found: what an unknown client decodes in its
    /// place, so both decode a real record of typical size, recently in cache.
    recent: Arc<ArcSwap<sled::IVec>>,
    writer: Writer,
}

/// How the database is opened: its cache and its writer's bounds.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// sled's page cache, in bytes.
    pub cache_bytes: u64,
    /// Writes that may wait for the writer thread; beyond, a write fails at once (503).
    pub write_queue: usize,
    /// How long a write may take to be applied and flushed before the caller gets a 503.
    pub write_timeout: std::time::Duration,
    /// Told the duration and outcome of every write (the metrics).
    pub observer: Option<Arc<dyn crate::telemetry::StoreObserver>>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            cache_bytes: DEFAULT_CACHE_BYTES,
            write_queue: DEFAULT_QUEUE,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            observer: None,
        }
    }
}

/// How long an open waits for the database's lock, held by the store it replaces: an
/// application stopped in this process (its last handles close a moment after it returns, the
/// writer thread flushing) or a process still exiting.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens the database, waiting up to [`LOCK_WAIT`] while another store holds its lock; then
/// fails saying so.
fn open_locked(config: &sled::Config) -> anyhow::Result<sled::Db> {
    let started = std::time::Instant::now();
    loop {
        match config.open() {
            Err(e) if lock_held(&e) && started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) if lock_held(&e) => anyhow::bail!(
                "the data dir is in use by another tokendealer (its lock was held for {} s): {e}",
                LOCK_WAIT.as_secs()
            ),
            opened => return Ok(opened?),
        }
    }
}

/// Whether sled refused to open because another handle holds the database's lock: sled 0.34.7
/// wraps the lock's `WouldBlock` in an `Other` error worded so (its `config.rs`; the version
/// is pinned).
fn lock_held(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().starts_with("could not acquire lock"))
}

impl Store {
    /// Opens (or creates) the database under `dir` with the default options.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        Self::open_with(dir, StoreOptions::default())
    }

    /// Opens (or creates) the database under `dir`, bounding sled's page cache to about
    /// `cache_bytes` (sled's own default, 1 GiB, let a server with 1M clients grow to 350 MB),
    /// and starts its writer thread.
    pub fn open_with(dir: &Path, options: StoreOptions) -> anyhow::Result<Self> {
        let config = sled::Config::new()
            .path(dir.join("db"))
            .cache_capacity(options.cache_bytes)
            // Only the writer flushes: a second flusher could overlap with it (see the module doc).
            .flush_every_ms(None);
        let db = open_locked(&config)
            .with_context(|| format!("opening the sled database in {}", dir.display()))?;
        let clients = db.open_tree("clients")?;
        if !clients.contains_key(DECOY_KEY)? {
            // Before the writer exists, nothing else can write or flush.
            clients.insert(DECOY_KEY, DECOY_RECORD)?;
            db.flush()?;
        }
        let recent = Arc::new(ArcSwap::from_pointee(sled::IVec::from(DECOY_RECORD)));
        let writer = Writer::start_observed(
            db.clone(),
            options.write_queue,
            options.write_timeout,
            options.observer,
        )?;
        Ok(Self {
            clients,
            keys: db.open_tree("keys")?,
            trusts: db.open_tree("trusted_issuers")?,
            db,
            recent,
            writer,
        })
    }

    /// The writer every change goes through.
    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_open_waits_for_the_store_it_replaces_to_close() {
        let dir = tempfile::tempdir().unwrap();
        let old = super::Store::open(dir.path()).unwrap();
        let closing = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(old);
        });
        let new = super::Store::open(dir.path());
        closing.join().unwrap();
        assert!(new.is_ok(), "{:#}", new.err().unwrap());
    }
}
