//! The claim rules: jti, htm, htu, iat, ath, nonce; and the error codes.

use serde_json::{Value, json};

use super::super::*;
use super::support::*;

#[test]
fn jti_htm_htu_and_iat_are_required() {
    for name in ["jti", "htm", "htu", "iat"] {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(name);
        assert_eq!(
            verify_claims(&c, &check()),
            Err(ProofError::Claims),
            "without {name}"
        );
    }
    assert_eq!(
        verify_claims(&with_claim("iat", json!("now")), &check()),
        Err(ProofError::Claims)
    );
}

#[test]
fn an_empty_or_overlong_jti_is_refused() {
    assert_eq!(
        verify_claims(&with_claim("jti", json!("")), &check()),
        Err(ProofError::Jti)
    );
    let long = "j".repeat(MAX_JTI_BYTES + 1);
    assert_eq!(
        verify_claims(&with_claim("jti", json!(long)), &check()),
        Err(ProofError::Jti)
    );
}

#[test]
fn htm_must_be_the_requests_method() {
    for htm in ["GET", "post"] {
        assert_eq!(
            verify_claims(&with_claim("htm", json!(htm)), &check()),
            Err(ProofError::Method)
        );
    }
}

#[test]
fn htu_must_be_the_requests_url_ignoring_query_fragment_and_spelling() {
    for other in [
        "https://evil.example/oauth/token",
        "http://dealer.example/oauth/token",
        "https://dealer.example:8443/oauth/token",
        "https://dealer.example/oauth/token/x",
        "not a url",
    ] {
        assert_eq!(
            verify_claims(&with_claim("htu", json!(other)), &check()),
            Err(ProofError::Url),
            "{other}"
        );
    }
    for same in [
        "https://dealer.example/oauth/token?x=1",
        "https://dealer.example/oauth/token#f",
        "HTTPS://Dealer.Example:443/oauth/token",
        "https://dealer.example/oauth/./x/../token",
        "https://dealer.example/oauth/%74oken",
    ] {
        assert!(
            verify_claims(&with_claim("htu", json!(same)), &check()).is_ok(),
            "{same}"
        );
    }
    let queried = ProofCheck {
        htu: "https://dealer.example/oauth/token?audience=a",
        ..check()
    };
    assert!(verify_claims(&claims(), &queried).is_ok());
}

#[test]
fn iat_must_lie_within_the_maximum_age_and_the_leeway() {
    let at = |iat: u64| verify_claims(&with_claim("iat", json!(iat)), &check());
    assert!(at(NOW + 5).is_ok());
    assert_eq!(at(NOW + 6), Err(ProofError::Future));
    assert!(at(NOW - 305).is_ok());
    assert_eq!(at(NOW - 306), Err(ProofError::Stale));
}

#[test]
fn iat_is_a_numericdate_whose_fraction_is_dropped_and_never_negative() {
    let at = |iat: Value| verify_claims(&with_claim("iat", iat), &check());
    assert_eq!(at(json!(NOW as f64 + 0.75)).map(|v| v.iat), Ok(NOW));
    assert_eq!(at(json!(1e300)), Err(ProofError::Future));
    for bad in [json!(-1), json!(-0.5), json!(null), json!([NOW])] {
        assert_eq!(at(bad.clone()), Err(ProofError::Claims), "{bad}");
    }
}

#[test]
fn with_an_access_token_ath_must_be_its_hash() {
    let token = "eyJhbGciOiJSUzUxMiJ9.e30.c2ln";
    let bound = ProofCheck {
        access_token: Some(token),
        ..check()
    };
    assert_eq!(
        verify_claims(&claims(), &bound),
        Err(ProofError::AccessTokenHash)
    );
    let wrong = with_claim("ath", json!(access_token_hash("another")));
    assert_eq!(
        verify_claims(&wrong, &bound),
        Err(ProofError::AccessTokenHash)
    );
    assert!(verify_claims(&with_claim("ath", json!(access_token_hash(token))), &bound).is_ok());
    // RFC 9449 §7.1's example: the token and its ath.
    assert_eq!(
        access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
}

#[test]
fn an_expected_nonce_must_be_carried_and_equal() {
    let expecting = ProofCheck {
        nonce: Some("n-1"),
        ..check()
    };
    let missing = verify_claims(&claims(), &expecting).unwrap_err();
    assert_eq!(
        (missing, missing.code()),
        (ProofError::NonceMissing, "use_dpop_nonce")
    );
    let other = verify_claims(&with_claim("nonce", json!("n-0")), &expecting).unwrap_err();
    assert_eq!(
        (other, other.code()),
        (ProofError::NonceMismatch, "use_dpop_nonce")
    );
    let carried = verify_claims(&with_claim("nonce", json!("n-1")), &expecting).unwrap();
    assert_eq!(carried.nonce.as_deref(), Some("n-1"));
    // Without an expectation the nonce is only reported, for the caller to judge.
    let reported = verify_claims(&with_claim("nonce", json!("n-9")), &check()).unwrap();
    assert_eq!(reported.nonce.as_deref(), Some("n-9"));
}

#[test]
fn every_other_refusal_is_invalid_dpop_proof() {
    for e in [
        ProofError::TooLarge,
        ProofError::Signature,
        ProofError::Url,
        ProofError::Stale,
    ] {
        assert_eq!(e.code(), "invalid_dpop_proof");
    }
}

#[test]
fn normalize_htu_drops_query_and_fragment_and_refuses_non_http_urls() {
    assert_eq!(
        normalize_htu("https://A.example/p?q#f").as_deref(),
        Some("https://a.example/p")
    );
    assert_eq!(
        normalize_htu("http://a.example:80").as_deref(),
        Some("http://a.example/")
    );
    for bad in [
        "ftp://a.example/",
        "/oauth/token",
        "https://user:pw@a.example/",
        "",
    ] {
        assert_eq!(normalize_htu(bad), None, "{bad}");
    }
}
