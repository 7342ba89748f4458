//! The hashing pool's lanes: each a bounded number of hashes running and waiting, with a
//! deadline for the wait. Ordinary checks (argon2id, cheap imported hashes) and costly ones
//! (imported PBKDF2 hashes with many iterations) have a lane each, so a flood of costly checks
//! fills its own lane and never the one ordinary logins wait in; the costly lane also admits one
//! check per user at a time.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::lockout::user_key;
use crate::domain::OAuthError;

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

/// Why a login got no turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The lane's queue is full, or the turn did not come within the deadline.
    Busy(Busy),
    /// The same user already has a costly check admitted: refused at once, as a lockout is.
    InFlight { retry_after_secs: u64 },
}

/// One lane: `concurrency` hashes at once, `queue` more waiting, each at most `wait`.
pub(super) struct Lane {
    /// Turns handed out or waited for: `concurrency + queue` permits, never waited on.
    admitted: Arc<Semaphore>,
    /// Turns running: `concurrency` permits.
    running: Arc<Semaphore>,
    pub(super) concurrency: usize,
    capacity: usize,
    wait: Duration,
    /// What `Retry-After` assumes one hash takes before the first has been timed.
    guessed_micros: u64,
    /// An exponential average of recent hash times, for `Retry-After`; 0 until the first hash.
    hash_micros: AtomicU64,
    /// With `Some`, the users (by their lockout key) holding an admitted turn: one each.
    in_flight: Option<Mutex<HashSet<String>>>,
}

impl Lane {
    /// A lane; `one_per_user` admits at most one turn per user at a time.
    pub(super) fn new(
        concurrency: usize,
        queue: usize,
        wait: Duration,
        guessed: Duration,
        one_per_user: bool,
    ) -> Arc<Self> {
        let capacity = concurrency + queue;
        Arc::new(Self {
            admitted: Arc::new(Semaphore::new(capacity)),
            running: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            capacity,
            wait,
            guessed_micros: micros(guessed).max(1),
            hash_micros: AtomicU64::new(0),
            in_flight: one_per_user.then(|| Mutex::new(HashSet::new())),
        })
    }

    /// A turn: at once if a thread is free, else after the turns ahead of it; refused at once
    /// when the queue is full or `user` already holds a turn here, after the deadline when late.
    pub(super) async fn turn(self: &Arc<Self>, user: Option<&str>) -> Result<Turn, Refused> {
        let key = self.in_flight.as_ref().and(user).map(user_key);
        let in_flight = |key: &String| {
            let set = self.in_flight.as_ref().map(lock);
            set.is_some_and(|set| set.contains(key))
        };
        let refused = || Refused::InFlight {
            retry_after_secs: self.one_hash_secs(),
        };
        // A user's second check is refused as such, whether or not the lane has room.
        if key.as_ref().is_some_and(in_flight) {
            return Err(refused());
        }
        let admitted = self.admitted.clone().try_acquire_owned();
        let admitted = admitted.map_err(|_| Refused::Busy(self.busy()))?;
        // Named once admitted, so the set never holds more names than the lane has turns.
        if let (Some(set), Some(key)) = (&self.in_flight, &key)
            && !lock(set).insert(key.clone())
        {
            return Err(refused());
        }
        let holder = Holder {
            lane: self.clone(),
            user: key,
        };
        let running = tokio::time::timeout(self.wait, self.running.clone().acquire_owned());
        // The semaphores are never closed: an error can only be the deadline.
        let running = match running.await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) | Err(_) => return Err(Refused::Busy(self.busy())),
        };
        Ok(Turn {
            holder,
            _running: running,
            _admitted: admitted,
        })
    }

    /// Refused: retry once the turns admitted now have run, by the recent time per hash.
    pub(super) fn busy(&self) -> Busy {
        let queued = (self.capacity - self.admitted.available_permits()).max(1) as u64;
        let drain =
            (queued * self.hash_micros()).div_ceil(self.concurrency.max(1) as u64 * 1_000_000);
        Busy {
            retry_after_secs: drain.clamp(1, 60),
        }
    }

    /// Seconds one hash takes here, rounded up: when a user's check in flight is over.
    fn one_hash_secs(&self) -> u64 {
        self.hash_micros().div_ceil(1_000_000).clamp(1, 60)
    }

    fn hash_micros(&self) -> u64 {
        match self.hash_micros.load(Ordering::Relaxed) {
            0 => self.guessed_micros,
            measured => measured,
        }
    }

    /// Counts one hash's time into the average.
    pub(super) fn timed(&self, took: Duration) {
        let average = &self.hash_micros;
        let now = match average.load(Ordering::Relaxed) {
            0 => micros(took).max(1),
            old => old.saturating_mul(7).saturating_add(micros(took)) / 8,
        };
        average.store(now, Ordering::Relaxed);
    }
}

/// A turn on a lane; it ends, and its user may be admitted again, when it is dropped.
pub(super) struct Turn {
    pub(super) holder: Holder,
    _running: OwnedSemaphorePermit,
    _admitted: OwnedSemaphorePermit,
}

/// The lane a turn is on and the user it holds a place for.
pub(super) struct Holder {
    pub(super) lane: Arc<Lane>,
    user: Option<String>,
}

impl Drop for Holder {
    fn drop(&mut self) {
        if let (Some(set), Some(user)) = (&self.lane.in_flight, &self.user) {
            lock(set).remove(user);
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// A poisoned lock only means another thread panicked while editing a set of names: keep going.
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
