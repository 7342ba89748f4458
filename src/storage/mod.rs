//! The sled database: one tree per record kind; the only module that knows sled.
//!
//! Every write goes through the one [`Writer`] thread, which flushes before it acknowledges: an
//! acknowledged admin write survives a crash, no two flushes ever overlap (sled 0.34.7 deadlocks
//! when they do), and no sled write runs on an async worker. sled's own periodic flusher is off
//! for the same reason. Reads run where they are asked for: lock-free lookups in the page cache.

mod denylist;
mod keyfiles;
mod records;
mod user_records;
mod users;
mod writer;

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;

use anyhow::Context;
pub use denylist::{Denylist, RevokedRecord};
pub use keyfiles::KeyFiles;
pub use records::{ClientRecord, KeyRecord, KeyState, PreviousSecret};
pub use user_records::{
    DepartmentRecord, DirectoryRecord, EntryKind, NamedRecord, OrgRecord, OrgUnitRecord,
    RoleRecord, ServiceRecord, UserRecord, WfcRecord,
};
pub use users::{Inserted, Removed, UserStore};
pub use writer::{DEFAULT_QUEUE, DEFAULT_WRITE_TIMEOUT, Writer};

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
    /// The last client record an authentication found: what an unknown client decodes in its
    /// place, so both decode a real record of typical size, recently in cache.
    recent: Arc<ArcSwap<sled::IVec>>,
    writer: Writer,
}

