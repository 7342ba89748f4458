//! Client authentication without a shared secret (RFC 7523 §2.2, OpenID Connect Core §9): a JWT
//! signed with the client's private key, made fresh for each token request, or a token another
//! issuer wrote to a file (a Kubernetes projected service-account token), read again each time.

use std::path::Path;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, Header};
use reqwest::Url;
use serde::Serialize;
use tokio::io::AsyncReadExt;

use super::error::ClientError;
use super::signing::SigningKey;

/// RFC 7523 §2.2's `client_assertion_type`.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long a made assertion is valid: long enough for one request in transit, short enough
/// that a captured one is soon useless (the dealer also refuses its `jti` a second time).
const ASSERTION_LIFETIME: u64 = 60;

/// The longest assertion file read. Kubernetes projected tokens are about 1 KB; a file much
/// larger than this is not a token, and reading it would only waste memory on each fetch.
const MAX_ASSERTION_FILE_BYTES: u64 = 64 * 1024;

/// A client's private key for `private_key_jwt`, with the `kid` its registered JWK Set names
/// and the `aud` its assertions carry.
///
/// ```no_run
/// # fn run() -> Result<(), tokendealer_client::ClientError> {
/// use tokendealer_client::{Algorithm, ClientAssertionKey, TokenSource};
///
/// let pem = std::fs::read("/etc/runnerly/client-key.pem").map_err(|e| {
///     tokendealer_client::ClientError::Config(e.to_string())
/// })?;
/// let key = ClientAssertionKey::from_pem(&pem, Algorithm::ES256, "2026-12", "https://dealer.internal")?;
/// let source = TokenSource::private_key_jwt("https://dealer.internal/oauth/token", "strava", key)
///     .audience("runs")
///     .build()?;
/// # let _ = source; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClientAssertionKey {
    key: SigningKey,
    kid: String,
    audience: AssertionAudience,
}

#[derive(Debug, Clone)]
enum AssertionAudience {
    Issuer(String),
    TokenEndpoint,
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: u64,
    exp: u64,
}

impl ClientAssertionKey {
    /// Signs with `key` under `kid`; assertions are addressed to the dealer's `issuer`
    /// identifier (what openid-client does; see [`audience_token_endpoint`](Self::audience_token_endpoint)).
    pub fn new(key: SigningKey, kid: impl Into<String>, issuer: impl Into<String>) -> Self {
        Self {
            key,
            kid: kid.into(),
            audience: AssertionAudience::Issuer(issuer.into()),
        }
    }

    /// Reads a PKCS#8 PEM private key for `alg` (RS256…PS512, ES256, ES384, EdDSA); see
    /// [`SigningKey::from_pem`] and [`new`](Self::new).
    pub fn from_pem(
        pem: &[u8],
        alg: Algorithm,
        kid: impl Into<String>,
        issuer: impl Into<String>,
    ) -> Result<Self, ClientError> {
        Ok(Self::new(SigningKey::from_pem(pem, alg)?, kid, issuer))
    }

    /// Addresses assertions to the token endpoint URL instead of the issuer (what Authlib
    /// does); the dealer accepts both.
    pub fn audience_token_endpoint(mut self) -> Self {
        self.audience = AssertionAudience::TokenEndpoint;
        self
    }

    /// The key the assertions are signed with.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// A fresh assertion for `client_id` at `now` (Unix seconds): `iss` = `sub` = the client,
    /// a 128-bit random `jti`, valid for 60 seconds.
    pub(crate) fn assertion(
        &self,
        client_id: &str,
        token_endpoint: &Url,
        now: u64,
    ) -> Result<String, ClientError> {
        let aud = match &self.audience {
            AssertionAudience::Issuer(issuer) => issuer.as_str(),
            AssertionAudience::TokenEndpoint => token_endpoint.as_str(),
        };
        let claims = AssertionClaims {
            iss: client_id,
            sub: client_id,
            aud,
            jti: random_id()?,
            iat: now,
            exp: now + ASSERTION_LIFETIME,
        };
        let mut header = Header::new(self.key.algorithm());
        header.typ = Some("JWT".into());
        header.kid = Some(self.kid.clone());
        self.key.sign_jwt(&mut header, &claims)
    }
}

/// 128 random bits, base64url: a `jti` no other assertion or proof will carry.
pub(crate) fn random_id() -> Result<String, ClientError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| ClientError::Credential("the system random generator failed".into()))?;
    Ok(B64.encode(bytes))
}

/// The token in `path`, read now: whoever writes it (the kubelet) replaces it in place before
/// it expires, so it is never cached here.
pub(crate) async fn read_assertion_file(path: &Path) -> Result<String, ClientError> {
    let failed = |detail: String| {
        ClientError::Credential(format!(
            "reading the assertion file {}: {detail}",
            path.display()
        ))
    };
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| failed(e.to_string()))?;
    // Bounded while reading: a size checked first could change before the read.
    let mut text = String::new();
    file.take(MAX_ASSERTION_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .await
        .map_err(|e| failed(e.to_string()))?;
    if text.len() as u64 > MAX_ASSERTION_FILE_BYTES {
        return Err(failed(format!(
            "more than {MAX_ASSERTION_FILE_BYTES} bytes is not a token"
        )));
    }
    let token = text.trim();
    if token.is_empty() || token.split('.').count() != 3 {
        return Err(failed("it does not hold a JWT".into()));
    }
    Ok(token.to_owned())
}
