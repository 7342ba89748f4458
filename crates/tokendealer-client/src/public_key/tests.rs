//! Parsed keys verify what the key signed and nothing else, for each algorithm; the cache
//! keeps one parse per key and algorithm and stays within its bound.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RsaKeyPair,
};
use serde_json::json;

use super::*;

const INPUT: &[u8] = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0";

fn jwk(value: serde_json::Value) -> Jwk {
    serde_json::from_value(value).unwrap()
}

fn ec_key() -> (Jwk, String) {
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let point = pair.public_key().as_ref();
    let jwk = jwk(
        json!({"kty": "EC", "crv": "P-256", "x": B64.encode(&point[1..33]),
                         "y": B64.encode(&point[33..65])}),
    );
    let signature = pair.sign(&SystemRandom::new(), INPUT).unwrap();
    (jwk, B64.encode(signature.as_ref()))
}

#[test]
fn each_algorithm_verifies_its_own_signature_and_refuses_another_input() {
    let (ec, ec_sig) = ec_key();
    let ed = Ed25519KeyPair::generate().unwrap();
    let ed_jwk = jwk(json!({"kty": "OKP", "crv": "Ed25519",
                            "x": B64.encode(ed.public_key().as_ref())}));
    let ed_sig = B64.encode(ed.sign(INPUT).as_ref());
    let rsa = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let components: RsaPublicKeyComponents<Vec<u8>> = rsa.public_key().into();
    let rsa_jwk = jwk(json!({"kty": "RSA", "n": B64.encode(&components.n),
                             "e": B64.encode(&components.e)}));
    let mut rsa_sig = vec![0; rsa.public_modulus_len()];
    rsa.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), INPUT, &mut rsa_sig)
        .unwrap();
    let rsa_sig = B64.encode(&rsa_sig);

    for (key, alg, signature) in [
        (&ec, Algorithm::ES256, &ec_sig),
        (&ed_jwk, Algorithm::EdDSA, &ed_sig),
        (&rsa_jwk, Algorithm::RS256, &rsa_sig),
    ] {
        let parsed = VerifyingKey::from_jwk(key, alg).unwrap();
        assert!(parsed.verifies(INPUT, signature), "{alg:?}");
        assert!(!parsed.verifies(b"another input", signature), "{alg:?}");
        assert!(!parsed.verifies(INPUT, "not base64!"), "{alg:?}");
    }
    // A modulus written with a leading zero byte (RFC 7518 §6.3.1.1 notes libraries do) reads
    // as the same key.
    let padded = jwk(
        json!({"kty": "RSA", "n": B64.encode([&[0u8][..], &components.n].concat()),
                            "e": B64.encode(&components.e)}),
    );
    let parsed = VerifyingKey::from_jwk(&padded, Algorithm::RS256).unwrap();
    assert!(parsed.verifies(INPUT, &rsa_sig));
    // An RSA key read for PS256 does not accept a PKCS #1 v1.5 signature.
    let pss = VerifyingKey::from_jwk(&rsa_jwk, Algorithm::PS256).unwrap();
    assert!(!pss.verifies(INPUT, &rsa_sig));
}

#[test]
fn a_key_of_another_kind_or_curve_than_the_algorithm_is_not_parsed() {
    let (ec, _) = ec_key();
    assert!(VerifyingKey::from_jwk(&ec, Algorithm::ES384).is_none());
    assert!(VerifyingKey::from_jwk(&ec, Algorithm::RS256).is_none());
    assert!(VerifyingKey::from_jwk(&ec, Algorithm::HS256).is_none());
    let off_curve = jwk(
        json!({"kty": "EC", "crv": "P-256", "x": B64.encode([1u8; 32]),
                               "y": B64.encode([2u8; 32])}),
    );
    assert!(VerifyingKey::from_jwk(&off_curve, Algorithm::ES256).is_none());
}

#[test]
fn the_cache_returns_one_parse_per_key_and_algorithm_and_starts_over_when_full() {
    let cache = KeyCache::new(2);
    let (a, a_sig) = ec_key();
    let (b, _) = ec_key();
    let (c, _) = ec_key();
    let first = cache.get(&a, Algorithm::ES256).unwrap();
    let again = cache.get(&a, Algorithm::ES256).unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert!(again.verifies(INPUT, &a_sig));
    assert!(cache.get(&a, Algorithm::ES384).is_none());
    cache.get(&b, Algorithm::ES256).unwrap();
    cache.get(&c, Algorithm::ES256).unwrap();
    assert!(cache.lock().len() <= 2);
    let after = cache.get(&a, Algorithm::ES256).unwrap();
    assert!(!Arc::ptr_eq(&first, &after), "a full cache started over");
    assert!(after.verifies(INPUT, &a_sig));
}
