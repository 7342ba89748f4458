//! The errors of the client library: fetching tokens, verifying them, loading access maps.

use std::sync::Arc;

use http::StatusCode;

/// Why a token could not be fetched from the dealer, or a request sent with it.
///
/// Cloneable so that every caller waiting on one failed token request gets its error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The token endpoint answered with an RFC 6749 §5.2 error.
    #[error("token endpoint refused ({status}): {error}{}", describe(.description))]
    OAuth {
        /// HTTP status of the answer (400 or 401 from a conforming server).
        status: StatusCode,
        /// The `error` code, e.g. `invalid_client`.
        error: String,
        /// The `error_description`, when the server sent one.
        description: Option<String>,
    },
    /// The token endpoint answered something that is neither a token nor an OAuth error.
    #[error("unexpected answer from the token endpoint ({status}): {detail}")]
    UnexpectedResponse {
        /// HTTP status of the answer.
        status: StatusCode,
        /// What was wrong with it.
        detail: String,
    },
    /// The request could not be built or sent, or the answer not read.
    #[error("HTTP request failed: {0}")]
    Http(#[source] Arc<reqwest::Error>),
    /// A builder was given settings that cannot work.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The client's credential could not be made or read: an assertion file missing, too
    /// large or not a JWT, or the random generator failing.
    #[error("client credential unavailable: {0}")]
    Credential(String),
}

impl From<reqwest::Error> for ClientError {
    fn from(e: reqwest::Error) -> Self {
        Self::Http(Arc::new(e))
    }
}

fn describe(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default()
}

/// Why a presented access token was not accepted.
///
/// `Display` may include details taken from the token (a key id, an algorithm name); answer
/// clients with [`VerifyError::public_description`] instead.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Not a well-formed JWT, or its claims do not have the expected shape.
    #[error("token is malformed: {0}")]
    Malformed(String),
    /// The header names an algorithm outside the allow-list (including `none` and HS*).
    #[error("algorithm {0} is not accepted")]
    AlgorithmNotAllowed(String),
    /// The header `typ` is not `at+jwt` (or `JWT` in legacy mode).
    #[error("token type {0:?} is not accepted")]
    WrongType(Option<String>),
    /// No key in the key set has this `kid`, even after a refetch.
    #[error("no key with id {0:?}")]
    UnknownKey(Option<String>),
    /// The key named by `kid` is published for another algorithm than the header says.
    #[error("key is published for {key_alg}, token header says {header_alg}")]
    KeyAlgorithmMismatch {
        /// Algorithm in the JWK.
        key_alg: String,
        /// Algorithm in the token header.
        header_alg: String,
    },
    /// The signature does not verify.
    #[error("signature is invalid")]
    BadSignature,
    /// `iss` is not the expected issuer.
    #[error("issuer is not accepted")]
    WrongIssuer,
    /// `aud` does not contain this service's audience.
    #[error("audience is not accepted")]
    WrongAudience,
    /// `exp` has passed (beyond the leeway).
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token is not valid yet")]
    NotYetValid,
    /// The introspection endpoint says the token is not active.
    #[error("token is not active")]
    Inactive,
    /// The key set or the introspection endpoint could not be reached or understood; the
    /// token itself may be fine.
    #[error("token could not be checked: {0}")]
    Unavailable(String),
}

impl VerifyError {
    /// A fixed description that is safe to send back to the caller (no token content).
    pub fn public_description(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "The access token is malformed",
            Self::AlgorithmNotAllowed(_) | Self::KeyAlgorithmMismatch { .. } => {
                "The access token is signed with an algorithm that is not accepted"
            }
            Self::WrongType(_) => "The access token is not an at+jwt token",
            Self::UnknownKey(_) => "The access token is signed with an unknown key",
            Self::BadSignature => "The access token signature is invalid",
            Self::WrongIssuer => "The access token was issued by another issuer",
            Self::WrongAudience => "The access token is meant for another audience",
            Self::Expired => "The access token expired",
            Self::NotYetValid => "The access token is not valid yet",
            Self::Inactive => "The access token is not active",
            Self::Unavailable(_) => "The access token could not be checked right now",
        }
    }

    /// True when the fault lies with the token; false when the checking infrastructure failed.
    pub fn is_token_problem(&self) -> bool {
        !matches!(self, Self::Unavailable(_))
    }
}

/// Why an access map could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AccessMapError {
    /// The file could not be read.
    #[error("reading access map {path}: {source}")]
    Io {
        /// The file that was read.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The text is not a list of `{name, allow}` roles.
    #[error("parsing access map: {0}")]
    Yaml(#[from] serde_norway::Error),
}
