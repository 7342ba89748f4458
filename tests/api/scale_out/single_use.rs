//! The single-use record (client assertion and DPoP `jti`s): of concurrent offers of one
//! identifier exactly one is recorded, on sled and on PostgreSQL, where two instances on one
//! database share it.

use std::sync::Arc;

use tokendealer::Settings;
use tokendealer::domain::ports::{FirstUse, SingleUse, SingleUseBounds};
use tokendealer::storage::Store;

use crate::helpers::{fresh_database, use_postgres};

/// A total bound with each owner allowed all of it.
fn bounds(total: u64) -> SingleUseBounds {
    SingleUseBounds {
        total,
        per_owner: total,
    }
}

/// Offers `id` from 64 tasks spread over `engines`, all at once; the outcomes.
async fn offer_from_many_tasks(engines: &[Arc<dyn SingleUse>], id: &str) -> Vec<FirstUse> {
    let start = Arc::new(tokio::sync::Barrier::new(64));
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (engine, start, id) = (
                engines[i % engines.len()].clone(),
                start.clone(),
                id.to_owned(),
            );
            tokio::spawn(async move {
                start.wait().await;
                engine
                    .first_use("assertion", "c1", &id, 2_000_000_000, 1_000_000_000)
                    .await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap().unwrap());
    }
    outcomes
}

fn recorded(outcomes: &[FirstUse]) -> usize {
    outcomes
        .iter()
        .filter(|o| **o == FirstUse::Recorded)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_offers_of_one_id_on_sled_exactly_one_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let engine: Arc<dyn SingleUse> = Arc::new(store.single_use(bounds(1000)).unwrap());
    let outcomes = offer_from_many_tasks(std::slice::from_ref(&engine), "jti-1").await;
    assert_eq!(recorded(&outcomes), 1, "{outcomes:?}");
    assert_eq!(
        outcomes.len() - 1,
        outcomes
            .iter()
            .filter(|o| **o == FirstUse::Replayed)
            .count()
    );
}

/// Two engines on one fresh database, as two instances have.
async fn two_instances(bounds: SingleUseBounds) -> (Vec<Arc<dyn SingleUse>>, tempfile::TempDir) {
    let url = fresh_database()
        .await
        .expect("needs PostgreSQL: set TOKENDEALER_TEST_DATABASE_URL (.ci/pg-cluster.sh)");
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings {
        data_dir: dir.path().into(),
        ..Settings::default()
    };
    use_postgres(&mut settings, &url);
    let mut engines: Vec<Arc<dyn SingleUse>> = Vec::new();
    for _ in 0..2 {
        let (pg, lock) = tokendealer::startup::open_postgres(&settings, &url, None)
            .await
            .unwrap();
        drop(lock);
        engines.push(Arc::new(pg.single_use(bounds).await.unwrap()));
    }
    (engines, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (TOKENDEALER_TEST_DATABASE_URL)"]
async fn two_instances_on_one_database_record_one_id_once_between_them() {
    let (engines, _dir) = two_instances(bounds(1000)).await;
    let outcomes = offer_from_many_tasks(&engines, "jti-shared").await;
    assert_eq!(recorded(&outcomes), 1, "{outcomes:?}");
    // Recorded on one, a replay on the other; expired, it may be used again.
    let (a, b) = (&engines[0], &engines[1]);
    assert_eq!(
        a.first_use("assertion", "c1", "x", 200, 100).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        b.first_use("assertion", "c1", "x", 200, 150).await.unwrap(),
        FirstUse::Replayed
    );
    assert_eq!(
        b.first_use("dpop", "c1", "x", 200, 150).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        b.first_use("assertion", "c1", "x", 300, 200).await.unwrap(),
        FirstUse::Recorded
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL (TOKENDEALER_TEST_DATABASE_URL)"]
async fn a_full_shared_record_refuses_new_ids_until_the_sweep_frees_room() {
    let (engines, _dir) = two_instances(bounds(2)).await;
    let (a, b) = (&engines[0], &engines[1]);
    assert_eq!(
        a.first_use("assertion", "c1", "a", 150, 100).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        a.first_use("assertion", "c1", "b", 500, 100).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        a.first_use("assertion", "c1", "c", 500, 100).await.unwrap(),
        FirstUse::Full
    );
    // The other instance learns the count at its next recount (at most a second later).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        b.first_use("assertion", "c1", "b", 500, 100).await.unwrap(),
        FirstUse::Replayed
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        b.first_use("assertion", "c1", "c", 500, 100).await.unwrap(),
        FirstUse::Full
    );
    assert_eq!(b.sweep(200).await.unwrap(), 1);
    assert_eq!(
        b.first_use("assertion", "c1", "c", 500, 200).await.unwrap(),
        FirstUse::Recorded
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL (TOKENDEALER_TEST_DATABASE_URL)"]
async fn an_owner_over_its_share_is_refused_on_every_instance_while_others_record() {
    let (engines, _dir) = two_instances(SingleUseBounds {
        total: 100,
        per_owner: 2,
    })
    .await;
    let (a, b) = (&engines[0], &engines[1]);
    assert_eq!(
        a.first_use("assertion", "noisy", "1", 500, 100)
            .await
            .unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        b.first_use("dpop", "noisy", "2", 500, 100).await.unwrap(),
        FirstUse::Recorded
    );
    assert_eq!(
        a.first_use("assertion", "noisy", "3", 500, 100)
            .await
            .unwrap(),
        FirstUse::ShareFull
    );
    assert_eq!(
        b.first_use("assertion", "noisy", "1", 500, 100)
            .await
            .unwrap(),
        FirstUse::Replayed
    );
    assert_eq!(
        b.first_use("assertion", "quiet", "3", 500, 100)
            .await
            .unwrap(),
        FirstUse::Recorded
    );
    // Expired rows no longer count against the share.
    assert_eq!(
        a.first_use("assertion", "noisy", "3", 900, 600)
            .await
            .unwrap(),
        FirstUse::Recorded
    );
}
