//! Verifier: claims, algorithm confusion, time, issuer/audience/type, JWKS caching.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::support::{AUDIENCE, DEALER_KEY, FOREIGN_KEY, MockDealer, NOW, TestKey};
use crate::{Verifier, VerifyError};

fn verifier(dealer: &MockDealer) -> Verifier {
    Verifier::builder(dealer.jwks_uri(), dealer.base.clone(), AUDIENCE)
        .build()
        .unwrap()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

async fn rejection(dealer: &MockDealer, token: &str) -> VerifyError {
    verifier(dealer).verify_at(token, NOW).await.unwrap_err()
}

#[tokio::test]
async fn a_token_issued_by_the_dealer_yields_its_claims() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let claims = verifier(&dealer)
        .verify_at(&DEALER_KEY.sign(&dealer.claims()), NOW)
        .await
        .unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.client_id.as_deref()),
        ("strava", Some("strava"))
    );
    assert_eq!(claims.scopes, ["runs:read"]);
    assert_eq!(claims.aud, [AUDIENCE]);
    assert_eq!(
        (claims.iss, claims.jti.as_deref()),
        (Some(dealer.base.clone()), Some("j-1"))
    );
}

#[tokio::test]
async fn a_token_with_alg_none_is_rejected_before_any_key_is_fetched() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let header = json!({"alg": "none", "typ": "at+jwt", "kid": "dealer-1"});
    let token = format!("{}.{}.", b64(&header), b64(&dealer.claims()));
    let err = rejection(&dealer, &token).await;
    assert!(matches!(err, VerifyError::Malformed(_)), "{err:?}");
    assert_eq!(dealer.jwks_hits(), 0);
}

#[tokio::test]
async fn a_token_signed_with_hs256_using_the_public_key_is_rejected() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let mut header = DEALER_KEY.header();
    header.alg = Algorithm::HS256;
    let secret = EncodingKey::from_secret(&DEALER_KEY.public_der);
    let token = jsonwebtoken::encode(&header, &dealer.claims(), &secret).unwrap();
    let err = rejection(&dealer, &token).await;
    assert!(
        matches!(err, VerifyError::AlgorithmNotAllowed(_)),
        "{err:?}"
    );
    assert_eq!(dealer.jwks_hits(), 0);
}

#[test]
fn hmac_algorithms_cannot_be_allowed() {
    let built = Verifier::builder("http://127.0.0.1:9/jwks", "iss", "aud")
        .algorithms(&[Algorithm::RS512, Algorithm::HS256])
        .build();
    assert!(built.is_err());
}

#[tokio::test]
async fn an_rs256_token_is_rejected_when_only_rs512_is_allowed() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let mut header = DEALER_KEY.header();
    header.alg = Algorithm::RS256;
    let err = rejection(&dealer, &DEALER_KEY.sign_with(header, &dealer.claims())).await;
    assert!(
        matches!(err, VerifyError::AlgorithmNotAllowed(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_key_published_for_another_algorithm_is_not_used() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let verifier = Verifier::builder(dealer.jwks_uri(), dealer.base.clone(), AUDIENCE)
        .algorithms(&[Algorithm::RS512, Algorithm::RS256])
        .build()
        .unwrap();
    let mut header = DEALER_KEY.header();
    header.alg = Algorithm::RS256;
    let token = DEALER_KEY.sign_with(header, &dealer.claims());
    let err = verifier.verify_at(&token, NOW).await.unwrap_err();
    assert!(
        matches!(err, VerifyError::KeyAlgorithmMismatch { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_token_with_an_unknown_kid_is_rejected() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let mut header = DEALER_KEY.header();
    header.kid = Some("nobody".into());
    let err = rejection(&dealer, &DEALER_KEY.sign_with(header, &dealer.claims())).await;
    assert!(matches!(err, VerifyError::UnknownKey(Some(_))), "{err:?}");
}

#[tokio::test]
async fn a_tampered_payload_is_rejected() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let token = DEALER_KEY.sign(&dealer.claims());
    let mut forged_claims = dealer.claims();
    forged_claims["scope"] = json!("runs:read runs:admin");
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], b64(&forged_claims), parts[2]);
    assert!(matches!(
        rejection(&dealer, &forged).await,
        VerifyError::BadSignature
    ));
}

#[tokio::test]
async fn a_token_signed_with_a_foreign_key_under_the_dealers_kid_is_rejected() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let token = FOREIGN_KEY.sign(&dealer.claims());
    assert!(matches!(
        rejection(&dealer, &token).await,
        VerifyError::BadSignature
    ));
}

#[tokio::test]
async fn expiry_and_not_before_allow_thirty_seconds_of_skew() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let verifier = verifier(&dealer);
    let token = DEALER_KEY.sign(&dealer.claims());
    let (exp, nbf) = (NOW + 600, NOW);
    assert!(verifier.verify_at(&token, exp + 30).await.is_ok());
    let late = verifier.verify_at(&token, exp + 31).await.unwrap_err();
    assert!(matches!(late, VerifyError::Expired), "{late:?}");
    assert!(verifier.verify_at(&token, nbf - 30).await.is_ok());
    let early = verifier.verify_at(&token, nbf - 31).await.unwrap_err();
    assert!(matches!(early, VerifyError::NotYetValid), "{early:?}");
}

