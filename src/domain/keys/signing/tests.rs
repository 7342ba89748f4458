//! Unit tests of `signing.rs`.

use super::*;
use jsonwebtoken::{Algorithm, Validation, decode, decode_header};

#[test]
fn an_rsa_key_over_4096_bits_is_refused() {
    // aws-lc makes 8192-bit keys at most, ~25 s unoptimized; openssl any size, as PKCS#1 DER.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.der");
    let made = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:4608",
        ])
        .args(["-outform", "DER", "-out"])
        .arg(&path)
        .status()
        .expect("openssl is installed");
    assert!(made.success());
    let der = std::fs::read(&path).unwrap();
    let err = SigningKey::from_der("RSA PRIVATE KEY", &der).err().unwrap();
    assert!(format!("{err:#}").contains("2048 to 4096 bits"), "{err:#}");
}

#[test]
fn a_signed_token_verifies_with_jsonwebtoken_and_carries_the_kid() {
    let (key, _) = SigningKey::generate().unwrap();
    let token = key
        .sign_access_token(&serde_json::json!({"sub": "svc", "exp": 4_000_000_000u64}))
        .unwrap();
    let header = decode_header(&token).unwrap();
    assert_eq!(header.kid.as_deref(), Some(key.kid()));
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let data = decode::<serde_json::Value>(
        &token,
        key.decoding_key(),
        &Validation::new(Algorithm::RS512),
    )
    .unwrap();
    assert_eq!(data.claims["sub"], "svc");
}

#[test]
fn eddsa_and_es256_tokens_verify_with_their_own_jwk_and_reload_with_the_same_kid() {
    for alg in [SigningAlg::EdDsa, SigningAlg::Es256] {
        let (key, der) = SigningKey::generate_for(alg).unwrap();
        assert_eq!(key.signing_alg(), alg);
        let token = key
            .sign_access_token(&serde_json::json!({"sub": "svc", "exp": 4_000_000_000u64}))
            .unwrap();
        let header = decode_header(&token).unwrap();
        assert_eq!(header.alg, alg.jwt());
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(serde_json::to_value(key.jwk()).unwrap()).unwrap();
        let data = decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_jwk(&jwk).unwrap(),
            &Validation::new(alg.jwt()),
        )
        .unwrap();
        assert_eq!(data.claims["sub"], "svc");
        let reloaded = SigningKey::from_der("PRIVATE KEY", &der).unwrap();
        assert_eq!(reloaded.kid(), key.kid());
        assert_eq!(reloaded.signing_alg(), alg);
    }
}

#[test]
fn a_key_reloaded_from_its_der_has_the_same_kid() {
    let (key, der) = SigningKey::generate().unwrap();
    assert_eq!(
        SigningKey::from_der("PRIVATE KEY", &der).unwrap().kid(),
        key.kid()
    );
}
