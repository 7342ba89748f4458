//! The Runnerly scenario: a Strava worker reads runs from a Data Service that verifies its tokens
//! locally (JWKS) or remotely (introspection), through a key rotation and a revocation; with
//! DPoP, its tokens are bound to the key it holds and a stolen one is of no use.

#[allow(dead_code)]
#[path = "../../examples/runnerly/data_service.rs"]
mod data_service;
#[allow(dead_code)]
#[path = "../../examples/runnerly/strava_worker.rs"]
mod strava_worker;

use std::time::Duration;

use jsonwebtoken::Algorithm;
use reqwest::Method;
use serde_json::json;
use strava_worker::StravaWorker;
use tokendealer::client::{IntrospectionVerifier, ServerMetadata, SigningKey, Verifier};

use crate::helpers::{TestApp, claims_of, header_of, spawn_with};

const DATA: &str = "https://data.runnerly.io";

/// Serves a Data Service router on a free port; returns its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// Calls the Data Service directly with `token`, as the worker would but without its retry.
async fn runs_with(app: &TestApp, data_url: &str, token: &str) -> reqwest::Response {
    app.http
        .get(format!("{data_url}/runs/tarek"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn worker(app: &TestApp, secret: &str, data_url: &str) -> StravaWorker {
    StravaWorker::new(&app.url("/oauth/token"), "strava", secret, DATA, data_url).unwrap()
}

#[tokio::test]
async fn the_worker_reads_runs_and_recovers_from_a_revocation_and_a_key_rotation() {
    // JWKS max-age 0: local verifiers re-read the key set on every token, so a retired key is
    // distrusted at once (in production, max-age bounds how long that takes).
    let app = spawn_with(|s| s.jwks_max_age = 0).await;
    let strava = app.register("strava", &[DATA], &["runs:read"]).await;
    let data = app
        .register("data-service", &[DATA], &["tokendealer:introspect"])
        .await;
    let meta = ServerMetadata::discover(&app.http, &app.base)
        .await
        .unwrap();

    let remote = IntrospectionVerifier::from_metadata(&meta, &data.id, &data.secret, DATA).unwrap();
    let remote_url = serve(data_service::router(remote)).await;
    // No JWKS refetch cooldown, so the test needs no sleep after the rotation.
    let local = Verifier::from_metadata(&meta, DATA)
        .jwks_cooldown(Duration::ZERO)
        .build()
        .unwrap();
    let local_url = serve(data_service::router(local)).await;

    let via_remote = worker(&app, &strava.secret, &remote_url).await;
    let via_local = worker(&app, &strava.secret, &local_url).await;
    let runs = via_remote
        .read_runs("tarek")
        .await
        .expect("the worker reads runs (introspection)");
    assert_eq!(runs["served_to"], "strava");
    via_local
        .read_runs("tarek")
        .await
        .expect("the worker reads runs (JWKS)");

    // Revocation: the remote-mode service sees it at once; the worker gets a new token by itself.
    let revoked = via_remote.tokens().token().await.unwrap();
    app.revoke(&strava, revoked.secret()).await;
    let direct = runs_with(&app, &remote_url, revoked.secret()).await;
    assert_eq!(
        direct.status(),
        401,
        "the data service refuses the revoked token"
    );
    via_remote
        .read_runs("tarek")
        .await
        .expect("the worker recovers from the revocation");
    assert_ne!(
        via_remote.tokens().token().await.unwrap().secret(),
        revoked.secret()
    );

    // Emergency rotation: the old key leaves the JWKS at once; the local-mode service refuses
    // tokens it signed, and the worker recovers with a token signed by the new key.
    let old = via_local.tokens().token().await.unwrap();
    let r = app
        .admin(
            Method::POST,
            "/admin/keys/rotate",
            Some(json!({"retire_previous": true})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let direct = runs_with(&app, &local_url, old.secret()).await;
    assert_eq!(
        direct.status(),
        401,
        "the data service refuses a token signed by the retired key"
    );
    assert!(
        direct.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    via_local
        .read_runs("tarek")
        .await
        .expect("the worker recovers from the rotation");
    let fresh = via_local.tokens().token().await.unwrap();
    assert_ne!(
        header_of(fresh.secret())["kid"],
        header_of(old.secret())["kid"]
    );
}

#[tokio::test]
async fn the_workers_dpop_bound_token_reads_runs_and_is_useless_to_a_thief() {
    let app = spawn_with(|_| {}).await;
    let strava = app.register("strava", &[DATA], &["runs:read"]).await;
    let meta = ServerMetadata::discover(&app.http, &app.base)
        .await
        .unwrap();
    let verifier = Verifier::from_metadata(&meta, DATA).build().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let data_url = format!("http://{}", listener.local_addr().unwrap());
    let router = data_service::router(verifier);
    tokio::spawn(async move { axum::serve(listener, router).await });

    let worker = StravaWorker::new(
        &app.url("/oauth/token"),
        "strava",
        &strava.secret,
        DATA,
        &data_url,
    )
    .unwrap();
    let runs = worker
        .read_runs("tarek")
        .await
        .expect("the worker reads runs");
    assert_eq!(runs["served_to"], "strava");

    let token = worker.tokens().token().await.unwrap();
    assert_eq!(token.token_type(), "DPoP", "the dealer bound the token");
    let claims = claims_of(token.secret());
    let key = worker.tokens().dpop_key().unwrap();
    assert_eq!(claims["cnf"]["jkt"], key.thumbprint());
    assert_eq!(header_of(token.secret())["typ"], "at+jwt");

    // The thief has the token, not the key.
    let url = format!("{data_url}/runs/tarek");
    let as_bearer = app
        .http
        .get(&url)
        .bearer_auth(token.secret())
        .send()
        .await
        .unwrap();
    assert_eq!(as_bearer.status(), 401);
    let challenge = as_bearer.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with(r#"DPoP error="invalid_token""#),
        "{challenge}"
    );

    let thief = SigningKey::generate(Algorithm::ES256).unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let proof = thief
        .dpop_proof(
            "GET",
            &url.parse().unwrap(),
            now,
            Some(token.secret()),
            None,
        )
        .unwrap();
    let with_own_key = app
        .http
        .get(&url)
        .header("authorization", format!("DPoP {}", token.secret()))
        .header("dpop", proof)
        .send()
        .await
        .unwrap();
    assert_eq!(with_own_key.status(), 401);

    // And the worker goes on.
    worker
        .read_runs("tarek")
        .await
        .expect("the worker still reads runs");
}
