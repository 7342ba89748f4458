//! Repeated warnings at most once per interval: a peer that makes the server warn on every
//! request (a full connection cap, a client at its revocation bound) cannot flood the log.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The same warning at most this often.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// Says when a repeated event is worth a log line again, and how many went unlogged meanwhile.
#[derive(Debug, Default)]
pub struct Throttled {
    last: Option<Instant>,
    unlogged: u64,
}

impl Throttled {
    /// `Some(skipped)` if a line is due at `now` (with how many were skipped since the last).
    pub fn due(&mut self, now: Instant) -> Option<u64> {
        if self.last.is_some_and(|t| now - t < LOG_EVERY) {
            self.unlogged += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.unlogged))
    }
}

/// [`Throttled`] shared between threads.
#[derive(Debug, Default)]
pub struct SharedThrottle(Mutex<Throttled>);

impl SharedThrottle {
    pub fn due(&self, now: Instant) -> Option<u64> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .due(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_warning_is_logged_once_per_interval_with_the_count_it_skipped() {
        let mut log = Throttled::default();
        let start = Instant::now();
        assert_eq!(log.due(start), Some(0));
        assert_eq!(log.due(start + Duration::from_secs(1)), None);
        assert_eq!(log.due(start + LOG_EVERY / 2), None);
        assert_eq!(log.due(start + LOG_EVERY), Some(2));
        assert_eq!(log.due(start + LOG_EVERY), None);
    }
}
