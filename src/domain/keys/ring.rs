//! The key ring: the keys in use at one moment, built from the stored records and key material.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::anyhow;
use bytes::Bytes;

use super::{KeyRecord, KeyState, SigningAlg, SigningKey};
use crate::domain::UnixTime;

/// The keys in use at one moment: one active key per algorithm, next keys published ahead of
/// their due time, and older keys whose tokens may still be alive. Immutable; a change builds
/// a new ring and swaps it in.
pub struct KeyRing {
    /// Indexed by [`SigningAlg::index`].
    active: [Arc<SigningKey>; 3],
    /// Next keys by algorithm ([`SigningAlg::index`]), each with its due time, earliest first.
    next: [Vec<(u64, Arc<SigningKey>)>; 3],
    /// The active keys first (in [`SigningAlg::ALL`] order), then next keys, then retiring ones.
    verifying: Vec<Arc<SigningKey>>,
    jwks: Bytes,
    /// The records this ring was built from, by `kid`: a store listing others has changed.
    records: Vec<KeyRecord>,
}

impl KeyRing {
    /// Builds the ring `records` describe from the private keys in `keys` (by `kid`). An
    /// active key without its private key is an error; a next or retiring one is left out
    /// (a retiring one also once its window has passed at `now`).
    pub(super) fn build(
        mut records: Vec<KeyRecord>,
        keys: &HashMap<String, Arc<SigningKey>>,
        now: UnixTime,
    ) -> anyhow::Result<Self> {
        records.sort_by(|a, b| a.kid.cmp(&b.kid));
        let of_alg = |alg: SigningAlg| records.iter().filter(move |r| r.alg == alg.as_str());
        let mut active = Vec::with_capacity(SigningAlg::ALL.len());
        let mut next: [Vec<(u64, Arc<SigningKey>)>; 3] = Default::default();
        for (alg, next) in SigningAlg::ALL.into_iter().zip(next.iter_mut()) {
            let record = of_alg(alg)
                .find(|r| r.state == KeyState::Active)
                .ok_or_else(|| anyhow!("no {alg} key is recorded as active"))?;
            let key = keys.get(&record.kid).ok_or_else(|| {
                anyhow!(
                    "key {} is the active {alg} signing key but its private key is missing",
                    record.kid
                )
            })?;
            active.push(key.clone());
            next.extend(of_alg(alg).filter_map(|r| match r.state {
                KeyState::Next { due } => keys.get(&r.kid).map(|k| (due, k.clone())),
                _ => None,
            }));
            next.sort_by_key(|(due, _)| *due);
        }
        let active: [Arc<SigningKey>; 3] = active
            .try_into()
            .map_err(|_| anyhow!("expected one active key per algorithm"))?;
        let mut verifying = active.to_vec();
        verifying.extend(next.iter().flatten().map(|(_, k)| k.clone()));
        verifying.extend(
            records
                .iter()
                .filter(|r| {
                    matches!(r.state, KeyState::Retiring { until, .. } if until > now.as_secs())
                })
                .filter_map(|r| keys.get(&r.kid).cloned()),
        );
        let jwks =
            serde_json::json!({ "keys": verifying.iter().map(|k| k.jwk()).collect::<Vec<_>>() });
        Ok(Self {
            active,
            next,
            verifying,
            jwks: Bytes::from(serde_json::to_vec(&jwks)?),
            records,
        })
    }

    /// The key that signs `alg` tokens at `now`: the next key once its due time has come
    /// (every instance switches then, whether or not the record saying so has been written
    /// yet), else the active one. The token path: no allocation, no lock.
    #[expect(
        clippy::indexing_slicing,
        reason = "SigningAlg::index is below 3 for every variant"
    )]
    pub fn signer_for(&self, alg: SigningAlg, now: UnixTime) -> &Arc<SigningKey> {
        self.next[alg.index()]
            .iter()
            .rev()
            .find(|(due, _)| *due <= now.as_secs())
            .map_or(&self.active[alg.index()], |(_, key)| key)
    }

    /// The RS512 key recorded as active when the ring was built. Tokens are signed by
    /// [`KeyRing::signer_for`], which also knows the next key's due time.
    pub fn active(&self) -> &Arc<SigningKey> {
        self.active_for(SigningAlg::Rs512)
    }

    /// The key recorded as active for `alg` when the ring was built.
    #[expect(
        clippy::indexing_slicing,
        reason = "SigningAlg::index is below 3 for every variant"
    )]
    pub fn active_for(&self, alg: SigningAlg) -> &Arc<SigningKey> {
        &self.active[alg.index()]
    }

    /// A key that may have signed a live token, by `kid`.
    pub fn find(&self, kid: &str) -> Option<&Arc<SigningKey>> {
        self.verifying.iter().find(|k| k.kid() == kid)
    }

    /// Every published key: active, next and retiring.
    pub fn verifying(&self) -> &[Arc<SigningKey>] {
        &self.verifying
    }

    /// The JWKS document, serialized once per ring.
    pub fn jwks_json(&self) -> Bytes {
        self.jwks.clone()
    }

    /// The records the ring was built from, ordered by `kid`.
    pub(super) fn records(&self) -> &[KeyRecord] {
        &self.records
    }

    /// The private keys the ring holds, by `kid`.
    pub(super) fn keys(&self) -> HashMap<String, Arc<SigningKey>> {
        self.verifying
            .iter()
            .map(|k| (k.kid().to_owned(), k.clone()))
            .collect()
    }
}
