//! The key ring: the keys in use at one moment, built from the stored records and key material.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::anyhow;
use bytes::Bytes;

use super::{Algorithms, KeyRecord, KeyState, SigningAlg, SigningKey};
use crate::domain::UnixTime;

/// The keys in use at one moment: one active key per configured algorithm, next keys published
/// ahead of their due time, and older keys whose tokens may still be alive. Immutable; a change
/// builds a new ring and swaps it in.
pub struct KeyRing {
    /// The RS512 key recorded as active: every ring has one.
    rs512: Arc<SigningKey>,
    /// Indexed by [`SigningAlg::index`]: the active key of each algorithm that signs here.
    active: [Option<Arc<SigningKey>>; 3],
    /// Next keys by algorithm ([`SigningAlg::index`]), each with its due time, earliest first.
    next: [Vec<(u64, Arc<SigningKey>)>; 3],
    /// The active keys first (in [`SigningAlg::ALL`] order), then next keys, then the rest
    /// still published (retiring ones, and keys of algorithms that do not sign here).
    verifying: Vec<Arc<SigningKey>>,
    jwks: Bytes,
    /// The records this ring was built from, by `kid`: a store listing others has changed.
    records: Vec<KeyRecord>,
}

impl KeyRing {
    /// Builds the ring `records` describe from the private keys in `keys` (by `kid`), signing
    /// with the algorithms of `algorithms`. An active RS512 key without its private key is an
    /// error; a next or retiring one is left out (a retiring one also once its window has
    /// passed at `now`). An algorithm of the set without an active key (another instance, with
    /// another set, retired it) does not sign here; the keys of an algorithm outside the set
    /// still verify, without signing.
    pub(super) fn build(
        mut records: Vec<KeyRecord>,
        keys: &HashMap<String, Arc<SigningKey>>,
        now: UnixTime,
        algorithms: Algorithms,
    ) -> anyhow::Result<Self> {
        records.sort_by(|a, b| a.kid.cmp(&b.kid));
        let of_alg = |alg: SigningAlg| records.iter().filter(move |r| r.alg == alg.as_str());
        let mut active: [Option<Arc<SigningKey>>; 3] = Default::default();
        let mut next: [Vec<(u64, Arc<SigningKey>)>; 3] = Default::default();
        for ((alg, active), next) in SigningAlg::ALL
            .into_iter()
            .zip(active.iter_mut())
            .zip(next.iter_mut())
            .filter(|((alg, _), _)| algorithms.contains(*alg))
        {
            let Some(record) = of_alg(alg).find(|r| r.state == KeyState::Active) else {
                continue;
            };
            let key = keys.get(&record.kid).ok_or_else(|| {
                anyhow!(
                    "key {} is the active {alg} signing key but its private key is missing",
                    record.kid
                )
            })?;
            *active = Some(key.clone());
            next.extend(of_alg(alg).filter_map(|r| match r.state {
                KeyState::Next { due } => keys.get(&r.kid).map(|k| (due, k.clone())),
                _ => None,
            }));
            next.sort_by_key(|(due, _)| *due);
        }
        let rs512 = active
            .first()
            .cloned()
            .flatten()
            .ok_or_else(|| anyhow!("no RS512 key is recorded as active"))?;
        let mut verifying: Vec<Arc<SigningKey>> = active.iter().flatten().cloned().collect();
        verifying.extend(next.iter().flatten().map(|(_, k)| k.clone()));
        let elsewhere = |r: &&KeyRecord| {
            SigningAlg::parse(&r.alg).is_none_or(|alg| !algorithms.contains(alg))
                && matches!(r.state, KeyState::Active | KeyState::Next { .. })
        };
        verifying.extend(
            records
                .iter()
                .filter(|r| {
                    elsewhere(r)
                        || matches!(r.state, KeyState::Retiring { until, .. } if until > now.as_secs())
                })
                .filter_map(|r| keys.get(&r.kid).cloned()),
        );
        let jwks =
            serde_json::json!({ "keys": verifying.iter().map(|k| k.jwk()).collect::<Vec<_>>() });
        Ok(Self {
            rs512,
            active,
            next,
            verifying,
            jwks: Bytes::from(serde_json::to_vec(&jwks)?),
            records,
        })
    }

    /// The key that signs `alg` tokens at `now`: the next key once its due time has come
    /// (every instance switches then, whether or not the record saying so has been written
    /// yet), else the active one; `None` if `alg` does not sign here. The token path: no
    /// allocation, no lock.
    pub fn signer_for(&self, alg: SigningAlg, now: UnixTime) -> Option<&Arc<SigningKey>> {
        let active = self.active.get(alg.index())?.as_ref()?;
        let next = self.next.get(alg.index())?;
        Some(
            next.iter()
                .rev()
                .find(|(due, _)| *due <= now.as_secs())
                .map_or(active, |(_, key)| key),
        )
    }

    /// The key that signs RS512 tokens at `now`: every ring has one.
    pub fn rs512_signer(&self, now: UnixTime) -> &Arc<SigningKey> {
        self.signer_for(SigningAlg::Rs512, now)
            .unwrap_or(&self.rs512)
    }

    /// The RS512 key recorded as active when the ring was built. Tokens are signed by
    /// [`KeyRing::signer_for`], which also knows the next key's due time.
    pub fn active(&self) -> &Arc<SigningKey> {
        &self.rs512
    }

    /// The key recorded as active for `alg` when the ring was built, if `alg` signs here.
    pub fn active_for(&self, alg: SigningAlg) -> Option<&Arc<SigningKey>> {
        self.active.get(alg.index())?.as_ref()
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
