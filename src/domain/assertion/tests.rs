//! Reading and checking assertions without the server: the header and claim rules.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use super::*;

fn jwt(header: serde_json::Value, claims: serde_json::Value) -> String {
    let enc = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.c2ln", enc(header), enc(claims))
}

fn claims() -> serde_json::Value {
    json!({"iss": "svc", "sub": "svc", "aud": "https://dealer", "exp": 1100, "jti": "j1"})
}

fn rules() -> ClaimRules {
    ClaimRules {
        audiences: vec!["https://dealer".into(), "https://dealer/oauth/token".into()],
        max_lifetime: 3600,
        leeway: 30,
    }
}

#[test]
fn rfc_9864_s_ed25519_is_read_as_eddsa() {
    let a = ClientAssertion::parse(&jwt(json!({"alg": "Ed25519"}), claims())).unwrap();
    assert_eq!(a.alg, jsonwebtoken::Algorithm::EdDSA);
    assert_eq!(
        ClientAssertion::parse(&jwt(json!({"alg": "Ed448"}), claims())).unwrap_err(),
        Malformed::Algorithm
    );
}

#[test]
fn only_asymmetric_algorithms_without_key_bearing_headers_are_read() {
    assert!(ClientAssertion::parse(&jwt(json!({"alg": "RS256", "kid": "k"}), claims())).is_ok());
    for (header, why) in [
        (json!({"alg": "none"}), Malformed::Algorithm),
        (json!({"alg": "HS256"}), Malformed::Algorithm),
        (
            json!({"alg": "RS256", "crit": ["exp"]}),
            Malformed::RefusedHeader,
        ),
        (
            json!({"alg": "RS256", "jku": "http://x"}),
            Malformed::RefusedHeader,
        ),
        (
            json!({"alg": "RS256", "cty": "JWT"}),
            Malformed::RefusedHeader,
        ),
        (json!({"alg": 256}), Malformed::Header),
    ] {
        assert_eq!(
            ClientAssertion::parse(&jwt(header.clone(), claims())).unwrap_err(),
            why,
            "{header}"
        );
    }
}

#[test]
fn size_segments_and_claim_types_are_checked_before_anything_else() {
    let ok = jwt(json!({"alg": "RS256"}), claims());
    assert_eq!(
        ClientAssertion::parse(&format!("{ok}.x")).unwrap_err(),
        Malformed::Segments
    );
    assert_eq!(
        ClientAssertion::parse("a.b").unwrap_err(),
        Malformed::Segments
    );
    let huge = "a".repeat(MAX_ASSERTION_BYTES + 1);
    assert_eq!(
        ClientAssertion::parse(&huge).unwrap_err(),
        Malformed::TooLong
    );
    let mut wrong = claims();
    wrong["exp"] = json!("tomorrow");
    assert_eq!(
        ClientAssertion::parse(&jwt(json!({"alg": "RS256"}), wrong)).unwrap_err(),
        Malformed::Claims
    );
}

#[test]
fn claims_name_the_client_the_dealer_and_a_short_life() {
    let check = |c: serde_json::Value, now| {
        let a = ClientAssertion::parse(&jwt(json!({"alg": "RS256"}), c)).unwrap();
        verify::check_claims(&a, "svc", &rules(), now)
    };
    assert_eq!(check(claims(), 1000), Ok(()));
    let mut many = claims();
    many["aud"] = json!(["https://other", "https://dealer/oauth/token"]);
    assert_eq!(check(many, 1000), Ok(()));
    let mut other = claims();
    other["aud"] = json!("https://other");
    assert_eq!(check(other, 1000), Err(FailureReason::WrongAudience));
    let mut iss = claims();
    iss["iss"] = json!("someone");
    assert_eq!(check(iss, 1000), Err(FailureReason::BadClaims));
    assert_eq!(check(claims(), 1130), Err(FailureReason::ExpiredAssertion));
    let mut week = claims();
    week["exp"] = json!(1000 + 7 * 86_400);
    assert_eq!(check(week, 1000), Err(FailureReason::LongLivedAssertion));
    let mut early = claims();
    early["nbf"] = json!(1050);
    assert_eq!(check(early, 1000), Err(FailureReason::BadClaims));
}
