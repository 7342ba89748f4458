//! The dealer's own protected endpoints (the admin API, the catalog) honour DPoP binding (RFC
//! 9449 §7.1): a DPoP-bound token comes with the `DPoP` scheme and one fresh proof for this
//! method and public URL, bound to the token (`ath`) and spent once; as a bearer token it is
//! refused with a `DPoP` challenge. Unbound tokens keep working as bearer tokens.

//! `admin`: the admin API; `elsewhere`: the catalog, unbound tokens, a proxy, nonces.

mod admin;
mod elsewhere;

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::proofs::ProofKey;
use super::token_endpoint;
use crate::helpers::{ADMIN_AUDIENCE, ADMIN_SCOPE, Registered, TestApp};

/// A second admin client whose tokens are DPoP-bound, and a token of it bound to `key`.
pub async fn dpop_admin(app: &TestApp, key: &ProofKey) -> (Registered, String) {
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
pub async fn dpop_token(
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
pub fn public(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.issuer.trim_end_matches('/'))
}

/// `method path` with `Authorization: <scheme> <token>` and the proofs given.
pub async fn call(
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
pub async fn dpop_refused(r: Response) -> String {
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
