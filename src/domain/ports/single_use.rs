//! The single-use port: an identifier (a client assertion's or a DPoP proof's `jti`) is
//! accepted once until it expires, on every instance sharing the store, and each owner (the
//! client the identifier authenticates) holds at most its share of the record.

use async_trait::async_trait;

use super::error::StoreError;

/// What offering an identifier came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstUse {
    /// Not seen before: recorded until its expiry.
    Recorded,
    /// Seen before and not expired: a replay.
    Replayed,
    /// As many live identifiers are held as the bound allows: refused, never forgotten.
    Full,
    /// The owner holds its whole share already: refused, so that one client cannot fill the
    /// record every client shares.
    ShareFull,
}

/// How many live identifiers the record holds at most: in all, and for one owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SingleUseBounds {
    pub total: u64,
    pub per_owner: u64,
}

/// Identifiers seen, each until its expiry (Unix seconds), in namespaces ("assertion", "dpop"),
/// each counted against its owner's share.
#[async_trait]
pub trait SingleUse: Send + Sync {
    /// Records `id` in `namespace` for `owner` until `expires`, unless it is held unexpired at
    /// `now`.
    async fn first_use(
        &self,
        namespace: &str,
        owner: &str,
        id: &str,
        expires: u64,
        now: u64,
    ) -> Result<FirstUse, StoreError>;
    /// Forgets identifiers expired at `now`; how many.
    async fn sweep(&self, now: u64) -> Result<u64, StoreError>;
}
