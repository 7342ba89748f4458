//! The one writer: every sled write runs on one dedicated thread that takes what is queued,
//! applies it, flushes once, and only then acknowledges each write (group commit).
//!
//! Why: sled 0.34.7 deadlocks when flushes run concurrently (spacejam/sled#1308, #1241: fixed on
//! its main branch, never released). With one thread doing every write and every flush, no two
//! flushes ever overlap, no sled write blocks a tokio worker, and a read-modify-write done inside
//! one job is atomic against every other write (that is how updates are compare-and-swap here).
//! The queue is bounded; a full queue, a stalled disk or a failed flush fail the write with
//! [`StoreUnavailable`] instead of hanging the caller.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use crossbeam_channel::{Receiver, SendTimeoutError, Sender, TrySendError};
use tokio::sync::oneshot;

use crate::domain::StoreUnavailable;
use crate::telemetry::StoreObserver;

/// Writes waiting for the writer thread, at most: beyond it a write fails at once.
pub const DEFAULT_QUEUE: usize = 1024;
/// How long a caller waits for its write to be applied and flushed.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Jobs applied before one flush, at most (so one flush never waits on an unbounded batch).
const MAX_BATCH: usize = 256;

/// What a write does when the queue is full.
#[derive(Clone, Copy)]
enum Queueing {
    /// Fails at once (503 to the caller): every request-driven write.
    RefuseWhenFull,
    /// Waits for a place, up to the write timeout.
    WaitForPlace,
}

/// A queued write: applies itself to the trees and returns what acknowledges it after the flush.
type Job = Box<dyn FnOnce() -> Ack + Send>;
/// Delivers a job's result, or the flush's failure, to its caller.
type Ack = Box<dyn FnOnce(Result<(), Arc<str>>) + Send>;

/// Handle to the writer thread. Cheap to clone; the thread ends when the last handle is gone.
#[derive(Clone)]
pub struct Writer {
    inner: Arc<Inner>,
}

struct Inner {
    jobs: Option<Sender<Job>>,
    timeout: Duration,
    observer: Option<Arc<dyn StoreObserver>>,
    /// Closed by the thread as it ends, so a drop can wait (bounded) for sled to be released.
    done: Receiver<()>,
}

impl Writer {
    /// Starts the writer thread for `db`.
    pub fn start(db: sled::Db, queue: usize, timeout: Duration) -> anyhow::Result<Self> {
        Self::start_observed(db, queue, timeout, None)
    }

