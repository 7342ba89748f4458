//! The `single_use` tree: identifiers offered once (assertion and DPoP `jti`s), each kept until
//! it expires, bounded in number.
//!
//! Written without a flush per offer: an fsync per token would cap the token endpoint at the
//! disk's fsync rate. An offer is one compare-and-swap on a blocking thread (sled may block on
//! its log; never on an async worker); the writer thread, the only one that flushes (the module
//! doc of [`super`]), flushes within [`FLUSH_AFTER`] of a recorded identifier by an empty write.
//! What a crash can lose is the last [`FLUSH_AFTER`] of identifiers: docs/design.md.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;

use super::{Store, StoreErr};
use crate::domain::ports::{FirstUse, SingleUse, SingleUseBounds, StoreError};

/// How long after a recorded identifier the tree reaches the disk, at most (sled's own default
/// flush interval).
pub const FLUSH_AFTER: Duration = Duration::from_millis(500);

/// Handle to the single-use tree. Cheap to clone.
#[derive(Clone)]
pub struct SingleUseTree {
    store: Store,
    tree: sled::Tree,
    /// Entries held, in all and by owner, expired ones not yet swept included: counted at open,
    /// kept by each offer and sweep (slots are taken before the insert and given back if none
    /// was made, so concurrent offers never hold more than the bounds).
    held: Arc<Mutex<Held>>,
    bounds: SingleUseBounds,
    /// A flush is scheduled and has not run yet.
    flush_pending: Arc<AtomicBool>,
}

/// The counts behind the bounds.
#[derive(Default)]
struct Held {
    total: u64,
    by_owner: HashMap<String, u64>,
}

impl Held {
    fn add(&mut self, owner: &str) {
        self.total += 1;
        *self.by_owner.entry(owner.to_owned()).or_default() += 1;
    }

    fn remove(&mut self, owner: &str) {
        self.total = self.total.saturating_sub(1);
        if let Some(n) = self.by_owner.get_mut(owner) {
            *n -= 1;
            if *n == 0 {
                self.by_owner.remove(owner);
            }
        }
    }

    fn of(&self, owner: &str) -> u64 {
        self.by_owner.get(owner).copied().unwrap_or(0)
    }
}

impl Store {
    /// Opens (or creates) the single-use tree, holding at most `bounds` identifiers.
    pub fn single_use(&self, bounds: SingleUseBounds) -> anyhow::Result<SingleUseTree> {
        let tree = self
            .db
            .open_tree("single_use")
            .context("opening the single_use tree")?;
        let mut held = Held::default();
        for entry in tree.iter() {
            let (_, value) = entry.context("counting the single_use tree")?;
            held.add(owner_of(&value));
        }
        Ok(SingleUseTree {
            store: self.clone(),
            tree,
            held: Arc::new(Mutex::new(held)),
            bounds,
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

/// The value: the expiry (8 bytes, big-endian), then the owner (entries written before owners
/// were counted have none: "").
fn value(expires: u64, owner: &str) -> Vec<u8> {
    let mut value = Vec::with_capacity(8 + owner.len());
    value.extend_from_slice(&expires.to_be_bytes());
    value.extend_from_slice(owner.as_bytes());
    value
}

fn expiry(value: &[u8]) -> u64 {
    value
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_be_bytes)
}

fn owner_of(value: &[u8]) -> &str {
    value
        .get(8..)
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("")
}

impl SingleUseTree {
    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the slots an insert for `owner` in place of `old` (an expired entry's value, or
    /// none) needs: a new entry takes one in all; the owner's share one unless the old entry
    /// was its own already.
    fn reserve(&self, owner: &str, old: Option<&[u8]>) -> Result<(), FirstUse> {
        let mut held = self.held();
        let old_owner = old.map(owner_of);
        if old_owner == Some(owner) {
            return Ok(());
        }
        if old.is_none() && held.total >= self.bounds.total {
            return Err(FirstUse::Full);
        }
        if held.of(owner) >= self.bounds.per_owner {
            return Err(FirstUse::ShareFull);
        }
        held.add(owner);
        if let Some(old_owner) = old_owner {
            held.remove(old_owner);
        }
        Ok(())
    }

    /// Gives back what [`Self::reserve`] took, the insert not made.
    fn release(&self, owner: &str, old: Option<&[u8]>) {
        let mut held = self.held();
        let old_owner = old.map(owner_of);
        if old_owner == Some(owner) {
            return;
        }
        held.remove(owner);
        if let Some(old_owner) = old_owner {
            held.add(old_owner);
        }
    }

    /// The offer itself, on a blocking thread: unless held unexpired, take the slots, then
    /// insert (given back if another offer changed the entry first).
    fn offer(&self, key: &[u8], owner: &str, expires: u64, now: u64) -> anyhow::Result<FirstUse> {
        let fresh = value(expires, owner);
        let mut current = self.tree.get(key)?;
        loop {
            if current.as_ref().is_some_and(|v| expiry(v) > now) {
                return Ok(FirstUse::Replayed);
            }
            let old = current.as_deref();
            if let Err(refused) = self.reserve(owner, old) {
                return Ok(refused);
            }
            match self.tree.compare_and_swap(key, old, Some(&fresh[..]))? {
                Ok(()) => return Ok(FirstUse::Recorded),
                Err(lost) => {
                    self.release(owner, old);
                    current = lost.current;
                }
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
        owner: &str,
        id: &str,
        expires: u64,
        now: u64,
    ) -> Result<FirstUse, StoreError> {
        let (this, key, owner) = (self.clone(), key(namespace, id), owner.to_owned());
        let outcome = tokio::task::spawn_blocking(move || this.offer(&key, &owner, expires, now))
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
                    this.held().remove(owner_of(&value));
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
