//! Key metadata in the `keys` tree, and private keys as PEM files: the domain's key stores.

use anyhow::Context;
use async_trait::async_trait;

use super::records;
use super::{KeyFiles, Store};
use crate::domain::keys::KeyRecord;
use crate::domain::ports::{KeyMaterial, KeyRecordStore, StoredKey};

#[async_trait]
impl KeyRecordStore for Store {
    fn list(&self) -> anyhow::Result<Vec<KeyRecord>> {
        self.keys
            .iter()
            .values()
            .map(|v| records::decode(&v?))
            .collect()
    }

    async fn put(&self, records: &[KeyRecord]) -> anyhow::Result<()> {
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

impl KeyMaterial for KeyFiles {
    fn load_all(&self) -> anyhow::Result<Vec<StoredKey>> {
        Ok(KeyFiles::load_all(self)?
            .into_iter()
            .map(|(path, tag, der)| StoredKey {
                modified: std::fs::metadata(&path).and_then(|m| m.modified()).ok(),
                source: path,
                tag,
                der,
            })
            .collect())
    }

    fn write(&self, kid: &str, pkcs8_der: &[u8]) -> anyhow::Result<std::path::PathBuf> {
        KeyFiles::write(self, kid, pkcs8_der)
    }

    fn remove(&self, kid: &str) -> anyhow::Result<()> {
        KeyFiles::remove(self, kid)
    }

    fn location(&self) -> String {
        self.dir().display().to_string()
    }
}
