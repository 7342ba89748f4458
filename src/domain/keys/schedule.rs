//! The key schedule as a pure function: given the stored records and `now`, what changes.
//!
//! Per algorithm a key goes **next** (published, not signing, with a due time) → **active**
//! (signs) → **retiring** (published until every token it signed has expired) → **retired**
//! (out of the JWKS, private key deleted). The stored records are the whole state: a restart,
//! or another instance taking over, recomputes the same plan from them and the clock.

use std::collections::BTreeMap;

use super::{Algorithms, KeyRecord, KeyState, SigningAlg};
use crate::domain::UnixTime;

/// The leeway of the dealer's own verifier library (`tokendealer-client`): it accepts a token
/// this long past its `exp`, so a key stays published that much longer.
pub const VERIFIER_LEEWAY_SECS: u64 = 30;

/// How much earlier than `prepublish` a scheduled key is made: the clock is read in whole
/// seconds (up to 1 s lost) and generating and storing a key takes time (up to 1 s more), and
/// neither may shorten its time in the JWKS before it signs.
pub const PUBLISH_MARGIN_SECS: u64 = 2;

/// Replaced keys of one algorithm that may still be verifying (in the key set) at once. Each
/// stays for the verification window (the longest token lifetime): a rotation at once that would
/// keep more is refused, so the JWKS every verifier fetches cannot grow without bound.
pub const MAX_REPLACED_KEYS: usize = 48;

/// Of those, the most the schedule alone may keep (`verify_window / rotation_period`, rounded
/// up): the rest is room for rotations at once.
pub const MAX_SCHEDULED_REPLACED_KEYS: u64 = 32;

/// The least default pre-publication, in seconds: Istio's istiod refetches a remote JWKS every
/// 20 minutes and never on an unknown `kid`, so a key must be in the JWKS longer than that before
/// it signs; 30 minutes leaves 10 for a slow or failed fetch (`docs/operations.md` lists each
/// verifier's refresh).
pub const MIN_DEFAULT_PREPUBLISH_SECS: u64 = 1800;

/// When keys change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// How long a key stays published after it stopped signing: the longest token lifetime
    /// plus [`VERIFIER_LEEWAY_SECS`].
    pub verify_window: u64,
    /// How long a key signs before the schedule replaces it; 0 = never.
    pub rotation_period: u64,
    /// How long a new key is in the JWKS before it signs.
    pub prepublish: u64,
    /// The algorithms that sign and get keys; another's keys only verify until they retire.
    pub algorithms: Algorithms,
}

impl KeyPolicy {
    /// No schedule: keys change only when asked, and a new key signs at once unless asked
    /// for through [`super::KeyManager::schedule_rotation`].
    pub fn manual(verify_window: u64) -> Self {
        Self {
            verify_window,
            rotation_period: 0,
            prepublish: 0,
            algorithms: Algorithms::ALL,
        }
    }

    /// When the active key `active` is due to be replaced, if ever.
    pub fn rotates_at(&self, active: &KeyRecord) -> Option<u64> {
        (self.rotation_period > 0)
            .then(|| active.signing_since().saturating_add(self.rotation_period))
    }
}

/// The `[keys]` table of the settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeySettings {
    /// How long a key signs before a new one replaces it, in seconds; 0 = never.
    pub rotation_period_secs: u64,
    /// How long a new key is in the JWKS before it signs; `None`: the larger of
    /// [`MIN_DEFAULT_PREPUBLISH_SECS`] and twice `jwks_max_age`.
    pub prepublish_secs: Option<u64>,
    /// The algorithms the dealer signs with and publishes keys for.
    pub algorithms: Algorithms,
}

impl Default for KeySettings {
    fn default() -> Self {
        Self {
            rotation_period_secs: 90 * 86_400,
            prepublish_secs: None,
            algorithms: Algorithms::ALL,
        }
    }
}

impl KeySettings {
    /// The pre-publication time: as set, else twice the JWKS's cache lifetime, so a verifier
    /// that fetched the JWKS just before the key appeared has refetched it, with time to spare
    /// — and never less than [`MIN_DEFAULT_PREPUBLISH_SECS`], for the verifiers that ignore
    /// `max-age` and refresh on a timer of their own.
    pub fn prepublish(&self, jwks_max_age: u64) -> u64 {
        self.prepublish_secs.unwrap_or(
            jwks_max_age
                .saturating_mul(2)
                .max(MIN_DEFAULT_PREPUBLISH_SECS),
        )
    }

