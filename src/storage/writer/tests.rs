//! Unit tests of `writer.rs`.

use super::*;

fn open() -> (tempfile::TempDir, sled::Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new()
        .path(dir.path().join("db"))
        .flush_every_ms(None)
        .open()
        .unwrap();
    (dir, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_writes_are_all_acknowledged_and_durable() {
    let (_dir, db) = open();
    let writer = Writer::start(db.clone(), 1024, DEFAULT_WRITE_TIMEOUT).unwrap();
    let tasks: Vec<_> = (0..200u32)
        .map(|i| {
            let (writer, db) = (writer.clone(), db.clone());
            tokio::spawn(async move {
                writer
                    .write(move || Ok(db.insert(i.to_be_bytes(), &b"v"[..])?))
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(db.len(), 200);
}

#[tokio::test]
async fn a_writer_whose_thread_ended_reports_itself_unhealthy() {
    let (_dir, db) = open();
    let writer = Writer::start(db, 16, DEFAULT_WRITE_TIMEOUT).unwrap();
    assert!(writer.health().is_ok());
    // A panic outside the job's own catch (in what acknowledges it) ends the thread.
    let job: Job = Box::new(|| Box::new(|_| panic!("the acknowledgement panics")));
    writer.inner.jobs.as_ref().unwrap().send(job).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while writer.health().is_ok() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let err = writer.health().unwrap_err();
    assert!(err.downcast_ref::<StoreUnavailable>().is_some(), "{err:#}");
}

#[tokio::test]
async fn a_read_modify_write_in_one_job_never_loses_an_update() {
    let (_dir, db) = open();
    let writer = Writer::start(db.clone(), 1024, DEFAULT_WRITE_TIMEOUT).unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (writer, db) = (writer.clone(), db.clone());
            tokio::spawn(async move {
                writer
                    .write(move || {
                        let n = db.get("n")?.map_or(0, |v| v[0]);
                        db.insert("n", &[n + 1])?;
                        Ok(())
                    })
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(db.get("n").unwrap().unwrap()[0], 100);
}

#[tokio::test]
async fn a_full_queue_fails_a_write_at_once_instead_of_waiting() {
    let (_dir, db) = open();
    let writer = Writer::start(db, 1, Duration::from_millis(200)).unwrap();
    let (hold, held) = std::sync::mpsc::channel::<()>();
    // The first job occupies the thread; the second fills the queue; the third is refused.
    let blocker = {
        let writer = writer.clone();
        tokio::spawn(async move {
            writer
                .write(move || {
                    let _ = held.recv_timeout(Duration::from_secs(5));
                    Ok(())
                })
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let queued = {
        let writer = writer.clone();
        tokio::spawn(async move { writer.write(|| Ok(())).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = writer.write(|| Ok(())).await.unwrap_err();
    let refused = refused.downcast_ref::<StoreUnavailable>().unwrap();
    assert!(!refused.is_unconfirmed(), "a refused write never ran");
    // A wedged writer makes the waiting callers fail after the timeout, not hang.
    let timed_out = queued.await.unwrap().unwrap_err();
    assert!(timed_out.to_string().contains("not confirmed"));
    hold.send(()).unwrap();
    let _ = blocker.await.unwrap();
}

#[tokio::test]
async fn a_write_that_outlives_its_wait_is_reported_unconfirmed_and_still_lands() {
    let (_dir, db) = open();
    let writer = Writer::start(db.clone(), 8, Duration::from_millis(100)).unwrap();
    let slow = {
        let db = db.clone();
        move || {
            std::thread::sleep(Duration::from_millis(300));
            Ok(db.insert("k", &b"v"[..])?)
        }
    };
    let failed = writer.write(slow).await.unwrap_err();
    let failed = failed
        .chain()
        .find_map(|c| c.downcast_ref::<StoreUnavailable>())
        .unwrap_or_else(|| panic!("not a store error: {failed:#}"));
    assert!(failed.is_unconfirmed(), "the caller cannot know: {failed}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(db.get("k").unwrap().as_deref(), Some(&b"v"[..]));
}

#[tokio::test]
async fn a_panicking_write_fails_alone_and_the_writer_goes_on() {
    let (_dir, db) = open();
    let writer = Writer::start(db, 8, DEFAULT_WRITE_TIMEOUT).unwrap();
    let failed: anyhow::Result<()> = writer.write(|| panic!("boom")).await;
    assert!(failed.is_err());
    assert_eq!(writer.write(|| Ok(7)).await.unwrap(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_queue_full_a_write_is_refused_and_a_write_in_turn_waits_for_its_place() {
    let (_dir, db) = open();
    let writer = Writer::start(db.clone(), 1, DEFAULT_WRITE_TIMEOUT).unwrap();
    let slow = || {
        std::thread::sleep(Duration::from_millis(400));
        Ok(())
    };
    let (busy, queued) = (writer.clone(), writer.clone());
    let busy = tokio::spawn(async move { busy.write(slow).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let queued = tokio::spawn(async move { queued.write(slow).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = writer.write(|| Ok(())).await.unwrap_err();
    assert!(
        refused.to_string().contains("too many writes"),
        "{refused:#}"
    );
    let db2 = db.clone();
    writer
        .write_in_turn(move || Ok(db2.insert("k", &b"v"[..])?))
        .await
        .unwrap();
    assert!(db.get("k").unwrap().is_some());
    busy.await.unwrap().unwrap();
    queued.await.unwrap().unwrap();
}
