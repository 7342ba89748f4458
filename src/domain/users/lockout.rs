//! Login throttling: too many failures for one username, or from one address, within a window
//! lock further attempts out until the window ends. In memory, per process.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;

use super::UserSettings;
use crate::domain::UnixTime;
use crate::domain::events::LockedBy;

/// Failures counted since `since`; the count lapses when the window has passed.
#[derive(Debug, Clone, Copy)]
struct Window {
    since: UnixTime,
    failures: u32,
}

/// Failure counters for one kind of key, at most `capacity` of them.
#[derive(Debug)]
struct Counters<K> {
    map: HashMap<K, Window>,
    limit: u32,
}

impl<K: Hash + Eq + Clone> Counters<K> {
    fn retry_after(&self, key: &K, window: u64, now: UnixTime) -> Option<u64> {
        let w = self.map.get(key)?;
        let ends = w.since.plus(window);
        (w.failures >= self.limit && now < ends).then(|| ends.as_secs() - now.as_secs())
    }

    /// Counts a failure; `true` when it is the one that reaches the limit (a new lockout).
    fn fail(&mut self, key: &K, window: u64, capacity: usize, now: UnixTime) -> bool {
        if !self.map.contains_key(key) && self.map.len() >= capacity {
            self.evict(window, capacity, now);
        }
        let w = self.map.entry(key.clone()).or_insert(Window {
            since: now,
            failures: 0,
        });
        if now >= w.since.plus(window) {
            *w = Window {
                since: now,
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add(1);
        w.failures == self.limit
    }

    /// Drops lapsed windows; if that is not enough, a tenth of the table: counters still under
    /// the threshold, oldest first, and locked ones only when nothing else is left. A flood of
    /// new names costs its sender the oldest partial counts, never a lockout nor unbounded memory.
    fn evict(&mut self, window: u64, capacity: usize, now: UnixTime) {
        self.map.retain(|_, w| now < w.since.plus(window));
        if self.map.len() < capacity {
            return;
        }
        let excess = self.map.len() + 1 - capacity;
        let count = excess.max(capacity / 10).min(self.map.len());
        let mut order: Vec<(bool, UnixTime, K)> = self
            .map
            .iter()
            .map(|(k, w)| (w.failures >= self.limit, w.since, k.clone()))
            .collect();
        order.select_nth_unstable_by_key(count - 1, |(locked, since, _)| (*locked, *since));
        for (_, _, key) in order.iter().take(count) {
            self.map.remove(key);
        }
    }
}

/// Tracks failed logins by username and by source address.
#[derive(Debug)]
pub struct Lockout {
    window: u64,
    capacity: usize,
    users: Mutex<Counters<String>>,
    addresses: Mutex<Counters<IpAddr>>,
}

impl Lockout {
    pub fn new(settings: &UserSettings) -> Self {
        Self {
            window: settings.failure_window_secs,
            capacity: settings.max_tracked,
            users: Mutex::new(Counters {
                map: HashMap::new(),
                limit: settings.max_failures_per_user,
            }),
            addresses: Mutex::new(Counters {
                map: HashMap::new(),
                limit: settings.max_failures_per_address,
            }),
        }
    }

    /// Refuses an attempt while the username or the address is locked out, with the number of
    /// seconds until it may be retried.
    pub fn check(&self, username: &str, address: IpAddr, now: UnixTime) -> Result<(), u64> {
        let by_user = lock(&self.users).retry_after(&user_key(username), self.window, now);
        let by_addr = lock(&self.addresses).retry_after(&address_key(address), self.window, now);
        match by_user.max(by_addr) {
            Some(secs) => Err(secs.max(1)),
            None => Ok(()),
        }
    }

    /// Counts a failure for the username and the address; names those it has just locked out.
    pub fn record_failure(&self, username: &str, address: IpAddr, now: UnixTime) -> Vec<LockedBy> {
        let by_user = lock(&self.users).fail(&user_key(username), self.window, self.capacity, now);
        let by_addr =
            lock(&self.addresses).fail(&address_key(address), self.window, self.capacity, now);
        [(by_user, LockedBy::User), (by_addr, LockedBy::Address)]
            .into_iter()
            .filter_map(|(locked, by)| locked.then_some(by))
            .collect()
    }

    /// Counts a failure for the address alone (a login refused for a full hashing queue: its
    /// sender asked for more than the pool holds); names the lockout it has just caused, if any.
    pub fn record_address_failure(&self, address: IpAddr, now: UnixTime) -> Vec<LockedBy> {
        let locked =
            lock(&self.addresses).fail(&address_key(address), self.window, self.capacity, now);
        locked.then_some(LockedBy::Address).into_iter().collect()
    }

    /// A successful login clears the username's failures (not the address's: one good password
    /// must not reset a spray from that address).
    pub fn record_success(&self, username: &str) {
        lock(&self.users).map.remove(&user_key(username));
    }
}

/// At most 64 bytes of the username (longer ones are never valid names), so a flood of huge
/// usernames cannot make the counters big.
pub(super) fn user_key(username: &str) -> String {
    let mut end = username.len().min(64);
    while !username.is_char_boundary(end) {
        end -= 1;
    }
    username[..end].to_owned()
}

/// IPv4 addresses count one by one; IPv6 ones by /64, the usual smallest allocation, so one
/// host cannot dodge the limit by cycling through its addresses. An IPv4 client of a dual-stack
/// listener arrives as `::ffff:a.b.c.d`: it counts as `a.b.c.d`, not in the /64 `::` that every
/// IPv4 client would share.
pub(crate) fn address_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        v4 @ IpAddr::V4(_) => v4,
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(prefix.into())
        }
    }
}

/// A poisoned lock only means another thread panicked mid-update of plain counters: keep going.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
