//! Where signatures are computed: a dedicated thread pool, tokio's blocking pool, or inline.
//!
//! An RSA-2048 signature costs ~250 µs of CPU. Computed on a tokio worker it stalls every other
//! connection on that worker for that long; handed to other threads, the workers stay free for
//! I/O. Which hand-off is cheapest on this machine is measured in `docs/benchmarks.md`.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use anyhow::anyhow;

use crate::domain::OAuthError;

/// Signatures waiting or running at once unless configured (`signing_queue`): at the ~7k RSA
/// signatures/s of two cores, the last of them waits ~0.3 s. Beyond it a token request is
/// refused at once with 503 rather than queued without limit.
pub const DEFAULT_SIGNING_QUEUE: usize = 2048;

/// How [`SignerPool`] runs a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignerMode {
    /// On dedicated `signer-N` threads fed by one queue (the settings' default with the shared
    /// I/O model; with `per-thread`, the default, it is [`Self::Inline`]).
    #[default]
    Pool,
    /// On tokio's blocking pool (`spawn_blocking`).
    Blocking,
    /// On the calling task's thread: no hand-off, but it blocks that I/O worker (what the
    /// `per-thread` I/O model wants: each thread signs what it read).
    Inline,
}

impl SignerMode {
    /// The name the settings use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pool => "pool",
            Self::Blocking => "blocking",
            Self::Inline => "inline",
        }
    }
}

impl FromStr for SignerMode {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pool" => Ok(Self::Pool),
            "blocking" => Ok(Self::Blocking),
            "inline" => Ok(Self::Inline),
            other => Err(anyhow!(
                "unknown signer mode {other:?}: pool, blocking or inline"
            )),
        }
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs CPU-bound signing work off the I/O workers. Cheap to share; the threads stop when the
/// pool is dropped.
pub struct SignerPool {
    mode: SignerMode,
    queue: Option<crossbeam_channel::Sender<Job>>,
    /// Signatures admitted and not yet done, in every mode.
    depth: Arc<AtomicUsize>,
    bound: usize,
    refused: AtomicU64,
}

impl std::fmt::Debug for SignerPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignerPool")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Default for SignerPool {
    fn default() -> Self {
        Self::inline()
    }
}

impl SignerPool {
    /// Signs on the caller's thread.
    pub fn inline() -> Self {
        Self::with_queue(SignerMode::Inline, None)
    }

    fn with_queue(mode: SignerMode, queue: Option<crossbeam_channel::Sender<Job>>) -> Self {
        Self {
            mode,
            queue,
            depth: Arc::new(AtomicUsize::new(0)),
            bound: DEFAULT_SIGNING_QUEUE,
            refused: AtomicU64::new(0),
        }
    }

    /// Admits at most `bound` signatures at once (at least one); more are refused with 503.
    pub fn with_bound(mut self, bound: usize) -> Self {
        self.bound = bound.max(1);
        self
    }

    /// A pool in `mode`; `Pool` starts `threads` threads (at least one).
    pub fn new(mode: SignerMode, threads: usize) -> anyhow::Result<Self> {
        if mode != SignerMode::Pool {
            return Ok(Self::with_queue(mode, None));
        }
        // One multi-consumer queue for all threads, so a free thread takes the next job. A
        // `Mutex<mpsc::Receiver>` did the same with a lock hand-off per job: 6.7 context switches
        // per token instead of ~2 (docs/benchmarks.md).
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("signer-{i}"))
                .spawn(move || {
                    while let Ok(job) = rx.recv() {
                        job();
                    }
                })?;
        }
        Ok(Self::with_queue(mode, Some(tx)))
    }

    pub fn mode(&self) -> SignerMode {
        self.mode
    }

    /// Signatures waiting or running now.
    pub fn depth(&self) -> usize {
        self.depth.load(Ordering::Relaxed)
    }

    /// The most signatures admitted at once.
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Signatures refused because `bound` were already admitted, since start.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Runs `work` where this pool runs signatures and returns its result; with `bound`
    /// signatures already waiting or running, refuses at once with `temporarily_unavailable`.
    pub async fn run<T, F>(&self, work: F) -> Result<T, OAuthError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _slot = self.admit()?;
        Ok(self.dispatch(work).await?)
    }

    fn admit(&self) -> Result<Slot, OAuthError> {
        if self.depth.fetch_add(1, Ordering::Relaxed) >= self.bound {
            self.depth.fetch_sub(1, Ordering::Relaxed);
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(OAuthError::TemporarilyUnavailable {
                retry_after_secs: 1,
            });
        }
        Ok(Slot(self.depth.clone()))
    }

    async fn dispatch<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        match (&self.queue, self.mode) {
            (Some(queue), _) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                let job: Job = Box::new(move || {
                    let _ = tx.send(work());
                });
                queue
                    .send(job)
                    .map_err(|_| anyhow!("the signing pool has stopped"))?;
                rx.await
                    .map_err(|_| anyhow!("a signing thread dropped its job"))
            }
            (None, SignerMode::Blocking) => Ok(tokio::task::spawn_blocking(work).await?),
            (None, _) => {
                // Let every request already read on this thread be admitted before this one
                // signs, so the admitted count is the thread's real backlog and the bound
                // refuses work that would wait, not only work that runs.
                tokio::task::yield_now().await;
                Ok(work())
            }
        }
    }
}

/// One admitted signature; leaves the count when dropped, also when its request is cancelled.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_mode_returns_the_work_s_result() {
        for mode in [SignerMode::Pool, SignerMode::Blocking, SignerMode::Inline] {
            let pool = SignerPool::new(mode, 2).unwrap();
            let results: Vec<u32> = futures_join(&pool).await;
            assert_eq!(results, (0..8).map(|i| i * 2).collect::<Vec<_>>());
        }
    }

    async fn futures_join(pool: &SignerPool) -> Vec<u32> {
        let mut out = Vec::new();
        for i in 0..8u32 {
            out.push(pool.run(move || i * 2).await.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn signatures_beyond_the_bound_are_refused_at_once_and_counted() {
        let pool = std::sync::Arc::new(SignerPool::new(SignerMode::Pool, 1).unwrap().with_bound(2));
        let (release, wait) = crossbeam_channel::bounded::<()>(0);
        let mut held = Vec::new();
        for _ in 0..2 {
            let (pool, wait) = (pool.clone(), wait.clone());
            held.push(tokio::spawn(async move {
                pool.run(move || wait.recv().is_ok()).await
            }));
        }
        while pool.depth() < 2 {
            tokio::task::yield_now().await;
        }
        let refused = pool.run(|| true).await;
        assert!(matches!(
            refused,
            Err(OAuthError::TemporarilyUnavailable {
                retry_after_secs: 1
            })
        ));
        assert_eq!(pool.refused(), 1);
        release.send(()).unwrap();
        release.send(()).unwrap();
        for h in held {
            assert!(h.await.unwrap().unwrap());
        }
        assert_eq!(pool.depth(), 0);
        assert!(pool.run(|| true).await.unwrap());
    }
}
