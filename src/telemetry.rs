//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`).

use tracing::Level;
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::prelude::*;

/// Dependencies whose debug and trace output can carry stored records (sled logs the values it
/// writes: password hashes, secret digests) or request bytes. Their events above `info` are
/// dropped whatever `RUST_LOG` says, so no level lets those bytes reach the log.
const CAPPED: [&str; 4] = ["sled", "hyper", "h2", "reqwest"];

/// Whether an event of `target` at `level` may be logged at all.
fn allowed(target: &str, level: Level) -> bool {
    let capped = CAPPED
        .iter()
        .any(|c| target == *c || target.strip_prefix(c).is_some_and(|r| r.starts_with("::")));
    !capped || level <= Level::INFO
}

/// Installs the global subscriber once; later calls are ignored (tests call it many times).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal: a log file or journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter)
        .with_filter(filter_fn(|meta| allowed(meta.target(), *meta.level())));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_and_wire_crates_never_log_below_info() {
        assert!(!allowed("sled::tree", Level::TRACE));
        assert!(!allowed("sled", Level::DEBUG));
        assert!(!allowed("h2::codec", Level::DEBUG));
        assert!(allowed("sled::pagecache", Level::WARN));
        assert!(allowed("tokendealer::startup", Level::TRACE));
        assert!(allowed("sledgehammer", Level::TRACE));
    }
}
