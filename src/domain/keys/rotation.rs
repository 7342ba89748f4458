//! The schedule's tick for instances sharing one store: exactly one of them acts, under a lease.

use std::sync::Arc;
use std::time::Duration;

use super::KeyManager;
use crate::domain::UnixTime;
use crate::domain::ports::Leases;

/// The lease the acting instance holds.
pub const LEASE_NAME: &str = "key-rotation";
/// How often the schedule looks at the keys: cheap when nothing is due (one listing of the
/// records), and short enough for schedules of seconds.
pub const TICK: Duration = Duration::from_secs(1);
/// How long a lease taken to act lasts: a few ticks, so a stopped holder is replaced soon.
const LEASE_SECS: u64 = 5;

/// Runs [`KeyManager::tick`] on one instance at a time.
pub struct KeyRotation {
    keys: Arc<KeyManager>,
    leases: Arc<dyn Leases>,
    /// This instance's name in the lease: random per process.
    holder: String,
}

impl KeyRotation {
    pub fn new(keys: Arc<KeyManager>, leases: Arc<dyn Leases>) -> Self {
        Self {
            keys,
            leases,
            holder: hex::encode(rand::random::<[u8; 8]>()),
        }
    }

    /// Picks up changes another instance stored; if the schedule then has something to do at
    /// `now` and this instance gets the lease, does it. `true` if this instance acted.
    pub async fn tick(&self, now: UnixTime) -> anyhow::Result<bool> {
        self.keys.sync(now).await?;
        if !self.keys.pending(now) {
            return Ok(false);
        }
        let until = now.plus(LEASE_SECS).as_secs();
        if !self
            .leases
            .try_hold(LEASE_NAME, &self.holder, now.as_secs(), until)
            .await?
        {
            return Ok(false);
        }
        self.keys.tick(now).await?;
        Ok(true)
    }
}
