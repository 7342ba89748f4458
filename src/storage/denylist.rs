//! The `revoked` tree: ids of revoked tokens, kept until the token would have expired anyway.

use anyhow::Context;
use async_trait::async_trait;

use super::{Store, records};
use crate::domain::RevokedToken;
use crate::domain::ports::DenylistStore;

/// Handle to the denylist tree. Cheap to clone.
#[derive(Clone)]
pub struct Denylist {
    store: Store,
    tree: sled::Tree,
}

/// Expired entries removed per writer job by a sweep, so a large sweep never holds up other
/// writes for long.
const SWEEP_CHUNK: usize = 512;

impl Store {
    /// Opens (or creates) the denylist tree in this database.
    pub fn denylist(&self) -> anyhow::Result<Denylist> {
        Ok(Denylist {
            tree: self
                .db
                .open_tree("revoked")
                .context("opening the revoked tree")?,
            store: self.clone(),
        })
    }
}

#[async_trait]
impl DenylistStore for Denylist {
    /// One B-tree lookup; nothing is decoded.
    fn contains(&self, jti: &str) -> anyhow::Result<bool> {
        self.tree
            .contains_key(jti)
            .with_context(|| format!("looking up revoked token {jti:?}"))
    }

    /// Returns once the entry is on disk: an acknowledged revocation survives a crash.
    async fn insert(&self, record: &RevokedToken) -> anyhow::Result<()> {
        let (tree, jti, bytes) = (
            self.tree.clone(),
            record.jti.clone(),
            records::encode(record)?,
        );
        self.store
            .writer()
            .write(move || Ok(tree.insert(jti.as_bytes(), bytes).map(drop)?))
            .await
            .context("storing the revocation")
    }

    /// Removes every record whose `exp` is at or before `now`; returns how many went.
    ///
    /// Scans on a blocking thread, then removes on the writer in chunks, each entry only if it
    /// is still the value scanned (it may have been re-revoked meanwhile).
    async fn remove_expired(&self, now: u64) -> anyhow::Result<usize> {
        let tree = self.tree.clone();
        let mut expired = tokio::task::spawn_blocking(move || expired_entries(&tree, now))
            .await
            .context("the revocation scan failed")??;
        let mut removed = 0;
        while !expired.is_empty() {
            let chunk: Vec<_> = expired.drain(..expired.len().min(SWEEP_CHUNK)).collect();
            let tree = self.tree.clone();
            removed += self
                .store
                .writer()
                .write(move || {
                    let mut n = 0;
                    for (key, value) in chunk {
                        let swapped =
                            tree.compare_and_swap(&key, Some(&value), None as Option<&[u8]>)?;
                        n += usize::from(swapped.is_ok());
                    }
                    Ok(n)
                })
                .await?;
        }
        Ok(removed)
    }

    fn len(&self) -> usize {
        self.tree.len()
    }
}

impl Denylist {
    /// Every entry whose token is still alive at `now`: `tokendealer migrate`.
    pub fn live(&self, now: u64) -> anyhow::Result<Vec<RevokedToken>> {
        let mut live = Vec::new();
        for entry in self.tree.iter() {
            let (_, value) = entry.context("scanning the revoked tree")?;
            let record: RevokedToken = records::decode(&value)?;
            if record.exp > now {
                live.push(record);
            }
        }
        Ok(live)
    }
}

/// The entries of `tree` whose token has expired by `now`, as scanned.
fn expired_entries(tree: &sled::Tree, now: u64) -> anyhow::Result<Vec<(sled::IVec, sled::IVec)>> {
    let mut expired = Vec::new();
    for entry in tree.iter() {
        let (key, value) = entry.context("scanning the revoked tree")?;
        match records::decode::<RevokedToken>(&value) {
            Ok(record) if record.exp <= now => expired.push((key, value)),
            Ok(_) => {}
            // A record we cannot read cannot be checked either; keep it rather than silently
            // un-revoking a token, and say so.
            Err(e) => tracing::warn!(error = format!("{e:#}"), "unreadable revoked-token record"),
        }
    }
    Ok(expired)
}

#[cfg(test)]
impl Denylist {
    /// Bulk loading for measurements: no flush per record.
    pub(crate) fn insert_unflushed(&self, record: &RevokedToken) -> anyhow::Result<()> {
        self.tree
            .insert(record.jti.as_str(), records::encode(record)?)?;
        Ok(())
    }
}
