//! The schedule's tick: picks up other instances' changes, makes due next keys sign, retires
//! keys past their window and publishes next keys ahead of their due time.

use std::sync::Arc;
use std::time::Instant;

use super::changes::{next_record, published_by};
use super::schedule::{due_time, plan};
use super::{KeyManager, KeyState};
use crate::domain::UnixTime;

impl KeyManager {
    /// Whether the schedule has something to do at `now`, judged from the ring's records.
    pub fn pending(&self, now: UnixTime) -> bool {
        !plan(self.ring.load().records(), now, &self.policy).is_empty()
    }

    /// One step of the schedule at `now` (read just before the call): picks up changes made
    /// by another instance, makes due next keys active, retires keys whose window has passed,
    /// and publishes a next key where the active one is due within `prepublish`. With several
    /// instances, call it only while holding the lease ([`super::KeyRotation`] does).
    pub async fn tick(&self, now: UnixTime) -> anyhow::Result<()> {
        let started = Instant::now();
        let _changing = self.begin_change(now).await?;
        self.advance_locked(now, started).await
    }

    /// The schedule's step; retires keys whose window has passed. Kept for callers that only
    /// mean that: it is [`KeyManager::tick`].
    pub async fn retire_expired(&self, now: UnixTime) -> anyhow::Result<()> {
        self.tick(now).await
    }

    /// The schedule's step; `started` is when the caller began, `now` having been read
    /// just before.
    pub(super) async fn advance_locked(
        &self,
        now: UnixTime,
        started: Instant,
    ) -> anyhow::Result<()> {
        let old = self.ring.load_full();
        let step = plan(old.records(), now, &self.policy);
        if step.is_empty() {
            return Ok(());
        }
        let mut keys = old.keys();
        let mut generated = Vec::with_capacity(step.generate.len());
        for &(alg, target) in &step.generate {
            generated.push((target, self.make_key(alg).await?));
        }
        let published_by = published_by(now, started);
        let mut stored = step.changed.clone();
        for r in &step.changed {
            match r.state {
                KeyState::Active => {
                    tracing::info!(kid = %r.kid, alg = %r.alg, "a next key is due: it signs now")
                }
                KeyState::Retiring { until, .. } => {
                    tracing::info!(kid = %r.kid, alg = %r.alg, until, "a replaced key stopped signing; it verifies until its tokens expired")
                }
                KeyState::Retired { .. } => {
                    tracing::info!(kid = %r.kid, alg = %r.alg, "retired a signing key")
                }
                KeyState::Next { .. } => {}
            }
        }
        for (target, key) in generated {
            let due = due_time(target, published_by, &self.policy);
            tracing::info!(kid = key.kid(), alg = %key.signing_alg(), due, "published the next signing key");
            stored.push(next_record(&key, due, now));
            keys.insert(key.kid().to_owned(), Arc::new(key));
        }
        self.publish_then_store(&old, stored, &keys, now).await?;
        for kid in &step.retired {
            self.files.remove(kid).await?;
        }
        Ok(())
    }
}
