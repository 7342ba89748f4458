//! Signing keys: the in-memory key ring, loading at start, rotation and retirement.

mod alg;
mod pool;
mod record;
mod signing;

use std::collections::HashMap;
use std::sync::Arc;

pub use alg::SigningAlg;
use anyhow::{Context, anyhow};
use arc_swap::ArcSwap;
use bytes::Bytes;
pub use pool::{SignerMode, SignerPool};
pub use record::{KeyRecord, KeyState};
pub use signing::SigningKey;

use super::UnixTime;
use super::ports::{KeyMaterial, KeyRecordStore};

/// The keys in use at one moment: one signer per algorithm, plus older keys whose tokens may
/// still be alive. Immutable; a rotation builds a new ring and swaps it in.
pub struct KeyRing {
    /// Indexed by [`SigningAlg::index`].
    active: [Arc<SigningKey>; 3],
    /// The active keys first (in [`SigningAlg::ALL`] order), then the retiring ones.
    verifying: Vec<Arc<SigningKey>>,
    jwks: Bytes,
}

impl KeyRing {
    fn new(active: [Arc<SigningKey>; 3], retiring: Vec<Arc<SigningKey>>) -> anyhow::Result<Self> {
        let mut verifying = active.to_vec();
        verifying.extend(
            retiring
                .into_iter()
                .filter(|k| !active.iter().any(|a| a.kid() == k.kid())),
        );
        let jwks =
            serde_json::json!({ "keys": verifying.iter().map(|k| k.jwk()).collect::<Vec<_>>() });
        Ok(Self {
            active,
            verifying,
            jwks: Bytes::from(serde_json::to_vec(&jwks)?),
        })
    }

    /// The RS512 signer: the default algorithm.
    pub fn active(&self) -> &Arc<SigningKey> {
        self.active_for(SigningAlg::Rs512)
    }

    /// The signer for `alg`.
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

    pub fn verifying(&self) -> &[Arc<SigningKey>] {
        &self.verifying
    }

    fn retiring(&self) -> impl Iterator<Item = &Arc<SigningKey>> {
        self.verifying.iter().skip(self.active.len())
    }

    /// The JWKS document, serialized once per ring.
    pub fn jwks_json(&self) -> Bytes {
        self.jwks.clone()
    }
}

/// What the admin API shows of a key.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub created_at: u64,
    #[serde(flatten)]
    pub state: KeyState,
}

impl From<&KeyRecord> for KeyInfo {
    fn from(r: &KeyRecord) -> Self {
        Self {
            kid: r.kid.clone(),
            alg: r.alg.clone(),
            created_at: r.created_at,
            state: r.state,
        }
    }
}

/// Owns the key ring and its persistence: PEM files plus metadata records.
pub struct KeyManager {
    store: Arc<dyn KeyRecordStore>,
    files: Arc<dyn KeyMaterial>,
    ring: ArcSwap<KeyRing>,
    /// How long a replaced key stays in the JWKS: the longest token lifetime the dealer issues.
    verify_window: u64,
    /// Serializes rotations and retirements.
    write: tokio::sync::Mutex<()>,
}

