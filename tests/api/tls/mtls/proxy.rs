//! Behind a TLS-terminating proxy: its header counts from its addresses only.

use serde_json::{Value, json};
use tempfile::TempDir;
use tokendealer::Settings;

use super::{ClientCa, ClientCert, cnf, register};
use crate::helpers::{TestApp, spawn_with};

/// A plain-HTTP dealer (behind a TLS-terminating proxy) trusting `proxies`.
async fn behind_proxy(proxies: &[&str], ca: &ClientCa) -> (TestApp, TempDir) {
    let dir = ca.install();
    let path = dir.path().join("client-ca.pem");
    let proxies: Vec<String> = proxies.iter().map(|p| (*p).to_owned()).collect();
    let app = spawn_with(move |s: &mut Settings| {
        s.tls.client_ca = Some(path);
        s.mtls.trusted_proxies = proxies
            .iter()
            .map(|p| tokendealer::config::ProxyAddress::parse(p).unwrap())
            .collect();
    })
    .await;
    (app, dir)
}

/// What nginx's `$ssl_client_escaped_cert` holds: the PEM, URL-encoded (`%20`, `%2B`, `%0A`).
fn escaped(pem: &str) -> String {
    percent_encoding::utf8_percent_encode(pem, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn token_with_header(app: &TestApp, id: &str, cert: &ClientCert) -> (u16, Value) {
    let form = [("grant_type", "client_credentials"), ("client_id", id)];
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .header("X-SSL-Client-Cert", escaped(&cert.pem))
        .form(&form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn a_trusted_proxy_s_certificate_header_authenticates_and_binds() {
    let ca = ClientCa::new("proxy");
    let (app, _dir) = behind_proxy(&["127.0.0.0/8"], &ca).await;
    register(
        &app,
        json!({"client_id": "svc-p", "audiences": ["https://api"],
               "tls_client_auth_subject_dn": "CN=svc-p,O=Example"}),
    )
    .await;
    let cert = ca.issue("svc-p");
    let (status, token) = token_with_header(&app, "svc-p", &cert).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(cnf(&token), json!({"x5t#S256": cert.thumbprint()}));
    // The chain is judged here too: the right names under another CA are refused.
    let elsewhere = ClientCa::new("other").issue("svc-p");
    assert_eq!(token_with_header(&app, "svc-p", &elsewhere).await.0, 401);
    // A malformed header from the proxy is its mistake, said as such.
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .header("X-SSL-Client-Cert", "not%20a%20certificate")
        .form(&[("grant_type", "client_credentials"), ("client_id", "svc-p")])
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
}

#[tokio::test]
async fn the_certificate_header_is_ignored_from_an_address_not_trusted() {
    let ca = ClientCa::new("untrusted");
    let (app, _dir) = behind_proxy(&["10.1.2.3"], &ca).await;
    register(
        &app,
        json!({"client_id": "svc-u", "audiences": ["https://api"],
               "tls_client_auth_subject_dn": "CN=svc-u,O=Example"}),
    )
    .await;
    let cert = ca.issue("svc-u");
    let (status, body) = token_with_header(&app, "svc-u", &cert).await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
    // Nor does it bind a secret client's token.
    let client = app.register("plain-u", &["https://api"], &[]).await;
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .header("X-SSL-Client-Cert", escaped(&cert.pem))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client.id.as_str()),
            ("client_secret", client.secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert!(cnf(&r.json().await.unwrap()).is_null());
}
