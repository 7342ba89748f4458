//! Giving freed memory back to the system after a burst (glibc's `malloc_trim`).
//!
//! Why: glibc keeps what the process freed in its arenas and returns only the top of each heap;
//! one allocation still live above a freed region keeps the whole region resident. A flood of
//! stalled HTTP/2 streams (10 connections × 200) left 23–28 MiB resident for good after every
//! stream had ended, 4.7 MiB after `malloc_trim(0)`, which also returns the free pages in the
//! middle of every arena (`docs/operations.md`, Connections).
//!
//! Why on a timer: the resident set does not fall when memory is freed, so nothing cheap tells
//! that a burst is over. A trim with little to return costs a fraction of a millisecond (the
//! free lists walked, each arena locked meanwhile); one after a burst, tens of milliseconds
//! once. Every few seconds from a thread of its own, that is noise beside a signature.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How often freed memory is given back.
const EVERY: Duration = Duration::from_secs(5);
/// A trim that gave back at least this much (KiB) is logged, at debug level.
const WORTH_LOGGING_KIB: u64 = 1024;

/// Starts the trimming thread; it ends within [`EVERY`] of `stopping`.
pub(super) fn release_after_bursts(stopping: CancellationToken) {
    let spawned = std::thread::Builder::new()
        .name("memory-trim".into())
        .spawn(move || {
            while !stopping.is_cancelled() {
                std::thread::sleep(EVERY);
                let before = resident_kib();
                if trim() {
                    let after = resident_kib();
                    if before.saturating_sub(after) >= WORTH_LOGGING_KIB {
                        tracing::debug!(
                            before_kib = before,
                            after_kib = after,
                            "freed memory given back"
                        );
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "freed memory is not given back: could not start its thread");
    }
}

/// `VmRSS` of this process in KiB; 0 if unknown.
pub fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Whether glibc gave anything back.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() -> bool {
    // SAFETY: malloc_trim takes no pointer and touches only glibc's own free lists, under the
    // arena locks every allocation takes too (MT-Safe per malloc_trim(3)).
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Other allocators (musl's, say) unmap freed blocks themselves: nothing to ask.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resident_set_is_read_from_proc() {
        assert!(resident_kib() > 0);
        let _ = trim();
    }
}
