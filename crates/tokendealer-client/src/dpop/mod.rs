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
//! };
//! match verify_proof(proof, &check) {
//!     Ok(verified) => println!("bound to {}", verified.jkt),
//!     Err(e) => println!("{}: {e}", e.code()),
//! }
//! ```

mod error;
mod htu;
#[cfg(test)]
mod tests;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::{Map, Value};

pub use error::ProofError;
pub use htu::normalize_htu;

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

/// RFC 9864's name for EdDSA with Ed25519 keys, accepted wherever EdDSA is.
const ED25519: &str = "Ed25519";

/// The `dpop_signing_alg_values_supported` of `algorithms` (RFC 9449 §5.1): their JOSE names,
/// and `Ed25519` (RFC 9864) beside `EdDSA`.
pub fn algorithm_names(algorithms: &[Algorithm]) -> Vec<&'static str> {
    let mut names = Vec::new();
    for alg in algorithms {
        let name = match alg {
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            // Symmetric: never a proof's.
            _ => continue,
        };
        names.push(name);
        if *alg == Algorithm::EdDSA {
            names.push(ED25519);
        }
    }
    names
}

/// JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2).
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

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
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| ProofError::KeyMismatch)?;

    // The signing input is the proof up to its last dot (RFC 7515 §5.2).
    let signing_input = proof.rsplit_once('.').map_or("", |(input, _)| input);
    let verified = jsonwebtoken::crypto::verify(signature, signing_input.as_bytes(), &key, alg);
    if !verified.unwrap_or(false) {
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

/// A NumericDate (RFC 7519 §2): seconds, possibly with a fraction, which is dropped; a
/// negative, infinite or non-numeric value is refused.
fn numeric_date<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(whole) = number.as_u64() {
        return Ok(whole);
    }
    match number.as_f64() {
        // Saturating: a date past u64 is refused as in the future.
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 => Ok(seconds as u64),
        _ => Err(serde::de::Error::custom("iat is not a NumericDate")),
    }
}

/// The compact JWS's three parts: header, payload, signature (all base64url).
fn split(proof: &str) -> Result<(&str, &str, &str), ProofError> {
    let mut parts = proof.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None) => Ok((header, payload, signature)),
        _ => Err(ProofError::Malformed),
    }
}

/// A base64url part as JSON; `refusal` if it is not.
fn read_json<T: serde::de::DeserializeOwned>(
    part: &str,
    refusal: ProofError,
) -> Result<T, ProofError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| refusal)?;
    serde_json::from_slice(&bytes).map_err(|_| refusal)
}

/// The algorithm a JWS header's `alg` names: its JOSE name, or RFC 9864's fully-specified
/// `Ed25519` for EdDSA over Ed25519 (what oauth4webapi, and so openid-client, signs with). The
/// dealer reads client assertions' `alg` with it too. `None` for `none` and unknown names.
pub fn algorithm_from_name(name: &str) -> Option<Algorithm> {
    if name == ED25519 {
        return Some(Algorithm::EdDSA);
    }
    name.parse().ok()
}

/// The header's `alg`, when it is asymmetric and allowed (`none` is no `Algorithm` at all).
fn allowed_algorithm(
    header: &Map<String, Value>,
    allowed: &[Algorithm],
) -> Result<Algorithm, ProofError> {
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(algorithm_from_name)
        .ok_or(ProofError::Algorithm)?;
    let symmetric = matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512);
    if symmetric || !allowed.contains(&alg) {
        return Err(ProofError::Algorithm);
    }
    Ok(alg)
}

/// The header's `jwk`: public members only, of the kind (and curve) `alg` names.
fn public_key(header: &Map<String, Value>, alg: Algorithm) -> Result<Jwk, ProofError> {
    let value = header.get("jwk").ok_or(ProofError::MissingKey)?;
    let members = value.as_object().ok_or(ProofError::MissingKey)?;
    if PRIVATE_MEMBERS.iter().any(|m| members.contains_key(*m)) {
        return Err(ProofError::PrivateKey);
    }
    // Read from the parsed header in place, not from a copy of its members.
    let jwk = Jwk::deserialize(value).map_err(|_| ProofError::KeyMismatch)?;
    let fits = match (&jwk.algorithm, alg) {
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES384) => {
            ec.curve == EllipticCurve::P384
        }
        (AlgorithmParameters::OctetKeyPair(okp), Algorithm::EdDSA) => {
            okp.curve == EllipticCurve::Ed25519
        }
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => true,
        _ => false,
    };
    if !fits {
        return Err(ProofError::KeyMismatch);
    }
    Ok(jwk)
}
