//! The label values of the metrics: the domain's event types mapped to fixed sets of values
//! and to their places in the metrics' arrays, so that every series can be created up front.

use crate::domain::GrantType;
use crate::domain::auth_failure::FailureReason;
use crate::domain::events::Issued;

/// The reasons a client authentication fails, in the order of their series.
pub(super) use crate::domain::auth_failure::CLIENT_REASONS;
/// The reasons a login fails, in the order of their series.
pub(super) const LOGIN_REASONS: [FailureReason; 3] = [
    FailureReason::UnknownUser,
    FailureReason::WrongPassword,
    FailureReason::LockedOut,
];

/// `reason`'s place in [`CLIENT_REASONS`] or [`LOGIN_REASONS`].
pub(super) fn reason_index(reason: FailureReason) -> usize {
    match reason {
        FailureReason::UnknownUser => 0,
        FailureReason::WrongPassword => 1,
        FailureReason::LockedOut => 2,
        client => CLIENT_REASONS
            .iter()
            .position(|r| *r == client)
            .unwrap_or_default(),
    }
}

/// Every kind of token issued, in the order of their series.
pub(super) const ISSUED: [Issued; 3] = [
    Issued::Grant(GrantType::ClientCredentials),
    Issued::Grant(GrantType::Password),
    Issued::Tokenleader,
];

/// The `grant` label of a kind of token.
pub(super) const fn issued_label(kind: Issued) -> &'static str {
    match kind {
        Issued::Grant(GrantType::ClientCredentials) => "client_credentials",
        Issued::Grant(GrantType::Password) => "password",
        Issued::Tokenleader => "tokenleader",
    }
}

/// `kind`'s place in [`ISSUED`].
pub(super) const fn issued_index(kind: Issued) -> usize {
    match kind {
        Issued::Grant(GrantType::ClientCredentials) => 0,
        Issued::Grant(GrantType::Password) => 1,
        Issued::Tokenleader => 2,
    }
}

/// Why a request was answered 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The store's write queue was full, or a write missed its deadline.
    StoreBusy,
    /// A bounded pool (password hashing) had no room.
    Overloaded,
    /// A revocation by a client with its full share of revoked tokens listed.
    RevocationsFull,
}
