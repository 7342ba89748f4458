//! The header rules: size, form, typ, alg, jwk, signature.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use super::super::*;
use super::support::*;

#[test]
fn a_valid_proof_names_its_keys_thumbprint_jti_and_iat() {
    for alg in [
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
        Algorithm::RS256,
        Algorithm::PS256,
    ] {
        let key = key(alg);
        let proof = sign(&header(&key), &claims(), &key);
        let verified = verify_proof(&proof, &check()).unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        let jwk: Jwk = serde_json::from_value(key.jwk.clone()).unwrap();
        assert_eq!(verified.jkt, thumbprint(&jwk).unwrap());
        assert_eq!(
            (verified.jti.as_str(), verified.iat, verified.nonce),
            ("e1j3V_bKic8-LAEB", NOW, None)
        );
    }
}

#[test]
fn the_thumbprint_is_rfc_7638s() {
    // RFC 7638 §3.1's example key and its thumbprint.
    let jwk: Jwk = serde_json::from_value(json!({
        "kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    })).unwrap();
    assert_eq!(
        thumbprint(&jwk).unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn a_proof_larger_than_the_bound_is_refused_before_parsing() {
    let big = "a".repeat(MAX_PROOF_BYTES + 1);
    assert_eq!(verify_proof(&big, &check()), Err(ProofError::TooLarge));
}

#[test]
fn a_proof_that_is_not_a_compact_jws_is_malformed() {
    for bad in ["", "abc", "a.b", "a.b.c.d", "!!.e30.sig", "e30.e30."] {
        let err = verify_proof(bad, &check()).unwrap_err();
        assert!(
            matches!(err, ProofError::Malformed | ProofError::WrongType),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn the_typ_must_be_dpop_jwt() {
    let key = key(Algorithm::ES256);
    for typ in [json!("JWT"), json!("at+jwt"), Value::Null] {
        let mut h = header(&key);
        h["typ"] = typ;
        assert_eq!(
            verify_proof(&sign(&h, &claims(), &key), &check()),
            Err(ProofError::WrongType)
        );
    }
}

#[test]
fn none_and_hmac_and_unlisted_algorithms_are_refused() {
    let key = key(Algorithm::ES256);
    let mut none = header(&key);
    none["alg"] = json!("none");
    let unsigned = format!("{}.{}.", b64(&none), b64(&claims()));
    assert_eq!(
        verify_proof(&unsigned, &check()),
        Err(ProofError::Algorithm)
    );

    let secret = Key {
        encoding: EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        alg: Algorithm::HS256,
        jwk: json!({"kty": "oct", "k": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}),
    };
    let hs = sign(&header(&secret), &claims(), &secret);
    let everything = ProofCheck {
        algorithms: &[Algorithm::HS256, Algorithm::ES256],
        ..check()
    };
    assert_eq!(verify_proof(&hs, &everything), Err(ProofError::Algorithm));

    let es_only = ProofCheck {
        algorithms: &[Algorithm::EdDSA],
        ..check()
    };
    let proof = sign(&header(&key), &claims(), &key);
    assert_eq!(verify_proof(&proof, &es_only), Err(ProofError::Algorithm));
}

#[test]
fn the_jwk_header_is_required() {
    let key = key(Algorithm::ES256);
    let mut h = header(&key);
    h.as_object_mut().unwrap().remove("jwk");
    assert_eq!(
        verify_proof(&sign(&h, &claims(), &key), &check()),
        Err(ProofError::MissingKey)
    );
}

#[test]
fn a_jwk_with_private_members_is_refused() {
    let key = key(Algorithm::ES256);
    let mut h = header(&key);
    h["jwk"]["d"] = json!("ZGVhZGJlZWY");
    assert_eq!(
        verify_proof(&sign(&h, &claims(), &key), &check()),
        Err(ProofError::PrivateKey)
    );
}

#[test]
fn a_jwk_of_another_kind_than_the_alg_is_refused() {
    let es = key(Algorithm::ES256);
    let ed = key(Algorithm::EdDSA);
    let p384 = key(Algorithm::ES384);
    for jwk in [&ed.jwk, &p384.jwk] {
        let mut h = header(&es);
        h["jwk"] = jwk.clone();
        assert_eq!(
            verify_proof(&sign(&h, &claims(), &es), &check()),
            Err(ProofError::KeyMismatch)
        );
    }
}

#[test]
fn a_signature_by_another_key_does_not_verify() {
    let named = key(Algorithm::ES256);
    let signer = key(Algorithm::ES256);
    let proof = sign(&header(&named), &claims(), &signer);
    assert_eq!(verify_proof(&proof, &check()), Err(ProofError::Signature));

    let good = sign(&header(&named), &claims(), &named);
    let (message, _) = good.rsplit_once('.').unwrap();
    let tampered = format!("{message}.{}", URL_SAFE_NO_PAD.encode([7u8; 64]));
    assert_eq!(
        verify_proof(&tampered, &check()),
        Err(ProofError::Signature)
    );
}

#[test]
fn ed25519_is_rfc_9864s_name_for_eddsa_and_is_accepted_as_it() {
    let key = key(Algorithm::EdDSA);
    let mut h = header(&key);
    h["alg"] = json!("Ed25519");
    let verified = verify_proof(&sign(&h, &claims(), &key), &check()).unwrap();
    let jwk: Jwk = serde_json::from_value(key.jwk.clone()).unwrap();
    assert_eq!(verified.jkt, thumbprint(&jwk).unwrap());
    // Not when EdDSA is not allowed, and not with another kind of key.
    let no_eddsa = ProofCheck {
        algorithms: &[Algorithm::ES256],
        ..check()
    };
    assert_eq!(
        verify_proof(&sign(&h, &claims(), &key), &no_eddsa),
        Err(ProofError::Algorithm)
    );
    let es = super::support::key(Algorithm::ES256);
    let mut wrong = header(&es);
    wrong["alg"] = json!("Ed25519");
    assert_eq!(
        verify_proof(&sign(&wrong, &claims(), &es), &check()),
        Err(ProofError::KeyMismatch)
    );
}

#[test]
fn the_metadata_names_every_allowed_asymmetric_algorithm_and_ed25519_beside_eddsa() {
    assert_eq!(
        algorithm_names(DEFAULT_ALGORITHMS),
        ["ES256", "ES384", "EdDSA", "Ed25519", "RS256", "PS256"]
    );
    assert_eq!(
        algorithm_names(&[Algorithm::HS256, Algorithm::ES256]),
        ["ES256"]
    );
}

#[test]
fn a_header_with_crit_is_refused_whatever_it_names() {
    let key = key(Algorithm::ES256);
    for crit in [json!(["exp"]), json!(["b64"]), json!([]), json!("x")] {
        let mut h = header(&key);
        h["crit"] = crit.clone();
        h["exp"] = json!(NOW);
        let proof = sign(&h, &claims(), &key);
        assert_eq!(
            verify_proof(&proof, &check()),
            Err(ProofError::Critical),
            "{crit}"
        );
    }
}