impl KeyManager {
    /// Loads every key in `files`, reconciles with the stored records, creates a key for each
    /// algorithm that has none, and retires keys whose window has passed.
    pub async fn load(
        store: Arc<dyn KeyRecordStore>,
        files: Arc<dyn KeyMaterial>,
        verify_window: u64,
        now: UnixTime,
    ) -> anyhow::Result<Self> {
        let mut loaded = HashMap::new();
        for stored in files.load_all().await? {
            let key = SigningKey::from_der(&stored.tag, &stored.der)
                .with_context(|| format!("loading {}", stored.source))?;
            loaded.insert(key.kid().to_owned(), (Arc::new(key), stored.modified));
        }
        let mut records: HashMap<String, KeyRecord> = store
            .list()?
            .into_iter()
            .map(|r| (r.kid.clone(), r))
            .collect();
        let mut changed = Vec::new();

        let mut active_kids = Vec::with_capacity(SigningAlg::ALL.len());
        for alg in SigningAlg::ALL {
            let active_kid = records
                .values()
                .find(|r| r.state == KeyState::Active && r.alg == alg.as_str())
                .map(|r| r.kid.clone());
            let kid = match active_kid {
                Some(kid) if loaded.contains_key(&kid) => kid,
                Some(kid) => {
                    return Err(anyhow!(
                        "key {kid} is the active {alg} signing key but {kid}.pem is missing from {}",
                        files.location()
                    ));
                }
                None => {
                    // First start, or keys brought in by the operator: the newest file signs.
                    let newest = loaded
                        .iter()
                        .filter(|(kid, (key, _))| {
                            !records.contains_key(*kid) && key.signing_alg() == alg
                        })
                        .max_by_key(|(_, (_, modified))| *modified)
                        .map(|(kid, _)| kid.clone());
                    let kid = match newest {
                        Some(kid) => kid,
                        None => {
                            let (key, der) = SigningKey::generate_for(alg)?;
                            let path = files.write(key.kid(), &der).await?;
                            tracing::info!(kid = key.kid(), %alg, path = %path, "generated a new signing key");
                            let kid = key.kid().to_owned();
                            loaded.insert(kid.clone(), (Arc::new(key), None));
                            kid
                        }
                    };
                    let rec = KeyRecord {
                        kid: kid.clone(),
                        alg: alg.as_str().into(),
                        created_at: now.as_secs(),
                        state: KeyState::Active,
                    };
                    records.insert(kid.clone(), rec.clone());
                    changed.push(rec);
                    kid
                }
            };
            active_kids.push(kid);
        }
        for (kid, (key, _)) in &loaded {
            if !records.contains_key(kid) {
                // A key file nobody recorded: verify with it for one window, then retire it.
                let state = KeyState::Retiring {
                    since: now.as_secs(),
                    until: now.plus(verify_window).as_secs(),
                };
                let rec = KeyRecord {
                    kid: kid.clone(),
                    alg: key.signing_alg().as_str().into(),
                    created_at: now.as_secs(),
                    state,
                };
                records.insert(kid.clone(), rec.clone());
                changed.push(rec);
            }
        }
        for rec in records.values_mut() {
            if matches!(rec.state, KeyState::Retiring { .. }) && !loaded.contains_key(&rec.kid) {
                tracing::warn!(kid = %rec.kid, "a retiring key's file is gone; retiring it now");
                rec.state = KeyState::Retired { at: now.as_secs() };
                changed.push(rec.clone());
            }
        }
        if !changed.is_empty() {
            store.put(&changed).await?;
        }
        let mut active = Vec::with_capacity(active_kids.len());
        for kid in &active_kids {
            let (key, _) = loaded
                .get(kid)
                .ok_or_else(|| anyhow!("key {kid} was chosen to sign but is not loaded"))?;
            active.push(key.clone());
        }
        let active: [Arc<SigningKey>; 3] = active
            .try_into()
            .map_err(|_| anyhow!("expected one active key per algorithm"))?;
        let retiring = records
            .values()
            .filter(|r| matches!(r.state, KeyState::Retiring { .. }))
            .filter_map(|r| loaded.get(&r.kid).map(|(k, _)| k.clone()))
            .collect();
        let manager = Self {
            store,
            files,
            ring: ArcSwap::from_pointee(KeyRing::new(active, retiring)?),
            verify_window,
            write: tokio::sync::Mutex::new(()),
        };
        manager.retire_expired(now).await?;
        Ok(manager)
    }

    /// Rebuilds the ring from the stored records and key material, for a change another
    /// instance sharing the store made (a rotation, a retirement). Writes nothing; an algorithm
    /// whose active key cannot be found keeps its current signer.
    pub async fn refresh(&self, now: UnixTime) -> anyhow::Result<()> {
        let _guard = self.write.lock().await;
        let mut loaded = HashMap::new();
        for stored in self.files.load_all().await? {
            let key = SigningKey::from_der(&stored.tag, &stored.der)
                .with_context(|| format!("loading {}", stored.source))?;
            loaded.insert(key.kid().to_owned(), Arc::new(key));
        }
        let records = self.store.list()?;
        let mut active = self.ring.load().active.clone();
        for alg in SigningAlg::ALL {
            let newest = records
                .iter()
                .filter(|r| r.state == KeyState::Active && r.alg == alg.as_str())
                .max_by_key(|r| r.created_at)
                .and_then(|r| loaded.get(&r.kid));
            if let (Some(key), Some(slot)) = (newest, active.get_mut(alg.index())) {
                *slot = key.clone();
            }
        }
        let retiring = records
            .iter()
            .filter(
                |r| matches!(r.state, KeyState::Retiring { until, .. } if until > now.as_secs()),
            )
            .filter_map(|r| loaded.get(&r.kid).cloned())
            .collect();
        self.ring.store(Arc::new(KeyRing::new(active, retiring)?));
        Ok(())
    }

    /// The current ring. Lock-free: this is on the token path.
    pub fn ring(&self) -> arc_swap::Guard<Arc<KeyRing>> {
        self.ring.load()
    }

    /// Makes a new RS512 key the signer; the old one keeps verifying for one token lifetime.
    pub async fn rotate(&self, now: UnixTime) -> anyhow::Result<KeyInfo> {
        let mut rotated = self.rotate_algs(&[SigningAlg::Rs512], now, false).await?;
        rotated.pop().ok_or_else(|| anyhow!("no key was rotated"))
    }

    /// Makes a new key the signer for each of `algs`; each old one keeps verifying for one token
    /// lifetime, or, with `retire_previous` (a compromised key), is retired at once so tokens it
    /// signed stop verifying. Returns the new keys, in the order asked.
    pub async fn rotate_algs(
        &self,
        algs: &[SigningAlg],
        now: UnixTime,
        retire_previous: bool,
    ) -> anyhow::Result<Vec<KeyInfo>> {
        let rotated = self.replace_signers(algs, now, retire_previous).await?;
        if retire_previous {
            self.retire_expired(now).await?;
        }
        Ok(rotated)
    }

