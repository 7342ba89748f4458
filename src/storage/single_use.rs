//! The `single_use` tree: identifiers offered once (assertion and DPoP `jti`s), each kept until
//! it expires, bounded in number.
//!
//! An offer is decided in memory, on the request's own thread: the tree's entries are loaded at
//! open and kept in a map beside it, so a token costs one map lookup and insert under a mutex, no
//! sled call, no thread hand-off and no write (`spawn_blocking` per offer cost 3–4 context
//! switches per token: docs/benchmarks.md). What was recorded or swept is written behind, in
//! order, in bounded batches through the writer (the only thread that flushes: the module doc of
//! [`super`]) within [`FLUSH_AFTER`], and on drop. What a crash can lose is the last
//! [`FLUSH_AFTER`] of identifiers, as before: docs/design.md.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;

use super::Store;
use crate::domain::ports::{FirstUse, SingleUse, SingleUseBounds, StoreError};

mod record;

use record::{Change, Record};

/// How long after a recorded identifier the tree reaches the disk, at most (sled's own default
/// flush interval).
pub const FLUSH_AFTER: Duration = Duration::from_millis(500);

/// Handle to the single-use record. Cheap to clone.
#[derive(Clone)]
pub struct SingleUseTree {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    tree: sled::Tree,
    record: Mutex<Record>,
    bounds: SingleUseBounds,
    /// A write-behind is scheduled and has not taken the pending changes yet.
    write_pending: AtomicBool,
}

impl Store {
    /// Opens (or creates) the single-use tree, holding at most `bounds` identifiers, and loads
    /// its entries.
    pub fn single_use(&self, bounds: SingleUseBounds) -> anyhow::Result<SingleUseTree> {
        let tree = self
            .db
            .open_tree("single_use")
            .context("opening the single_use tree")?;
        let mut record = Record::default();
        for entry in tree.iter() {
            let (key, value) = entry.context("loading the single_use tree")?;
            record.load(&key, expiry(&value), owner_of(&value));
        }
        Ok(SingleUseTree {
            inner: Arc::new(Inner {
                store: self.clone(),
                tree,
                record: Mutex::new(record),
                bounds,
                write_pending: AtomicBool::new(false),
            }),
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

/// Changes written to the tree in one sled batch at most: a batch is built whole in memory,
/// and a burst (every offer of 500 ms at thousands per second) as one batch grew the process by
/// kilobytes per entry.
const CHANGES_PER_BATCH: usize = 512;

/// Writes `changes` to the tree in order, a bounded batch at a time (a later change to a key
/// replaces an earlier one; batches apply in order).
fn apply(tree: &sled::Tree, changes: &[Change]) -> anyhow::Result<()> {
    for chunk in changes.chunks(CHANGES_PER_BATCH) {
        let mut batch = sled::Batch::default();
        for (key, value) in chunk {
            match value {
                Some(value) => batch.insert(&**key, &value[..]),
                None => batch.remove(&**key),
            }
        }
        tree.apply_batch(batch)?;
    }
    Ok(())
}

impl Inner {
    fn record(&self) -> MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SingleUseTree {
    /// Has the writer apply and flush the pending changes within [`FLUSH_AFTER`], once for
    /// every change made meanwhile.
    fn write_soon(&self) {
        if self.inner.write_pending.swap(true, Ordering::AcqRel) {
            return;
        }
        // Weak: a tree closed meanwhile wrote what was pending as it dropped, and its files
        // are free at once for the next open.
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            tokio::time::sleep(FLUSH_AFTER).await;
            let Some(inner) = weak.upgrade() else {
                return;
            };
            inner.write_pending.store(false, Ordering::Release);
            let changes = inner.record().take_changes();
            if changes.is_empty() {
                return;
            }
            let (tree, queued) = (inner.tree.clone(), Arc::new(changes));
            let job = queued.clone();
            let written = inner
                .store
                .writer()
                .write_in_turn(move || apply(&tree, &job))
                .await;
            let Err(e) = written else {
                return;
            };
            tracing::warn!(
                error = format!("{e:#}"),
                "writing single-use identifiers failed"
            );
            // Refused before it ran (no place in the queue within the write timeout, or the
            // writer gone): the changes go back in front of what came since, to be written
            // with it. A write that ran reaches the disk with a later
            // flush, so it is not repeated (a repeated removal could undo a newer entry).
            let ran = StoreError::unavailable_in(&e)
                .iter()
                .any(|u| u.is_unconfirmed());
            if let (false, Ok(changes)) = (ran, Arc::try_unwrap(queued)) {
                let mut record = inner.record();
                let newer = record.take_changes();
                record.restore(changes, newer);
                drop(record);
                SingleUseTree { inner }.write_soon();
            }
        });
    }
}

impl Drop for Inner {
    /// What is still pending goes to the tree (flushed as its last handle closes).
    fn drop(&mut self) {
        let changes = self.record().take_changes();
        if let Err(e) = apply(&self.tree, &changes) {
            tracing::warn!(error = %e, "writing single-use identifiers at close failed");
        }
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
        let key = key(namespace, id);
        let outcome =
            self.inner
                .record()
                .offer(&key, owner, expires, now, self.inner.bounds, || {
                    value(expires, owner)
                });
        if outcome == FirstUse::Recorded {
            self.write_soon();
        }
        Ok(outcome)
    }

    /// Forgets the entries expired at `now`, in memory at once and in the tree behind.
    async fn sweep(&self, now: u64) -> Result<u64, StoreError> {
        let removed = self.inner.record().sweep(now);
        if removed > 0 {
            self.write_soon();
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod write_behind_tests;
