//! The fetcher's guard against server-side request forgery: a `jwks_uri` (or a trusted
//! issuer's) that leads to link-local, loopback or private addresses is not connected to, judged
//! on the address a name resolves to; a literal address never fetched from is refused at
//! registration.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::Method;
use serde_json::{Value, json};

use super::{API, Signer, assert_invalid_client, claims, token_with};
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_key_url_naming_a_link_local_or_unspecified_address_is_refused_at_registration() {
    let app = spawn_app().await;
    for uri in [
        "https://169.254.169.254/latest/meta-data/jwks",
        "https://[fe80::1]/jwks",
        "https://0.0.0.0/jwks",
        "https://[::ffff:169.254.169.254]/jwks",
    ] {
        let r = app
            .admin(
                Method::POST,
                "/admin/clients",
                Some(json!({"client_id": "svc", "audiences": [API], "jwks_uri": uri})),
            )
            .await;
        assert_eq!(r.status(), 400, "{uri}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{uri}: {body}");
        let trust = app
            .admin(
                Method::POST,
                "/admin/trust",
                Some(json!({"name": "k8s", "issuer": "https://k8s.example", "jwks_uri": uri})),
            )
            .await;
        assert_eq!(trust.status(), 400, "trust {uri}");
    }
}

#[tokio::test]
async fn a_key_url_whose_name_resolves_to_loopback_is_never_connected_to_outside_development() {
    let app = spawn_app().await;
    // Counts connections; a fetch that got this far would connect here.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    let key = Signer::ed25519("k1");
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({
                "client_id": "svc",
                "audiences": [API],
                "jwks_uri": format!("https://localhost:{port}/jwks"),
            })),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = token_with(&app, &key.sign(&claims(&app, "svc")), &[]).await;
    assert_invalid_client(r, "a key set behind a loopback address").await;
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "no connection was made");
    let audit: Value = app
        .admin(Method::GET, "/admin/audit?kind=auth&limit=10", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(audit.to_string().contains("address_refused"), "{audit}");
}
