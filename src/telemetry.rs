//! Logging (`tracing` to stderr, filtered by `RUST_LOG`, default `info`), and the handles of the
//! metrics and the audit trail that the storage and the edge share; the domain's events port
//! ([`crate::domain::events::Events`]) is implemented here, over both (`events.rs`).

pub mod audit;
mod events;
mod labels;
pub mod metrics;
pub mod throttle;

use std::sync::Arc;

pub use audit::{Actor, AuditEvent, AuditRecord, AuditSink, AuditTrail, Outcome};
pub use metrics::{Metrics, StoreObserver};

/// What the dealer reports about itself: its metrics and its audit trail, one of each per
/// application, and the throttles of the warnings the domain's events raise. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Telemetry {
    pub metrics: Arc<Metrics>,
    pub audit: AuditTrail,
    warnings: Arc<events::Warnings>,
}

impl Default for Telemetry {
    /// Metrics no listener serves and an audit trail kept in memory only.
    fn default() -> Self {
        let metrics = Arc::new(Metrics::default());
        Self {
            audit: AuditTrail::in_memory(metrics.clone()),
            metrics,
            warnings: Arc::default(),
        }
    }
}

impl Telemetry {
    /// One registry per application (tests run many in one process, each counting only its
    /// own), over the route table's `routes`; the audit trail also written to `audit_log` if set.
    pub fn for_settings(settings: &crate::Settings, routes: &[String]) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::new(routes));
        let audit = match &settings.audit_log {
            Some(path) => AuditTrail::writing_to(AuditSink::parse(path), metrics.clone())?,
            None => AuditTrail::in_memory(metrics.clone()),
        };
        Ok(Self {
            metrics,
            audit,
            warnings: Arc::default(),
        })
    }
}

use tracing::Level;
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::prelude::*;

/// Dependencies whose debug and trace output can carry stored records (sled logs the values it
/// writes, tokio-postgres a statement's parameters: password hashes, secret digests) or request
/// bytes. Their events above `info` are dropped whatever `RUST_LOG` says, so no level lets those
/// bytes reach the log.
const CAPPED: [&str; 9] = [
    "sled",
    "hyper",
    "h2",
    "reqwest",
    "tokio_postgres",
    "postgres_protocol",
    "deadpool_postgres",
    "rustls",
    "tokio_rustls",
];

/// Whether an event of `target` at `level` may be logged at all.
fn allowed(target: &str, level: Level) -> bool {
    let capped = CAPPED
        .iter()
        .any(|c| target == *c || target.strip_prefix(c).is_some_and(|r| r.starts_with("::")));
    !capped || level <= Level::INFO
}

/// Installs the global subscriber once; later calls are ignored (tests call it many times).
///
/// Both filters are global, not per-layer: a disabled span or event is then refused at its
/// callsite, and an enabled request span costs no per-layer filter bookkeeping on every enter and
/// exit (it is entered on each poll of every request).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal: a log file or journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(filter_fn(|meta| allowed(meta.target(), *meta.level())))
        .with(layer)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_and_wire_crates_never_log_below_info() {
        assert!(!allowed("sled::tree", Level::TRACE));
        assert!(!allowed("sled", Level::DEBUG));
        assert!(!allowed("tokio_postgres::query", Level::DEBUG));
        assert!(!allowed("tokio_postgres", Level::TRACE));
        assert!(!allowed("h2::codec", Level::DEBUG));
        assert!(allowed("sled::pagecache", Level::WARN));
        assert!(allowed("tokendealer::startup", Level::TRACE));
        assert!(allowed("sledgehammer", Level::TRACE));
    }
}
