//! What the domain needs from storage, as traits the domain owns and in the domain's own types.
//!
//! `storage` implements them (sled, and PostgreSQL). Every write is durable when its future
//! resolves. Every port fails with a [`StoreError`]: unavailable (a store that cannot take or
//! confirm an operation now, answered 503) or failed (anything else, answered 500).

use std::time::SystemTime;

use async_trait::async_trait;

pub mod error;
mod remote_keys;
mod single_use;
mod trusted_issuers;

pub use error::{StoreError, StoreResult, StoreUnavailable, SubjectTaken, TrustGone, TrustInUse};
pub use remote_keys::{KeysUnavailable, REFUSED_ADDRESS, RemoteKeys};
pub use single_use::{FirstUse, SingleUse, SingleUseBounds};
pub use trusted_issuers::{IssuerDiscovery, TrustInsert, TrustedIssuerStore};

use super::keys::KeyRecord;
use super::operators::record::Operator;
use super::revocation::record::RevokedToken;
use super::users::entries::{Entry, EntryKind, Inserted, Removed, UserRecord};
use super::{Client, ClientId};

/// A change to a stored client, applied to the client as stored when the write happens.
pub type ClientChange = Box<dyn FnOnce(&mut Client) + Send>;

/// Registered clients.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Looks a client up for authentication with the same work whether it exists or not: an
    /// unknown (or `None`, malformed) id yields `false` and a stand-in client of typical size.
    fn lookup(&self, id: Option<&ClientId>) -> StoreResult<(bool, Client)>;
    fn get(&self, id: &ClientId) -> StoreResult<Option<Client>>;
    fn list(&self) -> StoreResult<Vec<Client>>;
    /// Counts every client: O(clients).
    fn count(&self) -> usize;
    /// Whether no client is registered: O(1).
    fn is_empty(&self) -> StoreResult<bool>;
    /// `Err` ([`StoreError::Unavailable`]) while the store would refuse the token path or
    /// every write: what the readiness probe reports. Cheap: it is probed every few seconds.
    fn health(&self) -> StoreResult<()> {
        Ok(())
    }
    /// Stores a new client; `false` if its id is taken.
    async fn insert(&self, client: &Client) -> StoreResult<bool>;
    /// Applies `change` atomically against every other write; `None` if there is no such client
    /// (so a removal is never undone by an update racing it).
    async fn update(&self, id: &ClientId, change: ClientChange) -> StoreResult<Option<Client>>;
    /// Removes a client; `false` if there was none.
    async fn remove(&self, id: &ClientId) -> StoreResult<bool>;
    /// At most `limit` clients whose id starts with `prefix`, in id order, after the id `after`
    /// (exclusive) when given: one range read, whatever the number of clients stored.
    fn page(
        &self,
        prefix: &str,
        after: Option<&ClientId>,
        limit: usize,
    ) -> StoreResult<Vec<Client>>;
    /// The client bound to `subject` of the trusted issuer `trust`: one index read, kept in
    /// step with every insert, update and removal (a subject is bound to one client at most).
    fn federated(&self, trust: &str, subject: &str) -> StoreResult<Option<ClientId>>;
    /// At most `limit` clients bound to a subject of `trust`, in no particular order.
    fn bound_to(&self, trust: &str, limit: usize) -> StoreResult<Vec<ClientId>>;
}

/// A change to a stored user, applied to the user as stored when the write happens.
pub type UserChange = Box<dyn FnOnce(UserRecord) -> UserRecord + Send>;

/// The user directory: organizations, org units, departments, wfcs, roles, users, services.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// A fresh number, unique in this directory, for an entry's `id`.
    async fn next_id(&self) -> StoreResult<u64>;
    fn get(&self, kind: EntryKind, name: &str) -> StoreResult<Option<Entry>>;
    /// Every entry of one kind, ordered by name.
    fn list(&self, kind: EntryKind) -> StoreResult<Vec<Entry>>;
    /// Stores a new entry if its name is free and everything it refers to exists, atomically
    /// against every other write.
    async fn insert(&self, entry: Entry) -> StoreResult<Inserted>;
    /// Applies `change` to a stored user atomically; `false` if the user is gone.
    async fn update_user(&self, username: &str, change: UserChange) -> StoreResult<bool>;
    /// Removes an entry unless another still refers to it, atomically against every write.
    async fn remove(&self, kind: EntryKind, name: &str) -> StoreResult<Removed>;
}

/// What [`DenylistStore::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The entry is on the list (it may have been already).
    Listed,
    /// The entry's client already has as many entries as allowed: nothing was written.
    ClientFull,
}

