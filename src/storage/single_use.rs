//! The `single_use` tree: identifiers offered once (assertion and DPoP `jti`s), each kept until
//! it expires, bounded in number.
//!
//! Written without a flush per offer: an fsync per token would cap the token endpoint at the
//! disk's fsync rate. An offer is one compare-and-swap on a blocking thread (sled may block on
//! its log; never on an async worker); the writer thread, the only one that flushes (the module
//! doc of [`super`]), flushes within [`FLUSH_AFTER`] of a recorded identifier by an empty write.
//! What a crash can lose is the last [`FLUSH_AFTER`] of identifiers: docs/design.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;

use super::{Store, StoreErr};
use crate::domain::ports::{FirstUse, SingleUse, StoreError};

/// How long after a recorded identifier the tree reaches the disk, at most (sled's own default
/// flush interval).
pub const FLUSH_AFTER: Duration = Duration::from_millis(500);

/// Handle to the single-use tree. Cheap to clone.
#[derive(Clone)]
pub struct SingleUseTree {
    store: Store,
    tree: sled::Tree,
    /// Entries held, expired ones not yet swept included: counted at open, kept by each offer
    /// and sweep (a slot is taken before the insert and given back if none was made, so
    /// concurrent offers never hold more than the bound).
    held: Arc<AtomicU64>,
    bound: u64,
    /// A flush is scheduled and has not run yet.
    flush_pending: Arc<AtomicBool>,
}

impl Store {
    /// Opens (or creates) the single-use tree, holding at most `bound` identifiers.
    pub fn single_use(&self, bound: u64) -> anyhow::Result<SingleUseTree> {
        let tree = self
            .db
            .open_tree("single_use")
            .context("opening the single_use tree")?;
        let held = tree.len() as u64;
        Ok(SingleUseTree {
            store: self.clone(),
            tree,
            held: Arc::new(AtomicU64::new(held)),
            bound,
            flush_pending: Arc::new(AtomicBool::new(false)),
        })
    }
}

/// `namespace NUL id`: namespaces are fixed words, so no two pairs share a key.
fn key(namespace: &str, id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(namespace.len() + 1 + id.len());
    key.extend_from_slice(namespace.as_bytes());
    key.push(0);
    key.extend_from_slice(id.as_bytes());
    key
}

fn expiry(value: &[u8]) -> u64 {
    value
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_be_bytes)
}

impl SingleUseTree {
    /// The offer itself, on a blocking thread: take a slot, then insert unless held unexpired.
    fn offer(&self, key: &[u8], expires: u64, now: u64) -> anyhow::Result<FirstUse> {
        let taken = self
            .held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.bound).then_some(n + 1)
            });
        let fresh = expires.to_be_bytes();
        let mut current = self.tree.get(key)?;
        loop {
            if current.as_ref().is_some_and(|v| expiry(v) > now) {
                if taken.is_ok() {
                    self.held.fetch_sub(1, Ordering::AcqRel);
                }
                return Ok(FirstUse::Replayed);
            }
            // A new entry needs a slot; replacing an expired one does not.
            if current.is_none() && taken.is_err() {
                return Ok(FirstUse::Full);
            }
            match self
                .tree
                .compare_and_swap(key, current.as_ref(), Some(&fresh[..]))?
            {
                Ok(()) => {
                    if current.is_some() && taken.is_ok() {
                        self.held.fetch_sub(1, Ordering::AcqRel);
                    }
                    return Ok(FirstUse::Recorded);
                }
                Err(lost) => current = lost.current,
            }
        }
    }

    /// Has the writer flush within [`FLUSH_AFTER`], once for every offer made meanwhile.
    fn flush_soon(&self) {
        if self.flush_pending.swap(true, Ordering::AcqRel) {
            return;
        }
        let (writer, pending) = (self.store.writer().clone(), self.flush_pending.clone());
        tokio::spawn(async move {
            tokio::time::sleep(FLUSH_AFTER).await;
            pending.store(false, Ordering::Release);
            if let Err(e) = writer.write(|| Ok(())).await {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "flushing single-use identifiers failed"
                );
            }
        });
    }
}

#[async_trait]
impl SingleUse for SingleUseTree {
    async fn first_use(
        &self,
        namespace: &str,
        id: &str,
        expires: u64,
        now: u64,
    ) -> Result<FirstUse, StoreError> {
        let (this, key) = (self.clone(), key(namespace, id));
        let outcome = tokio::task::spawn_blocking(move || this.offer(&key, expires, now))
            .await
            .context("the single-use offer failed")
            .store_err()?
            .store_err()?;
        if outcome == FirstUse::Recorded {
            self.flush_soon();
        }
        Ok(outcome)
    }

    /// Removes each expired entry only if it is still the value scanned (it may have been
    /// offered again meanwhile), on a blocking thread.
    async fn sweep(&self, now: u64) -> Result<u64, StoreError> {
        let this = self.clone();
        let removed = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
            let mut removed = 0;
            for entry in this.tree.iter() {
                let (key, value) = entry.context("scanning the single_use tree")?;
                if expiry(&value) > now {
                    continue;
                }
                let gone = this
                    .tree
                    .compare_and_swap(&key, Some(&value), None as Option<&[u8]>)?;
                if gone.is_ok() {
                    this.held.fetch_sub(1, Ordering::AcqRel);
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
        .context("the single-use sweep failed")
        .store_err()?
        .store_err()?;
        if removed > 0 {
            self.flush_soon();
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests;
