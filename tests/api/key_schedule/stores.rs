//! The schedule through the key manager, with `now` as a parameter: a missed due time caught up
//! at start, two instances sharing one store, and the lease.

use std::sync::Arc;

use async_trait::async_trait;
use tokendealer::domain::UnixTime;
use tokendealer::domain::keys::{Algorithms, KeyManager, KeyPolicy, KeyRotation, KeyState};
use tokendealer::domain::ports::{Leases, StoreResult};
use tokendealer::storage::{KeyFiles, Store};

fn stores(data: &tempfile::TempDir) -> (Arc<Store>, Arc<KeyFiles>) {
    let store = Store::open(&data.path().join("db")).unwrap();
    let files = KeyFiles::open(&data.path().join("keys")).unwrap();
    (Arc::new(store), Arc::new(files))
}

const POLICY: KeyPolicy = KeyPolicy {
    verify_window: 60,
    rotation_period: 100,
    prepublish: 10,
    algorithms: Algorithms::ALL,
};

#[tokio::test]
async fn a_due_time_missed_while_stopped_is_caught_up_at_start() {
    let data = tempfile::tempdir().unwrap();
    let t0 = UnixTime::from_secs(1_000_000);
    let (store, files) = stores(&data);
    let keys = KeyManager::load_with(store.clone(), files.clone(), POLICY, t0)
        .await
        .unwrap();
    let first = keys.ring().active().kid().to_owned();
    keys.tick(t0.plus(80)).await.unwrap();
    assert!(
        keys.list()
            .unwrap()
            .iter()
            .all(|k| k.state == KeyState::Active)
    );
    keys.tick(t0.plus(88)).await.unwrap();
    let next = keys.list().unwrap();
    let next = next
        .iter()
        .find(|k| k.alg == "RS512" && matches!(k.state, KeyState::Next { .. }));
    let next = next.expect("published prepublish + 2 s ahead").clone();
    assert!(matches!(next.state, KeyState::Next { due } if due >= t0.plus(100).as_secs()));
    drop(keys);

    let later = t0.plus(500);
    let keys = KeyManager::load_with(store, files, POLICY, later)
        .await
        .unwrap();
    assert_eq!(
        keys.ring().rs512_signer(later).kid(),
        next.kid,
        "the overdue next key signs from the start"
    );
    keys.tick(later).await.unwrap();
    let list = keys.list().unwrap();
    let state = |kid: &str| list.iter().find(|k| k.kid == kid).unwrap().clone();
    assert_eq!(state(&next.kid).state, KeyState::Active);
    assert!(matches!(state(&first).state, KeyState::Retired { .. }));
    assert!(keys.ring().find(&first).is_none());
    // Its own period has passed too: a successor is published, due `prepublish` from now.
    let successor = list
        .iter()
        .find(|k| k.alg == "RS512" && matches!(k.state, KeyState::Next { .. }))
        .unwrap();
    assert!(matches!(successor.state, KeyState::Next { due } if due >= later.plus(10).as_secs()));
}

#[tokio::test]
async fn an_instance_sharing_the_store_learns_a_next_key_and_switches_at_its_due_time() {
    let data = tempfile::tempdir().unwrap();
    let t0 = UnixTime::from_secs(2_000_000);
    let (store, files) = stores(&data);
    let a = KeyManager::load_with(store.clone(), files.clone(), POLICY, t0)
        .await
        .unwrap();
    let b = KeyManager::load_with(store, files, POLICY, t0)
        .await
        .unwrap();
    let old = a.ring().active().kid().to_owned();
    a.tick(t0.plus(90)).await.unwrap();
    let (next, due) = a
        .list()
        .unwrap()
        .into_iter()
        .find_map(|k| match k.state {
            KeyState::Next { due } if k.alg == "RS512" => Some((k.kid, UnixTime::from_secs(due))),
            _ => None,
        })
        .unwrap();
    assert!(due >= t0.plus(100));
    assert!(b.ring().find(&next).is_none(), "b has not looked yet");
    assert!(b.sync(t0.plus(91)).await.unwrap(), "the records changed");
    assert!(!b.sync(t0.plus(91)).await.unwrap(), "and are now the same");
    assert_eq!(b.ring().jwks_json(), a.ring().jwks_json());
    let before_due = UnixTime::from_secs(due.as_secs() - 1);
    assert_eq!(b.ring().rs512_signer(before_due).kid(), old);
    assert_eq!(
        b.ring().rs512_signer(due).kid(),
        next,
        "b signs with it at its due time, before any record says it is active"
    );
    b.refresh(due).await.unwrap();
    assert_eq!(b.ring().jwks_json(), a.ring().jwks_json());
}

/// A lease another instance holds.
struct Taken;

#[async_trait]
impl Leases for Taken {
    async fn try_hold(&self, _: &str, _: &str, _: u64, _: u64) -> StoreResult<bool> {
        Ok(false)
    }
}

#[tokio::test]
async fn an_instance_without_the_lease_changes_nothing() {
    let data = tempfile::tempdir().unwrap();
    let t0 = UnixTime::from_secs(3_000_000);
    let (store, files) = stores(&data);
    let keys = Arc::new(
        KeyManager::load_with(store.clone(), files, POLICY, t0)
            .await
            .unwrap(),
    );
    let before = keys.list().unwrap();
    let follower = KeyRotation::new(keys.clone(), Arc::new(Taken));
    assert!(!follower.tick(t0.plus(95)).await.unwrap());
    assert_eq!(keys.list().unwrap(), before);
    let leader = KeyRotation::new(keys.clone(), store);
    assert!(leader.tick(t0.plus(95)).await.unwrap());
    assert_ne!(keys.list().unwrap(), before);
}
