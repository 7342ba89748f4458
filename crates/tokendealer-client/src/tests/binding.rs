//! RequireAccess enforcing DPoP-bound tokens (RFC 9449 §7): let through only with a proof of
//! their key for this request; each refusal rule fails alone.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use reqwest::Url;
use serde_json::{Value, json};
use tower::{Layer, ServiceExt, service_fn};

use super::support::{DEALER_KEY, MockDealer};
use crate::{Claims, RequireAccess, SigningKey, Verifier};

const URL: &str = "http://runs.internal/runs";

pub(super) struct Outcome {
    pub(super) status: StatusCode,
    pub(super) challenge: String,
    handler_calls: usize,
}

pub(super) fn layer(dealer: &MockDealer) -> RequireAccess<Verifier> {
    let verifier = Verifier::builder(dealer.jwks_uri(), dealer.base.clone(), "runs")
        .build()
        .unwrap();
    RequireAccess::new(verifier)
}

/// A dealer token valid now, bound by `cnf` when given.
pub(super) fn token(dealer: &MockDealer, cnf: Option<Value>) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let mut claims = dealer.claims();
    claims["iat"] = now.into();
    claims["nbf"] = now.into();
    claims["exp"] = (now + 600).into();
    if let Some(cnf) = cnf {
        claims["cnf"] = cnf;
    }
    DEALER_KEY.sign(&claims)
}

fn proof(key: &SigningKey, method: &str, url: &str, token: Option<&str>) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    key.dpop_proof(method, &Url::parse(url).unwrap(), now, token, None)
        .unwrap()
}

/// Sends `request` through `layer` to a handler that checks it got the bound claims.
pub(super) async fn send(layer: &RequireAccess<Verifier>, request: Request<()>) -> Outcome {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let handler = service_fn(move |request: Request<()>| {
        counted.fetch_add(1, Ordering::SeqCst);
        assert!(request.extensions().get::<Claims>().is_some());
        async move { Ok::<_, Infallible>(Response::new(Full::<Bytes>::from("{}"))) }
    });
    let response = layer.clone().layer(handler).oneshot(request).await.unwrap();
    Outcome {
        status: response.status(),
        challenge: response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        handler_calls: calls.load(Ordering::SeqCst),
    }
}

pub(super) fn get(authorization: String, proofs: &[String]) -> Request<()> {
    let mut request = Request::builder()
        .uri("/runs")
        .header("host", "runs.internal")
        .header("authorization", authorization);
    for proof in proofs {
        request = request.header("dpop", proof.as_str());
    }
    request.body(()).unwrap()
}

/// A dealer, a DPoP key, and a token bound to it.
async fn bound() -> (MockDealer, SigningKey, String) {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let key = SigningKey::generate(jsonwebtoken::Algorithm::ES256).unwrap();
    let token = token(&dealer, Some(json!({"jkt": key.thumbprint()})));
    (dealer, key, token)
}

#[tokio::test]
async fn a_dpop_bound_token_with_a_proof_of_its_key_for_this_request_is_let_through() {
    let (dealer, key, token) = bound().await;
    let proof = proof(&key, "GET", URL, Some(&token));
    let outcome = send(&layer(&dealer), get(format!("DPoP {token}"), &[proof])).await;
    assert_eq!((outcome.status, outcome.handler_calls), (StatusCode::OK, 1));
}

