//! DPoP proofs (RFC 9449): the checks of §4.3 shared by the dealer's token endpoint and a
//! service's resource check; the caller owns replay (the `jti`) and which nonces it accepts.
//!
//! ```
//! use tokendealer_client::dpop::{verify_proof, ProofCheck, DEFAULT_ALGORITHMS};
//! # let proof = "not.a.proof";
//! let check = ProofCheck {
//!     htm: "POST",
//!     htu: "https://dealer.internal/oauth/token",
//!     now: 1_700_000_000,
//!     max_age: 300,
//!     leeway: 5,
//!     access_token: None,
//!     nonce: None,
//!     algorithms: DEFAULT_ALGORITHMS,
//!     keys: None,
//! };
//! match verify_proof(proof, &check) {
//!     Ok(verified) => println!("bound to {}", verified.jkt),
//!     Err(e) => println!("{}: {e}", e.code()),
//! }
//! ```

mod error;
mod htu;
mod jose;
#[cfg(test)]
mod tests;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::public_key::{KeyCache, VerifyingKey};

pub use error::ProofError;
pub use htu::normalize_htu;
pub use jose::{algorithm_from_name, algorithm_names};

use jose::{allowed_algorithm, numeric_date, public_key, read_json, split};

/// The largest proof read: an RSA-4096 `jwk` makes a proof of about 1.6 KB; anything past
/// this is refused before it is decoded.
pub const MAX_PROOF_BYTES: usize = 4096;

/// The longest `jti` accepted: it is stored by the caller's replay check, so it is bounded.
/// RFC 9449 asks for 96 random bits; libraries send 22–64 characters.
pub const MAX_JTI_BYTES: usize = 128;

/// What the dealer and the service library accept when not told otherwise: the asymmetric
/// algorithms clients use for proofs (openid-client: ES256, EdDSA; others RS256, PS256).
pub const DEFAULT_ALGORITHMS: &[Algorithm] = &[
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::RS256,
    Algorithm::PS256,
];

/// The request a proof must match, and the limits it is checked against.
#[derive(Debug, Clone, Copy)]
pub struct ProofCheck<'a> {
    /// The request's method, e.g. `POST`.
    pub htm: &'a str,
    /// The request's URL as the client addressed it (its public URL, not the socket's).
    pub htu: &'a str,
    /// Now, Unix seconds.
    pub now: u64,
    /// How old (`iat`) a proof may be, seconds.
    pub max_age: u64,
    /// Clock difference tolerated in both directions, seconds.
    pub leeway: u64,
    /// The access token presented with the proof (at a resource): `ath` must be its hash.
    pub access_token: Option<&'a str>,
    /// The nonce the proof must carry, when one is expected.
    pub nonce: Option<&'a str>,
    /// The algorithms accepted; symmetric ones are refused even when listed.
    pub algorithms: &'a [Algorithm],
    /// Where keys parsed before are kept (a client's DPoP key signs many proofs); `None`
    /// parses the proof's key for this check alone.
    pub keys: Option<&'a KeyCache>,
}

/// What a valid proof establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// RFC 7638 SHA-256 thumbprint of the proof's key, base64url: the token's `cnf.jkt`.
    pub jkt: String,
    /// The proof's `jti`, for the caller's replay check.
    pub jti: String,
    /// The proof's `iat`, Unix seconds.
    pub iat: u64,
    /// The proof's `nonce`, when it carries one.
    pub nonce: Option<String>,
}

#[derive(Deserialize)]
struct ProofClaims {
    jti: String,
    htm: String,
    htu: String,
    #[serde(deserialize_with = "numeric_date")]
    iat: u64,
    #[serde(default)]
    ath: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// Checks `proof` against `check` per RFC 9449 §4.3, all but the `jti` replay check.
pub fn verify_proof(proof: &str, check: &ProofCheck<'_>) -> Result<VerifiedProof, ProofError> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(ProofError::TooLarge);
    }
    let (header, payload, signature) = split(proof)?;
    let header = read_json::<Map<String, Value>>(header, ProofError::Malformed)?;
    let typ = header.get("typ").and_then(Value::as_str);
    if !typ.is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt")) {
        return Err(ProofError::WrongType);
    }
    // RFC 7515 §4.1.11: no extension is understood here, so any `crit` makes the proof invalid.
    if header.contains_key("crit") {
        return Err(ProofError::Critical);
    }
    let alg = allowed_algorithm(&header, check.algorithms)?;
    let jwk = public_key(&header, alg)?;
    let key = match check.keys {
        Some(cache) => cache.get(&jwk, alg),
        None => VerifyingKey::from_jwk(&jwk, alg).map(std::sync::Arc::new),
    }
    .ok_or(ProofError::KeyMismatch)?;

    // The signing input is the proof up to its last dot (RFC 7515 §5.2).
    let signing_input = proof.rsplit_once('.').map_or("", |(input, _)| input);
    if !key.verifies(signing_input.as_bytes(), signature) {
        return Err(ProofError::Signature);
    }
    let claims = read_json::<ProofClaims>(payload, ProofError::Claims)?;

    if claims.jti.is_empty() || claims.jti.len() > MAX_JTI_BYTES {
        return Err(ProofError::Jti);
    }
    if claims.htm != check.htm {
        return Err(ProofError::Method);
    }
    // The same text normalizes alike: one parse instead of two for the usual proof (the
    // dealer's and a service's own URL, as the client was told it).
    let same_url = if claims.htu == check.htu {
        normalize_htu(check.htu).is_some()
    } else {
        normalize_htu(&claims.htu)
            .zip(normalize_htu(check.htu))
            .is_some_and(|(a, b)| a == b)
    };
    if !same_url {
        return Err(ProofError::Url);
    }
    if claims.iat > check.now.saturating_add(check.leeway) {
        return Err(ProofError::Future);
    }
    if claims
        .iat
        .saturating_add(check.max_age)
        .saturating_add(check.leeway)
        < check.now
    {
        return Err(ProofError::Stale);
    }
    if let Some(token) = check.access_token {
        if claims.ath.as_deref() != Some(access_token_hash(token).as_str()) {
            return Err(ProofError::AccessTokenHash);
        }
    }
    if let Some(expected) = check.nonce {
        match claims.nonce.as_deref() {
            None => return Err(ProofError::NonceMissing),
            Some(n) if n != expected => return Err(ProofError::NonceMismatch),
            Some(_) => {}
        }
    }
    Ok(VerifiedProof {
        jkt: thumbprint(&jwk)?,
        jti: claims.jti,
        iat: claims.iat,
        nonce: claims.nonce,
    })
}

/// The RFC 7638 SHA-256 thumbprint of a public key, base64url: what `cnf.jkt` holds.
pub fn thumbprint(jwk: &Jwk) -> Result<String, ProofError> {
    jwk.thumbprint(ThumbprintHash::SHA256)
        .map_err(|_| ProofError::KeyMismatch)
}

/// The `ath` of a proof sent with `access_token`: base64url(SHA-256(token)) (RFC 9449 §4.2).
pub fn access_token_hash(access_token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}
