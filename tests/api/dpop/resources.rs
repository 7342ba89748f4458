//! The dealer's own protected endpoints (the admin API, the catalog) honour DPoP binding (RFC
//! 9449 §7.1): a DPoP-bound token comes with the `DPoP` scheme and one fresh proof for this
//! method and public URL, bound to the token (`ath`) and spent once; as a bearer token it is
//! refused with a `DPoP` challenge. Unbound tokens keep working as bearer tokens.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::proofs::ProofKey;
use super::token_endpoint;
use crate::helpers::{ADMIN_AUDIENCE, ADMIN_SCOPE, Registered, TestApp, spawn_app, spawn_with};

/// A second admin client whose tokens are DPoP-bound, and a token of it bound to `key`.
async fn dpop_admin(app: &TestApp, key: &ProofKey) -> (Registered, String) {
    let admin = app
        .register_with(json!({
            "client_id": "admin2", "audiences": [ADMIN_AUDIENCE], "scopes": [ADMIN_SCOPE],
            "dpop_bound_access_tokens": true,
        }))
        .await;
    let token = dpop_token(app, &admin, key, ADMIN_AUDIENCE, None).await;
    (admin, token)
}

/// A token of `client` for `audience` bound to `key` by a proof (carrying `nonce`, if given).
async fn dpop_token(
    app: &TestApp,
    client: &Registered,
    key: &ProofKey,
    audience: &str,
    nonce: Option<&str>,
) -> String {
    let proof = key.proof_with("POST", &token_endpoint(app), None, nonce);
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .header("DPoP", proof)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client.id.as_str()),
            ("client_secret", client.secret.as_str()),
            ("audience", audience),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");
    body["access_token"].as_str().unwrap().to_owned()
}

/// The issuer's URL of `path`: what a proof names.
fn public(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.issuer.trim_end_matches('/'))
}

/// `method path` with `Authorization: <scheme> <token>` and the proofs given.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    scheme: &str,
    token: &str,
    proofs: &[&str],
    body: Option<Value>,
) -> Response {
    let mut req = app
        .http
        .request(method, app.url(path))
        .header("Authorization", format!("{scheme} {token}"));
    for proof in proofs {
        req = req.header("DPoP", *proof);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

/// A 401 with a `DPoP` challenge naming the algorithms: its `error`.
async fn dpop_refused(r: Response) -> String {
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("DPoP "), "{challenge}");
    assert!(
        challenge.contains(r#"algs="ES256 ES384 EdDSA Ed25519 RS256 PS256""#),
        "{challenge}"
    );
    let body: Value = r.json().await.unwrap();
    let error = body["error"].as_str().unwrap().to_owned();
    assert!(
        challenge.contains(&format!(r#"error="{error}""#)),
        "{challenge}"
    );
    error
}

#[tokio::test]
async fn a_dpop_bound_admin_token_sent_as_a_bearer_token_is_refused_with_a_dpop_challenge() {
    let app = spawn_app().await;
    let key = ProofKey::es256();
    let (_, token) = dpop_admin(&app, &key).await;
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
    assert_eq!(dpop_refused(r).await, "invalid_token");
    let new = json!({"client_id": "sneaky", "audiences": ["https://api"]});
    let r = call(
        &app,
        Method::POST,
        "/admin/clients",
        "Bearer",
        &token,
        &[],
        Some(new),
    )
    .await;
    assert_eq!(dpop_refused(r).await, "invalid_token");
    let shown = app.admin(Method::GET, "/admin/clients/sneaky", None).await;
    assert_eq!(shown.status(), 404, "nothing was created");
    // A valid proof does not make a bearer presentation acceptable either.
    let proof = key.proof_for("GET", &public(&app, "/admin/clients"), &token);
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "Bearer",
        &token,
        &[&proof],
        None,
    )
    .await;
    assert_eq!(dpop_refused(r).await, "invalid_token");
}

#[tokio::test]
async fn a_dpop_bound_admin_token_with_a_proof_for_the_request_is_accepted_and_the_proof_once() {
    let app = spawn_app().await;
    let key = ProofKey::es256();
    let (_, token) = dpop_admin(&app, &key).await;
    let url = public(&app, "/admin/clients");
    let proof = key.proof_for("GET", &url, &token);
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
    let replayed = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[&proof],
        None,
    )
    .await;
    assert_eq!(dpop_refused(replayed).await, "invalid_dpop_proof");

    let new = json!({"client_id": "made-with-dpop", "audiences": ["https://api"]});
    let proof = key.proof_for("POST", &url, &token);
    let r = call(
        &app,
        Method::POST,
        "/admin/clients",
        "DPoP",
        &token,
        &[&proof],
        Some(new),
    )
    .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn a_proof_for_another_url_method_token_or_key_or_none_at_all_is_refused() {
    let app = spawn_app().await;
    let key = ProofKey::es256();
    let (_, token) = dpop_admin(&app, &key).await;
    let url = public(&app, "/admin/clients");
    let other_token = app.admin_token().await;
    let cases = [
        (
            "another URL",
            key.proof_for("GET", &public(&app, "/admin/keys"), &token),
            "invalid_dpop_proof",
        ),
        (
            "another method",
            key.proof_for("POST", &url, &token),
            "invalid_dpop_proof",
        ),
        (
            "another token",
            key.proof_for("GET", &url, &other_token),
            "invalid_dpop_proof",
        ),
        (
            "no ath",
            key.proof_with("GET", &url, None, None),
            "invalid_dpop_proof",
        ),
        (
            "another key",
            ProofKey::es256().proof_for("GET", &url, &token),
            "invalid_token",
        ),
    ];
    for (case, proof, expected) in cases {
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
        assert_eq!(dpop_refused(r).await, expected, "{case}");
    }
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[],
        None,
    )
    .await;
    assert_eq!(dpop_refused(r).await, "invalid_dpop_proof", "no proof");
    let (a, b) = (
        key.proof_for("GET", &url, &token),
        key.proof_for("GET", &url, &token),
    );
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[&a, &b],
        None,
    )
    .await;
    assert_eq!(dpop_refused(r).await, "invalid_dpop_proof", "two proofs");
    // None of the refused proofs was spent: a good one still works.
    let good = key.proof_for("GET", &url, &token);
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[&good],
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
}

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
