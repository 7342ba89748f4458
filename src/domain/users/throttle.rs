//! Where login failures are counted: in this process ([`Lockout`]), or in a store every
//! instance shares, so that a guesser cannot spread attempts over instances.

use std::net::IpAddr;
use std::sync::Arc;

use super::UserSettings;
use super::lockout::{Lockout, address_key, user_key};
use crate::domain::UnixTime;
use crate::domain::events::LockedBy;
use crate::domain::ports::LockoutStore;

/// How long a login waits when the shared counters cannot be read: it is refused (fail closed).
const UNREADABLE_RETRY_SECS: u64 = 5;

/// The login lockout, local or shared.
pub enum Throttle {
    Local(Lockout),
    Shared(SharedLockout),
}

/// Counters in a [`LockoutStore`]: keys `u:<username>` and `a:<address>`.
pub struct SharedLockout {
    store: Arc<dyn LockoutStore>,
    window: u64,
    per_user: u32,
    per_address: u32,
}

impl Throttle {
    pub fn shared(store: Arc<dyn LockoutStore>, settings: &UserSettings) -> Self {
        Self::Shared(SharedLockout {
            store,
            window: settings.failure_window_secs,
            per_user: settings.max_failures_per_user,
            per_address: settings.max_failures_per_address,
        })
    }

    /// Refuses an attempt while the username or the address is locked out, with the number of
    /// seconds until it may be retried.
    pub async fn check(&self, username: &str, address: IpAddr, now: UnixTime) -> Result<(), u64> {
        match self {
            Self::Local(l) => l.check(username, address, now),
            Self::Shared(s) => s.check(username, address, now).await,
        }
    }

    /// Counts a failed login; returns what this failure locked out (for the metrics).
    pub async fn record_failure(
        &self,
        username: &str,
        address: IpAddr,
        now: UnixTime,
    ) -> Vec<LockedBy> {
        match self {
            Self::Local(l) => l.record_failure(username, address, now),
            Self::Shared(s) => {
                let keys = [
                    (user(username), s.per_user, LockedBy::User),
                    (addr(address), s.per_address, LockedBy::Address),
                ];
                s.fail(keys, now).await
            }
        }
    }

    /// Counts a failure for the address alone (a login refused for a full hashing queue).
    pub async fn record_address_failure(&self, address: IpAddr, now: UnixTime) -> Vec<LockedBy> {
        match self {
            Self::Local(l) => l.record_address_failure(address, now),
            Self::Shared(s) => {
                let keys = [(addr(address), s.per_address, LockedBy::Address)];
                s.fail(keys, now).await
            }
        }
    }

    /// A successful login clears the username's failures (not the address's).
    pub async fn record_success(&self, username: &str) {
        match self {
            Self::Local(l) => l.record_success(username),
            Self::Shared(s) => {
                if let Err(e) = s.store.clear(&user(username)).await {
                    tracing::warn!(error = format!("{e:#}"), "clearing login failures failed");
                }
            }
        }
    }
}

impl SharedLockout {
    /// Counts a failure under each key; names those it has just locked out.
    async fn fail<const N: usize>(
        &self,
        keys: [(String, u32, LockedBy); N],
        now: UnixTime,
    ) -> Vec<LockedBy> {
        let mut locked = Vec::new();
        for (key, limit, by) in keys {
            if let Err(e) = self.store.fail(&key, self.window, now.as_secs()).await {
                tracing::warn!(error = format!("{e:#}"), "counting a login failure failed");
                continue;
            }
            // This failure locked it if it is the one that reached the limit.
            if let Ok(Some((_, failures))) = self.store.failures(&key).await
                && failures == limit
            {
                locked.push(by);
            }
        }
        locked
    }

    async fn check(&self, username: &str, address: IpAddr, now: UnixTime) -> Result<(), u64> {
        let mut wait = None;
        for (key, limit) in [
            (user(username), self.per_user),
            (addr(address), self.per_address),
        ] {
            match self.store.failures(&key).await {
                Ok(Some((since, failures))) => {
                    let ends = since.saturating_add(self.window);
                    if failures >= limit && now.as_secs() < ends {
                        wait = wait.max(Some(ends - now.as_secs()));
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "reading login failures failed; refusing the login"
                    );
                    return Err(UNREADABLE_RETRY_SECS);
                }
            }
        }
        match wait {
            Some(secs) => Err(secs.max(1)),
            None => Ok(()),
        }
    }
}

fn user(username: &str) -> String {
    format!("u:{}", user_key(username))
}

fn addr(address: IpAddr) -> String {
    format!("a:{}", address_key(address))
}
