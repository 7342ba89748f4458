//! Client assertions (RFC 7523, `private_key_jwt`) for benches/assertions.sh and
//! benches/instructions.sh, made before a measured phase so that the load generator sends a
//! ready line per request and signs nothing while the dealer is timed.
//!
//!   client_assertions key ES256|EdDSA|RS256 KEY_FILE > jwks.json   a new key (PKCS#8 PEM,
//!                                                     0600) and its public JWK Set, kid "bench"
//!   client_assertions sign KEY_FILE CLIENT_ID AUD COUNT SECS > assertions.txt
//!
//! `sign` writes COUNT assertions, one a line, each with its own `jti` and `exp` = now + SECS
//! (keep it within the dealer's `max_lifetime_secs`, 3600 by default: an assertion is good
//! once, until it expires). The key is parsed once; each line costs one signature.

#![allow(clippy::indexing_slicing)] // the fixed layout of an uncompressed P-256 point

use std::io::Write;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::json;

const USAGE: &str = "usage: client_assertions key ES256|EdDSA|RS256 KEY_FILE | \
                     client_assertions sign KEY_FILE CLIENT_ID AUD COUNT SECS";

/// A private key of either kind, parsed once.
enum Key {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
    Rs256(RsaKeyPair),
}

impl Key {
    fn read(pkcs8: &[u8]) -> anyhow::Result<Self> {
        if let Ok(k) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8) {
            return Ok(Self::Es256(k));
        }
        if let Ok(k) = RsaKeyPair::from_pkcs8(pkcs8) {
            return Ok(Self::Rs256(k));
        }
        Ed25519KeyPair::from_pkcs8(pkcs8)
            .map(Self::EdDsa)
            .map_err(|_| anyhow::anyhow!("the key is not a P-256, RSA or Ed25519 PKCS#8 key"))
    }

    fn alg(&self) -> &'static str {
        match self {
            Self::Es256(_) => "ES256",
            Self::EdDsa(_) => "EdDSA",
            Self::Rs256(_) => "RS256",
        }
    }

    fn jwk(&self) -> serde_json::Value {
        match self {
            Self::Es256(k) => {
                let point = k.public_key().as_ref(); // 0x04 || x || y
                json!({"kty": "EC", "crv": "P-256", "x": B64.encode(&point[1..33]),
                       "y": B64.encode(&point[33..65]), "kid": "bench", "alg": "ES256"})
            }
            Self::EdDsa(k) => json!({"kty": "OKP", "crv": "Ed25519",
                "x": B64.encode(k.public_key().as_ref()), "kid": "bench", "alg": "EdDSA"}),
            Self::Rs256(k) => {
                let parts = PublicKeyComponents::<Vec<u8>>::from(k.public_key());
                json!({"kty": "RSA", "n": B64.encode(&parts.n), "e": B64.encode(&parts.e),
                       "kid": "bench", "alg": "RS256"})
            }
        }
    }

    fn sign(&self, rng: &SystemRandom, input: &[u8]) -> anyhow::Result<Vec<u8>> {
        Ok(match self {
            Self::Es256(k) => k
                .sign(rng, input)
                .map_err(|_| anyhow::anyhow!("signing failed"))?
                .as_ref()
                .to_vec(),
            Self::EdDsa(k) => k.sign(input).as_ref().to_vec(),
            Self::Rs256(k) => {
                let mut signature = vec![0; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, rng, input, &mut signature)
                    .map_err(|_| anyhow::anyhow!("signing failed"))?;
                signature
            }
        })
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["key", alg, file] => new_key(alg, file),
        ["sign", file, client_id, aud, count, secs] => {
            let key = Key::read(pem::parse(std::fs::read(file)?)?.contents())?;
            sign(&key, client_id, aud, count.parse()?, secs.parse()?)
        }
        _ => anyhow::bail!(USAGE),
    }
}

fn new_key(alg: &str, file: &str) -> anyhow::Result<()> {
    let pkcs8 = match alg {
        "ES256" => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .and_then(|k| k.to_pkcs8v1())
            .map(|d| d.as_ref().to_vec()),
        "EdDSA" => Ed25519KeyPair::generate()
            .and_then(|k| k.to_pkcs8())
            .map(|d| d.as_ref().to_vec()),
        "RS256" => RsaKeyPair::generate(KeySize::Rsa2048)
            .and_then(|k| k.as_der())
            .map(|d| d.as_ref().to_vec()),
        _ => anyhow::bail!(USAGE),
    }
    .map_err(|_| anyhow::anyhow!("generating a key failed"))?;
    let key = Key::read(&pkcs8)?;
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8));
    let mut out = std::fs::OpenOptions::new();
    out.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut out, 0o600);
    out.open(file)?.write_all(pem.as_bytes())?;
    println!("{}", json!({"keys": [key.jwk()]}));
    Ok(())
}

fn sign(key: &Key, client_id: &str, aud: &str, count: usize, secs: u64) -> anyhow::Result<()> {
    let rng = SystemRandom::new();
    let header = B64.encode(serde_json::to_vec(
        &json!({"alg": key.alg(), "kid": "bench"}),
    )?);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for _ in 0..count {
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": aud,
            "iat": now,
            "exp": now + secs,
            "jti": hex::encode(rand::random::<[u8; 16]>()),
        });
        let input = format!("{header}.{}", B64.encode(serde_json::to_vec(&claims)?));
        let signature = B64.encode(key.sign(&rng, input.as_bytes())?);
        writeln!(out, "{input}.{signature}")?;
    }
    out.flush()?;
    Ok(())
}
