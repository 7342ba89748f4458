//! The console's state, and its sessions: server-side, in memory, bounded (the oldest evicted),
//! each with an idle and an absolute expiry and its own CSRF token. The cookie holds a random
//! 256-bit id; the table is keyed by the id's SHA-256, so a lookup's timing says nothing about
//! stored ids.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use aws_lc_rs::digest;

use crate::config::ConsoleSettings;
use crate::domain::UnixTime;

type Key = [u8; 32];

/// The console's state: its settings, its sessions and the key binding login tokens to cookies.
pub struct Console {
    pub settings: ConsoleSettings,
    pub sessions: Sessions,
    /// Binds the login form's CSRF token to its cookie.
    pub(super) login_key: aws_lc_rs::hmac::Key,
}

impl Console {
    pub fn new(settings: ConsoleSettings) -> Self {
        let key = rand::random::<[u8; 32]>();
        Self {
            sessions: Sessions::new(&settings),
            settings,
            login_key: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key),
        }
    }
}

/// A live session, as a request sees it.
#[derive(Debug, Clone)]
pub struct Session {
    pub operator: String,
    /// The token every state-changing form of this session carries.
    pub csrf: String,
}

struct Entry {
    session: Session,
    created: UnixTime,
    last_seen: UnixTime,
    /// Its place in `order`.
    seq: u64,
}

/// Every session, bounded.
pub struct Sessions {
    inner: Mutex<Inner>,
    idle: u64,
    max: u64,
    capacity: usize,
}

#[derive(Default)]
struct Inner {
    by_key: HashMap<Key, Entry>,
    /// Keys by age, oldest first: what a full table evicts.
    order: BTreeMap<u64, Key>,
    next_seq: u64,
}

impl Sessions {
    pub fn new(settings: &ConsoleSettings) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            idle: settings.session_idle.as_secs().max(1),
            max: settings.session_max.as_secs().max(1),
            capacity: settings.max_sessions.max(1),
        }
    }

    /// Starts a session for `operator`; returns the cookie's value (hex of 32 random bytes).
    pub fn start(&self, operator: &str, now: UnixTime) -> String {
        let id = hex::encode(rand::random::<[u8; 32]>());
        let session = Session {
            operator: operator.to_owned(),
            csrf: hex::encode(rand::random::<[u8; 32]>()),
        };
        let mut inner = lock(&self.inner);
        while inner.by_key.len() >= self.capacity {
            let Some((_, oldest)) = inner.order.pop_first() else {
                break;
            };
            inner.by_key.remove(&oldest);
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let key = key_of(&id);
        inner.order.insert(seq, key);
        inner.by_key.insert(
            key,
            Entry {
                session,
                created: now,
                last_seen: now,
                seq,
            },
        );
        id
    }

    /// The live session with cookie value `id`, its idle clock restarted; an expired one is
    /// dropped and `None`.
    pub fn touch(&self, id: &str, now: UnixTime) -> Option<Session> {
        let key = key_of(id);
        let mut inner = lock(&self.inner);
        let entry = inner.by_key.get_mut(&key)?;
        let idle_ends = entry.last_seen.plus(self.idle);
        let max_ends = entry.created.plus(self.max);
        if now >= idle_ends || now >= max_ends {
            let seq = entry.seq;
            inner.by_key.remove(&key);
            inner.order.remove(&seq);
            return None;
        }
        entry.last_seen = now;
        Some(entry.session.clone())
    }

    /// Ends the session with cookie value `id`, if there is one.
    pub fn end(&self, id: &str) {
        let mut inner = lock(&self.inner);
        if let Some(entry) = inner.by_key.remove(&key_of(id)) {
            inner.order.remove(&entry.seq);
        }
    }

    /// Ends every session of `operator` (removed, or a new password).
    pub fn end_all_of(&self, operator: &str) {
        let mut inner = lock(&self.inner);
        let gone: Vec<(Key, u64)> = inner
            .by_key
            .iter()
            .filter(|(_, e)| e.session.operator == operator)
            .map(|(k, e)| (*k, e.seq))
            .collect();
        for (key, seq) in gone {
            inner.by_key.remove(&key);
            inner.order.remove(&seq);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.inner).by_key.len()
    }
}

fn key_of(id: &str) -> Key {
    let mut key = [0u8; 32];
    key.copy_from_slice(digest::digest(&digest::SHA256, id.as_bytes()).as_ref());
    key
}

/// A poisoned lock only means another thread panicked mid-update of a map: keep going.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sessions(capacity: usize) -> Sessions {
        Sessions::new(&ConsoleSettings {
            session_idle: Duration::from_secs(10),
            session_max: Duration::from_secs(100),
            max_sessions: capacity,
            ..ConsoleSettings::default()
        })
    }

    #[test]
    fn a_session_ends_when_idle_or_too_old_and_the_oldest_makes_room() {
        let s = sessions(2);
        let t = UnixTime::from_secs;
        let a = s.start("ann", t(0));
        assert_eq!(s.touch(&a, t(9)).unwrap().operator, "ann");
        assert!(
            s.touch(&a, t(18)).is_some(),
            "each use restarts the idle clock"
        );
        assert!(s.touch(&a, t(28)).is_none(), "idle for 10 s");
        let b = s.start("bob", t(0));
        for at in (9..100).step_by(9) {
            assert!(s.touch(&b, t(at)).is_some());
        }
        assert!(s.touch(&b, t(100)).is_none(), "100 s after the login");
        let (c, d, e) = (s.start("c", t(0)), s.start("d", t(1)), s.start("e", t(2)));
        assert!(s.touch(&c, t(3)).is_none(), "the oldest was evicted");
        assert!(s.touch(&d, t(3)).is_some() && s.touch(&e, t(3)).is_some());
        assert_eq!(s.len(), 2);
        s.end(&d);
        s.end_all_of("e");
        assert_eq!(s.len(), 0);
    }
}
