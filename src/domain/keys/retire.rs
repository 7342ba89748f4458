//! Retiring one key on request (a compromised key): out of the key set at once.

use std::sync::Arc;

use super::changes::merged;
use super::{KeyInfo, KeyManager, KeyRing, KeyState, SigningKey};
use crate::domain::UnixTime;

impl KeyManager {
    /// Retires one key now (a compromised key): it leaves the key set at once, so every token
    /// it signed stops verifying here and, after their JWKS cache, everywhere. An active key is
    /// replaced by a new signer of its algorithm first. `None` if no such key is in the key set.
    pub async fn retire(&self, kid: &str, now: UnixTime) -> anyhow::Result<Option<KeyInfo>> {
        let changing = self.begin_change(now).await?;
        let old = self.ring.load_full();
        // The recorded signer, or a next key whose due time came a moment ago; decided under
        // the lock: the signer seen a moment before may have been replaced since, and retiring
        // the signer then would leave the key asked for in the key set.
        let is = |key: Option<&Arc<SigningKey>>| key.is_some_and(|k| k.kid() == kid);
        let active = self
            .policy
            .algorithms
            .iter()
            .find(|&alg| is(old.active_for(alg)) || is(old.signer_for(alg, now)));
        if let Some(alg) = active {
            self.rotate_locked(&[alg], now, true).await?;
        } else {
            let Some(mut record) = old
                .records()
                .iter()
                .find(|r| {
                    // An active key here is one of an algorithm that does not sign here (another
                    // instance's, with another `[keys] algorithms`): it only verifies.
                    r.kid == kid
                        && matches!(
                            r.state,
                            KeyState::Retiring { .. } | KeyState::Next { .. } | KeyState::Active
                        )
                })
                .cloned()
            else {
                return Ok(None);
            };
            record.state = KeyState::Retired { at: now.as_secs() };
            let stored = [record];
            // Out of the ring before anything else: from here on nothing verifies with it.
            let ring = KeyRing::build(
                merged(old.records(), &stored),
                &old.keys(),
                now,
                self.policy.algorithms,
            )?;
            self.ring.store(Arc::new(ring));
            self.store.put(&stored).await?;
            self.files.remove(kid).await?;
            tracing::warn!(kid, "retired a signing key on request");
        }
        drop(changing);
        Ok(self.list()?.into_iter().find(|k| k.kid == kid))
    }
}
