//! The `revoked` tree: ids of revoked tokens, kept until the token would have expired anyway.

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::{Store, records};

/// A revoked access token, stored under its `jti`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedRecord {
    pub jti: String,
    pub client_id: String,
    /// The token's own `exp`: past it the token is dead without our help and the entry can go.
    pub exp: u64,
    pub revoked_at: u64,
}

/// Handle to the denylist tree. Cheap to clone.
#[derive(Clone)]
pub struct Denylist {
    db: sled::Db,
    tree: sled::Tree,
}

impl Store {
    /// Opens (or creates) the denylist tree in this database.
    pub fn denylist(&self) -> anyhow::Result<Denylist> {
        Ok(Denylist {
            tree: self
                .db
                .open_tree("revoked")
                .context("opening the revoked tree")?,
            db: self.db.clone(),
        })
    }
}

impl Denylist {
    /// Whether `jti` is on the list. One B-tree lookup; nothing is decoded.
    pub fn contains(&self, jti: &str) -> anyhow::Result<bool> {
        self.tree
            .contains_key(jti)
            .with_context(|| format!("looking up revoked token {jti:?}"))
    }

    /// Adds a record and flushes before returning: an acknowledged revocation survives a crash.
    pub async fn insert(&self, record: &RevokedRecord) -> anyhow::Result<()> {
        self.tree
            .insert(record.jti.as_str(), records::encode(record)?)?;
        self.db
            .flush_async()
            .await
            .context("flushing the revocation")?;
        Ok(())
    }

    /// Removes every record whose `exp` is at or before `now`; returns how many went.
    ///
    /// Not flushed: an entry that comes back after a crash is an expired token's, harmless, and
    /// the next sweep takes it again.
    pub fn remove_expired(&self, now: u64) -> anyhow::Result<usize> {
        let mut removed = 0;
        for entry in self.tree.iter() {
            let (key, value) = entry.context("scanning the revoked tree")?;
            let expired = match records::decode::<RevokedRecord>(&value) {
                Ok(record) => record.exp <= now,
                Err(e) => {
                    // A record we cannot read cannot be checked either; keep it rather than
                    // silently un-revoking a token, and say so.
                    tracing::warn!(error = format!("{e:#}"), "unreadable revoked-token record");
                    false
                }
            };
            // Only remove the exact value scanned, in case it was re-revoked meanwhile.
            if expired
                && self
                    .tree
                    .compare_and_swap(&key, Some(&value), None as Option<&[u8]>)?
                    .is_ok()
            {
                removed += 1;
            }
        }
        Ok(removed)
    }

    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }
}

#[cfg(test)]
impl Denylist {
    /// Bulk loading for measurements: no flush per record.
    pub(crate) fn insert_unflushed(&self, record: &RevokedRecord) -> anyhow::Result<()> {
        self.tree
            .insert(record.jti.as_str(), records::encode(record)?)?;
        Ok(())
    }
}
