//! Nonces (RFC 9449 §8), when `[dpop] nonce` is on: a proof without the dealer's nonce is
//! `400 use_dpop_nonce` with the nonce in `DPoP-Nonce`; with it, a token. The service library's
//! `TokenSource` answers that round by itself.

use serde_json::Value;
use tokendealer::client::{Algorithm, SigningKey, TokenSource};

use super::proofs::ProofKey;
use super::{API, refused, token_endpoint, token_with_proofs};
use crate::helpers::{claims_of, spawn_app, spawn_with};

#[tokio::test]
async fn with_nonces_on_a_proof_without_one_is_told_the_nonce_and_the_retry_gets_a_token() {
    let app = spawn_with(|s| s.dpop.nonce = true).await;
    let client = app.register("svc", &[API], &[]).await;
    let key = ProofKey::es256();
    let r = token_with_proofs(&app, &client, &[&key.proof(&token_endpoint(&app))]).await;
    let nonce = r.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let (error, _) = refused(r).await;
    assert_eq!(error, "use_dpop_nonce");

    let proof = key.proof_with_nonce(&token_endpoint(&app), &nonce);
    let r = token_with_proofs(&app, &client, &[&proof]).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().get("dpop-nonce").is_none(),
        "the current nonce is not sent again"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");
}

#[tokio::test]
async fn a_nonce_the_dealer_did_not_make_is_answered_with_one_it_did() {
    let app = spawn_with(|s| s.dpop.nonce = true).await;
    let client = app.register("svc", &[API], &[]).await;
    let key = ProofKey::es256();
    let forged = key.proof_with_nonce(&token_endpoint(&app), "AAAAAAAAAAAAAAAAAAAAAA");
    let r = token_with_proofs(&app, &client, &[&forged]).await;
    assert!(r.headers().contains_key("dpop-nonce"));
    let (error, description) = refused(r).await;
    assert_eq!(error, "use_dpop_nonce");
    assert!(description.contains("wrong or expired"), "{description}");
}

#[tokio::test]
async fn a_restarted_dealer_accepts_the_nonces_it_handed_out_before() {
    let app = spawn_with(|s| s.dpop.nonce = true).await;
    let client = app.register("svc", &[API], &[]).await;
    let key = ProofKey::es256();
    let r = token_with_proofs(&app, &client, &[&key.proof(&token_endpoint(&app))]).await;
    let nonce = r.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    let app = app.restart().await;
    let proof = key.proof_with_nonce(&token_endpoint(&app), &nonce);
    assert_eq!(
        token_with_proofs(&app, &client, &[&proof]).await.status(),
        200
    );
}

#[tokio::test]
async fn with_nonces_off_no_nonce_is_asked_for() {
    let app = spawn_app().await;
    let client = app.register("svc", &[API], &[]).await;
    let proof = ProofKey::es256().proof(&token_endpoint(&app));
    let r = token_with_proofs(&app, &client, &[&proof]).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("dpop-nonce").is_none());
}

#[tokio::test]
async fn a_token_source_with_a_dpop_key_answers_the_nonce_and_gets_a_token_bound_to_its_key() {
    let app = spawn_with(|s| s.dpop.nonce = true).await;
    let client = app.register("svc", &[API], &[]).await;
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let jkt = key.thumbprint().to_owned();
    let source = TokenSource::builder(app.url("/oauth/token"), &client.id, &client.secret)
        .audience(API)
        .dpop_key(key)
        .build()
        .unwrap();
    // Its first proof has no nonce, which the dealer refuses with one: a token means the
    // source asked again with it.
    let token = source.token().await.unwrap();
    assert_eq!(token.token_type(), "DPoP");
    assert_eq!(claims_of(token.secret())["cnf"]["jkt"], jkt.as_str());
}
