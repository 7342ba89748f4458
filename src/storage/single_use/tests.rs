//! The sled single-use tree: one winner among concurrent offers, expiry, the bound, the sweep,
//! and what survives a reopen.

use std::sync::Arc;

use super::*;
use crate::domain::ports::{FirstUse, SingleUse};

fn open(dir: &std::path::Path, bound: u64) -> SingleUseTree {
    Store::open(dir).unwrap().single_use(bound).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_concurrent_offers_of_one_id_exactly_one_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let tree = Arc::new(open(dir.path(), 1000));
    let offers = (0..64).map(|_| {
        let tree = tree.clone();
        tokio::spawn(async move { tree.first_use("assertion", "jti-1", 200, 100).await })
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
        tree.first_use("assertion", "a", 200, 100).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        tree.first_use("assertion", "a", 200, 199).await.unwrap(),
        FirstUse::Replayed
    );
    assert_eq!(
        tree.first_use("dpop", "a", 200, 100).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        tree.first_use("assertion", "a", 300, 200).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        tree.first_use("assertion", "a", 300, 250).await.unwrap(),
        FirstUse::Replayed
    );
}

#[tokio::test]
async fn a_full_tree_refuses_new_ids_until_the_sweep_frees_expired_ones() {
    let dir = tempfile::tempdir().unwrap();
    let tree = open(dir.path(), 3);
    for (id, exp) in [("a", 150), ("b", 150), ("c", 500)] {
        assert_eq!(
            tree.first_use("assertion", id, exp, 100).await.unwrap(),
            FirstUse::Recorded
        );
    }
    assert_eq!(
        tree.first_use("assertion", "d", 500, 100).await.unwrap(),
        FirstUse::Full
    );
    // Held ids are still replays, not "full": nothing was forgotten.
    assert_eq!(
        tree.first_use("assertion", "c", 500, 100).await.unwrap(),
        FirstUse::Replayed
    );
    // An expired id comes back without a new slot.
    assert_eq!(
        tree.first_use("assertion", "a", 500, 200).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(tree.sweep(200).await.unwrap(), 1);
    assert_eq!(
        tree.first_use("assertion", "d", 500, 200).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        tree.first_use("assertion", "e", 500, 200).await.unwrap(),
        FirstUse::Full
    );
}

#[tokio::test]
async fn recorded_ids_survive_a_reopen_and_count_against_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    {
        let tree = open(dir.path(), 2);
        assert_eq!(
            tree.first_use("assertion", "a", 500, 100).await.unwrap(),
            FirstUse::Recorded
        );
        tokio::time::sleep(FLUSH_AFTER * 2).await;
    }
    let tree = open(dir.path(), 2);
    assert_eq!(
        tree.first_use("assertion", "a", 500, 100).await.unwrap(),
        FirstUse::Replayed
    );
    assert_eq!(
        tree.first_use("assertion", "b", 500, 100).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        tree.first_use("assertion", "c", 500, 100).await.unwrap(),
        FirstUse::Full
    );
}
