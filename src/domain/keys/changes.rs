//! Changing the keys: rotations asked for (published first, or at once in an emergency), and
//! the steps every change shares. Each runs under [`KeyManager::begin_change`]'s locks. The
//! schedule's tick is in `tick`; retiring one key on request is in `retire`.
//!
//! Order of writes, so that a crash or another instance never sees a key it cannot use: the
//! private key is stored before any record names it; a next key enters this instance's JWKS
//! before its record is stored (it signs only at its due time, `prepublish` later); a key
//! that signs at once is recorded before it signs; a retired key's record is stored before
//! its private key is deleted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::anyhow;

use super::schedule::{MAX_REPLACED_KEYS, due_time};
use super::{KeyInfo, KeyManager, KeyRecord, KeyRing, KeyState, SigningAlg, SigningKey};
use crate::domain::{AdminError, UnixTime};

impl KeyManager {
    /// Publishes a new key for each of `algs` as **next**, due `prepublish` from now: it
    /// signs only once every verifier's cached JWKS can know it. An algorithm that already
    /// has a next key keeps it (it is due sooner than a new one would be). Returns the next
    /// keys, in the order asked.
    pub async fn schedule_rotation(
        &self,
        algs: &[SigningAlg],
        now: UnixTime,
    ) -> Result<Vec<KeyInfo>, AdminError> {
        self.signs_all(algs)?;
        let started = Instant::now();
        let _changing = self.begin_change(now).await?;
        let old = self.ring.load_full();
        let mut chosen = Vec::with_capacity(algs.len());
        for &alg in algs {
            let published = old
                .records()
                .iter()
                .find(|r| r.alg == alg.as_str() && matches!(r.state, KeyState::Next { .. }));
            chosen.push(match published {
                Some(r) => Choice::Published(r.clone()),
                None => Choice::New(Box::new(self.make_key(alg).await?)),
            });
        }
        let due = due_time(now.as_secs(), published_by(now, started), &self.policy);
        let mut keys = old.keys();
        let mut stored = Vec::new();
        let mut shown = Vec::with_capacity(chosen.len());
        for choice in chosen {
            let record = match choice {
                Choice::Published(existing) => existing,
                Choice::New(key) => {
                    tracing::info!(kid = key.kid(), alg = %key.signing_alg(), due, "published a new signing key on request");
                    let record = next_record(&key, due, now);
                    keys.insert(key.kid().to_owned(), Arc::from(key));
                    stored.push(record.clone());
                    record
                }
            };
            shown.push(KeyInfo::from(&record));
        }
        if !stored.is_empty() {
            self.publish_then_store(&old, stored, &keys, now).await?;
        }
        Ok(shown)
    }

    /// Makes a new RS512 key the signer at once; the old one keeps verifying for one window.
    pub async fn rotate(&self, now: UnixTime) -> anyhow::Result<KeyInfo> {
        let mut rotated = self.rotate_algs(&[SigningAlg::Rs512], now, false).await?;
        rotated.pop().ok_or_else(|| anyhow!("no key was rotated"))
    }

    /// An emergency rotation: a new key signs at once for each of `algs`, without having been
    /// published first. The keys it replaces (the active one, and a next one if any) keep
    /// verifying for one window, or, with `retire_previous` (a compromised key), are retired
    /// at once so tokens they signed stop verifying. Returns the new keys, in the order asked.
    /// Refused (a conflict, nothing changed) while an algorithm already has
    /// [`MAX_REPLACED_KEYS`] replaced keys verifying, unless they are retired at once.
    pub async fn rotate_algs(
        &self,
        algs: &[SigningAlg],
        now: UnixTime,
        retire_previous: bool,
    ) -> Result<Vec<KeyInfo>, AdminError> {
        self.signs_all(algs)?;
        let _changing = self.begin_change(now).await?;
        self.rotate_locked(algs, now, retire_previous).await
    }

