//! The bearer token a [`TokenSource`](super::TokenSource) hands out.

use std::fmt;
use std::sync::Arc;

use tokio::time::Instant;

/// A bearer access token, with its expiry as the dealer stated it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub(crate) secret: Arc<str>,
    pub(crate) expires_at: Instant,
    pub(crate) scope: Option<String>,
}

impl AccessToken {
    /// The token itself, for an `Authorization: Bearer` header.
    pub fn secret(&self) -> &str {
        &self.secret
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
            .finish()
    }
}
