//! The `revoked` tree: ids of revoked tokens, kept until the token would have expired anyway.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use async_trait::async_trait;

use super::StoreErr;
use super::{Store, records};
use crate::domain::RevokedToken;
use crate::domain::ports::{DenylistStore, Listing, StoreResult};

/// Handle to the denylist tree. Cheap to clone.
#[derive(Clone)]
pub struct Denylist {
    store: Store,
    tree: sled::Tree,
    /// Entries per client registration, counted from the tree when the handle is made and kept
    /// by every insert and removal (all of them run on the store's one writer thread, so a check
    /// and the insert it allows cannot interleave with another). sled locks its directory to one
    /// process, so the count is exact while writes go through one handle, as the engine's do.
    per_client: Arc<Mutex<HashMap<Share, usize>>>,
}

/// Whose share an entry counts against: the client id and its registration tag.
type Share = (String, Option<String>);

fn share_of(record: RevokedToken) -> Share {
    (record.client_id, record.reg)
}

/// Expired entries removed per writer job by a sweep, so a large sweep never holds up other
/// writes for long.
const SWEEP_CHUNK: usize = 512;

impl Store {
    /// Opens (or creates) the denylist tree in this database.
    pub fn denylist(&self) -> anyhow::Result<Denylist> {
        let tree = self
            .db
            .open_tree("revoked")
            .context("opening the revoked tree")?;
        let mut per_client = HashMap::<Share, usize>::new();
        for entry in tree.iter() {
            let (_, value) = entry.context("scanning the revoked tree")?;
            if let Ok(record) = records::decode::<RevokedToken>(&value) {
                *per_client.entry(share_of(record)).or_default() += 1;
            }
        }
        Ok(Denylist {
            tree,
            store: self.clone(),
            per_client: Arc::new(Mutex::new(per_client)),
        })
    }
}

#[async_trait]
impl DenylistStore for Denylist {
    /// One B-tree lookup; nothing is decoded.
    fn contains(&self, jti: &str) -> StoreResult<bool> {
        self.tree
            .contains_key(jti)
            .with_context(|| format!("looking up revoked token {jti:?}"))
            .store_err()
    }

    /// Returns once the entry is on disk: an acknowledged revocation survives a crash.
    async fn insert(&self, record: &RevokedToken, per_client: usize) -> StoreResult<Listing> {
        let (tree, counts, jti, share, bytes) = (
            self.tree.clone(),
            self.per_client.clone(),
            record.jti.clone(),
            share_of(record.clone()),
            records::encode(record)?,
        );
        self.store
            .writer()
            .write(move || {
                if tree.contains_key(jti.as_bytes())? {
                    return Ok(Listing::Listed);
                }
                let mut counts = counts.lock().unwrap_or_else(PoisonError::into_inner);
                let count = counts.entry(share).or_default();
                if *count >= per_client {
                    return Ok(Listing::ClientFull);
                }
                tree.insert(jti.as_bytes(), bytes)?;
                *count += 1;
                Ok(Listing::Listed)
            })
            .await
            .context("storing the revocation")
            .store_err()
    }

    /// Removes every record whose `exp` is at or before `now`; returns how many went.
    ///
    /// Scans on a blocking thread, then removes on the writer in chunks, each entry only if it
    /// is still the value scanned (it may have been re-revoked meanwhile).
    async fn remove_expired(&self, now: u64) -> StoreResult<usize> {
        let tree = self.tree.clone();
        let mut expired = tokio::task::spawn_blocking(move || expired_entries(&tree, now))
            .await
            .context("the revocation scan failed")??;
        let mut removed = 0;
        while !expired.is_empty() {
            let chunk: Vec<_> = expired.drain(..expired.len().min(SWEEP_CHUNK)).collect();
            let (tree, counts) = (self.tree.clone(), self.per_client.clone());
            removed += self
                .store
                .writer()
                .write(move || {
                    let mut n = 0;
                    for (key, value, share) in chunk {
                        let swapped =
                            tree.compare_and_swap(&key, Some(&value), None as Option<&[u8]>)?;
                        if swapped.is_ok() {
                            n += 1;
                            let mut counts = counts.lock().unwrap_or_else(PoisonError::into_inner);
                            if let Some(count) = counts.get_mut(&share) {
                                *count = count.saturating_sub(1);
                                if *count == 0 {
                                    counts.remove(&share);
                                }
                            }
                        }
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

/// An entry as scanned: key, value, and the share it counts against.
type Scanned = (sled::IVec, sled::IVec, Share);

/// The entries of `tree` whose token has expired by `now`, as scanned.
fn expired_entries(tree: &sled::Tree, now: u64) -> anyhow::Result<Vec<Scanned>> {
    let mut expired = Vec::new();
    for entry in tree.iter() {
        let (key, value) = entry.context("scanning the revoked tree")?;
        match records::decode::<RevokedToken>(&value) {
            Ok(record) if record.exp <= now => expired.push((key, value, share_of(record))),
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
