//! The audit trail's memory: administrative events and authentication failures in rings of
//! their own, so that a flood of failures (anyone can cause them) cannot push an operator's
//! change out of sight; read by kind, or both merged in the order they happened.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::{AuditEvent, AuditRecord};

/// Events of each kind kept in memory.
pub const RECENT_CAPACITY: usize = 1000;

/// Which events: what admins and operators did, or failed authentications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    /// Admin API and console actions.
    Admin,
    /// Failed client authentications and logins.
    Auth,
}

impl AuditKind {
    /// `admin` or `auth`, as the admin API's `kind` parameter and the console name them.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "admin" => Some(Self::Admin),
            "auth" => Some(Self::Auth),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Auth => "auth",
        }
    }
}

impl AuditEvent {
    pub fn kind(&self) -> AuditKind {
        match self {
            Self::AdminAction { .. } => AuditKind::Admin,
            Self::ClientAuthFailed { .. } | Self::LoginFailed { .. } => AuditKind::Auth,
        }
    }
}

/// The two rings, each entry with its place in the order of recording.
#[derive(Default)]
pub(super) struct Recent {
    rings: Mutex<Rings>,
}

#[derive(Default)]
struct Rings {
    admin: VecDeque<(u64, Arc<AuditRecord>)>,
    auth: VecDeque<(u64, Arc<AuditRecord>)>,
    next: u64,
}

impl Rings {
    fn of(&self, kind: AuditKind) -> &VecDeque<(u64, Arc<AuditRecord>)> {
        match kind {
            AuditKind::Admin => &self.admin,
            AuditKind::Auth => &self.auth,
        }
    }
}

impl Recent {
    /// Keeps `record` in its kind's ring, dropping that ring's oldest when full.
    pub(super) fn push(&self, record: Arc<AuditRecord>) {
        let mut rings = self.lock();
        let seq = rings.next;
        rings.next += 1;
        let ring = match record.event.kind() {
            AuditKind::Admin => &mut rings.admin,
            AuditKind::Auth => &mut rings.auth,
        };
        if ring.len() >= RECENT_CAPACITY {
            ring.pop_front();
        }
        ring.push_back((seq, record));
    }

    /// The most recent `limit` events of `kind` (both kinds if `None`), newest first.
    pub(super) fn newest(&self, kind: Option<AuditKind>, limit: usize) -> Vec<Arc<AuditRecord>> {
        let rings = self.lock();
        let take = |ring: &VecDeque<(u64, Arc<AuditRecord>)>| {
            ring.iter()
                .rev()
                .take(limit)
                .map(|(_, r)| r.clone())
                .collect()
        };
        match kind {
            Some(kind) => take(rings.of(kind)),
            None => {
                let (mut admin, mut auth) = (rings.admin.iter().rev(), rings.auth.iter().rev());
                let (mut a, mut b) = (admin.next(), auth.next());
                let mut merged = Vec::with_capacity(limit.min(2 * RECENT_CAPACITY));
                while merged.len() < limit {
                    let newer = match (a, b) {
                        (Some(x), Some(y)) if x.0 > y.0 => {
                            a = admin.next();
                            x
                        }
                        (_, Some(y)) => {
                            b = auth.next();
                            y
                        }
                        (Some(x), None) => {
                            a = admin.next();
                            x
                        }
                        (None, None) => break,
                    };
                    merged.push(newer.1.clone());
                }
                merged
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rings> {
        self.rings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
