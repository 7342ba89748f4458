//! The access token a [`TokenSource`](super::TokenSource) hands out.

use std::fmt;
use std::sync::Arc;

use tokio::time::Instant;

/// An access token, with its expiry and type as the dealer stated them.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub(crate) secret: Arc<str>,
    pub(crate) expires_at: Instant,
    pub(crate) scope: Option<String>,
    /// The dealer said `token_type: DPoP` (RFC 9449 §5): the token is bound to the source's
    /// DPoP key and goes out as `Authorization: DPoP` with a proof.
    pub(crate) dpop: bool,
}

impl AccessToken {
    /// The token itself, for the `Authorization` header.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// `Bearer`, or `DPoP` for a token bound to the source's DPoP key: the `Authorization`
    /// scheme it is sent with.
    pub fn token_type(&self) -> &'static str {
        if self.dpop { "DPoP" } else { "Bearer" }
    }

    /// When the dealer said the token expires.
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// The granted scope, when the dealer reported it.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }
}

// Tokens end up in logs through `{:?}` more often than anyone intends.
impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("token_type", &self.token_type())
            .finish()
    }
}
