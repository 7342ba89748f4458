//! Checking a parsed assertion: its signature by one of the client's keys (chosen by `kid`, of
//! the header's algorithm), and its claims against the rules of RFC 7523 §3.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use tokendealer_client::public_key::{KeyCache, VerifyingKey};

use super::parse::ClientAssertion;
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
    let kind = tokendealer_client::public_key::fits(key, alg);
    let named = key
        .common
        .key_algorithm
        .as_ref()
        .is_none_or(|named| Algorithm::try_from(*named).is_ok_and(|a| a == alg));
    kind && named
}

/// Verifies the signature with the set's key named by `kid`, or, without a `kid`, with each
/// key that fits the algorithm in turn (a set holds at most 16); keys parsed once, in `keys`.
fn check_signature(
    assertion: &ClientAssertion,
    set: &PublicKeySet,
    keys: &KeyCache,
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
        if keys
            .get(key, assertion.alg)
            .is_some_and(|k| verifies(assertion, &k))
        {
            return Ok(());
        }
    }
    Err(FailureReason::BadSignature)
}

fn verifies(assertion: &ClientAssertion, key: &VerifyingKey) -> bool {
    key.verifies(assertion.signing_input.as_bytes(), &assertion.signature)
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

/// Parsed keys kept for assertions at most: every client's and trusted issuer's keys in use,
/// and the decoys (a key costs a few KB parsed).
const PARSED_KEYS: usize = 4096;

/// Signature checks with keys parsed once: the clients' and issuers' keys by their material,
/// and keys no one holds the private half of (made at start and dropped), which an assertion
/// of an unknown client is verified with, so that it costs what a known client's does.
pub struct Signatures {
    keys: KeyCache,
    rsa: Jwk,
    p256: Jwk,
    p384: Jwk,
    ed: Jwk,
    /// Random bytes the longer RSA decoys' moduli are cut from (see [`Signatures::decoy`]).
    modulus: Vec<u8>,
}

impl Signatures {
    pub fn generate() -> anyhow::Result<Self> {
        use crate::domain::keys::SigningAlg;
        let key = |alg| -> anyhow::Result<Jwk> {
            let (key, _) = SigningKey::generate_for(alg)?;
            Ok(key.jwk().clone())
        };
        let mut modulus = vec![0u8; MAX_RSA_BYTES];
        aws_lc_rs::rand::fill(&mut modulus)
            .map_err(|_| anyhow::anyhow!("no random bytes for the decoy keys"))?;
        Ok(Self {
            keys: KeyCache::new(PARSED_KEYS),
            rsa: key(SigningAlg::Rs512)?,
            p256: key(SigningAlg::Es256)?,
            p384: p384_decoy()?,
            ed: key(SigningAlg::EdDsa)?,
            modulus,
        })
    }

    /// [`check_signature`] with these parsed keys. A set with no key for the assertion (no such
    /// `kid`, none of its algorithm) costs a decoy's verification, as an unknown client does:
    /// answered at once, it would tell a registered client from an unknown one.
    pub fn check(
        &self,
        assertion: &ClientAssertion,
        set: &PublicKeySet,
    ) -> Result<(), FailureReason> {
        let checked = check_signature(assertion, set, &self.keys);
        if checked == Err(FailureReason::UnknownKey) {
            self.verify_decoy(assertion);
        }
        checked
    }

    /// One verification of the assertion's algorithm, bound to fail, with a key parsed once, as
    /// a client's is. An RSA signature longer than the 2048-bit decoy's is verified with a
    /// modulus of its own length (random, odd, top bit set: nobody's key), since a key of
    /// another length refuses it before any arithmetic, which would let a 4096-bit client's
    /// wrong key be told from an unknown client.
    pub fn verify_decoy(&self, assertion: &ClientAssertion) {
        let sized;
        let jwk = match assertion.alg {
            Algorithm::ES256 => &self.p256,
            Algorithm::ES384 => &self.p384,
            Algorithm::EdDSA => &self.ed,
            _ => match self.decoy(signature_len(assertion)) {
                Some(jwk) => {
                    sized = jwk;
                    &sized
                }
                None => &self.rsa,
            },
        };
        if let Some(key) = self.keys.get(jwk, assertion.alg) {
            let _ = verifies(assertion, &key);
        }
    }

    /// A public RSA key with a modulus of `len` bytes, for signatures of 2049 to 8192 bits
    /// (the 2048-bit decoy serves the rest): the same for a length every time, so it is parsed
    /// once.
    fn decoy(&self, len: usize) -> Option<Jwk> {
        if !(257..=MAX_RSA_BYTES).contains(&len) {
            return None;
        }
        let mut n = self.modulus.get(..len)?.to_vec();
        if let Some(first) = n.first_mut() {
            *first |= 0x80;
        }
        if let Some(last) = n.last_mut() {
            *last |= 1;
        }
        let mut jwk = self.rsa.clone();
        if let AlgorithmParameters::RSA(rsa) = &mut jwk.algorithm {
            rsa.n = B64.encode(&n);
        }
        Some(jwk)
    }
}

/// The longest RSA modulus a client key may have, in bytes (8192 bits).
const MAX_RSA_BYTES: usize = 1024;

/// The decoded length of the assertion's signature (base64url without padding).
fn signature_len(assertion: &ClientAssertion) -> usize {
    assertion.signature.len() * 3 / 4
}

/// A P-384 public key no one holds the private half of.
fn p384_decoy() -> anyhow::Result<Jwk> {
    use aws_lc_rs::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    let pair = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING)
        .map_err(|_| anyhow::anyhow!("generating the P-384 decoy key"))?;
    let point = pair.public_key().as_ref();
    let (x, y) = point
        .get(1..49)
        .zip(point.get(49..97))
        .ok_or_else(|| anyhow::anyhow!("the P-384 decoy key is not an uncompressed point"))?;
    Ok(serde_json::from_value(serde_json::json!({
        "kty": "EC", "crv": "P-384", "x": B64.encode(x), "y": B64.encode(y)
    }))?)
}
