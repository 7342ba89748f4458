//! Checking a parsed assertion: its signature by one of the client's keys (chosen by `kid`, of
//! the header's algorithm), and its claims against the rules of RFC 7523 §3.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::parse::{ClientAssertion, algorithm_name};
use crate::domain::auth_failure::FailureReason;
use crate::domain::client_auth::PublicKeySet;
use crate::domain::keys::SigningKey;

/// What a valid assertion's claims must satisfy.
#[derive(Debug, Clone)]
pub struct ClaimRules {
    /// The `aud` values accepted: the issuer and the token endpoint's URL (openid-client uses
    /// the first, Authlib the second).
    pub audiences: Vec<String>,
    /// The longest `exp − now`, in seconds.
    pub max_lifetime: u64,
    /// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
    pub leeway: u64,
}

/// Whether `key` can verify `alg`: its type and curve, and its `alg` member when it has one.
fn fits(key: &Jwk, alg: Algorithm) -> bool {
    let kind = match (&key.algorithm, alg) {
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => true,
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES384) => {
            ec.curve == EllipticCurve::P384
        }
        (AlgorithmParameters::OctetKeyPair(okp), Algorithm::EdDSA) => {
            okp.curve == EllipticCurve::Ed25519
        }
        _ => false,
    };
    let named = key
        .common
        .key_algorithm
        .as_ref()
        .is_none_or(|named| named.to_string() == algorithm_name(alg));
    kind && named
}

/// Verifies the signature with the set's key named by `kid`, or, without a `kid`, with each
/// key that fits the algorithm in turn (a set holds at most 16).
pub fn check_signature(
    assertion: &ClientAssertion,
    set: &PublicKeySet,
) -> Result<(), FailureReason> {
    let candidates: Vec<&Jwk> = set
        .keys()
        .iter()
        .filter(|k| match &assertion.kid {
            Some(kid) => k.common.key_id.as_deref() == Some(kid.as_str()),
            None => true,
        })
        .filter(|k| fits(k, assertion.alg))
        .collect();
    if candidates.is_empty() {
        return Err(FailureReason::UnknownKey);
    }
    for key in candidates {
        let Ok(decoding) = DecodingKey::from_jwk(key) else {
            continue;
        };
        if verifies(assertion, &decoding) {
            return Ok(());
        }
    }
    Err(FailureReason::BadSignature)
}

fn verifies(assertion: &ClientAssertion, key: &DecodingKey) -> bool {
    jsonwebtoken::crypto::verify(
        &assertion.signature,
        assertion.signing_input.as_bytes(),
        key,
        assertion.alg,
    )
    .unwrap_or(false)
}

/// The claims against `rules` for the client `client_id` at `now` (Unix seconds).
pub fn check_claims(
    assertion: &ClientAssertion,
    client_id: &str,
    rules: &ClaimRules,
    now: u64,
) -> Result<(), FailureReason> {
    let c = &assertion.claims;
    if c.iss != c.sub || c.sub != client_id {
        return Err(FailureReason::BadClaims);
    }
    if !rules.audiences.iter().any(|a| c.aud.contains(a)) {
        return Err(FailureReason::WrongAudience);
    }
    if c.exp.saturating_add(rules.leeway) <= now {
        return Err(FailureReason::ExpiredAssertion);
    }
    if c.exp.saturating_sub(now) > rules.max_lifetime {
        return Err(FailureReason::LongLivedAssertion);
    }
    let early = |t: Option<u64>| t.is_some_and(|t| t > now.saturating_add(rules.leeway));
    if early(c.nbf) || early(c.iat) {
        return Err(FailureReason::BadClaims);
    }
    Ok(())
}

/// Keys no one holds the private half of (made at start and dropped): what an assertion of an
/// unknown client is verified with, so that it costs what a known client's does.
pub struct Decoys {
    rsa: DecodingKey,
    ec: DecodingKey,
    ed: DecodingKey,
}

impl Decoys {
    pub fn generate() -> anyhow::Result<Self> {
        use crate::domain::keys::SigningAlg;
        let key = |alg| -> anyhow::Result<DecodingKey> {
            let (key, _) = SigningKey::generate_for(alg)?;
            Ok(key.decoding_key().clone())
        };
        Ok(Self {
            rsa: key(SigningAlg::Rs512)?,
            ec: key(SigningAlg::Es256)?,
            ed: key(SigningAlg::EdDsa)?,
        })
    }

    /// One verification of the assertion's algorithm family, bound to fail. An RSA signature
    /// longer than the 2048-bit decoy's is verified with a modulus of its own length (random,
    /// odd, top bit set: nobody's key), since a key of another length refuses it before any
    /// arithmetic, which would let a 4096-bit client's wrong key be told from an unknown client.
    pub fn verify(&self, assertion: &ClientAssertion) {
        let sized;
        let key = match assertion.alg {
            Algorithm::ES256 | Algorithm::ES384 => &self.ec,
            Algorithm::EdDSA => &self.ed,
            _ => match rsa_of_length(signature_len(assertion)) {
                Some(key) => {
                    sized = key;
                    &sized
                }
                None => &self.rsa,
            },
        };
        let _ = verifies(assertion, key);
    }
}

/// The decoded length of the assertion's signature (base64url without padding).
fn signature_len(assertion: &ClientAssertion) -> usize {
    assertion.signature.len() * 3 / 4
}

/// A public RSA key with a modulus of `len` bytes, for signatures of 2049 to 8192 bits (the
/// 2048-bit decoy serves the rest).
fn rsa_of_length(len: usize) -> Option<DecodingKey> {
    if !(257..=1024).contains(&len) {
        return None;
    }
    let mut n = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut n).ok()?;
    if let Some(first) = n.first_mut() {
        *first |= 0x80;
    }
    if let Some(last) = n.last_mut() {
        *last |= 1;
    }
    Some(DecodingKey::from_rsa_raw_components(&n, &[1, 0, 1]))
}
