//! The DPoP proofs a service has accepted, each until it is too old to be accepted again: a
//! replayed proof is refused, and when the bound is reached new proofs are refused rather than
//! old ones forgotten (forgetting would let a captured proof through).

use std::collections::HashMap;
use std::sync::Mutex;

/// What offering a proof's identifier came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Not seen before: held until its expiry.
    First,
    /// Seen before and not expired.
    Replayed,
    /// As many live proofs are held as the bound allows.
    Full,
}

/// Proof identifiers (`jkt` + `jti`) with their expiry, Unix seconds; at most `bound` held.
pub(crate) struct ReplayCache {
    bound: usize,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    until: HashMap<String, u64>,
    /// When expired entries were last swept: at most once a second, so a full cache under
    /// load costs one pass over it per second, not one per request.
    swept_at: Option<u64>,
}

impl ReplayCache {
    pub(crate) fn new(bound: usize) -> Self {
        Self {
            bound,
            held: Mutex::new(Held::default()),
        }
    }

    /// Records `id` until `expires` unless it is held unexpired at `now`. Expired entries are
    /// swept only when the bound is reached, so the common path is one hash insert.
    pub(crate) fn first_use(&self, id: String, expires: u64, now: u64) -> Seen {
        // A poisoned lock only means another request panicked mid-insert; the map is intact.
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let held = &mut *held;
        if held.until.get(&id).is_some_and(|&until| until >= now) {
            return Seen::Replayed;
        }
        if held.until.len() >= self.bound {
            if held.swept_at != Some(now) {
                held.until.retain(|_, until| *until >= now);
                held.swept_at = Some(now);
            }
            if held.until.len() >= self.bound {
                return Seen::Full;
            }
        }
        held.until.insert(id, expires);
        Seen::First
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_is_accepted_once_until_it_expires() {
        let cache = ReplayCache::new(10);
        assert_eq!(cache.first_use("a".into(), 100, 50), Seen::First);
        assert_eq!(cache.first_use("a".into(), 100, 99), Seen::Replayed);
        assert_eq!(cache.first_use("a".into(), 200, 101), Seen::First);
    }

    #[test]
    fn a_full_cache_refuses_new_proofs_until_old_ones_expire() {
        let cache = ReplayCache::new(2);
        assert_eq!(cache.first_use("a".into(), 100, 0), Seen::First);
        assert_eq!(cache.first_use("b".into(), 200, 0), Seen::First);
        assert_eq!(cache.first_use("c".into(), 300, 50), Seen::Full);
        assert_eq!(
            cache.first_use("a".into(), 100, 50),
            Seen::Replayed,
            "not forgotten"
        );
        assert_eq!(
            cache.first_use("c".into(), 300, 150),
            Seen::First,
            "a expired"
        );
    }
}
