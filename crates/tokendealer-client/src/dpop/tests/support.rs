//! Real keys and proofs for the verifier's tests: each algorithm's key, a signer, claims.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use super::super::*;

pub const NOW: u64 = 1_800_000_000;
pub const URL: &str = "https://dealer.example/oauth/token";

pub struct Key {
    pub encoding: EncodingKey,
    pub alg: Algorithm,
    pub jwk: Value,
}

pub fn key(alg: Algorithm) -> Key {
    let encoding = match alg {
        Algorithm::ES256 => {
            let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
            EncodingKey::from_ec_der(pair.to_pkcs8v1().unwrap().as_ref())
        }
        Algorithm::ES384 => {
            let pair = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING).unwrap();
            EncodingKey::from_ec_der(pair.to_pkcs8v1().unwrap().as_ref())
        }
        Algorithm::EdDSA => {
            let pair = Ed25519KeyPair::generate().unwrap();
            EncodingKey::from_ed_der(pair.to_pkcs8v1().unwrap().as_ref())
        }
        Algorithm::RS256 | Algorithm::PS256 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
            use aws_lc_rs::encoding::AsDer;
            let der = pair.as_der().unwrap();
            let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
            EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()
        }
        other => panic!("no test key for {other:?}"),
    };
    let mut jwk = serde_json::to_value(Jwk::from_encoding_key(&encoding, alg).unwrap()).unwrap();
    // What clients send: the key's members only.
    let members = jwk.as_object_mut().unwrap();
    members.retain(|name, _| ["kty", "crv", "x", "y", "n", "e"].contains(&name.as_str()));
    Key { encoding, alg, jwk }
}

pub fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

pub fn sign(header: &Value, claims: &Value, key: &Key) -> String {
    let message = format!("{}.{}", b64(header), b64(claims));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key.encoding, key.alg).unwrap();
    format!("{message}.{signature}")
}

pub fn header(key: &Key) -> Value {
    json!({"typ": "dpop+jwt", "alg": key.alg, "jwk": key.jwk})
}

pub fn claims() -> Value {
    json!({"jti": "e1j3V_bKic8-LAEB", "htm": "POST", "htu": URL, "iat": NOW})
}

pub fn check() -> ProofCheck<'static> {
    ProofCheck {
        htm: "POST",
        htu: URL,
        now: NOW,
        max_age: 300,
        leeway: 5,
        access_token: None,
        nonce: None,
        algorithms: DEFAULT_ALGORITHMS,
        keys: None,
    }
}

pub fn with_claim(name: &str, value: Value) -> Value {
    let mut c = claims();
    c[name] = value;
    c
}

pub fn verify_claims(claims: &Value, check: &ProofCheck<'_>) -> Result<VerifiedProof, ProofError> {
    let key = key(Algorithm::ES256);
    verify_proof(&sign(&header(&key), claims, &key), check)
}
