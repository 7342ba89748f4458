//! Key metadata in the `keys` tree, and private keys as PEM files: the domain's key stores.

use anyhow::Context;
use async_trait::async_trait;

use super::StoreErr;
use super::records;
use super::{KeyFiles, Store};
use crate::domain::keys::KeyRecord;
use crate::domain::ports::{
    KeyChangeLock, KeyMaterial, KeyRecordStore, Leases, StoreResult, StoredKey,
};

#[async_trait]
impl KeyRecordStore for Store {
    fn list(&self) -> StoreResult<Vec<KeyRecord>> {
        self.keys
            .iter()
            .values()
            .map(|v| records::decode(&v?))
            .collect::<anyhow::Result<_>>()
            .store_err()
    }

    async fn put(&self, records: &[KeyRecord]) -> StoreResult<()> {
        let mut batch = sled::Batch::default();
        for r in records {
            batch.insert(r.kid.as_str(), records::encode(r)?);
        }
        let keys = self.keys.clone();
        self.writer
            .write(move || Ok(keys.apply_batch(batch)?))
            .await
            .context("storing key records")
            .store_err()
    }

    /// sled locks its directory to one process, whose key manager serializes its own changes:
    /// there is no one else to wait for, and the tree is the records as stored.
    async fn lock_changes(&self) -> StoreResult<KeyChangeLock> {
        Ok(KeyChangeLock::held_by(()))
    }
}

/// Small, rare file operations (start, rotation, retirement): done in place.
#[async_trait]
impl KeyMaterial for KeyFiles {
    async fn load_all(&self) -> StoreResult<Vec<StoredKey>> {
        Ok(KeyFiles::load_all(self)?
            .into_iter()
            .map(|(path, tag, der)| StoredKey {
                modified: std::fs::metadata(&path).and_then(|m| m.modified()).ok(),
                source: path.display().to_string(),
                tag,
                der,
            })
            .collect())
    }

    async fn write(&self, kid: &str, pkcs8_der: &[u8]) -> StoreResult<String> {
        Ok(KeyFiles::write(self, kid, pkcs8_der)?.display().to_string())
    }

    async fn remove(&self, kid: &str) -> StoreResult<()> {
        KeyFiles::remove(self, kid).store_err()
    }

    fn location(&self) -> String {
        self.dir().display().to_string()
    }
}

/// One process owns a sled database (sled locks its directory): it always holds every lease.
#[async_trait]
impl Leases for Store {
    async fn try_hold(
        &self,
        _name: &str,
        _holder: &str,
        _now: u64,
        _until: u64,
    ) -> StoreResult<bool> {
        Ok(true)
    }
}
