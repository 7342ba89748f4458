//! A revoked token as the denylist stores it.

use serde::{Deserialize, Serialize};

/// A revoked access token: listed by `jti` until its own `exp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedToken {
    pub jti: String,
    pub client_id: String,
    /// The registration of the client the token was issued to (its `reg` claim): a client's
    /// share of the list is per registration, so one removed and registered again starts afresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reg: Option<String>,
    /// The token's own `exp`: past it the token is dead without our help and the entry can go.
    pub exp: u64,
    pub revoked_at: u64,
}
