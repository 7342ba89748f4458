//! argon2id password hashing on a bounded pool of blocking threads behind a bounded queue, so
//! logins can neither starve the async workers that serve client-credentials tokens nor pile up.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use argon2::Params;
use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::UserSettings;
use super::argon::{self, Blocks};
use super::names::{NewPassword, PresentedPassword};
use super::stored;
use crate::domain::OAuthError;

/// How long argon2's memory is kept after the last hash: a burst of logins reuses it (a fresh
/// mapping costs page faults, up to as much as the hash itself); an idle server gives it back.
const KEEP_MEMORY: Duration = Duration::from_secs(10);
/// What `Retry-After` assumes one hash takes before the first has been timed (argon2id at the
/// default 19 MiB, 2 passes takes ~30–60 ms on one core of current servers).
const GUESSED_HASH_MICROS: u64 = 100_000;

/// Hashes and checks passwords. At most `concurrency` hashes run at once, each on a blocking
/// thread, and at most `queue` more wait for a turn, each at most `wait`; anything beyond is
/// refused at once with [`Busy`].
#[derive(Clone)]
pub struct PasswordHasher {
    pool: Arc<Pool>,
}

struct Pool {
    params: Params,
    /// Turns handed out or waited for: `concurrency + queue` permits, never waited on.
    admitted: Arc<Semaphore>,
    /// Turns running: `concurrency` permits.
    running: Arc<Semaphore>,
    concurrency: usize,
    capacity: usize,
    wait: Duration,
    /// argon2 memory of finished turns, for the next ones.
    spare: Mutex<Spare>,
    keep: Duration,
    /// An exponential average of recent hash times, for `Retry-After`; 0 until the first hash.
    hash_micros: AtomicU64,
    /// A hash of a random password with the configured parameters: an unknown user's login is
    /// checked against it, so it costs what a known user's wrong password costs.
    dummy: String,
}

/// The queue is full, or the turn did not come within the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub retry_after_secs: u64,
}

impl From<Busy> for OAuthError {
    fn from(busy: Busy) -> Self {
        OAuthError::TemporarilyUnavailable {
            retry_after_secs: busy.retry_after_secs,
        }
    }
}

impl PasswordHasher {
    /// Builds the pool and the dummy hash (no hashing: see [`argon::unmatchable`]).
    pub fn new(settings: &UserSettings) -> anyhow::Result<Self> {
        let params = Params::new(
            settings.argon2_m_cost,
            settings.argon2_t_cost,
            settings.argon2_p_cost,
            None,
        )
        .map_err(|e| anyhow!("invalid argon2 parameters: {e}"))?;
        let concurrency = settings.hash_threads();
        let wait = Duration::from_secs(settings.hash_queue_timeout_secs);
        Self::build(
            params,
            concurrency,
            settings.hash_waiting(),
            wait,
            KEEP_MEMORY,
        )
    }

    fn build(
        params: Params,
        concurrency: usize,
        queue: usize,
        wait: Duration,
        keep: Duration,
    ) -> anyhow::Result<Self> {
        let dummy = argon::unmatchable(&params)?;
        let capacity = concurrency + queue;
        Ok(Self {
            pool: Arc::new(Pool {
                params,
                admitted: Arc::new(Semaphore::new(capacity)),
                running: Arc::new(Semaphore::new(concurrency)),
                concurrency,
                capacity,
                wait,
                spare: Mutex::new(Spare {
                    blocks: Vec::new(),
                    last_used: Instant::now(),
                    reaper: false,
                }),
                keep,
                hash_micros: AtomicU64::new(0),
                dummy,
            }),
        })
    }

    /// The PHC string (`$argon2id$v=19$m=...`) of a new password.
    pub async fn hash(&self, password: &NewPassword) -> Result<String, OAuthError> {
        let mut turn = self.permit().await?;
        let params = self.pool.params.clone();
        let password = password.expose().to_owned();
        turn.run(move |memory| argon::hash(&params, password.as_bytes(), memory))
            .await
            .map_err(OAuthError::Internal)
    }

