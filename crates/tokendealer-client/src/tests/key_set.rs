//! Key set fetching (cooldown, rotation, max-age), discovery and introspection.

use http::StatusCode;
use serde_json::json;

use super::support::{AUDIENCE, DEALER_KEY, MockDealer, NOW, TestKey, json_response, serve};
use crate::{IntrospectionVerifier, ServerMetadata, Verifier, VerifyError};

fn verifier(dealer: &MockDealer) -> Verifier {
    Verifier::builder(dealer.jwks_uri(), dealer.base.clone(), AUDIENCE)
        .build()
        .unwrap()
}

/// 100 tokens, each naming a different unknown `kid`, verified concurrently at `now`.
async fn kid_storm(verifier: &Verifier, dealer: &MockDealer, now: u64) {
    let checks = (0..100)
        .map(|i| {
            let mut header = DEALER_KEY.header();
            header.kid = Some(format!("unknown-{i}"));
            let token = DEALER_KEY.sign_with(header, &dealer.claims());
            let verifier = verifier.clone();
            tokio::spawn(async move { verifier.verify_at(&token, now).await })
        })
        .collect::<Vec<_>>();
    for check in checks {
        assert!(matches!(
            check.await.unwrap(),
            Err(VerifyError::UnknownKey(_))
        ));
    }
}

#[tokio::test]
async fn a_storm_of_unknown_kids_causes_at_most_one_fetch_per_cooldown() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let verifier = verifier(&dealer);
    kid_storm(&verifier, &dealer, NOW).await;
    assert_eq!(dealer.jwks_hits(), 1);
    kid_storm(&verifier, &dealer, NOW + 29).await;
    assert_eq!(dealer.jwks_hits(), 1);
    kid_storm(&verifier, &dealer, NOW + 30).await;
    assert_eq!(dealer.jwks_hits(), 2);
}

#[tokio::test]
async fn known_keys_are_served_from_the_cache() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let verifier = verifier(&dealer);
    let token = DEALER_KEY.sign(&dealer.claims());
    for _ in 0..10 {
        verifier.verify_at(&token, NOW).await.unwrap();
    }
    assert_eq!(dealer.jwks_hits(), 1);
}

#[tokio::test]
async fn a_rotated_in_key_is_found_once_the_cooldown_has_passed() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let verifier = verifier(&dealer);
    verifier
        .verify_at(&DEALER_KEY.sign(&dealer.claims()), NOW)
        .await
        .unwrap();
    let next = TestKey::rsa("dealer-2");
    dealer.state.jwks.lock().unwrap().push(next.jwk());
    let token = next.sign(&dealer.claims());
    let soon = verifier.verify_at(&token, NOW + 1).await;
    assert!(matches!(soon, Err(VerifyError::UnknownKey(_))), "{soon:?}");
    verifier.verify_at(&token, NOW + 31).await.unwrap();
    assert_eq!(dealer.jwks_hits(), 2);
}

#[tokio::test]
async fn the_key_set_is_refreshed_after_its_max_age() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    *dealer.state.cache_control.lock().unwrap() = Some("public, max-age=60".into());
    let verifier = verifier(&dealer);
    let token = DEALER_KEY.sign(&dealer.claims());
    verifier.verify_at(&token, NOW).await.unwrap();
    verifier.verify_at(&token, NOW + 59).await.unwrap();
    assert_eq!(dealer.jwks_hits(), 1);
    verifier.verify_at(&token, NOW + 60).await.unwrap();
    assert_eq!(dealer.jwks_hits(), 2);
}

#[tokio::test]
async fn an_unreachable_key_set_is_reported_as_unavailable_not_as_a_bad_token() {
    let verifier = Verifier::builder("http://127.0.0.1:9/jwks", "iss", AUDIENCE)
        .build()
        .unwrap();
    let token = DEALER_KEY.sign(&json!({}));
    // The second answer comes from the cooldown, not from another failed fetch.
    for _ in 0..2 {
        let err = verifier.verify_at(&token, NOW).await.unwrap_err();
        assert!(!err.is_token_problem(), "{err:?}");
    }
}

#[tokio::test]
async fn discovery_yields_a_working_verifier() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let metadata = ServerMetadata::discover(&reqwest::Client::new(), &format!("{}/", dealer.base))
        .await
        .unwrap();
    assert_eq!(metadata.issuer, dealer.base);
    let verifier = Verifier::from_metadata(&metadata, AUDIENCE)
        .build()
        .unwrap();
    let claims = verifier
        .verify_at(&DEALER_KEY.sign(&dealer.claims()), NOW)
        .await
        .unwrap();
    assert_eq!(claims.sub, "strava");
}

#[tokio::test]
async fn introspection_accepts_active_tokens_and_refuses_inactive_ones() {
    let dealer = MockDealer::start(&[]).await;
    let metadata = ServerMetadata::discover(&reqwest::Client::new(), &dealer.base)
        .await
        .unwrap();
    let remote =
        IntrospectionVerifier::from_metadata(&metadata, "rs", "rs secret", AUDIENCE).unwrap();
    let claims = remote.verify("good").await.unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.roles.as_slice()),
        ("alice", &["role1".to_owned()][..])
    );
    assert!(matches!(
        remote.verify("revoked").await,
        Err(VerifyError::Inactive)
    ));
    let billing =
        IntrospectionVerifier::from_metadata(&metadata, "rs", "rs secret", "billing").unwrap();
    assert!(matches!(
        billing.verify("good").await,
        Err(VerifyError::WrongAudience)
    ));
    // Any audience only when asked for by name.
    assert!(billing.any_audience().verify("good").await.is_ok());
    let wrong_secret =
        IntrospectionVerifier::from_metadata(&metadata, "rs", "nope", AUDIENCE).unwrap();
    let err = wrong_secret.verify("good").await.unwrap_err();
    assert!(!err.is_token_problem(), "{err:?}");
}

/// A dealer whose issuer has the path `/tenant-a` and whose metadata is only at `path`.
async fn path_issuer_dealer(path: &'static str) -> String {
    serve(move |seen| async move {
        if seen.path == path {
            json_response(StatusCode::OK, json!({"issuer": "i", "jwks_uri": "j"}))
        } else {
            json_response(StatusCode::NOT_FOUND, json!({}))
        }
    })
    .await
}

#[tokio::test]
async fn discovery_of_a_path_issuer_reads_rfc_8414_s_inserted_location() {
    let base = path_issuer_dealer("/.well-known/oauth-authorization-server/tenant-a").await;
    let metadata = ServerMetadata::discover(&reqwest::Client::new(), &format!("{base}/tenant-a"))
        .await
        .unwrap();
    assert_eq!(metadata.jwks_uri, "j");
}

#[tokio::test]
async fn discovery_of_a_path_issuer_falls_back_to_the_prefix_a_proxy_forwards() {
    let base = path_issuer_dealer("/tenant-a/.well-known/oauth-authorization-server").await;
    let metadata = ServerMetadata::discover(&reqwest::Client::new(), &format!("{base}/tenant-a/"))
        .await
        .unwrap();
    assert_eq!(metadata.jwks_uri, "j");
}
