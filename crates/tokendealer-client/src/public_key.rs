//! Public keys parsed once for signature checks: a JWK read into an aws-lc-rs
//! `ParsedPublicKey` for one JWS algorithm, and a bounded cache of them keyed by the key's own
//! material, so a key used again (a client's registered key, a DPoP key across its proofs) is
//! not decoded and rebuilt for every signature (an RSA key's Montgomery constants alone cost
//! more than its verification: `cargo bench --bench keys`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::signature::{self as sig, ParsedPublicKey, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};

/// Parsed keys a [`KeyCache`] holds at most: past it, it starts over (a flood of one-off keys,
/// as DPoP allows anyone to send, costs what parsing per call does, never memory).
pub const DEFAULT_CAPACITY: usize = 1024;

/// A public key ready to check one algorithm's signatures.
pub struct VerifyingKey(ParsedPublicKey);

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifyingKey")
    }
}

impl VerifyingKey {
    /// `jwk` for `alg` (the same aws-lc-rs algorithms jsonwebtoken verifies with: RSA 2048 to
    /// 8192 bits, fixed-size ECDSA signatures), or `None` when the key does not [`fits`] the
    /// algorithm or is malformed. An RSA modulus may carry leading zero bytes (RFC 7518 §6.3.1.1
    /// notes that some libraries write one): they are dropped, as aws-lc-rs refuses them.
    pub fn from_jwk(jwk: &Jwk, alg: Algorithm) -> Option<Self> {
        if !fits(jwk, alg) {
            return None;
        }
        let parsed = match (&jwk.algorithm, alg) {
            (AlgorithmParameters::RSA(rsa), _) => {
                let n = B64.decode(&rsa.n).ok()?;
                let first = n.iter().position(|b| *b != 0)?;
                let components = RsaPublicKeyComponents {
                    n: n.get(first..)?,
                    e: &B64.decode(&rsa.e).ok()?[..],
                };
                components.to_parsed_public_key(rsa_parameters(alg)?).ok()?
            }
            (AlgorithmParameters::EllipticCurve(ec), _) => {
                let (algorithm, size): (&'static dyn sig::VerificationAlgorithm, _) = match alg {
                    Algorithm::ES256 => (&sig::ECDSA_P256_SHA256_FIXED, 32),
                    _ => (&sig::ECDSA_P384_SHA384_FIXED, 48),
                };
                let (x, y) = (B64.decode(&ec.x).ok()?, B64.decode(&ec.y).ok()?);
                if x.len() != size || y.len() != size {
                    return None;
                }
                let point = [&[4u8][..], &x, &y].concat(); // uncompressed (SEC 1 §2.3.3)
                ParsedPublicKey::new(algorithm, point).ok()?
            }
            (AlgorithmParameters::OctetKeyPair(okp), _) => {
                ParsedPublicKey::new(&sig::ED25519, B64.decode(&okp.x).ok()?).ok()?
            }
            _ => return None,
        };
        Some(Self(parsed))
    }

    /// Whether `signature` (base64url, as in a compact JWS) signs `signing_input`.
    pub fn verifies(&self, signing_input: &[u8], signature: &str) -> bool {
        B64.decode(signature)
            .is_ok_and(|s| self.0.verify_sig(signing_input, &s).is_ok())
    }
}

/// Whether `jwk` is of the kind (and curve) `alg` signs with: RSA for RS*/PS*, P-256 for
/// ES256, P-384 for ES384, Ed25519 for EdDSA. The key's own `alg` member is not read.
pub fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    match (&jwk.algorithm, alg) {
        (AlgorithmParameters::RSA(_), _) => rsa_parameters(alg).is_some(),
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
    }
}

/// The aws-lc-rs parameters of an RSA JWS algorithm.
fn rsa_parameters(alg: Algorithm) -> Option<&'static sig::RsaParameters> {
    Some(match alg {
        Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// Parsed keys by algorithm and key material (a JWK's `n`/`e`, `crv`/`x`/`y` or `x`: what
/// the parse reads, so one entry is exactly one parse's result). Shared by threads.
#[derive(Debug)]
pub struct KeyCache {
    keys: Mutex<HashMap<String, Arc<VerifyingKey>>>,
    capacity: usize,
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl KeyCache {
    /// A cache of at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        Self {
            keys: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// `jwk` parsed for `alg`, from the cache or parsed now (and kept). `None` as
    /// [`VerifyingKey::from_jwk`].
    pub fn get(&self, jwk: &Jwk, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        let material = material(jwk, alg)?;
        if let Some(key) = self.lock().get(&material) {
            return Some(key.clone());
        }
        let key = Arc::new(VerifyingKey::from_jwk(jwk, alg)?);
        let mut keys = self.lock();
        if keys.len() >= self.capacity {
            keys.clear();
        }
        keys.insert(material, key.clone());
        Some(key)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<VerifyingKey>>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The cache's key: the algorithm and every member the parse reads.
fn material(jwk: &Jwk, alg: Algorithm) -> Option<String> {
    let parts: [&str; 3] = match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) => ["RSA", &rsa.n, &rsa.e],
        AlgorithmParameters::EllipticCurve(ec) => [curve_name(&ec.curve), &ec.x, &ec.y],
        AlgorithmParameters::OctetKeyPair(okp) => [curve_name(&okp.curve), &okp.x, ""],
        _ => return None,
    };
    let mut material = format!("{alg:?}");
    for part in parts {
        material.push('.');
        material.push_str(part);
    }
    Some(material)
}

fn curve_name(curve: &EllipticCurve) -> &'static str {
    match curve {
        EllipticCurve::P256 => "P-256",
        EllipticCurve::P384 => "P-384",
        EllipticCurve::P521 => "P-521",
        EllipticCurve::Ed25519 => "Ed25519",
        _ => "?",
    }
}

#[cfg(test)]
mod tests;