#[tokio::test]
async fn a_dpop_bound_token_sent_as_a_bearer_token_is_refused_with_a_dpop_challenge() {
    let (dealer, key, token) = bound().await;
    let proof = proof(&key, "GET", URL, Some(&token));
    let outcome = send(&layer(&dealer), get(format!("Bearer {token}"), &[proof])).await;
    assert_eq!(
        (outcome.status, outcome.handler_calls),
        (StatusCode::UNAUTHORIZED, 0)
    );
    assert!(
        outcome
            .challenge
            .starts_with(r#"DPoP error="invalid_token", error_description="#),
        "{}",
        outcome.challenge
    );
    assert!(
        outcome
            .challenge
            .contains(r#"algs="ES256 ES384 EdDSA RS256 PS256""#)
    );
}

#[tokio::test]
async fn a_proof_made_with_another_key_is_refused() {
    let (dealer, _, token) = bound().await;
    let thief = SigningKey::generate(jsonwebtoken::Algorithm::ES256).unwrap();
    let proof = proof(&thief, "GET", URL, Some(&token));
    let outcome = send(&layer(&dealer), get(format!("DPoP {token}"), &[proof])).await;
    assert_eq!(outcome.status, StatusCode::UNAUTHORIZED);
    assert!(
        outcome
            .challenge
            .contains("not the key the access token is bound to")
    );
}

#[tokio::test]
async fn a_proof_for_another_url_or_method_is_refused_as_an_invalid_proof() {
    let (dealer, key, token) = bound().await;
    let layer = layer(&dealer);
    for (method, url) in [
        ("GET", "http://runs.internal/other"),
        ("GET", "https://runs.internal/runs"),
        ("POST", URL),
    ] {
        let proof = proof(&key, method, url, Some(&token));
        let outcome = send(&layer, get(format!("DPoP {token}"), &[proof])).await;
        assert_eq!(outcome.status, StatusCode::UNAUTHORIZED, "{method} {url}");
        assert!(
            outcome
                .challenge
                .starts_with(r#"DPoP error="invalid_dpop_proof""#),
            "{}",
            outcome.challenge
        );
    }
}

#[tokio::test]
async fn a_proof_without_the_tokens_hash_is_refused() {
    let (dealer, key, token) = bound().await;
    let proof = proof(&key, "GET", URL, None);
    let outcome = send(&layer(&dealer), get(format!("DPoP {token}"), &[proof])).await;
    assert_eq!(outcome.status, StatusCode::UNAUTHORIZED);
    assert!(outcome.challenge.contains("invalid_dpop_proof"));
    assert!(outcome.challenge.contains("ath"), "{}", outcome.challenge);
}

#[tokio::test]
async fn a_replayed_proof_is_refused_even_by_a_clone_of_the_layer() {
    let (dealer, key, token) = bound().await;
    let layer = layer(&dealer);
    let proof = proof(&key, "GET", URL, Some(&token));
    let first = send(
        &layer,
        get(format!("DPoP {token}"), std::slice::from_ref(&proof)),
    )
    .await;
    let again = send(&layer.clone(), get(format!("DPoP {token}"), &[proof])).await;
    assert_eq!(
        (first.status, again.status),
        (StatusCode::OK, StatusCode::UNAUTHORIZED)
    );
    assert!(
        again.challenge.contains("used before"),
        "{}",
        again.challenge
    );
}

#[tokio::test]
async fn a_full_replay_cache_refuses_new_proofs_rather_than_forget_old_ones() {
    let (dealer, key, token) = bound().await;
    let layer = layer(&dealer).dpop_replay_bound(1);
    let first = proof(&key, "GET", URL, Some(&token));
    let second = proof(&key, "GET", URL, Some(&token));
    assert_eq!(
        send(
            &layer,
            get(format!("DPoP {token}"), std::slice::from_ref(&first))
        )
        .await
        .status,
        StatusCode::OK
    );
    let full = send(&layer, get(format!("DPoP {token}"), &[second])).await;
    assert_eq!(full.status, StatusCode::SERVICE_UNAVAILABLE);
    let replay = send(&layer, get(format!("DPoP {token}"), &[first])).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "still remembered");
}

#[tokio::test]
async fn a_missing_or_doubled_proof_header_is_refused() {
    let (dealer, key, token) = bound().await;
    let layer = layer(&dealer);
    let none = send(&layer, get(format!("DPoP {token}"), &[])).await;
    let proofs = [
        proof(&key, "GET", URL, Some(&token)),
        proof(&key, "GET", URL, Some(&token)),
    ];
    let two = send(&layer, get(format!("DPoP {token}"), &proofs)).await;
    assert_eq!(
        (none.status, two.status),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(none.handler_calls + two.handler_calls, 0);
}

#[tokio::test]
async fn an_unbound_token_sent_with_the_dpop_scheme_is_refused_and_as_bearer_accepted() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let key = SigningKey::generate(jsonwebtoken::Algorithm::EdDSA).unwrap();
    let token = token(&dealer, None);
    let proofs = [proof(&key, "GET", URL, Some(&token))];
    let layer = layer(&dealer);
    let as_dpop = send(&layer, get(format!("DPoP {token}"), &proofs)).await;
    let as_bearer = send(&layer, get(format!("Bearer {token}"), &[])).await;
    assert_eq!(
        (as_dpop.status, as_bearer.status),
        (StatusCode::UNAUTHORIZED, StatusCode::OK)
    );
}

#[tokio::test]
async fn htu_is_the_configured_public_url_behind_a_proxy() {
    let (dealer, key, token) = bound().await;
    let layer = layer(&dealer).public_url(Url::parse("https://api.example/svc/").unwrap());
    let public = proof(
        &key,
        "GET",
        "https://api.example/svc/runs?page=2",
        Some(&token),
    );
    let socket = proof(&key, "GET", URL, Some(&token));
    let ok = send(&layer, get(format!("DPoP {token}"), &[public])).await;
    let refused = send(&layer, get(format!("DPoP {token}"), &[socket])).await;
    assert_eq!(
        (ok.status, refused.status),
        (StatusCode::OK, StatusCode::UNAUTHORIZED)
    );
}

#[tokio::test]
async fn with_nonces_on_a_proof_must_carry_one_the_service_handed_out() {
    let (dealer, key, token) = bound().await;
    let layer = layer(&dealer).dpop_nonces(&[9; 32], std::time::Duration::from_secs(60));
    let now = jsonwebtoken::get_current_timestamp();
    let url = Url::parse(URL).unwrap();
    let with = |nonce: Option<&str>| {
        let proof = key
            .dpop_proof("GET", &url, now, Some(&token), nonce)
            .unwrap();
        get(format!("DPoP {token}"), &[proof])
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let handler = tower::service_fn(move |_: Request<()>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, Infallible>(Response::new(Full::<Bytes>::from("{}"))) }
    });
    let first = layer
        .clone()
        .layer(handler.clone())
        .oneshot(with(None))
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    let challenge = first.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with(r#"DPoP error="use_dpop_nonce""#),
        "{challenge}"
    );
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    let forged = send(&layer, with(Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert!(forged.challenge.contains("use_dpop_nonce"));
    let ok = send(&layer, with(Some(&nonce))).await;
    assert_eq!(ok.status, StatusCode::OK);
}
