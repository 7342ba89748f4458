//! The dealer's wire types, defined once: the dealer serializes them, this library reads them.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token: a JWT (RFC 9068).
    pub access_token: String,
    /// Always `Bearer` from the dealer; compared case-insensitively when read.
    pub token_type: Cow<'static, str>,
    /// Seconds from issue until the token expires.
    pub expires_in: u64,
    /// The granted scopes, space-separated, when any were granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// An error response (RFC 6749 §5.2, also RFC 6750 §3.1, RFC 7009, RFC 7662).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error code, such as `invalid_client` or `temporarily_unavailable`.
    pub error: Cow<'static, str>,
    /// A human-readable explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<Cow<'static, str>>,
}

/// Where a user works: carried in password-grant tokens (`wfc`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WfcClaim {
    /// The work-function context's name.
    pub name: String,
    /// Organisation.
    pub org: String,
    /// Organisational unit.
    pub orgunit: String,
    /// Department.
    pub department: String,
}

/// The claims of the access tokens the dealer issues (RFC 9068 §2.2), in the order it writes
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// The dealer's issuer identifier, exactly as configured.
    pub iss: String,
    /// The client id (client credentials) or the username (password grant).
    pub sub: String,
    /// The one audience the token is for.
    pub aud: String,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// Issue time, Unix seconds.
    pub iat: u64,
    /// Not before, Unix seconds (the issue time).
    pub nbf: u64,
    /// A unique id (128 random bits, hex): what revocation lists.
    pub jti: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Granted scopes, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The user's roles (password grant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The user's work-function context (password grant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wfc: Option<WfcClaim>,
    /// The user's e-mail (password grant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Which registration of `client_id` issued it (private, opaque): a client id removed and
    /// registered again does not revive older tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reg: Option<String>,
    /// The user's directory id (password grant; private): a user removed and created again
    /// does not revive older tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u64>,
    /// The key the token is bound to (RFC 7800), when it is sender-constrained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// The key a token is bound to (RFC 7800 `cnf`): a DPoP key's thumbprint (RFC 9449 §6.1) or a
/// client certificate's SHA-256 thumbprint (RFC 8705 §3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// RFC 7638 thumbprint of the DPoP proof's public key, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    /// SHA-256 of the client certificate's DER, base64url.
    #[serde(rename = "x5t#S256", default, skip_serializing_if = "Option::is_none")]
    pub x5t_s256: Option<String>,
}

impl AccessTokenClaims {
    /// True when `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|x| x == scope))
    }

    /// Whether a user (password grant) stands behind the token, not only a client.
    pub fn is_user_token(&self) -> bool {
        self.roles.is_some() || self.uid.is_some()
    }
}
