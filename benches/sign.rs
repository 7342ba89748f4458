//! Signing and verifying one access token, per algorithm: the raw aws-lc-rs signature, our
//! `SigningKey` (header + claims + signature, one allocation), and `jsonwebtoken::encode` (which
//! re-parses the private key on every call). `cargo bench --bench sign`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // a benchmark fails by panicking

use std::hint::black_box;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, RSA_PKCS1_SHA512,
};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{EncodingKey, Header, Validation};
use tokendealer::domain::keys::{SigningAlg, SigningKey};
use tokendealer::domain::{AccessClaims, Audience, UnixTime, new_claims};

fn claims() -> AccessClaims {
    let aud = Audience::parse("https://api.example").unwrap();
    let mut c = new_claims(
        "http://127.0.0.1:5001",
        "svc-billing",
        "svc-billing",
        &aud,
        UnixTime::from_secs(1_900_000_000),
        3600,
    );
    c.scope = Some("read write".into());
    c
}

fn encoding_key(alg: SigningAlg, der: &[u8]) -> EncodingKey {
    match alg {
        SigningAlg::Rs512 => {
            let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.to_vec()));
            EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()
        }
        SigningAlg::EdDsa => EncodingKey::from_ed_der(der),
        SigningAlg::Es256 => EncodingKey::from_ec_der(der),
    }
}

/// One bare aws-lc-rs signature over a message, with the key parsed once.
type RawSign = Box<dyn Fn(&[u8])>;

fn raw_sign(alg: SigningAlg, der: &[u8]) -> RawSign {
    let rng = SystemRandom::new();
    match alg {
        SigningAlg::Rs512 => {
            let k = RsaKeyPair::from_pkcs8(der).unwrap();
            Box::new(move |msg| {
                let mut sig = [0u8; 256];
                k.sign(&RSA_PKCS1_SHA512, &rng, msg, &mut sig).unwrap();
                black_box(sig);
            })
        }
        SigningAlg::EdDsa => {
            let k = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).unwrap();
            Box::new(move |msg| {
                black_box(k.sign(msg));
            })
        }
        SigningAlg::Es256 => {
            let k = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).unwrap();
            Box::new(move |msg| {
                black_box(k.sign(&rng, msg).unwrap());
            })
        }
    }
}

fn sign(c: &mut Criterion) {
    let claims = claims();
    for alg in SigningAlg::ALL {
        let (key, der) = SigningKey::generate_for(alg).unwrap();
        let mut g = c.benchmark_group(format!("sign/{alg}"));
        let token = key.sign_access_token(&claims).unwrap();
        let signed_part = &token[..token.rfind('.').unwrap()];
        let raw = raw_sign(alg, &der);
        g.bench_function("aws-lc raw signature", |b| {
            b.iter(|| raw(black_box(signed_part.as_bytes())))
        });
        g.bench_function("SigningKey::sign_access_token", |b| {
            b.iter(|| key.sign_access_token(black_box(&claims)).unwrap())
        });
        let enc = encoding_key(alg, &der);
        let header = Header::new(alg.jwt());
        g.bench_function("jsonwebtoken::encode", |b| {
            b.iter(|| jsonwebtoken::encode(&header, black_box(&claims), &enc).unwrap())
        });
        g.finish();

        let mut g = c.benchmark_group(format!("verify/{alg}"));
        let mut validation = Validation::new(alg.jwt());
        validation.set_audience(&["https://api.example"]);
        validation.validate_exp = false;
        g.bench_function("jsonwebtoken::decode", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<AccessClaims>(
                    black_box(&token),
                    key.decoding_key(),
                    &validation,
                )
                .unwrap()
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = sign
}
criterion_main!(benches);
