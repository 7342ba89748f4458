//! Nonces (RFC 9449 §8), when `[dpop] nonce` is on: a proof without the dealer's nonce is
//! `400 use_dpop_nonce` with the nonce in `DPoP-Nonce`; with it, a token.

use serde_json::Value;

use super::proofs::ProofKey;
use super::{API, refused, token_endpoint, token_with_proofs};
use crate::helpers::{spawn_app, spawn_with};

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
