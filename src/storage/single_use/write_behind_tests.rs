//! The sled single-use record's write-behind: what is recorded or swept reaches the tree within
//! the flush interval, on close, and after the writer refused it once.

use super::*;
use crate::domain::ports::{FirstUse, SingleUse, SingleUseBounds};

fn bounds(total: u64) -> SingleUseBounds {
    SingleUseBounds {
        total,
        per_owner: total,
    }
}

fn open(dir: &std::path::Path, bound: u64) -> SingleUseTree {
    Store::open(dir).unwrap().single_use(bounds(bound)).unwrap()
}

#[tokio::test]
async fn a_recorded_id_reaches_the_tree_within_the_flush_interval_and_a_sweep_removes_it_there() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let tree = store.single_use(bounds(10)).unwrap();
    let on_disk = store.db.open_tree("single_use").unwrap();
    assert_eq!(
        tree.first_use("dpop", "c1", "j1", 500, 100).await.unwrap(),
        FirstUse::Recorded
    );
    let key = super::key("dpop", "j1");
    tokio::time::sleep(FLUSH_AFTER * 3).await;
    let written = on_disk.get(&key).unwrap().expect("written behind");
    assert_eq!(expiry(&written), 500);
    assert_eq!(owner_of(&written), "c1");
    assert_eq!(tree.sweep(500).await.unwrap(), 1);
    tokio::time::sleep(FLUSH_AFTER * 3).await;
    assert!(on_disk.get(&key).unwrap().is_none());
}

#[tokio::test]
async fn ids_recorded_just_before_a_close_are_replays_after_the_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let tree = open(dir.path(), 10);
        for id in ["a", "b", "c"] {
            assert_eq!(
                tree.first_use("assertion", "c1", id, 500, 100)
                    .await
                    .unwrap(),
                FirstUse::Recorded
            );
        }
        // Closed at once: nothing has been written behind yet.
    }
    let tree = open(dir.path(), 10);
    for id in ["a", "b", "c"] {
        assert_eq!(
            tree.first_use("assertion", "c1", id, 500, 100)
                .await
                .unwrap(),
            FirstUse::Replayed
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_meeting_a_full_writer_queue_wait_their_turn_and_reach_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let options = crate::storage::StoreOptions {
        write_queue: 1,
        ..Default::default()
    };
    let store = Store::open_with(dir.path(), options).unwrap();
    let tree = store.single_use(bounds(10)).unwrap();
    let on_disk = store.db.open_tree("single_use").unwrap();
    // The writer busy for 1.5 s and its one queue place taken: the write-behind of the offer
    // below, due in 0.5 s, finds the queue full and waits for its place.
    let slow = || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        Ok(())
    };
    let (writer, writer2) = (store.writer().clone(), store.writer().clone());
    let busy = tokio::spawn(async move { writer.write(slow).await });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let queued = tokio::spawn(async move { writer2.write(|| Ok(())).await });
    assert_eq!(
        tree.first_use("dpop", "c1", "j1", 500, 100).await.unwrap(),
        FirstUse::Recorded
    );
    busy.await.unwrap().unwrap();
    queued.await.unwrap().unwrap();
    let key = super::key("dpop", "j1");
    tokio::time::sleep(FLUSH_AFTER * 3).await;
    assert!(
        on_disk.get(&key).unwrap().is_some(),
        "written once a place was free"
    );
}