#[tokio::test]
async fn a_token_from_another_issuer_or_for_another_audience_is_rejected() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let mut claims = dealer.claims();
    claims["iss"] = json!("https://evil.example");
    let token = DEALER_KEY.sign(&claims);
    assert!(matches!(
        rejection(&dealer, &token).await,
        VerifyError::WrongIssuer
    ));
    let mut claims = dealer.claims();
    claims["aud"] = json!("billing");
    let token = DEALER_KEY.sign(&claims);
    assert!(matches!(
        rejection(&dealer, &token).await,
        VerifyError::WrongAudience
    ));
    let mut claims = dealer.claims();
    claims.as_object_mut().unwrap().remove("aud");
    let token = DEALER_KEY.sign(&claims);
    assert!(matches!(
        rejection(&dealer, &token).await,
        VerifyError::Malformed(_)
    ));
}

#[tokio::test]
async fn only_the_at_jwt_type_is_accepted_in_either_spelling_and_case() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let verifier = verifier(&dealer);
    for (typ, accepted) in [
        (Some("at+jwt"), true),
        (Some("AT+JWT"), true),
        (Some("application/at+jwt"), true),
        (Some("JWT"), false),
        (None, false),
    ] {
        let mut header = DEALER_KEY.header();
        header.typ = typ.map(str::to_owned);
        let token = DEALER_KEY.sign_with(header, &dealer.claims());
        let outcome = verifier.verify_at(&token, NOW).await;
        assert_eq!(outcome.is_ok(), accepted, "typ {typ:?}: {outcome:?}");
    }
}

#[tokio::test]
async fn es256_and_eddsa_tokens_verify_when_those_algorithms_are_allowed() {
    let (ec, ed) = (TestKey::es256("ec-1"), TestKey::ed25519("ed-1"));
    let dealer = MockDealer::start(&[&DEALER_KEY, &ec, &ed]).await;
    let verifier = Verifier::builder(dealer.jwks_uri(), dealer.base.clone(), AUDIENCE)
        .algorithms(&[Algorithm::RS512, Algorithm::ES256, Algorithm::EdDSA])
        .build()
        .unwrap();
    for key in [&*DEALER_KEY, &ec, &ed] {
        let token = key.sign(&dealer.claims());
        assert!(
            verifier.verify_at(&token, NOW).await.is_ok(),
            "{:?}",
            key.alg
        );
    }
    // Only RS512 by default: the same EdDSA token is refused.
    let token = ed.sign(&dealer.claims());
    let err = rejection(&dealer, &token).await;
    assert!(matches!(err, VerifyError::AlgorithmNotAllowed(_)));
}

fn legacy_token() -> String {
    let header = Header {
        typ: Some("JWT".into()),
        ..Header::new(Algorithm::RS512)
    };
    let claims = json!({
        "exp": NOW + 600, "iat": NOW,
        "sub": {"id": 1, "username": "user1", "email": "user1@example.org", "roles": ["role1"],
                "wfc": {"id": 2, "name": "wfc1", "org": "org1", "orgunit": "ou1", "department": "dept1"}},
    });
    DEALER_KEY.sign_with(header, &claims)
}

#[tokio::test]
async fn a_legacy_tokenleader_token_maps_to_the_same_claims_when_enabled() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let verifier = Verifier::builder(dealer.jwks_uri(), dealer.base.clone(), AUDIENCE)
        .accept_legacy_tokenleader(true)
        .build()
        .unwrap();
    let claims = verifier.verify_at(&legacy_token(), NOW).await.unwrap();
    assert_eq!(claims.sub, "user1");
    assert_eq!(claims.email.as_deref(), Some("user1@example.org"));
    assert_eq!(claims.roles, ["role1"]);
    assert_eq!(claims.wfc.unwrap().orgunit, "ou1");
    assert_eq!((claims.iss, claims.aud.len()), (None, 0));
    let late = verifier.verify_at(&legacy_token(), NOW + 631).await;
    assert!(matches!(late, Err(VerifyError::Expired)));
}

#[tokio::test]
async fn a_legacy_tokenleader_token_is_rejected_by_default() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let err = rejection(&dealer, &legacy_token()).await;
    assert!(matches!(err, VerifyError::WrongType(_)), "{err:?}");
}
