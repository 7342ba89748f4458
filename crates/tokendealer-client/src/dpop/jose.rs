//! The JOSE pieces of a proof: its parts, its JSON, its algorithm by name, its header's key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::ProofError;

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

/// A NumericDate (RFC 7519 §2): seconds, possibly with a fraction, which is dropped; a
/// negative, infinite or non-numeric value is refused.
pub(super) fn numeric_date<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<u64, D::Error> {
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
pub(super) fn split(proof: &str) -> Result<(&str, &str, &str), ProofError> {
    let mut parts = proof.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None) => Ok((header, payload, signature)),
        _ => Err(ProofError::Malformed),
    }
}

/// A base64url part as JSON; `refusal` if it is not.
pub(super) fn read_json<T: serde::de::DeserializeOwned>(
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
pub(super) fn allowed_algorithm(
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
pub(super) fn public_key(header: &Map<String, Value>, alg: Algorithm) -> Result<Jwk, ProofError> {
    let value = header.get("jwk").ok_or(ProofError::MissingKey)?;
    let members = value.as_object().ok_or(ProofError::MissingKey)?;
    if PRIVATE_MEMBERS.iter().any(|m| members.contains_key(*m)) {
        return Err(ProofError::PrivateKey);
    }
    // Read from the parsed header in place, not from a copy of its members.
    let jwk = Jwk::deserialize(value).map_err(|_| ProofError::KeyMismatch)?;
    if !crate::public_key::fits(&jwk, alg) {
        return Err(ProofError::KeyMismatch);
    }
    Ok(jwk)
}
