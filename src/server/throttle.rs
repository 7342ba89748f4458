//! Warnings about the accept loop (a full cap, failing accepts) at most once per interval, with
//! how many went unlogged: a flood of connections cannot flood the log. The transport's own copy
//! of the rule `telemetry::throttle` applies, so that it depends on nothing of the dealer.

use std::time::{Duration, Instant};

/// The same warning at most this often.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Says when a repeated event is worth a log line again, and how many went unlogged meanwhile.
#[derive(Debug, Default)]
pub(super) struct Throttled {
    last: Option<Instant>,
    unlogged: u64,
}

impl Throttled {
    /// `Some(skipped)` if a line is due at `now` (with how many were skipped since the last).
    pub(super) fn due(&mut self, now: Instant) -> Option<u64> {
        if self.last.is_some_and(|t| now - t < LOG_EVERY) {
            self.unlogged += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.unlogged))
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