    /// A turn on the pool: at once if a thread is free, else after the logins ahead of it, or
    /// [`Busy`] at once when the queue is full and after the deadline when the turn is late.
    ///
    /// A login holds its turn from its lockout check until its failure is counted, so parallel
    /// guesses cannot all slip past one check.
    pub async fn permit(&self) -> Result<HashPermit, Busy> {
        let pool = &self.pool;
        let admitted = pool.admitted.clone().try_acquire_owned();
        let admitted = admitted.map_err(|_| pool.busy())?;
        let running = tokio::time::timeout(pool.wait, pool.running.clone().acquire_owned());
        // The semaphores are never closed: an error can only be the deadline.
        let running = match running.await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) | Err(_) => return Err(pool.busy()),
        };
        let memory = lock(&pool.spare).blocks.pop();
        Ok(HashPermit {
            memory,
            pool: pool.clone(),
            _running: running,
            _admitted: admitted,
        })
    }

    /// Whether `password` matches `phc` (argon2id, or a Werkzeug hash imported from
    /// tokenleader, see [`stored`]); with `phc` absent (unknown user) the dummy hash is checked
    /// instead and the answer is `false`, after the same work.
    pub async fn verify(
        &self,
        turn: &mut HashPermit,
        phc: Option<&str>,
        password: &PresentedPassword,
    ) -> anyhow::Result<bool> {
        let known = phc.is_some();
        let phc = phc.unwrap_or(&self.pool.dummy).to_owned();
        let (raw, normalized) = (password.raw().to_owned(), password.expose().to_owned());
        let matched = turn
            .run(move |memory| stored::matches(&phc, &raw, &normalized, memory))
            .await?;
        Ok(known && matched)
    }

    /// The argon2id PHC string of a password that has just been checked, on the same turn: what
    /// replaces an imported Werkzeug hash. No length policy: the user chose it under
    /// tokenleader's rules, and the next change of password applies today's.
    pub async fn rehash(
        &self,
        turn: &mut HashPermit,
        password: &PresentedPassword,
    ) -> anyhow::Result<String> {
        let params = self.pool.params.clone();
        let password = password.expose().to_owned();
        turn.run(move |memory| argon::hash(&params, password.as_bytes(), memory))
            .await
    }
}

impl Pool {
    /// Refused: retry once the turns admitted now have run, by the recent time per hash.
    fn busy(&self) -> Busy {
        let queued = (self.capacity - self.admitted.available_permits()).max(1) as u64;
        let micros = match self.hash_micros.load(Ordering::Relaxed) {
            0 => GUESSED_HASH_MICROS,
            measured => measured,
        };
        let drain = (queued * micros).div_ceil(self.concurrency.max(1) as u64 * 1_000_000);
        Busy {
            retry_after_secs: drain.clamp(1, 60),
        }
    }
}

/// A turn on the hashing pool, with argon2's working memory; the turn ends when it is dropped.
pub struct HashPermit {
    memory: Option<Blocks>,
    pool: Arc<Pool>,
    _running: OwnedSemaphorePermit,
    _admitted: OwnedSemaphorePermit,
}

impl HashPermit {
    /// Runs one hash on a blocking thread with this turn's memory.
    async fn run<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut Blocks) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let mut memory = self.memory.take().unwrap_or_else(Blocks::new);
        let (outcome, memory, took) = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let outcome = work(&mut memory);
            (outcome, memory, started.elapsed())
        })
        .await
        .context("a password hash task failed")?;
        self.memory = Some(memory);
        let average = &self.pool.hash_micros;
        let average_now = match average.load(Ordering::Relaxed) {
            0 => micros(took).max(1),
            old => old.saturating_mul(7).saturating_add(micros(took)) / 8,
        };
        average.store(average_now, Ordering::Relaxed);
        outcome
    }
}

impl Drop for HashPermit {
    /// The memory is kept for the next turn, up to one per thread, and given back to the system
    /// once no hash has run for `keep` (it was mapped on its own, see `argon`).
    fn drop(&mut self) {
        let Some(memory) = self.memory.take() else {
            return;
        };
        let Ok(runtime) = Handle::try_current() else {
            return;
        };
        let mut spare = lock(&self.pool.spare);
        spare.last_used = Instant::now();
        if spare.blocks.len() < self.pool.concurrency {
            spare.blocks.push(memory);
        }
        if !spare.reaper {
            spare.reaper = true;
            runtime.spawn(release_when_idle(Arc::downgrade(&self.pool)));
        }
    }
}

/// Memory of finished turns, and whether a task is due to release it.
struct Spare {
    blocks: Vec<Blocks>,
    last_used: Instant,
    reaper: bool,
}

/// Waits until no hash has finished for `keep`, then drops the spare memory.
async fn release_when_idle(pool: Weak<Pool>) {
    while let Some(left) = release_if_idle(&pool) {
        tokio::time::sleep(left).await;
    }
}

/// Drops the spare memory if it has been idle for `keep` (or the pool is gone); otherwise how
/// much longer to wait.
fn release_if_idle(pool: &Weak<Pool>) -> Option<Duration> {
    let pool = pool.upgrade()?;
    let released = {
        let mut spare = lock(&pool.spare);
        let left = pool.keep.saturating_sub(spare.last_used.elapsed());
        if !left.is_zero() {
            return Some(left);
        }
        spare.reaper = false;
        std::mem::take(&mut spare.blocks)
    };
    drop(released);
    None
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// A poisoned lock only means another thread panicked while moving a buffer: keep going.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
