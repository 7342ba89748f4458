//! Readiness: whether this instance should be sent requests now, and if not, why. Liveness is
//! not asked here: a process that answers at all is alive, and restarting it cures neither a
//! database out of reach nor a stop under way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::ports::ClientStore;

/// Why an instance should not be sent requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// A stop has begun: what is in flight is finished, nothing new should come.
    Stopping,
    /// The store would refuse the token path or every write; the store's own words (never a
    /// secret: the URL is not in them).
    Store(String),
}

impl NotReady {
    /// A stable code for machines (probes, dashboards).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Stopping => "stopping",
            Self::Store(_) => "store_unavailable",
        }
    }

    /// A sentence for people.
    pub fn description(&self) -> &str {
        match self {
            Self::Stopping => "the instance is shutting down",
            Self::Store(why) => why,
        }
    }
}

/// What readiness depends on: the stop, and the store every token request reads.
pub struct Readiness {
    stopping: AtomicBool,
    store: Arc<dyn ClientStore>,
}

impl Readiness {
    pub fn new(store: Arc<dyn ClientStore>) -> Self {
        Self {
            stopping: AtomicBool::new(false),
            store,
        }
    }

    /// From now on the instance is not ready: a stop signal arrived.
    pub fn begin_stopping(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    /// `Ok` while a token request would be served (load aside: a full signing queue refuses
    /// one request, not the instance).
    pub fn check(&self) -> Result<(), NotReady> {
        if self.stopping.load(Ordering::Relaxed) {
            return Err(NotReady::Stopping);
        }
        self.store
            .health()
            .map_err(|e| NotReady::Store(format!("{e:#}")))
    }
}
