//! What the domain reports as it works — tokens issued, authentications that failed, lockouts,
//! refusals an operator should hear of — through [`Events`], a port it declares and telemetry
//! implements: the domain names no metric, audit sink or log throttle.

use super::auth_failure::FailureReason;
use super::client::{ClientId, GrantType};
use super::keys::SigningAlg;
use super::origin::Origin;
use super::time::UnixTime;

/// Hears what the domain does. Called on the request's own task: an implementation must not
/// block, and [`Events::token_issued`], once per token, must stay as cheap as an atomic add.
pub trait Events: Send + Sync {
    /// A token of `kind` was signed with `alg`.
    fn token_issued(&self, kind: Issued, alg: SigningAlg);

    /// `presented` (a client id or a username, as sent) failed to authenticate, for `reason`;
    /// the caller was told less (one answer for every reason).
    fn auth_failed(&self, presented: &str, reason: FailureReason, origin: &Origin, now: UnixTime);

    /// A failed login has just locked out a username or an address.
    fn locked_out(&self, by: LockedBy);

    /// A token was refused to `client`, registered for `alg`, which `[keys] algorithms` no
    /// longer lists: the operator's doing, so the operator should hear who is left without
    /// tokens. A client may ask again at once: a listener keeps it from flooding a log.
    fn alg_withdrawn(&self, client: &ClientId, alg: SigningAlg);

    /// A revocation by `client_id` was refused: the client has `limit` revoked tokens listed.
    /// Such a client may retry fast, as for [`Events::alg_withdrawn`].
    fn revocations_full(&self, client_id: &str, limit: usize);
}

/// Events nobody hears: for the parts of the domain a tool or a test builds on their own. The
/// server gives each part the application's telemetry instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unheard;

impl Events for Unheard {
    fn token_issued(&self, _: Issued, _: SigningAlg) {}
    fn auth_failed(&self, _: &str, _: FailureReason, _: &Origin, _: UnixTime) {}
    fn locked_out(&self, _: LockedBy) {}
    fn alg_withdrawn(&self, _: &ClientId, _: SigningAlg) {}
    fn revocations_full(&self, _: &str, _: usize) {}
}

/// What kind of token was issued: a grant of the token endpoint, or a tokenleader-layout one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    Grant(GrantType),
    Tokenleader,
}

/// Which counter a new lockout was: a username's or an address's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockedBy {
    User,
    Address,
}