    /// [`Writer::start`], telling `observer` how long each write took and whether it failed.
    pub fn start_observed(
        db: sled::Db,
        queue: usize,
        timeout: Duration,
        observer: Option<Arc<dyn StoreObserver>>,
    ) -> anyhow::Result<Self> {
        let (jobs, inbox) = crossbeam_channel::bounded::<Job>(queue.max(1));
        let (finished, done) = crossbeam_channel::bounded::<()>(0);
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                run(&db, &inbox);
                drop(db);
                drop(finished);
            })
            .map_err(|e| anyhow!("starting the store writer thread: {e}"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                jobs: Some(jobs),
                timeout,
                observer,
                done,
            }),
        })
    }

    /// Runs `op` on the writer thread, flushes, and returns its result once it is on disk.
    ///
    /// `op` runs after every write queued before it and before every write queued after it, so
    /// it may read, decide and write without a race. If the flush fails the result is an error
    /// even when `op` succeeded: an acknowledged write is a durable one.
    pub async fn write<T, F>(&self, op: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> anyhow::Result<T> + Send + 'static,
    {
        self.write_observed(op, Queueing::RefuseWhenFull).await
    }

    /// [`Writer::write`], but a full queue is waited on (up to the write timeout) instead of
    /// refusing at once: for the store's own writes behind the token path (the single-use
    /// record's), which a burst of admin writes must not keep off the disk.
    pub async fn write_in_turn<T, F>(&self, op: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> anyhow::Result<T> + Send + 'static,
    {
        self.write_observed(op, Queueing::WaitForPlace).await
    }

    async fn write_observed<T, F>(&self, op: F, queueing: Queueing) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> anyhow::Result<T> + Send + 'static,
    {
        let Some(observer) = &self.inner.observer else {
            return self.write_unobserved(op, queueing).await;
        };
        let started = std::time::Instant::now();
        let result = self.write_unobserved(op, queueing).await;
        let failed = result
            .as_ref()
            .is_err_and(|e| e.downcast_ref::<StoreUnavailable>().is_some());
        observer.write_done(started.elapsed(), failed);
        result
    }

    /// `Err` once the writer thread has ended (a panic outside any job, in sled's flush say):
    /// every write would then fail until a restart.
    pub fn health(&self) -> anyhow::Result<()> {
        match self.inner.done.try_recv() {
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                Err(StoreUnavailable::new("the store writer has stopped").into())
            }
            _ => Ok(()),
        }
    }

    async fn write_unobserved<T, F>(&self, op: F, queueing: Queueing) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> anyhow::Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<anyhow::Result<T>>();
        let job: Job = Box::new(move || {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(op))
                .unwrap_or_else(|_| Err(anyhow!("a store write panicked")));
            Box::new(move |flushed: Result<(), Arc<str>>| {
                let result = match flushed {
                    Ok(()) => outcome,
                    Err(why) => {
                        // The job ran: its change is in sled's memory and may reach the disk
                        // with a later flush.
                        Err(StoreUnavailable::unconfirmed(format!("flushing failed: {why}")).into())
                    }
                };
                let _ = tx.send(result);
            })
        });
        let jobs = self
            .inner
            .jobs
            .as_ref()
            .ok_or_else(|| StoreUnavailable::new("the store is closed"))?;
        match queueing {
            Queueing::RefuseWhenFull => match jobs.try_send(job) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    return Err(StoreUnavailable::new("too many writes are waiting").into());
                }
                Err(TrySendError::Disconnected(_)) => {
                    return Err(StoreUnavailable::new("the store writer has stopped").into());
                }
            },
            Queueing::WaitForPlace => {
                // A blocked sender is woken as soon as the writer takes a job; on a blocking
                // thread, so no async worker waits on the queue.
                let (jobs, timeout) = (jobs.clone(), self.inner.timeout);
                let sent = tokio::task::spawn_blocking(move || jobs.send_timeout(job, timeout))
                    .await
                    .map_err(|_| StoreUnavailable::new("waiting for the writer's queue failed"))?;
                match sent {
                    Ok(()) => {}
                    Err(SendTimeoutError::Timeout(_)) => {
                        return Err(StoreUnavailable::new(format!(
                            "no place in the writer's queue within {} s",
                            timeout.as_secs()
                        ))
                        .into());
                    }
                    Err(SendTimeoutError::Disconnected(_)) => {
                        return Err(StoreUnavailable::new("the store writer has stopped").into());
                    }
                }
            }
        }
        match tokio::time::timeout(self.inner.timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => {
                Err(StoreUnavailable::unconfirmed("the store writer dropped a write").into())
            }
            Err(_) => Err(StoreUnavailable::unconfirmed(format!(
                "the write was not confirmed within {} s; it may still be applied",
                self.inner.timeout.as_secs()
            ))
            .into()),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has written what is queued; wait a little
        // for it so a new store can open the same files, but never hang a shutdown on a disk.
        drop(self.jobs.take());
        let _ = self.done.recv_timeout(Duration::from_secs(5));
    }
}

/// The thread: one batch at a time, one flush per batch.
fn run(db: &sled::Db, inbox: &Receiver<Job>) {
    while let Ok(first) = inbox.recv() {
        let mut acks = vec![first()];
        while acks.len() < MAX_BATCH {
            match inbox.try_recv() {
                Ok(job) => acks.push(job()),
                Err(_) => break,
            }
        }
        let flushed = db.flush().map(drop).map_err(|e| {
            tracing::error!(error = %e, writes = acks.len(), "flushing the database failed");
            Arc::<str>::from(e.to_string())
        });
        for ack in acks {
            ack(flushed.clone());
        }
    }
}

#[cfg(test)]
mod tests;
