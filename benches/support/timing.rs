//! Timing for the one-thread benches (`keys`, `proofs`): calls in rounds, medians.

use std::time::{Duration, Instant};

/// Calls `f` for `round` (in batches of 16, so the clock is read rarely) and returns µs per
/// call.
pub fn micros(round: Duration, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < round {
        for _ in 0..16 {
            f();
        }
        n += 16;
    }
    start.elapsed().as_secs_f64() * 1e6 / n as f64
}

/// The median of `v` (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