    /// Refuses a pre-publication as long as the period: the next key would be due before
    /// it could be published.
    pub fn check(&self, jwks_max_age: u64) -> anyhow::Result<()> {
        let prepublish = self.prepublish(jwks_max_age);
        let period = self.rotation_period_secs;
        anyhow::ensure!(
            period == 0 || prepublish < period,
            "[keys] prepublish_secs ({prepublish}; by default the larger of \
             {MIN_DEFAULT_PREPUBLISH_SECS} and twice jwks_max_age) must be less than \
             rotation_period_secs ({period}): a new key is published that long before it signs"
        );
        Ok(())
    }
}

/// What one step of the schedule does.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Records whose state changed (promotions and retirements), as they are to be stored.
    pub changed: Vec<KeyRecord>,
    /// Keys retired by this step: their private keys go once the records are stored.
    pub retired: Vec<String>,
    /// Algorithms that need a new **next** key, each with the earliest time it may be due.
    pub generate: Vec<(SigningAlg, u64)>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.generate.is_empty()
    }
}

/// The schedule's step at `now`, for each algorithm of `policy.algorithms` (keys of another
/// algorithm are only retired, when their window has passed):
/// 1. each next key whose due time has come becomes active (activated at its due time, which
///    is when every instance began to sign with it), and the key it replaces starts retiring
///    from that same moment;
/// 2. a retiring key whose window has passed is retired;
/// 3. an algorithm whose active key is due within `prepublish` (+ the margin) and that has no
///    next key gets one, due when the active key is.
pub fn plan(records: &[KeyRecord], now: UnixTime, policy: &KeyPolicy) -> Plan {
    let now = now.as_secs();
    let mut work: BTreeMap<&str, KeyRecord> = records
        .iter()
        .map(|r| (r.kid.as_str(), r.clone()))
        .collect();
    let mut generate = Vec::new();
    for alg in policy.algorithms.iter() {
        let mut due_next: Vec<(u64, String)> = work
            .values()
            .filter(|r| r.alg == alg.as_str())
            .filter_map(|r| match r.state {
                KeyState::Next { due } if due <= now => Some((due, r.kid.clone())),
                _ => None,
            })
            .collect();
        due_next.sort();
        for (due, kid) in due_next {
            for r in work.values_mut().filter(|r| r.alg == alg.as_str()) {
                if r.state == KeyState::Active {
                    r.state = KeyState::Retiring {
                        since: due,
                        until: due.saturating_add(policy.verify_window),
                    };
                } else if r.kid == kid {
                    r.state = KeyState::Active;
                    r.activated_at = Some(due);
                }
            }
        }
        let has_next = work
            .values()
            .any(|r| r.alg == alg.as_str() && matches!(r.state, KeyState::Next { .. }));
        let rotates_at = work
            .values()
            .find(|r| r.alg == alg.as_str() && r.state == KeyState::Active)
            .and_then(|active| policy.rotates_at(active));
        let lead = policy.prepublish.saturating_add(PUBLISH_MARGIN_SECS);
        if let Some(at) = rotates_at.filter(|at| !has_next && now.saturating_add(lead) >= *at) {
            generate.push((alg, at));
        }
    }
    let mut retired = Vec::new();
    for r in work.values_mut() {
        if matches!(r.state, KeyState::Retiring { until, .. } if until <= now) {
            r.state = KeyState::Retired { at: now };
            retired.push(r.kid.clone());
        }
    }
    let changed = records
        .iter()
        .filter_map(|old| {
            work.get(old.kid.as_str())
                .filter(|new| *new != old)
                .cloned()
        })
        .collect();
    Plan {
        changed,
        retired,
        generate,
    }
}

/// The due time of a key generated for `target` whose record was published by `published_by`:
/// never less than `prepublish` after it appeared in the JWKS.
pub fn due_time(target: u64, published_by: u64, policy: &KeyPolicy) -> u64 {
    target.max(published_by.saturating_add(policy.prepublish))
}

#[cfg(test)]
mod tests;
