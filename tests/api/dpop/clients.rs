//! Clients registered for DPoP (`dpop_bound_access_tokens`): no token without a valid proof;
//! other clients are not affected.

use serde_json::{Value, json};

use super::proofs::ProofKey;
use super::{API, refused, token_endpoint, token_with_proofs};
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_dpop_bound_client_gets_no_token_without_a_valid_proof() {
    let app = spawn_app().await;
    let client = app
        .register_with(json!({
            "client_id": "bound", "audiences": [API], "dpop_bound_access_tokens": true,
        }))
        .await;
    assert_eq!(client.body["dpop_bound_access_tokens"], true);

    let (error, description) = refused(token_with_proofs(&app, &client, &[]).await).await;
    assert_eq!(error, "invalid_request");
    assert!(description.contains("DPoP"), "{description}");

    let key = ProofKey::es256();
    let mut stale = super::proofs::claims(&token_endpoint(&app));
    stale["iat"] = json!(super::proofs::now() - 3600);
    let bad = key.sign(&key.header(), &stale);
    let (error, _) = refused(token_with_proofs(&app, &client, &[&bad]).await).await;
    assert_eq!(error, "invalid_dpop_proof");

    let good = key.proof(&token_endpoint(&app));
    let r = token_with_proofs(&app, &client, &[&good]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["token_type"], "DPoP");
}

#[tokio::test]
async fn a_client_registered_without_dpop_shows_it_and_may_send_a_proof_or_not() {
    let app = spawn_app().await;
    let client = app.register("plain", &[API], &[]).await;
    assert_eq!(client.body["dpop_bound_access_tokens"], false);
    assert_eq!(token_with_proofs(&app, &client, &[]).await.status(), 200);
    let proof = ProofKey::es256().proof(&token_endpoint(&app));
    assert_eq!(
        token_with_proofs(&app, &client, &[&proof]).await.status(),
        200
    );
}

#[tokio::test]
async fn the_unauthenticated_learn_nothing_of_a_clients_dpop_registration() {
    let app = spawn_app().await;
    let bound = app
        .register_with(json!({
            "client_id": "bound", "audiences": [API], "dpop_bound_access_tokens": true,
        }))
        .await;
    let mut wrong = app.admin_client();
    wrong.id = bound.id.clone();
    let r = token_with_proofs(&app, &wrong, &[]).await;
    assert_eq!(r.status(), 401, "invalid_client before the missing proof");
}