/// How the database is opened: its cache and its writer's bounds.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// sled's page cache, in bytes.
    pub cache_bytes: u64,
    /// Writes that may wait for the writer thread; beyond, a write fails at once (503).
    pub write_queue: usize,
    /// How long a write may take to be applied and flushed before the caller gets a 503.
    pub write_timeout: std::time::Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            cache_bytes: DEFAULT_CACHE_BYTES,
            write_queue: DEFAULT_QUEUE,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
        }
    }
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
        let db = sled::Config::new()
            .path(dir.join("db"))
            .cache_capacity(options.cache_bytes)
            // Only the writer flushes: a second flusher could overlap with it (see the module doc).
            .flush_every_ms(None)
            .open()
            .with_context(|| format!("opening the sled database in {}", dir.display()))?;
        let clients = db.open_tree("clients")?;
        if !clients.contains_key(DECOY_KEY)? {
            // Before the writer exists, nothing else can write or flush.
            clients.insert(DECOY_KEY, DECOY_RECORD)?;
            db.flush()?;
        }
        let recent = Arc::new(ArcSwap::from_pointee(sled::IVec::from(DECOY_RECORD)));
        let writer = Writer::start(db.clone(), options.write_queue, options.write_timeout)?;
        Ok(Self {
            clients,
            keys: db.open_tree("keys")?,
            db,
            recent,
            writer,
        })
    }

    /// The writer every change goes through.
    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }

    pub fn get_client(&self, client_id: &str) -> anyhow::Result<Option<ClientRecord>> {
        self.clients
            .get(client_id)?
            .map(|bytes| records::decode(&bytes))
            .transpose()
            .with_context(|| format!("reading client {client_id:?}"))
    }

    /// Looks a client up for authentication, doing the same work whatever the outcome: one tree
    /// hit, one tree miss, one real-sized record decoded. A known id is paired with a key that
    /// is never stored; an unknown (or malformed: `None`) id with the stored decoy, and decodes
    /// the last record a lookup found in its place. Returns whether the id was known, and the
    /// record decoded. (`what_authentication_failures_cost` measures what remains.)
    pub fn lookup_client(&self, client_id: Option<&str>) -> anyhow::Result<(bool, ClientRecord)> {
        let found = self
            .clients
            .get(client_id.map_or(ABSENT_KEY, str::as_bytes))?;
        let known = found.is_some();
        let paired = self
            .clients
            .get(if known { ABSENT_KEY } else { DECOY_KEY })?;
        let bytes = match found {
            Some(bytes) => {
                self.recent.store(Arc::new(bytes.clone()));
                bytes
            }
            None => {
                paired.context("the decoy client record is missing")?;
                sled::IVec::clone(&self.recent.load())
            }
        };
        Ok((known, records::decode(&bytes)?))
    }

    /// Stores a new client; `false` if one with that id exists already.
    pub async fn insert_client(&self, record: &ClientRecord) -> anyhow::Result<bool> {
        let bytes = records::encode(record)?;
        let (clients, id) = (self.clients.clone(), record.client_id.clone());
        self.writer
            .write(move || {
                let swapped =
                    clients.compare_and_swap(id.as_bytes(), None as Option<&[u8]>, Some(bytes))?;
                Ok(swapped.is_ok())
            })
            .await
            .with_context(|| format!("registering client {:?}", record.client_id))
    }

    /// Changes a stored client: `change` gets the record as it is when the writer applies it and
    /// returns the new one, so concurrent updates and removals serialize and none is lost or
    /// undone. `None` if there is no such client (then nothing is written). `change` runs on the
    /// writer thread: it must be quick and must not block.
    pub async fn update_client<F>(
        &self,
        client_id: &str,
        change: F,
    ) -> anyhow::Result<Option<ClientRecord>>
    where
        F: FnOnce(ClientRecord) -> anyhow::Result<ClientRecord> + Send + 'static,
    {
        let (clients, id) = (self.clients.clone(), client_id.to_owned());
        self.writer
            .write(move || {
                let Some(bytes) = clients.get(id.as_bytes())? else {
                    return Ok(None);
                };
                let new = change(records::decode(&bytes)?)?;
                anyhow::ensure!(
                    new.client_id == id,
                    "an update may not change the client id"
                );
                clients.insert(id.as_bytes(), records::encode(&new)?)?;
                Ok(Some(new))
            })
            .await
            .with_context(|| format!("updating client {client_id:?}"))
    }

    /// Removes a client; `false` if there was none.
    pub async fn remove_client(&self, client_id: &str) -> anyhow::Result<bool> {
        let (clients, id) = (self.clients.clone(), client_id.to_owned());
        self.writer
            .write(move || Ok(clients.remove(id.as_bytes())?.is_some()))
            .await
            .with_context(|| format!("removing client {client_id:?}"))
    }

    pub fn list_clients(&self) -> anyhow::Result<Vec<ClientRecord>> {
        // Client ids are printable ASCII, so every real key sorts before the reserved ones.
        self.clients
            .range(..RESERVED_PREFIX)
            .values()
            .map(|v| records::decode(&v?))
            .collect()
    }

    /// Counts by walking the whole tree: O(clients). Prefer [`Store::has_clients`].
    pub fn client_count(&self) -> usize {
        self.clients.range(..RESERVED_PREFIX).count()
    }

    /// Whether any client is registered, without walking the tree (start-up with 1M clients).
    pub fn has_clients(&self) -> anyhow::Result<bool> {
        Ok(self
            .clients
            .range(..RESERVED_PREFIX)
            .next()
            .transpose()?
            .is_some())
    }

    /// Stores many client records in one batch and one flush, overwriting same ids: bulk imports
    /// and benchmark seeding.
    pub async fn import_clients(&self, records: &[ClientRecord]) -> anyhow::Result<()> {
        let mut batch = sled::Batch::default();
        for r in records {
            batch.insert(r.client_id.as_str(), records::encode(r)?);
        }
        let clients = self.clients.clone();
        self.writer
            .write(move || Ok(clients.apply_batch(batch)?))
            .await
            .context("importing clients")
    }

    pub fn list_keys(&self) -> anyhow::Result<Vec<KeyRecord>> {
        self.keys
            .iter()
            .values()
            .map(|v| records::decode(&v?))
            .collect()
    }

    /// Writes several key records at once (a rotation changes two), then flushes.
    pub async fn put_keys(&self, records: &[KeyRecord]) -> anyhow::Result<()> {
        let mut batch = sled::Batch::default();
        for r in records {
            batch.insert(r.kid.as_str(), records::encode(r)?);
        }
        let keys = self.keys.clone();
        self.writer
            .write(move || Ok(keys.apply_batch(batch)?))
            .await
            .context("storing key records")
    }
}
