//! Introspection and revocation authenticated by certificate, and the metadata of mutual TLS.

use serde_json::{Value, json};

use super::{ClientCa, ClientCert, register, spawn_mtls, token_by_certificate};
use crate::tls::{Pair, spawn_tls};

#[tokio::test]
async fn a_tls_client_introspects_and_revokes_by_its_certificate() {
    let pair = Pair::new("mtls-intro");
    let (app, _dir) = spawn_tls(&pair, |_| {}).await;
    let cert = ClientCert::self_signed("intro");
    register(
        &app,
        json!({"client_id": "intro", "audiences": ["https://api"],
               "tls_client_certificate": cert.pem}),
    )
    .await;
    let http = cert.client(&pair.ca_pem);
    let (_, token) = token_by_certificate(&app, &http, "intro").await;
    let token = token["access_token"].as_str().unwrap();
    let post = |path: &'static str, id: &'static str, http: reqwest::Client| {
        let url = app.url(path);
        async move {
            let form = [("token", token), ("client_id", id)];
            http.post(url).form(&form).send().await.unwrap()
        }
    };
    let r = post("/oauth/introspect", "intro", http.clone()).await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(
        (&answer["active"], &answer["cnf"]["x5t#S256"]),
        (&json!(true), &json!(cert.thumbprint()))
    );
    let r = post("/oauth/introspect", "intro", app.http.clone()).await;
    assert_eq!(r.status(), 401, "without the certificate");
    let r = post("/oauth/revoke", "intro", http.clone()).await;
    assert_eq!(r.status(), 200);
    let answer: Value = post("/oauth/introspect", "intro", http)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer, json!({"active": false}));
}

#[tokio::test]
async fn the_metadata_lists_both_tls_methods_and_certificate_bound_tokens_under_tls() {
    let (pair, ca) = (Pair::new("mtls-meta"), ClientCa::new("meta"));
    let (app, _dir) = spawn_mtls(&pair, &ca).await;
    let doc = app.metadata().await;
    let methods = json!([
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "tls_client_auth",
        "self_signed_tls_client_auth"
    ]);
    for endpoint in ["token", "introspection", "revocation"] {
        assert_eq!(
            doc[format!("{endpoint}_endpoint_auth_methods_supported")],
            methods
        );
    }
    assert_eq!(doc["tls_client_certificate_bound_access_tokens"], true);
    assert!(doc.get("mtls_endpoint_aliases").is_none());

    // Plain HTTP without a trusted proxy: no certificate can arrive, none is promised.
    let plain = crate::helpers::spawn_app().await.metadata().await;
    assert_eq!(
        plain["token_endpoint_auth_methods_supported"],
        json!([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt"
        ])
    );
    assert!(
        plain
            .get("tls_client_certificate_bound_access_tokens")
            .is_none()
    );
}
