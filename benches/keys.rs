//! What the signature checks of proofs and assertions cost against the token's own RS512
//! signature, in one run on one thread: `cargo bench --bench keys`.
//!
//! Rounds of 1 s alternate, per algorithm: verification with the key parsed for each call (what
//! `jsonwebtoken::crypto::verify` does) and with an aws-lc-rs `ParsedPublicKey` parsed once;
//! and the RS512 signature with a cached RSA-2048 key. It prints µs per call (medians) and, for
//! each algorithm, the ceiling it sets: sign ÷ (sign + verify), the best ratio a token that adds
//! that one verification can reach.

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

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ED25519, EcdsaKeyPair,
    Ed25519KeyPair, KeyPair, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
    RSA_PKCS1_SHA512, RsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey,
};

const ROUNDS: usize = 5;
const ROUND: Duration = Duration::from_secs(1);
const MESSAGE: &[u8] = &[7; 420];

fn main() {
    let rng = SystemRandom::new();
    let rsa = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let mut rsa_sig = vec![0; rsa.public_modulus_len()];
    rsa.sign(&RSA_PKCS1_SHA256, &rng, MESSAGE, &mut rsa_sig)
        .unwrap();
    let components: RsaPublicKeyComponents<Vec<u8>> = rsa.public_key().into();
    let rsa_parsed = components
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .unwrap();

    let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let ec_sig = ec.sign(&rng, MESSAGE).unwrap();
    let ec_point = ec.public_key().as_ref().to_vec();
    let ec_parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &ec_point).unwrap();

    let ed = Ed25519KeyPair::generate().unwrap();
    let ed_sig = ed.sign(MESSAGE);
    let ed_point = ed.public_key().as_ref().to_vec();
    let ed_parsed = ParsedPublicKey::new(&ED25519, &ed_point).unwrap();

    let mut out = vec![0; rsa.public_modulus_len()];
    type Case<'a> = (&'a str, Box<dyn FnMut() + 'a>);
    let mut cases: Vec<Case<'_>> = vec![
        (
            "RS512 sign",
            Box::new(|| {
                rsa.sign(&RSA_PKCS1_SHA512, &rng, black_box(MESSAGE), &mut out)
                    .unwrap();
            }),
        ),
        (
            "RS256 verify, parsed per call",
            Box::new(|| {
                components
                    .verify(&RSA_PKCS1_2048_8192_SHA256, black_box(MESSAGE), &rsa_sig)
                    .unwrap();
            }),
        ),
        (
            "RS256 verify, parsed once",
            Box::new(|| rsa_parsed.verify_sig(black_box(MESSAGE), &rsa_sig).unwrap()),
        ),
        (
            "ES256 verify, parsed per call",
            Box::new(|| {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &ec_point)
                    .verify(black_box(MESSAGE), ec_sig.as_ref())
                    .unwrap();
            }),
        ),
        (
            "ES256 verify, parsed once",
            Box::new(|| {
                ec_parsed
                    .verify_sig(black_box(MESSAGE), ec_sig.as_ref())
                    .unwrap();
            }),
        ),
        (
            "EdDSA verify, parsed per call",
            Box::new(|| {
                UnparsedPublicKey::new(&ED25519, &ed_point)
                    .verify(black_box(MESSAGE), ed_sig.as_ref())
                    .unwrap();
            }),
        ),
        (
            "EdDSA verify, parsed once",
            Box::new(|| {
                ed_parsed
                    .verify_sig(black_box(MESSAGE), ed_sig.as_ref())
                    .unwrap();
            }),
        ),
    ];
    let mut results = vec![Vec::new(); cases.len()];
    for _ in 0..ROUNDS {
        for (i, (_, f)) in cases.iter_mut().enumerate() {
            results[i].push(timing::micros(ROUND, f));
        }
    }
    let medians: Vec<f64> = results.into_iter().map(timing::median).collect();
    let sign = medians[0];
    println!(
        "{:<32} {:>9}  {:>28}",
        "operation", "µs/call", "ceiling sign÷(sign+verify)"
    );
    for ((name, _), m) in cases.iter().zip(&medians) {
        if name.ends_with("sign") {
            println!("{name:<32} {m:>9.1}");
        } else {
            println!("{name:<32} {m:>9.1}  {:>28.3}", sign / (sign + m));
        }
    }
}
