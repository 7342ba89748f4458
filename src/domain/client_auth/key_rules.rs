//! What one public key of a client's (or a trusted issuer's) JWK Set must be to be registered
//! or used: a signing key (`use` `sig`, `key_ops` with `verify` and nothing of encryption), RSA
//! of 2048–8192 bits with exponent 65537, EC P-256/P-384 whose point is on its curve, or
//! Ed25519 of 32 bytes, each read by the parse every signature check uses
//! ([`VerifyingKey::from_jwk`]); never a private or symmetric member. Each refusal is a
//! sentence naming the key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse};
use tokendealer_client::public_key::VerifyingKey;

/// Members a JWK holds only when it is private (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2) or
/// symmetric (`k`, §6.4.1): a set holding one was not meant to be published.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The refusal of `key` (the `index`-th of its set) as JSON, when it holds a private or
/// symmetric member: checked before the key is parsed, which would drop those members.
pub fn check_public(
    key: &serde_json::Map<String, serde_json::Value>,
    index: usize,
) -> Result<(), String> {
    let kid = key.get("kid").and_then(serde_json::Value::as_str);
    match PRIVATE_MEMBERS.iter().find(|m| key.contains_key(**m)) {
        Some(m) => Err(format!(
            "{}: it holds the private or symmetric member \"{m}\": register public keys only",
            key_name(kid, index)
        )),
        None => Ok(()),
    }
}

/// The refusal of `key` (the `index`-th of its set), or `Ok`.
pub fn check_key(key: &Jwk, index: usize) -> Result<(), String> {
    let name = key_name(key.common.key_id.as_deref(), index);
    why_refused(key).map_err(|why| format!("{name}: {why}"))
}

/// How a refusal names a key: by its `kid`, else by its place in the set.
fn key_name(kid: Option<&str>, index: usize) -> String {
    match kid {
        Some(kid) => format!("key {kid:?}"),
        None => format!("key #{} (no kid)", index + 1),
    }
}

fn why_refused(key: &Jwk) -> Result<(), String> {
    if key
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return Err("its \"use\", when given, must be \"sig\"".into());
    }
    if let Some(ops) = &key.common.key_operations {
        if !ops.contains(&KeyOperations::Verify) {
            return Err("its \"key_ops\", when given, must include \"verify\"".into());
        }
        let encryption = ops.iter().any(|op| {
            matches!(
                op,
                KeyOperations::Encrypt
                    | KeyOperations::Decrypt
                    | KeyOperations::WrapKey
                    | KeyOperations::UnwrapKey
                    | KeyOperations::DeriveKey
                    | KeyOperations::DeriveBits
            )
        });
        if encryption {
            return Err(
                "its \"key_ops\" name encryption or key agreement: a signing key only".into(),
            );
        }
    }
    match &key.algorithm {
        AlgorithmParameters::RSA(rsa) => {
            let n = decode(&rsa.n, "n")?;
            let bits = significant_bits(&n);
            if !(2048..=8192).contains(&bits) {
                return Err(format!(
                    "an RSA key of {bits} bits: 2048 to 8192 are accepted"
                ));
            }
            let e = decode(&rsa.e, "e")?;
            if e.first() == Some(&0) {
                return Err("its \"e\" must be written in the fewest octets, without leading zero bytes (RFC 7518 §6.3.1.2)".into());
            }
            if e != [1, 0, 1] {
                return Err("an RSA key's exponent must be 65537".into());
            }
        }
        AlgorithmParameters::EllipticCurve(ec) => {
            let len = match ec.curve {
                EllipticCurve::P256 => 32,
                EllipticCurve::P384 => 48,
                _ => return Err("EC keys are on P-256 or P-384".into()),
            };
            let (x, y) = (decode(&ec.x, "x")?, decode(&ec.y, "y")?);
            if x.len() != len || y.len() != len {
                return Err(format!("its \"x\" and \"y\" must be {len} bytes each"));
            }
        }
        AlgorithmParameters::OctetKeyPair(okp) => {
            if okp.curve != EllipticCurve::Ed25519 {
                return Err("OKP keys are Ed25519".into());
            }
            if decode(&okp.x, "x")?.len() != 32 {
                return Err("an Ed25519 key's \"x\" must be 32 bytes".into());
            }
        }
        _ => return Err("keys are RSA, EC (P-256, P-384) or OKP (Ed25519)".into()),
    }
    // What every signature will be checked with: an EC point off its curve fails here.
    let alg = match &key.algorithm {
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P384 => {
            Algorithm::ES384
        }
        AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
        AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
        _ => Algorithm::RS256,
    };
    if VerifyingKey::from_jwk(key, alg).is_some() {
        return Ok(());
    }
    Err(match key.algorithm {
        AlgorithmParameters::EllipticCurve(_) => "its point is not on the curve",
        _ => "not usable: aws-lc-rs does not read it as a public key",
    }
    .into())
}

fn decode(b64: &str, member: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(b64.trim_end_matches('='))
        .map_err(|_| format!("its \"{member}\" is not base64url"))
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

fn significant_bits(n: &[u8]) -> usize {
    match strip_zeros(n) {
        [] => 0,
        [first, rest @ ..] => rest.len() * 8 + (8 - first.leading_zeros() as usize),
    }
}