    async fn replace_signers(
        &self,
        algs: &[SigningAlg],
        now: UnixTime,
        retire_previous: bool,
    ) -> anyhow::Result<Vec<KeyInfo>> {
        let _guard = self.write.lock().await;
        let old = self.ring.load_full();
        let mut active = old.active.clone();
        let mut records = self.store.list()?;
        let state = KeyState::Retiring {
            since: now.as_secs(),
            until: now
                .plus(if retire_previous {
                    0
                } else {
                    self.verify_window
                })
                .as_secs(),
        };
        let mut new_records = Vec::with_capacity(algs.len());
        for &alg in algs {
            let (key, der) =
                tokio::task::spawn_blocking(move || SigningKey::generate_for(alg)).await??;
            self.files.write(key.kid(), &der).await?;
            for r in records
                .iter_mut()
                .filter(|r| r.state == KeyState::Active && r.alg == alg.as_str())
            {
                r.state = state;
            }
            let rec = KeyRecord {
                kid: key.kid().to_owned(),
                alg: alg.as_str().into(),
                created_at: now.as_secs(),
                state: KeyState::Active,
            };
            records.push(rec.clone());
            new_records.push(rec);
            tracing::info!(kid = key.kid(), %alg, previous = old.active_for(alg).kid(), "rotated a signing key");
            if let Some(slot) = active.get_mut(alg.index()) {
                *slot = Arc::new(key);
            }
        }
        self.store.put(&records).await?;
        // Every key of the old ring keeps verifying: the replaced signers now retire.
        let retiring = old.verifying().to_vec();
        self.ring.store(Arc::new(KeyRing::new(active, retiring)?));
        Ok(new_records.iter().map(KeyInfo::from).collect())
    }

    /// Retires one key now (a compromised key): it leaves the key set at once, so every token
    /// it signed stops verifying here and, after their JWKS cache, everywhere. An active key is
    /// replaced by a new signer of its algorithm first. `None` if no such key is in the key set.
    pub async fn retire(&self, kid: &str, now: UnixTime) -> anyhow::Result<Option<KeyInfo>> {
        let active = self.ring().active.iter().find(|k| k.kid() == kid).cloned();
        if let Some(key) = active {
            self.rotate_algs(&[key.signing_alg()], now, true).await?;
        } else {
            let _guard = self.write.lock().await;
            let Some(mut record) = self
                .store
                .list()?
                .into_iter()
                .find(|r| r.kid == kid && matches!(r.state, KeyState::Retiring { .. }))
            else {
                return Ok(None);
            };
            // Out of the ring before anything else: from here on nothing verifies with it.
            let ring = self.ring.load_full();
            let keep = ring
                .retiring()
                .filter(|k| k.kid() != kid)
                .cloned()
                .collect();
            self.ring
                .store(Arc::new(KeyRing::new(ring.active.clone(), keep)?));
            self.files.remove(kid).await?;
            record.state = KeyState::Retired { at: now.as_secs() };
            self.store.put(std::slice::from_ref(&record)).await?;
            tracing::warn!(kid, "retired a signing key on request");
        }
        Ok(self.list()?.into_iter().find(|k| k.kid == kid))
    }

    /// Drops keys whose verification window has passed: out of the JWKS, file deleted.
    pub async fn retire_expired(&self, now: UnixTime) -> anyhow::Result<()> {
        let _guard = self.write.lock().await;
        let mut expired: Vec<KeyRecord> = self
            .store
            .list()?
            .into_iter()
            .filter(
                |r| matches!(r.state, KeyState::Retiring { until, .. } if until <= now.as_secs()),
            )
            .collect();
        if expired.is_empty() {
            return Ok(());
        }
        for r in &mut expired {
            self.files.remove(&r.kid).await?;
            r.state = KeyState::Retired { at: now.as_secs() };
            tracing::info!(kid = %r.kid, "retired a signing key");
        }
        self.store.put(&expired).await?;
        let ring = self.ring.load_full();
        let keep = ring
            .retiring()
            .filter(|k| !expired.iter().any(|r| r.kid == k.kid()))
            .cloned()
            .collect();
        self.ring
            .store(Arc::new(KeyRing::new(ring.active.clone(), keep)?));
        Ok(())
    }

    /// Every key the dealer knows: the signer first, then retiring keys, then retired ones.
    pub fn list(&self) -> anyhow::Result<Vec<KeyInfo>> {
        let mut keys: Vec<KeyInfo> = self.store.list()?.iter().map(KeyInfo::from).collect();
        let rank = |s: &KeyState| match s {
            KeyState::Active => 0,
            KeyState::Retiring { .. } => 1,
            KeyState::Retired { .. } => 2,
        };
        keys.sort_by_key(|k| (rank(&k.state), std::cmp::Reverse(k.created_at)));
        Ok(keys)
    }
}
