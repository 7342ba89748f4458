//! The label values of the metrics (and the audit log's reasons): small enums, each with its
//! fixed set of values, so that every series can be created up front.

use crate::domain::GrantType;

/// Why a client authentication or a login failed, as the metrics and the audit log name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    UnknownClient,
    WrongSecret,
    DisabledClient,
    UnknownUser,
    WrongPassword,
    /// Refused without a check: the username or the address is locked out.
    LockedOut,
}

impl FailureReason {
    pub(super) const CLIENT: [Self; 3] =
        [Self::UnknownClient, Self::WrongSecret, Self::DisabledClient];
    pub(super) const LOGIN: [Self; 3] = [Self::UnknownUser, Self::WrongPassword, Self::LockedOut];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UnknownClient => "unknown_client",
            Self::WrongSecret => "wrong_secret",
            Self::DisabledClient => "disabled_client",
            Self::UnknownUser => "unknown_user",
            Self::WrongPassword => "wrong_password",
            Self::LockedOut => "locked_out",
        }
    }

    pub(super) const fn index(self) -> usize {
        match self {
            Self::UnknownClient | Self::UnknownUser => 0,
            Self::WrongSecret | Self::WrongPassword => 1,
            Self::DisabledClient | Self::LockedOut => 2,
        }
    }
}

/// What kind of token was issued: a grant of the token endpoint, or a tokenleader-layout one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    Grant(GrantType),
    Tokenleader,
}

impl Issued {
    pub(super) const ALL: [Self; 3] = [
        Self::Grant(GrantType::ClientCredentials),
        Self::Grant(GrantType::Password),
        Self::Tokenleader,
    ];

    pub(super) const fn as_str(self) -> &'static str {
        match self {
            Self::Grant(GrantType::ClientCredentials) => "client_credentials",
            Self::Grant(GrantType::Password) => "password",
            Self::Tokenleader => "tokenleader",
        }
    }

    pub(super) const fn index(self) -> usize {
        match self {
            Self::Grant(GrantType::ClientCredentials) => 0,
            Self::Grant(GrantType::Password) => 1,
            Self::Tokenleader => 2,
        }
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

/// Which counter a new lockout was: a username's or an address's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockedBy {
    User,
    Address,
}
