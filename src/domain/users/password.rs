//! argon2id password hashing on a bounded pool of blocking threads behind bounded queues (an
//! ordinary lane and a costly one, see [`super::lanes`]), so logins can neither starve the async
//! workers that serve client-credentials tokens nor pile up, and costly imported hashes cannot
//! starve ordinary logins.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use argon2::Params;
use tokio::runtime::Handle;

use super::UserSettings;
use super::argon::{self, Blocks};
pub use super::lanes::Busy;
use super::lanes::{Lane, Refused, Turn, lock};
use super::names::{NewPassword, PresentedPassword};
use super::stored::{self, Cost};
use crate::domain::OAuthError;

/// How long argon2's memory is kept after the last hash: a burst of logins reuses it (a fresh
/// mapping costs page faults, up to as much as the hash itself); an idle server gives it back.
const KEEP_MEMORY: Duration = Duration::from_secs(10);
/// What `Retry-After` assumes one hash takes before the first has been timed: argon2id at the
/// default 19 MiB, 2 passes takes ~30–60 ms on one core of current servers; the costliest
/// imported hash accepted (`pbkdf2:sha512:1000000`) ~0.6 s.
const GUESSED_HASH: Duration = Duration::from_millis(100);
const GUESSED_COSTLY_HASH: Duration = Duration::from_secs(1);

/// Hashes and checks passwords. In the ordinary lane at most `concurrency` hashes run at once,
/// each on a blocking thread, and at most `queue` more wait for a turn, each at most `wait`;
/// anything beyond is refused at once with [`Busy`]. The costly lane is the same, smaller, and
/// admits one check per user at a time.
#[derive(Clone)]
pub struct PasswordHasher {
    pool: Arc<Pool>,
}

struct Pool {
    params: Params,
    ordinary: Arc<Lane>,
    costly: Arc<Lane>,
    /// argon2 memory of finished turns, for the next ones.
    spare: Mutex<Spare>,
    keep: Duration,
    /// A hash of a random password with the configured parameters: an unknown user's login is
    /// checked against it, so it costs what a known user's wrong password costs.
    dummy: String,
}

/// How many costly checks may wait per costly-lane thread: each takes up to ~0.6 s, so a turn
/// still comes within a few seconds.
const COSTLY_WAITING_PER_THREAD: usize = 4;

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
        let wait = Duration::from_secs(settings.hash_queue_timeout_secs);
        let ordinary = Lane::new(
            settings.hash_threads(),
            settings.hash_waiting(),
            wait,
            GUESSED_HASH,
            false,
        );
        let costly_threads = settings.costly_hash_threads();
        let costly = Lane::new(
            costly_threads,
            COSTLY_WAITING_PER_THREAD * costly_threads,
            wait,
            GUESSED_COSTLY_HASH,
            true,
        );
        Self::build(params, ordinary, costly, KEEP_MEMORY)
    }

    fn build(
        params: Params,
        ordinary: Arc<Lane>,
        costly: Arc<Lane>,
        keep: Duration,
    ) -> anyhow::Result<Self> {
        let dummy = argon::unmatchable(&params)?;
        Ok(Self {
            pool: Arc::new(Pool {
                params,
                ordinary,
                costly,
                spare: Mutex::new(Spare {
                    blocks: Vec::new(),
                    last_used: Instant::now(),
                    reaper: false,
                }),
                keep,
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

    /// A turn in the ordinary lane: at once if a thread is free, else after the logins ahead of
    /// it, or [`Busy`] at once when the queue is full and after the deadline when the turn is late.
    ///
    /// A login holds its turn from its lockout check until its failure is counted, so parallel
    /// guesses cannot all slip past one check.
    pub async fn permit(&self) -> Result<HashPermit, Busy> {
        self.permit_for(Cost::Ordinary, "")
            .await
            .map_err(|refused| match refused {
                Refused::Busy(busy) => busy,
                Refused::InFlight { retry_after_secs } => Busy { retry_after_secs },
            })
    }

    /// A turn in the lane of a check that costs `cost`, for `user`: a costly one is also
    /// refused at once while `user` holds a turn in that lane.
    pub async fn permit_for(&self, cost: Cost, user: &str) -> Result<HashPermit, Refused> {
        let pool = &self.pool;
        let turn = match cost {
            Cost::Ordinary => pool.ordinary.turn(None).await?,
            Cost::Costly => pool.costly.turn(Some(user)).await?,
        };
        let memory = lock(&pool.spare).blocks.pop();
        Ok(HashPermit {
            memory,
            pool: pool.clone(),
            turn,
        })
    }

    /// Whether `password` matches `phc` (argon2id, or a Werkzeug hash imported from
    /// tokenleader, see [`stored`]), checked once; with `phc` absent (unknown user) the dummy
    /// hash is checked instead and the answer is `false`, after the same work.
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

/// A turn on the hashing pool, with argon2's working memory; the turn ends when it is dropped.
pub struct HashPermit {
    memory: Option<Blocks>,
    pool: Arc<Pool>,
    turn: Turn,
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
        self.turn.holder.lane.timed(took);
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
        if spare.blocks.len() < self.pool.ordinary.concurrency {
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

#[cfg(test)]
mod tests;
