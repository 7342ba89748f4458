//! The sled single-use tree: one winner among concurrent offers, expiry, the bound, the sweep,
//! and what survives a reopen.

use std::sync::Arc;

use super::*;
use crate::domain::ports::{FirstUse, SingleUse, SingleUseBounds};

/// A total bound with each owner allowed all of it.
fn bounds(total: u64) -> SingleUseBounds {
    SingleUseBounds {
        total,
        per_owner: total,
    }
}

fn open(dir: &std::path::Path, bound: u64) -> SingleUseTree {
    Store::open(dir).unwrap().single_use(bounds(bound)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_concurrent_offers_of_one_id_exactly_one_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let tree = Arc::new(open(dir.path(), 1000));
    let offers = (0..64).map(|_| {
        let tree = tree.clone();
        tokio::spawn(async move { tree.first_use("assertion", "c1", "jti-1", 200, 100).await })
    });
    let outcomes: Vec<FirstUse> = futures_outcomes(offers).await;
    let recorded = outcomes
        .iter()
        .filter(|o| **o == FirstUse::Recorded)
        .count();
    assert_eq!(recorded, 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| *o != FirstUse::Full));
}

async fn futures_outcomes(
    handles: impl Iterator<Item = tokio::task::JoinHandle<Result<FirstUse, StoreError>>>,
) -> Vec<FirstUse> {
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap().unwrap());
    }
    out
}

#[tokio::test]
async fn an_id_is_a_replay_until_it_expires_and_namespaces_are_apart() {
    let dir = tempfile::tempdir().unwrap();
    let tree = open(dir.path(), 10);
    assert_eq!(
        tree.first_use("assertion", "c1", "a", 200, 100)
            .await
            .unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        tree.first_use("assertion", "c1", "a", 200, 199)
            .await
            .unwrap(),
        FirstUse::Replayed
    );
    assert_eq!(
        tree.first_use("dpop", "c1", "a", 200, 100).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        tree.first_use("assertion", "c1", "a", 300, 200)
            .await
            .unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        tree.first_use("assertion", "c1", "a", 300, 250)
            .await
            .unwrap(),
        FirstUse::Replayed
    );
}

#[tokio::test]
async fn a_full_tree_refuses_new_ids_until_the_sweep_frees_expired_ones() {
    let dir = tempfile::tempdir().unwrap();
    let tree = open(dir.path(), 3);
    for (id, exp) in [("a", 150), ("b", 150), ("c", 500)] {
        assert_eq!(
            tree.first_use("assertion", "c1", id, exp, 100)
                .await
                .unwrap(),
            FirstUse::Recorded
        );
    }
    assert_eq!(
        tree.first_use("assertion", "c1", "d", 500, 100)
            .await
            .unwrap(),
        FirstUse::Full
    );
    // Held ids are still replays, not "full": nothing was forgotten.
    assert_eq!(
        tree.first_use("assertion", "c1", "c", 500, 100)
            .await
            .unwrap(),
        FirstUse::Replayed
    );
    // An expired id comes back without a new slot.
    assert_eq!(
        tree.first_use("assertion", "c1", "a", 500, 200)
            .await
            .unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(tree.sweep(200).await.unwrap(), 1);
    assert_eq!(
        tree.first_use("assertion", "c1", "d", 500, 200)
            .await
            .unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        tree.first_use("assertion", "c1", "e", 500, 200)
            .await
            .unwrap(),
        FirstUse::Full
    );
}

#[tokio::test]
async fn recorded_ids_survive_a_reopen_and_count_against_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    {
        let tree = open(dir.path(), 2);
        assert_eq!(
            tree.first_use("assertion", "c1", "a", 500, 100)
                .await
                .unwrap(),
            FirstUse::Recorded
        );
        tokio::time::sleep(FLUSH_AFTER * 2).await;
    }
    let tree = open(dir.path(), 2);
    assert_eq!(
        tree.first_use("assertion", "c1", "a", 500, 100)
            .await
            .unwrap(),
        FirstUse::Replayed
    );
    assert_eq!(
        tree.first_use("assertion", "c1", "b", 500, 100)
            .await
            .unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        tree.first_use("assertion", "c1", "c", 500, 100)
            .await
            .unwrap(),
        FirstUse::Full
    );
}

#[tokio::test]
async fn an_owner_over_its_share_is_refused_while_other_owners_record_and_replays_stay_replays() {
    let dir = tempfile::tempdir().unwrap();
    let tree = Store::open(dir.path())
        .unwrap()
        .single_use(SingleUseBounds {
            total: 10,
            per_owner: 2,
        })
        .unwrap();
    for id in ["a", "b"] {
        assert_eq!(
            tree.first_use("assertion", "noisy", id, 500, 100)
                .await
                .unwrap(),
            FirstUse::Recorded
        );
    }
    assert_eq!(
        tree.first_use("assertion", "noisy", "c", 500, 100)
            .await
            .unwrap(),
        FirstUse::ShareFull
    );
    assert_eq!(
        tree.first_use("dpop", "noisy", "c", 500, 100)
            .await
            .unwrap(),
        FirstUse::ShareFull
    );
    assert_eq!(
        tree.first_use("assertion", "noisy", "a", 500, 100)
            .await
            .unwrap(),
        FirstUse::Replayed
    );
    assert_eq!(
        tree.first_use("assertion", "quiet", "c", 500, 100)
            .await
            .unwrap(),
        FirstUse::Recorded
    );
    // Its expired entries swept, the noisy owner has room again; a reopen counts owners anew.
    tokio::time::sleep(FLUSH_AFTER * 2).await;
    drop(tree);
    let tree = Store::open(dir.path())
        .unwrap()
        .single_use(SingleUseBounds {
            total: 10,
            per_owner: 2,
        })
        .unwrap();
    assert_eq!(
        tree.first_use("assertion", "noisy", "d", 500, 100)
            .await
            .unwrap(),
        FirstUse::ShareFull
    );
    assert_eq!(tree.sweep(600).await.unwrap(), 3);
    assert_eq!(
        tree.first_use("assertion", "noisy", "d", 900, 600)
            .await
            .unwrap(),
        FirstUse::Recorded
    );
}

#[tokio::test]
async fn a_sweep_skips_an_id_recorded_again_after_it_expired_until_its_new_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let tree = open(dir.path(), 10);
    assert_eq!(
        tree.first_use("dpop", "c1", "j", 150, 100).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        tree.first_use("dpop", "c1", "j", 300, 200).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(tree.sweep(200).await.unwrap(), 0);
    assert_eq!(
        tree.first_use("dpop", "c1", "j", 400, 250).await.unwrap(),
        FirstUse::Replayed
    );
    assert_eq!(tree.sweep(300).await.unwrap(), 1);
    assert_eq!(
        tree.first_use("dpop", "c1", "j", 400, 300).await.unwrap(),
        FirstUse::Recorded
    );
}
