//! The one error type of the dealer, in the vocabulary of RFC 6749 §5.2 and RFC 6750 §3.1.

use std::borrow::Cow;

use super::ports::error::{StoreError, StoreUnavailable};

/// Everything that can go wrong while serving a request.
///
/// The domain speaks in these terms; `http::error` alone decides status codes and headers.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// A parameter is missing, repeated, malformed or not allowed together with another.
    #[error("invalid_request: {0}")]
    InvalidRequest(Cow<'static, str>),
    /// Client authentication failed. Deliberately carries no detail: an unknown client, a wrong
    /// secret and a disabled client must be indistinguishable.
    #[error("invalid_client")]
    InvalidClient,
    /// The resource-owner credentials are wrong (or the user unknown: same answer).
    #[error("invalid_grant: {0}")]
    InvalidGrant(&'static str),
    /// The client may not get this token: not allowed the grant type, or registered for a
    /// signing algorithm this dealer no longer signs with. The description says which.
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(Cow<'static, str>),
    /// The grant type is not one this dealer serves.
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    /// A `scope` is malformed, or asks for more than the client is registered for.
    #[error("invalid_scope")]
    InvalidScope(&'static str),
    /// The requested audience (RFC 8707 resource) is not in the client's allow-list.
    #[error("invalid_target")]
    InvalidTarget(Cow<'static, str>),
    /// A bearer token presented to this dealer is missing, malformed, expired or foreign.
    #[error("invalid_token: {0}")]
    InvalidToken(&'static str),
    /// A valid bearer token without the scope the resource requires.
    #[error("insufficient_scope")]
    InsufficientScope(&'static str),
    /// Too many failed attempts; the caller may retry after this many seconds.
    #[error("too many failed attempts")]
    TooManyRequests { retry_after_secs: u64 },
    /// The server cannot take this request now (its password-hashing queue is full); the caller
    /// may retry after this many seconds (RFC 6749 §4.1.2.1's `temporarily_unavailable`).
    #[error("temporarily unavailable")]
    TemporarilyUnavailable { retry_after_secs: u64 },
    /// The client already has `limit` revoked tokens listed (`max_revocations_per_client`):
    /// `temporarily_unavailable` (RFC 7009 §2.2.1: the token stays valid; retry later).
    #[error("too many revocations listed")]
    RevocationsFull { limit: usize, retry_after_secs: u64 },
    /// The store cannot take or confirm a write now (`temporarily_unavailable` too): its
    /// queue is full, the disk stalls or a flush failed. Logged with its cause; answered 503.
    #[error("the store is unavailable")]
    StoreBusy(anyhow::Error),
    /// A DPoP proof is malformed, does not verify, does not match the request, is stale or
    /// replayed, or a client registered for DPoP sent none where one was due (RFC 9449 §5).
    #[error("invalid_dpop_proof: {0}")]
    InvalidDpopProof(Cow<'static, str>),
    /// The DPoP proof lacks the nonce the dealer requires, or carries an expired one: retry
    /// with `nonce` (RFC 9449 §8), sent in the `DPoP-Nonce` header.
    #[error("use_dpop_nonce: {description}")]
    UseDpopNonce {
        nonce: String,
        description: Cow<'static, str>,
    },
    /// Anything the caller cannot fix. Logged with its cause chain; the caller sees `server_error`.
    #[error("internal error")]
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for OAuthError {
    /// A failure anywhere below whose cause is an unavailable store is temporary; the rest is
    /// internal.
    fn from(e: anyhow::Error) -> Self {
        if StoreError::unavailable_in(&e).is_empty() {
            Self::Internal(e)
        } else {
            Self::StoreBusy(e)
        }
    }
}

impl From<StoreError> for OAuthError {
    /// An unavailable store is temporary (503); any other failure is internal (500).
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(cause) => Self::StoreBusy(cause),
            StoreError::Failed(cause) => Self::Internal(cause),
        }
    }
}

/// What an admin operation (the registry, the directory, the key set) can come to besides
/// success: its own vocabulary, apart from RFC 6749's. Failures that are not the operation's
/// (a busy store or hashing pool, an internal error) keep their [`OAuthError`]; a value the
/// domain's parsers refuse as `invalid_request` is [`AdminError::Invalid`] here.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The request cannot be carried out as given (answered 400 `invalid_request`).
    #[error("invalid: {0}")]
    Invalid(Cow<'static, str>),
    /// No such client, key or directory entry (404).
    #[error("not found: {0}")]
    NotFound(String),
    /// It contradicts what is stored: a duplicate id, an entry still referred to (409).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Failed(OAuthError),
}

impl From<OAuthError> for AdminError {
    /// The newtypes' parsers (names, ids, audiences, passwords) speak RFC 6749 for the token
    /// endpoint's sake; an operation's input they refuse is the operation's own `Invalid`.
    fn from(e: OAuthError) -> Self {
        match e {
            OAuthError::InvalidRequest(d) => Self::Invalid(d),
            other => Self::Failed(other),
        }
    }
}

impl AdminError {
    pub fn invalid(description: &'static str) -> Self {
        Self::Invalid(Cow::Borrowed(description))
    }
}

impl From<anyhow::Error> for AdminError {
    fn from(e: anyhow::Error) -> Self {
        Self::Failed(OAuthError::from(e))
    }
}

impl From<StoreError> for AdminError {
    /// A binding, or a trust's removal, that lost its race is the conflict it would have been
    /// found to be (409).
    fn from(e: StoreError) -> Self {
        use crate::domain::ports::{SubjectTaken, TrustGone, TrustInUse};
        let lost = e.cause().chain().find_map(|c| {
            c.downcast_ref::<SubjectTaken>()
                .map(ToString::to_string)
                .or_else(|| c.downcast_ref::<TrustGone>().map(ToString::to_string))
                .or_else(|| c.downcast_ref::<TrustInUse>().map(ToString::to_string))
        });
        if let Some(lost) = lost {
            return Self::Conflict(lost);
        }
        Self::Failed(OAuthError::from(e))
    }
}

impl OAuthError {
    /// The `unauthorized_client` of a client registered without the grant it asked for.
    pub fn grant_not_allowed() -> Self {
        Self::UnauthorizedClient(Cow::Borrowed(
            "the client is not allowed to use this grant type",
        ))
    }

    /// Shorthand for an `invalid_request` with a fixed description.
    pub fn invalid_request(description: &'static str) -> Self {
        Self::InvalidRequest(Cow::Borrowed(description))
    }

    /// The RFC error code, as it appears in the `error` member of the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnauthorizedClient(_) => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope(_) => "invalid_scope",
            Self::InvalidTarget(_) => "invalid_target",
            Self::InvalidToken(_) => "invalid_token",
            Self::InsufficientScope(_) => "insufficient_scope",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::TemporarilyUnavailable { .. } => "temporarily_unavailable",
            Self::StoreBusy(_) | Self::RevocationsFull { .. } => "temporarily_unavailable",
            Self::InvalidDpopProof(_) => "invalid_dpop_proof",
            Self::UseDpopNonce { .. } => "use_dpop_nonce",
            Self::Internal(_) => "server_error",
        }
    }

    /// A human-readable description that is safe to show to the caller.
    pub fn description(&self) -> Cow<'static, str> {
        match self {
            Self::InvalidRequest(d)
            | Self::InvalidTarget(d)
            | Self::UnauthorizedClient(d)
            | Self::InvalidDpopProof(d)
            | Self::UseDpopNonce { description: d, .. } => d.clone(),
            Self::InvalidClient => "client authentication failed".into(),
            Self::InvalidGrant(d)
            | Self::InvalidToken(d)
            | Self::InsufficientScope(d)
            | Self::InvalidScope(d) => Cow::Borrowed(d),
            Self::UnsupportedGrantType => "grant_type is not supported".into(),
            Self::TooManyRequests { .. } => "too many failed attempts; retry later".into(),
            Self::TemporarilyUnavailable { .. } => {
                "the server is busy; retry after the Retry-After delay".into()
            }
            Self::RevocationsFull { limit, .. } => format!(
                "this client already has {limit} revoked tokens listed, the most allowed; the \
                 token was not revoked: retry once some of them have expired"
            )
            .into(),
            Self::StoreBusy(cause) => {
                let unconfirmed = StoreError::unavailable_in(cause)
                    .into_iter()
                    .any(StoreUnavailable::is_unconfirmed);
                if unconfirmed {
                    "the server could not confirm that this change was stored; it may have been \
                     applied: look before retrying"
                        .into()
                } else {
                    "the server cannot store this change right now; nothing was changed; retry \
                     shortly"
                        .into()
                }
            }
            Self::Internal(_) => "the server could not complete the request".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_store_says_whether_the_change_may_have_been_made() {
        let refused = OAuthError::from(anyhow::Error::new(StoreUnavailable::new("queue full")));
        let unknown = OAuthError::from(
            anyhow::Error::new(StoreUnavailable::unconfirmed("flush failed"))
                .context("registering client \"a\""),
        );
        assert_eq!(refused.code(), "temporarily_unavailable");
        assert_eq!(unknown.code(), "temporarily_unavailable");
        assert!(refused.description().contains("nothing was changed"));
        assert!(unknown.description().contains("may have been applied"));
    }

    #[test]
    fn a_store_error_keeps_its_answer_directly_and_through_anyhow() {
        let unavailable = || {
            StoreError::from(
                anyhow::Error::new(StoreUnavailable::unconfirmed("flush failed"))
                    .context("registering client \"a\""),
            )
        };
        let failed = || StoreError::from(anyhow::anyhow!("a corrupt record"));
        assert!(matches!(unavailable(), StoreError::Unavailable(_)));
        assert!(matches!(failed(), StoreError::Failed(_)));
        let direct = OAuthError::from(unavailable());
        let carried = OAuthError::from(anyhow::Error::new(unavailable()).context("rotating keys"));
        for busy in [direct, carried] {
            assert_eq!(busy.code(), "temporarily_unavailable");
            assert!(busy.description().contains("may have been applied"));
        }
        assert_eq!(
            format!(
                "{:#}",
                anyhow::Error::new(unavailable()).context("rotating keys")
            ),
            "rotating keys: registering client \"a\": the store is unavailable: flush failed",
            "shown as its cause, once"
        );
        assert_eq!(OAuthError::from(failed()).code(), "server_error");
        let carried = anyhow::Error::new(failed()).context("listing");
        assert_eq!(OAuthError::from(carried).code(), "server_error");
    }
}
