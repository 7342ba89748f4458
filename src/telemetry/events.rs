//! How telemetry hears the domain ([`Events`]): each event counted in the metrics, recorded in
//! the audit trail, or warned of in the log at most once per interval.

use std::time::Instant;

use super::Telemetry;
use super::audit::AuditEvent;
use super::throttle::SharedThrottle;
use crate::domain::ClientId;
use crate::domain::UnixTime;
use crate::domain::auth_failure::FailureReason;
use crate::domain::events::{Events, Issued, LockedBy};
use crate::domain::keys::SigningAlg;
use crate::domain::origin::Origin;

/// The warnings a caller can repeat as fast as it likes, each throttled on its own.
#[derive(Debug, Default)]
pub(super) struct Warnings {
    alg_withdrawn: SharedThrottle,
    revocations_full: SharedThrottle,
}

impl Events for Telemetry {
    fn token_issued(&self, kind: Issued, alg: SigningAlg) {
        self.metrics.token_issued(kind, alg);
    }

    fn auth_failed(&self, presented: &str, reason: FailureReason, origin: &Origin, now: UnixTime) {
        self.metrics.auth_failed(reason);
        self.audit
            .record(AuditEvent::failure(presented, reason), origin, now);
    }

    fn locked_out(&self, by: LockedBy) {
        self.metrics.locked_out(by);
    }

    fn alg_withdrawn(&self, client: &ClientId, alg: SigningAlg) {
        if let Some(skipped) = self.warnings.alg_withdrawn.due(Instant::now()) {
            tracing::warn!(
                client_id = %client, alg = %alg, skipped,
                "refused a token to a client registered for an algorithm outside [keys] algorithms"
            );
        }
    }

    fn revocations_full(&self, client_id: &str, limit: usize) {
        if let Some(unlogged) = self.warnings.revocations_full.due(Instant::now()) {
            tracing::warn!(client_id = %client_id, limit, unlogged, "refused a revocation: the \
                client has its full share of revoked tokens listed");
        }
    }
}
