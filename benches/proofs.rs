//! What checking a DPoP proof and a client assertion costs the dealer beyond the one signature
//! verification each carries, in one run on one thread: `cargo bench --bench proofs`.
//!
//! Rounds of 1 s alternate: the bare aws-lc-rs check of an ES256 signature (the point and the
//! signature already decoded), `dpop::verify_proof` of an ES256 proof as the token endpoint
//! checks it, and a `private_key_jwt` assertion's parse, signature check (ES256, key by `kid`)
//! and claim check. It prints each one's µs per call per round and the medians.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // a benchmark fails by panicking

#[path = "support/timing.rs"]
mod timing;

use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::json;
use tokendealer::client::dpop::{DEFAULT_ALGORITHMS, ProofCheck, verify_proof};
use tokendealer::domain::assertion::ClientAssertion;
use tokendealer::domain::assertion::verify::{ClaimRules, Signatures, check_claims};
use tokendealer::domain::client_auth::PublicKeySet;

const ROUNDS: usize = 5;
const ROUND: Duration = Duration::from_secs(1);
const HTU: &str = "http://127.0.0.1:5001/oauth/token";

/// A compact JWS of `header` and `claims` signed ES256 by `pair`.
fn sign(pair: &EcdsaKeyPair, header: &serde_json::Value, claims: &serde_json::Value) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(serde_json::to_vec(header).unwrap()),
        B64.encode(serde_json::to_vec(claims).unwrap())
    );
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let signature = pair.sign(&rng, input.as_bytes()).unwrap();
    format!("{input}.{}", B64.encode(signature.as_ref()))
}

fn main() {
    let pkcs8 = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
        .unwrap()
        .to_pkcs8v1()
        .unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let point = pair.public_key().as_ref().to_vec(); // 0x04 || x || y
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": B64.encode(&point[1..33]),
                     "y": B64.encode(&point[33..65])});
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();

    let proof = sign(
        &pair,
        &json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}),
        &json!({"jti": "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5", "htm": "POST", "htu": HTU, "iat": now}),
    );
    let check = ProofCheck {
        htm: "POST",
        htu: HTU,
        now,
        max_age: 60,
        leeway: 10,
        access_token: None,
        nonce: None,
        algorithms: DEFAULT_ALGORITHMS,
        keys: None,
    };
    verify_proof(&proof, &check).unwrap();

    let mut registered = jwk.clone();
    registered["kid"] = json!("bench");
    let set = PublicKeySet::parse(&json!({"keys": [registered]})).unwrap();
    let assertion = sign(
        &pair,
        &json!({"alg": "ES256", "kid": "bench"}),
        &json!({"iss": "bench", "sub": "bench", "aud": "http://127.0.0.1:5001", "iat": now,
                "exp": now + 60, "jti": "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"}),
    );
    let rules = ClaimRules {
        audiences: vec!["http://127.0.0.1:5001".into()],
        max_lifetime: 3600,
        leeway: 30,
    };
    let signatures = Signatures::generate().unwrap();
    let check_assertion = || {
        let parsed = ClientAssertion::parse(black_box(&assertion)).unwrap();
        signatures.check(&parsed, &set).unwrap();
        check_claims(&parsed, "bench", &rules, now).unwrap();
    };
    check_assertion();

    let (input, signature) = proof.rsplit_once('.').unwrap();
    let signature = B64.decode(signature).unwrap();
    let bare = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point);
    bare.verify(input.as_bytes(), &signature).unwrap();

    let (mut b, mut d, mut a) = (vec![], vec![], vec![]);
    println!("round  bare ES256 µs  verify_proof µs  assertion µs");
    for round in 1..=ROUNDS {
        b.push(timing::micros(ROUND, || {
            bare.verify(black_box(input.as_bytes()), &signature)
                .unwrap();
        }));
        d.push(timing::micros(ROUND, || {
            verify_proof(black_box(&proof), &check).unwrap();
        }));
        a.push(timing::micros(ROUND, check_assertion));
        println!(
            "{round:>5}  {:>13.1}  {:>15.1}  {:>12.1}",
            b[round - 1],
            d[round - 1],
            a[round - 1]
        );
    }
    let (b, d, a) = (timing::median(b), timing::median(d), timing::median(a));
    println!(
        "median {b:>12.1}  {d:>15.1}  {a:>12.1}  (proof = {:.2}× bare, assertion = {:.2}× bare)",
        d / b,
        a / b
    );
}