    /// [`KeyManager::rotate_algs`], the change begun.
    pub(super) async fn rotate_locked(
        &self,
        algs: &[SigningAlg],
        now: UnixTime,
        retire_previous: bool,
    ) -> Result<Vec<KeyInfo>, AdminError> {
        let old = self.ring.load_full();
        let now_secs = now.as_secs();
        for &alg in algs.iter().filter(|_| !retire_previous) {
            let replaced = old
                .records()
                .iter()
                .filter(|r| r.alg == alg.as_str() && matches!(r.state, KeyState::Retiring { .. }))
                .count();
            if replaced >= MAX_REPLACED_KEYS {
                return Err(AdminError::Conflict(format!(
                    "{alg} already has {replaced} replaced keys verifying, the most kept in the \
                     key set: wait until the oldest leaves it (one verification window after it \
                     was replaced), or rotate with retire_previous"
                )));
            }
        }
        let mut keys = old.keys();
        let mut stored = Vec::new();
        let mut rotated = Vec::with_capacity(algs.len());
        for &alg in algs {
            let key = self.make_key(alg).await?;
            for r in old.records().iter().filter(|r| r.alg == alg.as_str()) {
                let from = match r.state {
                    KeyState::Active => now_secs,
                    // A stale instance may sign with it from its due time on.
                    KeyState::Next { due } => due.max(now_secs),
                    _ => continue,
                };
                let mut replaced = r.clone();
                replaced.state = KeyState::Retiring {
                    since: now_secs,
                    until: if retire_previous {
                        now_secs
                    } else {
                        from.saturating_add(self.policy.verify_window)
                    },
                };
                stored.push(replaced);
            }
            let previous = old.active_for(alg).map(|k| k.kid().to_owned());
            tracing::info!(kid = key.kid(), %alg, ?previous, "rotated a signing key at once");
            let record = KeyRecord {
                kid: key.kid().to_owned(),
                alg: alg.as_str().into(),
                created_at: now_secs,
                state: KeyState::Active,
                activated_at: Some(now_secs),
            };
            rotated.push(KeyInfo::from(&record));
            stored.push(record);
            keys.insert(key.kid().to_owned(), Arc::new(key));
        }
        // Stored before it signs: every instance must be able to verify what it signs.
        let ring = KeyRing::build(
            merged(old.records(), &stored),
            &keys,
            now,
            self.policy.algorithms,
        )?;
        self.store.put(&stored).await?;
        self.ring.store(Arc::new(ring));
        if retire_previous {
            self.advance_locked(now, Instant::now()).await?;
        }
        Ok(rotated)
    }

    /// Refuses a rotation for an algorithm outside `[keys] algorithms`: this dealer would publish
    /// a key it never signs with.
    fn signs_all(&self, algs: &[SigningAlg]) -> Result<(), AdminError> {
        let signs = self.policy.algorithms;
        match algs.iter().find(|a| !signs.contains(**a)) {
            None => Ok(()),
            Some(alg) => Err(AdminError::Invalid(
                format!(
                    "{alg} is not one of the algorithms this dealer signs with ({}; set by {})",
                    signs.listed(),
                    super::Algorithms::SETTING
                )
                .into(),
            )),
        }
    }

    /// Generates a key off the async workers and stores its private key.
    pub(super) async fn make_key(&self, alg: SigningAlg) -> anyhow::Result<SigningKey> {
        let (key, der) =
            tokio::task::spawn_blocking(move || SigningKey::generate_for(alg)).await??;
        self.files.write(key.kid(), &der).await?;
        Ok(key)
    }

    /// Swaps in the ring with `stored` applied, then stores `stored`; if the store refuses,
    /// the previous ring comes back. For changes that publish ahead of signing.
    pub(super) async fn publish_then_store(
        &self,
        old: &Arc<KeyRing>,
        stored: Vec<KeyRecord>,
        keys: &HashMap<String, Arc<SigningKey>>,
        now: UnixTime,
    ) -> anyhow::Result<()> {
        let ring = KeyRing::build(
            merged(old.records(), &stored),
            keys,
            now,
            self.policy.algorithms,
        )?;
        self.ring.store(Arc::new(ring));
        if let Err(e) = self.store.put(&stored).await {
            self.ring.store(old.clone());
            return Err(e.into());
        }
        Ok(())
    }
}

/// For one algorithm of an asked-for rotation: the next key already published, or a new one.
enum Choice {
    Published(KeyRecord),
    New(Box<SigningKey>),
}

pub(super) fn next_record(key: &SigningKey, due: u64, now: UnixTime) -> KeyRecord {
    KeyRecord {
        kid: key.kid().to_owned(),
        alg: key.signing_alg().as_str().into(),
        created_at: now.as_secs(),
        state: KeyState::Next { due },
        activated_at: None,
    }
}

/// `records` with `changes` applied by `kid`.
pub(super) fn merged(records: &[KeyRecord], changes: &[KeyRecord]) -> Vec<KeyRecord> {
    let mut all = records.to_vec();
    for c in changes {
        match all.iter_mut().find(|r| r.kid == c.kid) {
            Some(r) => *r = c.clone(),
            None => all.push(c.clone()),
        }
    }
    all
}

/// A bound on when a key made since `started` is in this instance's JWKS: `now` is whole
/// seconds (up to 1 s early) and the work since took `started.elapsed()`, rounded up.
pub(super) fn published_by(now: UnixTime, started: Instant) -> u64 {
    let spent = started.elapsed();
    let spent = spent.as_secs() + u64::from(spent.subsec_nanos() > 0);
    now.as_secs().saturating_add(1).saturating_add(spent)
}
