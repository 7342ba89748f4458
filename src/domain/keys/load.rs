//! Reading the keys from the stores: at start (reconciling records with key material), and
//! again when another instance changed them.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use arc_swap::ArcSwap;

use super::{KeyManager, KeyPolicy, KeyRecord, KeyRing, KeyState, SigningAlg, SigningKey};
use crate::domain::UnixTime;
use crate::domain::ports::{KeyChangeLock, KeyMaterial, KeyRecordStore};

/// Both locks a change of the key set holds, released in this order when dropped.
pub(super) struct Changing<'a> {
    _shared: KeyChangeLock,
    _local: tokio::sync::MutexGuard<'a, ()>,
}

impl KeyManager {
    /// [`KeyManager::load_with`] without a schedule: keys change only when asked.
    pub async fn load(
        store: Arc<dyn KeyRecordStore>,
        files: Arc<dyn KeyMaterial>,
        verify_window: u64,
        now: UnixTime,
    ) -> anyhow::Result<Self> {
        Self::load_with(store, files, KeyPolicy::manual(verify_window), now).await
    }

    /// Loads every key in `files`, reconciles with the stored records, creates a key for each
    /// algorithm of the policy that has none, retires from now (after one verification window)
    /// the active and next keys of an algorithm the policy no longer has, and builds the ring. Due changes of the schedule are left to
    /// the first [`KeyManager::tick`]; until then a next key whose due time has passed
    /// already signs (see [`KeyRing::signer_for`]).
    pub async fn load_with(
        store: Arc<dyn KeyRecordStore>,
        files: Arc<dyn KeyMaterial>,
        policy: KeyPolicy,
        now: UnixTime,
    ) -> anyhow::Result<Self> {
        // A key file with no record yet is recorded below as replaced: under the lock, so that
        // it is never a key another instance is rotating in at this moment.
        let _changing = store.lock_changes().await?;
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

        for alg in SigningAlg::ALL {
            if !policy.algorithms.contains(alg) {
                changed.extend(stop_signing(&mut records, alg, now, policy.verify_window));
                continue;
            }
            let active_kid = records
                .values()
                .find(|r| r.state == KeyState::Active && r.alg == alg.as_str())
                .map(|r| r.kid.clone());
            match active_kid {
                Some(kid) if loaded.contains_key(&kid) => {}
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
                        activated_at: Some(now.as_secs()),
                    };
                    records.insert(kid, rec.clone());
                    changed.push(rec);
                }
            }
        }
        for (kid, (key, _)) in &loaded {
            if !records.contains_key(kid) {
                // A key file nobody recorded (the operator's, or a new key whose record was
                // never written): verify with it for one window, then retire it.
                let rec = KeyRecord {
                    kid: kid.clone(),
                    alg: key.signing_alg().as_str().into(),
                    created_at: now.as_secs(),
                    state: KeyState::Retiring {
                        since: now.as_secs(),
                        until: now.plus(policy.verify_window).as_secs(),
                    },
                    activated_at: None,
                };
                records.insert(kid.clone(), rec.clone());
                changed.push(rec);
            }
        }
        for rec in records.values_mut() {
            let has_file = loaded.contains_key(&rec.kid);
            match rec.state {
                KeyState::Retiring { .. } | KeyState::Next { .. } if !has_file => {
                    tracing::warn!(kid = %rec.kid, "a published key's file is gone; retiring it now");
                    rec.state = KeyState::Retired { at: now.as_secs() };
                    changed.push(rec.clone());
                }
                KeyState::Retired { .. } if has_file => {
                    // Stopped between storing the retirement and deleting the key.
                    files.remove(&rec.kid).await?;
                    loaded.remove(&rec.kid);
                }
                _ => {}
            }
        }
        if !changed.is_empty() {
            store.put(&changed).await?;
        }
        let keys = loaded.into_iter().map(|(kid, (k, _))| (kid, k)).collect();
        let ring = KeyRing::build(
            records.into_values().collect(),
            &keys,
            now,
            policy.algorithms,
        )?;
        Ok(Self {
            store,
            files,
            ring: ArcSwap::from_pointee(ring),
            policy,
            write: tokio::sync::Mutex::new(()),
        })
    }

    /// Re-reads the records and the key material from the stores, rebuilds the ring and swaps
    /// it in; writes nothing. For an instance told that another one changed the keys.
    pub async fn refresh(&self, now: UnixTime) -> anyhow::Result<()> {
        let _guard = self.write.lock().await;
        self.reload(now).await
    }

    /// [`KeyManager::refresh`] if the stored records differ from the ring's: cheap when
    /// nothing changed (one listing of the records). `true` if the ring was rebuilt.
    pub async fn sync(&self, now: UnixTime) -> anyhow::Result<bool> {
        let _guard = self.write.lock().await;
        self.sync_locked(now).await
    }

    /// Starts a change of the key set: this instance's turn, then the lock every instance
    /// sharing the store takes, then the ring rebuilt from the records as stored if they
    /// differ. Every decision of a change (which key is active, how many are replaced) is made
    /// after this returns, on what it read: two instances rotating at once would otherwise
    /// each replace the active key they both saw, leaving two active keys.
    pub(super) async fn begin_change(&self, now: UnixTime) -> anyhow::Result<Changing<'_>> {
        let local = self.write.lock().await;
        let shared = self.store.lock_changes().await?;
        self.sync_locked(now).await?;
        Ok(Changing {
            _shared: shared,
            _local: local,
        })
    }

    pub(super) async fn sync_locked(&self, now: UnixTime) -> anyhow::Result<bool> {
        let mut records = self.store.list()?;
        records.sort_by(|a, b| a.kid.cmp(&b.kid));
        if records.as_slice() == self.ring.load().records() {
            return Ok(false);
        }
        self.reload(now).await?;
        Ok(true)
    }

    /// Builds the ring from the stores. The material is read after the records: a key is
    /// stored before the record naming it, so every key a record publishes is found.
    async fn reload(&self, now: UnixTime) -> anyhow::Result<()> {
        let records = self.store.list()?;
        let mut keys = HashMap::with_capacity(records.len());
        for stored in self.files.load_all().await? {
            let key = SigningKey::from_der(&stored.tag, &stored.der)
                .with_context(|| format!("loading {}", stored.source))?;
            keys.insert(key.kid().to_owned(), Arc::new(key));
        }
        let ring = KeyRing::build(records, &keys, now, self.policy.algorithms)
            .context("rebuilding the key ring")?;
        self.ring.store(Arc::new(ring));
        tracing::debug!("reloaded the signing keys from the store");
        Ok(())
    }
}

/// An algorithm taken out of `[keys] algorithms`: its active key, and a next key (which a
/// stale instance may sign with from its due time), become retiring, so they stay in the key
/// set until every token they may have signed has expired, as a replaced key does. The changed
/// records.
fn stop_signing(
    records: &mut HashMap<String, KeyRecord>,
    alg: SigningAlg,
    now: UnixTime,
    verify_window: u64,
) -> Vec<KeyRecord> {
    let now = now.as_secs();
    let mut changed = Vec::new();
    for rec in records.values_mut().filter(|r| r.alg == alg.as_str()) {
        let signs_from = match rec.state {
            KeyState::Active => now,
            KeyState::Next { due } => due.max(now),
            _ => continue,
        };
        let until = signs_from.saturating_add(verify_window);
        rec.state = KeyState::Retiring { since: now, until };
        tracing::warn!(
            kid = %rec.kid, %alg, until,
            "{alg} is not in [keys] algorithms any more: its key stops signing and stays in the \
             key set until the tokens it signed have expired"
        );
        changed.push(rec.clone());
    }
    changed
}
