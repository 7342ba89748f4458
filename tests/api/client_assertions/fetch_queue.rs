//! A `jwks_uri` fetch refused because every place among the fetches under way is taken
//! (`jwks_max_fetches`) was never tried: the client is refused that once, and its next request
//! fetches, without waiting out the refetch cooldown.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use reqwest::Method;
use serde_json::json;

use super::{API, Signer, assert_invalid_client, claims, jwks, token_with};
use crate::helpers::{TestApp, spawn_with};

async fn register_at(app: &TestApp, id: &str, uri: String) {
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({"client_id": id, "audiences": [API], "jwks_uri": uri})),
        )
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn a_client_refused_for_a_full_fetch_queue_fetches_on_its_next_request() {
    let app = spawn_with(|s| {
        s.client_assertions.jwks_allow_http_loopback = true;
        s.client_assertions.jwks_max_fetches = 1;
        s.client_assertions.jwks_refetch_cooldown_secs = 30;
    })
    .await;
    let (slow_key, key) = (Signer::ed25519("slow"), Signer::ed25519("k1"));
    let (slow_set, set) = (jwks(&[&slow_key]), jwks(&[&key]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new()
        .route(
            "/slow",
            get(move || {
                let set = slow_set.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    axum::Json(set)
                }
            }),
        )
        .route(
            "/jwks",
            get(move || std::future::ready(axum::Json(set.clone()))),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });
    register_at(&app, "slow", format!("{base}/slow")).await;
    register_at(&app, "svc", format!("{base}/jwks")).await;

    // The slow client's fetch takes the one place for 1.5 s.
    let slow = tokio::spawn({
        let assertion = slow_key.sign(&claims(&app, "slow"));
        let (http, url) = (app.http.clone(), app.url("/oauth/token"));
        async move {
            http.post(url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_assertion_type", super::JWT_BEARER),
                    ("client_assertion", assertion.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let r = token_with(&app, &key.sign(&claims(&app, "svc")), &[]).await;
    assert_invalid_client(r, "no place to fetch in").await;
    assert_eq!(slow.await.unwrap(), 200);
    let r = token_with(&app, &key.sign(&claims(&app, "svc")), &[]).await;
    assert_eq!(
        r.status(),
        200,
        "fetched at once, no cooldown after the refusal"
    );
}
