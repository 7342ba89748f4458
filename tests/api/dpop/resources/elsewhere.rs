//! The catalog, unbound tokens with either scheme, an issuer behind a proxy, and nonces.

use reqwest::Method;
use serde_json::json;

use super::{call, dpop_admin, dpop_refused, dpop_token, public};
use crate::dpop::{ProofKey, token_endpoint};
use crate::helpers::{ADMIN_AUDIENCE, ADMIN_SCOPE, spawn_app, spawn_with};

#[tokio::test]
async fn the_catalog_takes_a_dpop_bound_token_with_a_proof_only() {
    let app = spawn_app().await;
    let client = app
        .register_with(json!({
            "client_id": "svc", "audiences": ["https://api"], "dpop_bound_access_tokens": true,
        }))
        .await;
    let key = ProofKey::ed25519();
    let token = dpop_token(&app, &client, &key, "https://api", None).await;
    let r = call(&app, Method::GET, "/catalog", "Bearer", &token, &[], None).await;
    assert_eq!(dpop_refused(r).await, "invalid_token");
    let r = app
        .http
        .get(app.url("/catalog"))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        dpop_refused(r).await,
        "invalid_token",
        "nor as X-Auth-Token"
    );
    let proof = key.proof_for("GET", &public(&app, "/catalog"), &token);
    let r = call(
        &app,
        Method::GET,
        "/catalog",
        "DPoP",
        &token,
        &[&proof],
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn an_unbound_token_works_as_a_bearer_token_and_is_refused_with_the_dpop_scheme() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "Bearer",
        &token,
        &[],
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    let proof = ProofKey::es256().proof_for("GET", &public(&app, "/admin/clients"), &token);
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[&proof],
        None,
    )
    .await;
    assert_eq!(dpop_refused(r).await, "invalid_token");
}

#[tokio::test]
async fn behind_a_proxy_a_resource_proof_names_the_issuers_url() {
    let app = spawn_with(|s| s.issuer = Some("https://dealer.example/tenant".into())).await;
    let key = ProofKey::es256();
    let (_, token) = dpop_admin(&app, &key).await;
    let proof = key.proof_for("GET", "https://dealer.example/tenant/admin/clients", &token);
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[&proof],
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    let socket = key.proof_for("GET", &app.url("/admin/clients"), &token);
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[&socket],
        None,
    )
    .await;
    assert_eq!(dpop_refused(r).await, "invalid_dpop_proof");
}

#[tokio::test]
async fn with_nonces_on_a_resource_proof_without_one_is_told_the_nonce() {
    let app = spawn_with(|s| s.dpop.nonce = true).await;
    let client = app
        .register_with(json!({
            "client_id": "admin2", "audiences": [ADMIN_AUDIENCE], "scopes": [ADMIN_SCOPE],
        }))
        .await;
    let key = ProofKey::es256();
    // The nonce the token endpoint hands out is the one resources take.
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .header("DPoP", key.proof(&token_endpoint(&app)))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client.id.as_str()),
            ("client_secret", client.secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let nonce = r.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    let token = dpop_token(&app, &client, &key, ADMIN_AUDIENCE, Some(&nonce)).await;
    let url = public(&app, "/admin/clients");
    let without = key.proof_for("GET", &url, &token);
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[&without],
        None,
    )
    .await;
    assert!(r.headers().contains_key("dpop-nonce"));
    assert_eq!(dpop_refused(r).await, "use_dpop_nonce");
    let with = key.proof_with("GET", &url, Some(&token), Some(&nonce));
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[&with],
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
}
