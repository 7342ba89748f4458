//! The single-use record in memory: every entry with its expiry and owner, the owners' counts,
//! an index by expiry for the sweep, and the changes the tree has not been told yet.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::domain::ports::{FirstUse, SingleUseBounds};

/// A change to write to the tree: the new value, or `None` for a removal.
pub(super) type Change = (Arc<[u8]>, Option<Vec<u8>>);

#[derive(Default)]
pub(super) struct Record {
    /// Every entry, expired ones not yet swept included, by key.
    entries: HashMap<Arc<[u8]>, Entry>,
    /// Entries held by each owner (the share's count).
    by_owner: HashMap<Box<str>, u64>,
    /// Keys by the expiry they were recorded with: a sweep visits only what expired. A key
    /// recorded again after it expired is listed twice; the sweep checks the entry's expiry.
    by_expiry: BTreeMap<u64, Vec<Arc<[u8]>>>,
    /// Changes made since the last [`Record::take_changes`], in order.
    pending: Vec<Change>,
}

struct Entry {
    expires: u64,
    owner: Box<str>,
}

impl Record {
    /// An entry as loaded from the tree (nothing to write back).
    pub(super) fn load(&mut self, key: &[u8], expires: u64, owner: &str) {
        let key: Arc<[u8]> = key.into();
        self.count(owner);
        self.by_expiry.entry(expires).or_default().push(key.clone());
        self.entries.insert(
            key,
            Entry {
                expires,
                owner: owner.into(),
            },
        );
    }

    /// The offer: a replay while held unexpired at `now`; otherwise the slots the entry takes
    /// (one in all unless it replaces an expired one, one of the owner's share unless the
    /// expired one was its own already), then the entry with its `value` for the tree.
    pub(super) fn offer(
        &mut self,
        key: &[u8],
        owner: &str,
        expires: u64,
        now: u64,
        bounds: SingleUseBounds,
        value: impl FnOnce() -> Vec<u8>,
    ) -> FirstUse {
        let (key, old_owner) = match self.entries.get_key_value(key) {
            Some((_, entry)) if entry.expires > now => return FirstUse::Replayed,
            Some((key, entry)) => (key.clone(), Some(entry.owner.clone())),
            None => (Arc::from(key), None),
        };
        if old_owner.as_deref() != Some(owner) {
            if old_owner.is_none() && self.entries.len() as u64 >= bounds.total {
                return FirstUse::Full;
            }
            if self.held_by(owner) >= bounds.per_owner {
                return FirstUse::ShareFull;
            }
            self.count(owner);
            if let Some(old) = &old_owner {
                self.uncount(old);
            }
        }
        self.pending.push((key.clone(), Some(value())));
        self.by_expiry.entry(expires).or_default().push(key.clone());
        self.entries.insert(
            key,
            Entry {
                expires,
                owner: owner.into(),
            },
        );
        FirstUse::Recorded
    }

    /// Removes the entries expired at `now` (`expires <= now`); how many.
    pub(super) fn sweep(&mut self, now: u64) -> u64 {
        let live = self.by_expiry.split_off(&now.saturating_add(1));
        let expired = std::mem::replace(&mut self.by_expiry, live);
        let mut removed = 0;
        for (expires, keys) in expired {
            for key in keys {
                // Recorded again since with a later expiry: that listing sweeps it.
                if self.entries.get(&key).is_none_or(|e| e.expires != expires) {
                    continue;
                }
                if let Some(entry) = self.entries.remove(&key) {
                    self.uncount(&entry.owner);
                    self.pending.push((key, None));
                    removed += 1;
                }
            }
        }
        removed
    }

    /// The changes made since the last call, in order.
    pub(super) fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.pending)
    }

    /// Changes taken but not written, put back before the `newer` ones taken since.
    pub(super) fn restore(&mut self, mut unwritten: Vec<Change>, newer: Vec<Change>) {
        unwritten.extend(newer);
        self.pending = unwritten;
    }

    fn held_by(&self, owner: &str) -> u64 {
        self.by_owner.get(owner).copied().unwrap_or(0)
    }

    fn count(&mut self, owner: &str) {
        match self.by_owner.get_mut(owner) {
            Some(n) => *n += 1,
            None => {
                self.by_owner.insert(owner.into(), 1);
            }
        }
    }

    fn uncount(&mut self, owner: &str) {
        if let Some(n) = self.by_owner.get_mut(owner) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.by_owner.remove(owner);
            }
        }
    }
}