/// The revocation denylist: ids of revoked tokens until those tokens expire.
#[async_trait]
pub trait DenylistStore: Send + Sync {
    fn contains(&self, jti: &str) -> StoreResult<bool>;
    /// Lists `entry` unless its client already has `per_client` entries (expired ones not yet
    /// swept included), atomically against other revocations of that client; durable once this
    /// returns [`Listing::Listed`].
    async fn insert(&self, entry: &RevokedToken, per_client: usize) -> StoreResult<Listing>;
    /// Drops entries whose token expired at or before `now` (Unix seconds); returns how many.
    async fn remove_expired(&self, now: u64) -> StoreResult<usize>;
    /// Entries listed, expired ones not yet swept included.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Signing-key metadata (state and times), by `kid`.
#[async_trait]
pub trait KeyRecordStore: Send + Sync {
    fn list(&self) -> StoreResult<Vec<KeyRecord>>;
    /// Writes several records at once (a rotation changes two).
    async fn put(&self, records: &[KeyRecord]) -> StoreResult<()>;
    /// Takes the lock every change of the key set runs under, across every process sharing
    /// the store, and brings [`KeyRecordStore::list`] up to the records as stored: a change
    /// decided under it sees every change made before it, wherever. Waits a bounded time
    /// ([`StoreError::Unavailable`] past it).
    async fn lock_changes(&self) -> StoreResult<KeyChangeLock>;
}

/// Held while one change of the key set runs ([`KeyRecordStore::lock_changes`]); dropping it
/// releases the lock.
#[must_use = "the lock is released when this is dropped"]
pub struct KeyChangeLock {
    _guard: Box<dyn std::any::Any + Send>,
}

impl KeyChangeLock {
    /// A lock that `guard` holds until it is dropped.
    pub fn held_by(guard: impl Send + 'static) -> Self {
        Self {
            _guard: Box::new(guard),
        }
    }
}

/// A private key as the key material store holds it.
pub struct StoredKey {
    /// Where it came from, for messages (a file path, a database row).
    pub source: String,
    /// The PEM tag (`PRIVATE KEY`).
    pub tag: String,
    /// PKCS#8 DER.
    pub der: Vec<u8>,
    /// When it was written, if known: the newest unrecorded key of an algorithm signs.
    pub modified: Option<SystemTime>,
}

/// Private key material (PEM files, or encrypted rows in a shared database), never logged.
#[async_trait]
pub trait KeyMaterial: Send + Sync {
    async fn load_all(&self) -> StoreResult<Vec<StoredKey>>;
    /// Stores a PKCS#8 key under its `kid`, durably, readable by the owner only; returns where
    /// it went, for messages.
    async fn write(&self, kid: &str, pkcs8_der: &[u8]) -> StoreResult<String>;
    /// Deletes a key; one already gone is fine.
    async fn remove(&self, kid: &str) -> StoreResult<()>;
    /// Where keys live, for messages.
    fn location(&self) -> String;
}

/// Leadership among instances sharing one store, for chores exactly one instance may run at a
/// time (scheduled key rotation). A lease lapses unless its holder renews it.
#[async_trait]
pub trait Leases: Send + Sync {
    /// Takes or renews the lease `name` for `holder` until `until` (Unix seconds); `false` if
    /// another holder has it and it has not lapsed at `now`.
    async fn try_hold(&self, name: &str, holder: &str, now: u64, until: u64) -> StoreResult<bool>;
}

/// A change to a stored operator, applied to the operator as stored when the write happens.
pub type OperatorChange = Box<dyn FnOnce(&mut Operator) + Send>;

/// Console operators: their own accounts, by name (a handful, never a directory's worth).
#[async_trait]
pub trait OperatorStore: Send + Sync {
    fn get(&self, name: &str) -> StoreResult<Option<Operator>>;
    /// Every operator, ordered by name.
    fn list(&self) -> StoreResult<Vec<Operator>>;
    /// Stores a new operator; `false` if the name is taken.
    async fn insert(&self, operator: &Operator) -> StoreResult<bool>;
    /// Applies `change` atomically against every other write; `None` if there is no such
    /// operator.
    async fn update(&self, name: &str, change: OperatorChange) -> StoreResult<Option<Operator>>;
    /// Removes an operator; `false` if there was none.
    async fn remove(&self, name: &str) -> StoreResult<bool>;
}

/// Login-failure counters shared by every instance (the lockout's), each counting failures
/// within a window that starts at its first failure.
#[async_trait]
pub trait LockoutStore: Send + Sync {
    /// When the window of `key` started and the failures in it; `None` if nothing is counted.
    async fn failures(&self, key: &str) -> StoreResult<Option<(u64, u32)>>;
    /// Counts one failure for `key` at `now`, starting a new window if `window` seconds have
    /// passed since the current one began.
    async fn fail(&self, key: &str, window: u64, now: u64) -> StoreResult<()>;
    /// Forgets the failures of `key`.
    async fn clear(&self, key: &str) -> StoreResult<()>;
}
