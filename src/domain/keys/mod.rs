//! Signing keys: the in-memory key ring, loading at start, the rotation schedule, retirement.
//!
//! Layout: `record` (stored metadata and states), `schedule` (the schedule as a pure function
//! of the records and `now`), `ring` (the keys in use), `load` (start and refresh from the
//! stores, and the locks every change holds), `changes` (asked-for rotations and the steps
//! changes share), `tick` (the schedule's step), `retire` (a key out at once), `rotation` (the
//! tick under a lease, for several instances sharing a store).

mod alg;
mod changes;
mod load;
mod pool;
mod record;
mod retire;
mod ring;
mod rotation;
mod schedule;
mod signing;
mod tick;

use std::sync::Arc;

pub use alg::{Algorithms, SigningAlg};
use arc_swap::ArcSwap;
pub use pool::{DEFAULT_SIGNING_QUEUE, SignerMode, SignerPool};
pub use record::{KeyRecord, KeyState};
pub use ring::KeyRing;
pub use rotation::{KeyRotation, LEASE_NAME, TICK};
pub use schedule::{
    KeyPolicy, KeySettings, MAX_REPLACED_KEYS, MAX_SCHEDULED_REPLACED_KEYS, PUBLISH_MARGIN_SECS,
    Plan, VERIFIER_LEEWAY_SECS, due_time, plan,
};
pub use signing::SigningKey;

use super::ports::{KeyMaterial, KeyRecordStore};

/// What `keys list` and the admin API show of a key: its state with that state's times
/// (`due` of a next key, `since`/`until` of a retiring one, `at` of a retired one), when it
/// was made, when it began to sign, and when the schedule will replace it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub created_at: u64,
    #[serde(flatten)]
    pub state: KeyState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<u64>,
    /// For the active key under a schedule: when its successor is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotates_at: Option<u64>,
}

impl From<&KeyRecord> for KeyInfo {
    fn from(r: &KeyRecord) -> Self {
        Self {
            kid: r.kid.clone(),
            alg: r.alg.clone(),
            created_at: r.created_at,
            state: r.state,
            activated_at: r.activated_at,
            rotates_at: None,
        }
    }
}

/// Owns the key ring and its persistence: key material plus metadata records.
pub struct KeyManager {
    store: Arc<dyn KeyRecordStore>,
    files: Arc<dyn KeyMaterial>,
    ring: ArcSwap<KeyRing>,
    policy: KeyPolicy,
    /// Serializes every change of the ring and of the stored keys.
    write: tokio::sync::Mutex<()>,
}

impl KeyManager {
    /// The current ring. Lock-free: this is on the token path.
    pub fn ring(&self) -> arc_swap::Guard<Arc<KeyRing>> {
        self.ring.load()
    }

    /// The schedule this manager follows.
    pub fn policy(&self) -> &KeyPolicy {
        &self.policy
    }

    /// Whether keys of the algorithm named `alg` sign here (`[keys] algorithms`).
    fn signs(&self, alg: &str) -> bool {
        SigningAlg::parse(alg).is_some_and(|a| self.policy.algorithms.contains(a))
    }

    /// Every key the dealer knows: active keys first, then next, retiring and retired ones,
    /// newest first within a state.
    pub fn list(&self) -> anyhow::Result<Vec<KeyInfo>> {
        let mut keys: Vec<KeyInfo> = self
            .store
            .list()?
            .iter()
            .map(|r| KeyInfo {
                rotates_at: match r.state {
                    KeyState::Active if self.signs(&r.alg) => self.policy.rotates_at(r),
                    _ => None,
                },
                ..KeyInfo::from(r)
            })
            .collect();
        keys.sort_by_key(|k| (k.state.rank(), std::cmp::Reverse(k.created_at)));
        Ok(keys)
    }
}
