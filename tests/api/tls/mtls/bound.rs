//! Certificate-bound tokens at the dealer's own protected endpoints (RFC 8705 §3): an admin
//! token bound to a certificate works only over a connection presenting that certificate, and
//! is refused elsewhere with `Bearer error="invalid_token"`; bound to a DPoP key as well, it
//! needs both.

use reqwest::Method;
use serde_json::{Value, json};

use super::{ClientCert, cnf};
use crate::dpop::ProofKey;
use crate::helpers::{ADMIN_AUDIENCE, ADMIN_SCOPE, TestApp};
use crate::tls::{Pair, spawn_tls};

/// The bootstrap admin's token, asked for over `http` (with the DPoP `proof`, if any).
async fn admin_token_over(app: &TestApp, http: &reqwest::Client, proof: Option<String>) -> Value {
    let admin = app.admin_client();
    let mut req = http.post(app.url("/oauth/token")).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", admin.id.as_str()),
        ("client_secret", admin.secret.as_str()),
        ("audience", ADMIN_AUDIENCE),
        ("scope", ADMIN_SCOPE),
    ]);
    if let Some(proof) = proof {
        req = req.header("DPoP", proof);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// `GET path` over `http` with `Authorization: <scheme> <token>` and a proof if given: the
/// status and the challenge.
async fn get(
    app: &TestApp,
    http: &reqwest::Client,
    path: &str,
    auth: (&str, &str),
    proof: Option<String>,
) -> (u16, String) {
    let mut req = http
        .get(app.url(path))
        .header("Authorization", format!("{} {}", auth.0, auth.1));
    if let Some(proof) = proof {
        req = req.header("DPoP", proof);
    }
    let r = req.send().await.unwrap();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), challenge)
}

#[tokio::test]
async fn a_certificate_bound_admin_token_works_only_over_a_connection_with_its_certificate() {
    let pair = Pair::new("bound-admin");
    let (app, _dir) = spawn_tls(&pair, |_| {}).await;
    let cert = ClientCert::self_signed("operator");
    let with_cert = cert.client(&pair.ca_pem);
    let issued = admin_token_over(&app, &with_cert, None).await;
    assert_eq!(cnf(&issued), json!({"x5t#S256": cert.thumbprint()}));
    let token = issued["access_token"].as_str().unwrap();

    let other = ClientCert::self_signed("operator").client(&pair.ca_pem);
    for (case, http) in [
        ("no certificate", &app.http),
        ("another certificate", &other),
    ] {
        for path in ["/admin/clients", "/catalog"] {
            let (status, challenge) = get(&app, http, path, ("Bearer", token), None).await;
            assert_eq!(status, 401, "{case} {path}");
            assert!(
                challenge.starts_with("Bearer ") && challenge.contains(r#"error="invalid_token""#),
                "{case} {path}: {challenge}"
            );
        }
    }
    let r = app
        .http
        .post(app.url("/admin/clients"))
        .bearer_auth(token)
        .json(&json!({"client_id": "sneaky", "audiences": ["https://api"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "nothing is created without the certificate"
    );

    for path in ["/admin/clients", "/catalog"] {
        let (status, _) = get(&app, &with_cert, path, ("Bearer", token), None).await;
        assert_eq!(status, 200, "{path} with the certificate");
    }
    let r = with_cert
        .request(Method::GET, app.url("/admin/clients/sneaky"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_token_bound_to_a_certificate_and_a_dpop_key_needs_both() {
    let pair = Pair::new("bound-both");
    let (app, _dir) = spawn_tls(&pair, |_| {}).await;
    let cert = ClientCert::self_signed("operator");
    let with_cert = cert.client(&pair.ca_pem);
    let key = ProofKey::es256();
    let token_endpoint = format!("{}/oauth/token", app.issuer.trim_end_matches('/'));
    let issued = admin_token_over(&app, &with_cert, Some(key.proof(&token_endpoint))).await;
    assert_eq!(
        cnf(&issued),
        json!({"jkt": key.jkt(), "x5t#S256": cert.thumbprint()})
    );
    let token = issued["access_token"].as_str().unwrap();
    let url = format!("{}/admin/clients", app.issuer.trim_end_matches('/'));
    let proof = || Some(key.proof_for("GET", &url, token));
    let path = "/admin/clients";

    let (status, challenge) = get(&app, &app.http, path, ("DPoP", token), proof()).await;
    assert_eq!(status, 401, "a proof without the certificate");
    assert!(challenge.starts_with("DPoP "), "{challenge}");
    let (status, challenge) = get(&app, &with_cert, path, ("Bearer", token), None).await;
    assert_eq!(status, 401, "the certificate without a proof");
    assert!(challenge.starts_with("DPoP "), "{challenge}");
    let (status, _) = get(&app, &with_cert, path, ("DPoP", token), proof()).await;
    assert_eq!(status, 200, "both");
}
