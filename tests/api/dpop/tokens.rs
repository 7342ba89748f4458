//! A valid proof binds the token; introspection shows the binding; a proof is spent once, and
//! only by a client that authenticated; requests without a proof are served as before.

use serde_json::{Value, json};

use super::proofs::ProofKey;
use super::{API, refused, token_endpoint, token_with_proofs};
use crate::helpers::{claims_of, spawn_app, spawn_with};

#[tokio::test]
async fn a_valid_proof_gets_a_dpop_token_bound_to_its_key_and_introspection_shows_it() {
    let app = spawn_app().await;
    let client = app.register("svc", &[API], &["read"]).await;
    for key in [ProofKey::es256(), ProofKey::ed25519(), ProofKey::rs256()] {
        let proof = key.proof(&token_endpoint(&app));
        let r = token_with_proofs(&app, &client, &[&proof]).await;
        assert_eq!(r.status(), 200, "{:?}", key.alg);
        assert!(r.headers().get("dpop-nonce").is_none(), "nonces are off");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["token_type"], "DPoP");
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(claims_of(token)["cnf"], json!({ "jkt": key.jkt() }));

        let seen = app.introspect(&client, token).await;
        assert_eq!(seen["active"], true);
        assert_eq!(seen["token_type"], "DPoP");
        assert_eq!(seen["cnf"]["jkt"], key.jkt());
    }
}

#[tokio::test]
async fn without_a_proof_a_client_gets_a_bearer_token_as_before() {
    let app = spawn_app().await;
    let client = app.register("svc", &[API], &[]).await;
    let r = token_with_proofs(&app, &client, &[]).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap();
    assert!(claims_of(token).get("cnf").is_none());
    let seen = app.introspect(&client, token).await;
    assert_eq!(seen["token_type"], "Bearer");
    assert!(seen.get("cnf").is_none());
}

#[tokio::test]
async fn a_proof_is_good_for_one_token_only() {
    let app = spawn_app().await;
    let client = app.register("svc", &[API], &[]).await;
    let key = ProofKey::es256();
    let proof = key.proof(&token_endpoint(&app));
    assert_eq!(
        token_with_proofs(&app, &client, &[&proof]).await.status(),
        200
    );
    let (error, description) = refused(token_with_proofs(&app, &client, &[&proof]).await).await;
    assert_eq!(error, "invalid_dpop_proof");
    assert!(description.contains("used before"), "{description}");
    // A new proof from the same key is fine.
    let again = key.proof(&token_endpoint(&app));
    assert_eq!(
        token_with_proofs(&app, &client, &[&again]).await.status(),
        200
    );
}

#[tokio::test]
async fn a_proof_sent_with_a_wrong_secret_is_not_spent() {
    let app = spawn_app().await;
    let client = app.register("svc", &[API], &[]).await;
    let proof = ProofKey::es256().proof(&token_endpoint(&app));
    let mut impostor = app.admin_client();
    impostor.id = client.id.clone();
    let r = token_with_proofs(&app, &impostor, &[&proof]).await;
    assert_eq!(
        r.status(),
        401,
        "the wrong secret is invalid_client, proof or not"
    );
    // The record is filled by authenticated clients only: the proof still works once.
    assert_eq!(
        token_with_proofs(&app, &client, &[&proof]).await.status(),
        200
    );
}

#[tokio::test]
async fn behind_a_proxy_proofs_name_the_issuers_url_not_the_sockets() {
    let app = spawn_with(|s| s.issuer = Some("https://dealer.example/tenant".into())).await;
    let client = app.register("svc", &[API], &[]).await;
    let key = ProofKey::es256();
    let public = key.proof("https://dealer.example/tenant/oauth/token");
    assert_eq!(
        token_with_proofs(&app, &client, &[&public]).await.status(),
        200
    );
    let socket = key.proof(&app.url("/oauth/token"));
    let (error, _) = refused(token_with_proofs(&app, &client, &[&socket]).await).await;
    assert_eq!(error, "invalid_dpop_proof");
}

#[tokio::test]
async fn both_discovery_documents_list_the_proof_algorithms() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let doc: Value = app.get(path).await.json().await.unwrap();
        assert_eq!(
            doc["dpop_signing_alg_values_supported"],
            json!(["ES256", "ES384", "EdDSA", "Ed25519", "RS256", "PS256"]),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_proof_signed_as_ed25519_the_rfc_9864_name_openid_client_uses_is_accepted() {
    let app = spawn_app().await;
    let client = app.register("svc", &[API], &[]).await;
    let key = ProofKey::ed25519();
    let mut header = key.header();
    header["alg"] = json!("Ed25519");
    let proof = key.sign(&header, &super::proofs::claims(&token_endpoint(&app)));
    let r = token_with_proofs(&app, &client, &[&proof]).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(claims_of(token)["cnf"]["jkt"], key.jkt());
}
