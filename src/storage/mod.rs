//! The sled database: one tree per record kind; the only module that knows sled.
//!
//! sled fsyncs on its own only every 500 ms, so every write here is followed by a flush before
//! it returns: an acknowledged admin write survives a crash.

mod denylist;
mod keyfiles;
mod records;
mod user_records;
mod users;

use std::path::Path;

use anyhow::Context;
pub use denylist::{Denylist, RevokedRecord};
pub use keyfiles::KeyFiles;
pub use records::{ClientRecord, KeyRecord, KeyState, PreviousSecret};
pub use user_records::{
    DepartmentRecord, DirectoryRecord, EntryKind, NamedRecord, OrgRecord, OrgUnitRecord,
    RoleRecord, ServiceRecord, UserRecord, WfcRecord,
};
pub use users::{Inserted, Removed, UserStore};

/// Handle to the open database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    clients: sled::Tree,
    keys: sled::Tree,
}

impl Store {
    /// Opens (or creates) the database under `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        let db = sled::Config::new()
            .path(dir.join("db"))
            .open()
            .with_context(|| format!("opening the sled database in {}", dir.display()))?;
        Ok(Self {
            clients: db.open_tree("clients")?,
            keys: db.open_tree("keys")?,
            db,
        })
    }

    async fn flush(&self) -> anyhow::Result<()> {
        self.db
            .flush_async()
            .await
            .context("flushing the database")?;
        Ok(())
    }

    pub fn get_client(&self, client_id: &str) -> anyhow::Result<Option<ClientRecord>> {
        self.clients
            .get(client_id)?
            .map(|bytes| records::decode(&bytes))
            .transpose()
            .with_context(|| format!("reading client {client_id:?}"))
    }

    /// A typical record decoded from bytes, standing in for an unknown client so both paths do
    /// the same work.
    pub fn decoy_client(&self) -> anyhow::Result<ClientRecord> {
        const DECOY: &[u8] = br#"{"v":"1","client_id":"decoy-client","secret_sha256":"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a","audiences":["https://decoy.invalid"],"scopes":["decoy"],"grants":["client_credentials"],"token_ttl":3600,"disabled":true,"created_at":0}"#;
        records::decode(DECOY)
    }

    /// Stores a new client; `false` if one with that id exists already.
    pub async fn insert_client(&self, record: &ClientRecord) -> anyhow::Result<bool> {
        let bytes = records::encode(record)?;
        let swapped =
            self.clients
                .compare_and_swap(&record.client_id, None as Option<&[u8]>, Some(bytes))?;
        self.flush().await?;
        Ok(swapped.is_ok())
    }

    /// Overwrites an existing client record.
    pub async fn put_client(&self, record: &ClientRecord) -> anyhow::Result<()> {
        self.clients
            .insert(&record.client_id, records::encode(record)?)?;
        self.flush().await
    }

    /// Removes a client; `false` if there was none.
    pub async fn remove_client(&self, client_id: &str) -> anyhow::Result<bool> {
        let existed = self.clients.remove(client_id)?.is_some();
        self.flush().await?;
        Ok(existed)
    }

    pub fn list_clients(&self) -> anyhow::Result<Vec<ClientRecord>> {
        self.clients
            .iter()
            .values()
            .map(|v| records::decode(&v?))
            .collect()
    }

    /// Counts by walking the whole tree: O(clients). Prefer [`Store::has_clients`].
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    /// Whether any client is registered, without walking the tree (start-up with 1M clients).
    pub fn has_clients(&self) -> anyhow::Result<bool> {
        Ok(self.clients.first()?.is_some())
    }

    /// Stores many client records in one batch and one flush, overwriting same ids: bulk imports
    /// and benchmark seeding.
    pub async fn import_clients(&self, records: &[ClientRecord]) -> anyhow::Result<()> {
        let mut batch = sled::Batch::default();
        for r in records {
            batch.insert(r.client_id.as_str(), records::encode(r)?);
        }
        self.clients.apply_batch(batch)?;
        self.flush().await
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
        self.keys.apply_batch(batch)?;
        self.flush().await
    }
}
