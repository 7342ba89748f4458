//! Where signatures are computed: a dedicated thread pool, tokio's blocking pool, or inline.
//!
//! An RSA-2048 signature costs ~250 µs of CPU. Computed on a tokio worker it stalls every other
//! connection on that worker for that long; handed to other threads, the workers stay free for
//! I/O. Which hand-off is cheapest on this machine is measured in `docs/benchmarks.md`.

use std::str::FromStr;

use anyhow::anyhow;

/// How [`SignerPool`] runs a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignerMode {
    /// On dedicated `signer-N` threads fed by one queue (the default).
    #[default]
    Pool,
    /// On tokio's blocking pool (`spawn_blocking`).
    Blocking,
    /// On the calling task's thread: no hand-off, but it blocks that I/O worker.
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
        Self {
            mode: SignerMode::Inline,
            queue: None,
        }
    }

    /// A pool in `mode`; `Pool` starts `threads` threads (at least one).
    pub fn new(mode: SignerMode, threads: usize) -> anyhow::Result<Self> {
        if mode != SignerMode::Pool {
            return Ok(Self { mode, queue: None });
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
        Ok(Self {
            mode,
            queue: Some(tx),
        })
    }

    pub fn mode(&self) -> SignerMode {
        self.mode
    }

    /// Signatures waiting for a thread of the `pool` mode (0 in the other modes).
    pub fn queue_len(&self) -> usize {
        self.queue
            .as_ref()
            .map_or(0, crossbeam_channel::Sender::len)
    }

    /// Runs `work` where this pool runs signatures and returns its result.
    pub async fn run<T, F>(&self, work: F) -> anyhow::Result<T>
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
            (None, _) => Ok(work()),
        }
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
}
