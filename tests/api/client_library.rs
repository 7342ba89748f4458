//! The client library against the real dealer: token source, discovery, JWKS verifier, and
//! a service that a client finds the dealer from (RFC 9728).

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tokendealer::client::{
    Algorithm, Claims, ClientAssertionKey, RequireAccess, ResourceMetadata, ServerMetadata,
    SigningKey, TokenSource, Verifier, VerifyError,
};

use crate::helpers::{claims_of, header_of, spawn_app};

#[tokio::test]
async fn a_token_source_gets_a_token_from_the_dealer_and_reuses_it() {
    let app = spawn_app().await;
    let c = app
        .register("strava", &["https://runnerly.io"], &["runs:read"])
        .await;
    let source = TokenSource::builder(app.url("/oauth/token"), &c.id, &c.secret)
        .audience("https://runnerly.io")
        .scope(&["runs:read"])
        .build()
        .unwrap();
    let first = source.token().await.unwrap();
    let second = source.token().await.unwrap();
    assert_eq!(
        first.secret(),
        second.secret(),
        "the cached token is reused"
    );
    assert_eq!(first.scope(), Some("runs:read"));
}

#[tokio::test]
async fn a_token_source_with_a_wrong_secret_reports_invalid_client() {
    let app = spawn_app().await;
    app.register("strava", &["https://runnerly.io"], &[]).await;
    let source = TokenSource::builder(app.url("/oauth/token"), "strava", "wrong")
        .build()
        .unwrap();
    let err = source.token().await.unwrap_err();
    assert!(err.to_string().contains("invalid_client"), "{err}");
}

#[tokio::test]
async fn a_verifier_built_from_discovery_accepts_dealer_tokens_for_its_audience_only() {
    let app = spawn_app().await;
    let c = app
        .register(
            "strava",
            &["https://runnerly.io", "https://other.io"],
            &["runs:read"],
        )
        .await;
    let http = reqwest::Client::new();
    let meta = ServerMetadata::discover(&http, &app.base).await.unwrap();
    let verifier = Verifier::from_metadata(&meta, "https://runnerly.io")
        .build()
        .unwrap();

    let token = app
        .access_token(&c, &[("audience", "https://runnerly.io")])
        .await;
    let claims = verifier.verify(&token).await.unwrap();
    assert_eq!(claims.sub, "strava");
    assert_eq!(claims.client_id.as_deref(), Some("strava"));
    assert!(claims.has_scope("runs:read"));

    let other = app
        .access_token(&c, &[("audience", "https://other.io")])
        .await;
    assert!(matches!(
        verifier.verify(&other).await,
        Err(VerifyError::WrongAudience)
    ));
}

#[tokio::test]
async fn a_verifier_learns_a_rotated_key_after_its_cooldown() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &[]).await;
    let http = reqwest::Client::new();
    let meta = ServerMetadata::discover(&http, &app.base).await.unwrap();
    let verifier = Verifier::from_metadata(&meta, "https://api")
        .jwks_cooldown(Duration::from_secs(30))
        .build()
        .unwrap();
    let now = tokendealer::domain::UnixTime::now().as_secs();
    let before = app.access_token(&c, &[]).await;
    verifier.verify_at(&before, now).await.unwrap();

    assert_eq!(
        app.admin(
            Method::POST,
            "/admin/keys/rotate",
            Some(json!({"now": true}))
        )
        .await
        .status(),
        200
    );
    let after = app.access_token(&c, &[]).await;
    assert_ne!(header_of(&before)["kid"], header_of(&after)["kid"]);
    assert!(
        verifier.verify_at(&after, now).await.is_err(),
        "inside the cooldown the new kid is unknown"
    );
    verifier
        .verify_at(&after, now + 31)
        .await
        .expect("after the cooldown the new key is fetched");
    verifier
        .verify_at(&before, now + 31)
        .await
        .expect("the old key is still published");
}

/// The quoted value of `param` in a `WWW-Authenticate` challenge.
fn challenge_param(challenge: &str, param: &str) -> Option<String> {
    let (_, rest) = challenge.split_once(&format!("{param}=\""))?;
    Some(rest.split_once('"')?.0.to_owned())
}

#[tokio::test]
async fn a_client_that_knows_only_the_service_url_finds_the_dealer_and_gets_in() {
    use axum::{Extension, Router, routing::get};

    let app = spawn_app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let service = format!("http://{}/runs", listener.local_addr().unwrap());
    let c = app
        .register("mcp-client", &[&service], &["runs:read"])
        .await;

    // The service: verifies tokens for its own URL and publishes where they come from.
    let http = reqwest::Client::new();
    let dealer = ServerMetadata::discover(&http, &app.base).await.unwrap();
    let metadata = ResourceMetadata::builder(&service)
        .authorization_server(&dealer.issuer)
        .scopes_supported(&["runs:read"])
        .build()
        .unwrap();
    let verifier = Verifier::from_metadata(&dealer, &service).build().unwrap();
    let router = Router::new()
        .route(
            "/runs",
            get(|Extension(caller): Extension<Claims>| async move { caller.sub }),
        )
        .layer(
            RequireAccess::new(verifier)
                .scope("runs:read")
                .resource_metadata(metadata),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });

    // The client, as an MCP client goes: call, read the challenge, follow it.
    let refused = http.get(&service).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let challenge = header_of_response(&refused, "www-authenticate");
    let metadata_url = challenge_param(&challenge, "resource_metadata")
        .unwrap_or_else(|| panic!("no resource_metadata in {challenge:?}"));
    let document: serde_json::Value = http
        .get(&metadata_url)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        document["resource"], service,
        "RFC 9728 §3.3: the URL the client called"
    );
    let issuer = document["authorization_servers"][0].as_str().unwrap();
    let found = ServerMetadata::discover(&http, issuer).await.unwrap();
    assert_eq!(found.issuer, app.base);
    let token_endpoint = found.token_endpoint.unwrap();
    let source = TokenSource::builder(token_endpoint, &c.id, &c.secret)
        .resource(&service)
        .scope(&["runs:read"])
        .build()
        .unwrap();
    let admitted = source
        .send_authorized(|http| http.get(&service))
        .await
        .unwrap();
    assert_eq!(admitted.status(), 200);
    assert_eq!(admitted.text().await.unwrap(), "mcp-client");
}

fn header_of_response(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// A new key as PKCS#8 PEM (as `openssl genpkey` writes it) and its public JWK under `kid`.
fn client_key(alg: Algorithm, kid: &str) -> (String, serde_json::Value) {
    let pair = match alg {
        Algorithm::EdDSA => rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap(),
        _ => rcgen::KeyPair::generate().unwrap(), // ECDSA P-256
    };
    let pem = pair.serialize_pem();
    let key = SigningKey::from_pem(pem.as_bytes(), alg).unwrap();
    let mut jwk = serde_json::to_value(key.public_jwk()).unwrap();
    jwk["kid"] = kid.into();
    (pem, jwk)
}

#[tokio::test]
async fn a_token_source_with_a_private_key_gets_tokens_from_the_dealer_without_a_secret() {
    let app = spawn_app().await;
    let (es_pem, es_jwk) = client_key(Algorithm::ES256, "es-1");
    let (ed_pem, ed_jwk) = client_key(Algorithm::EdDSA, "ed-1");
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(
                json!({"client_id": "worker", "audiences": ["https://runnerly.io"],
                        "jwks": {"keys": [es_jwk, ed_jwk]}}),
            ),
        )
        .await;
    assert_eq!(r.status(), 201);
    let endpoint = app.url("/oauth/token");
    let es = ClientAssertionKey::from_pem(es_pem.as_bytes(), Algorithm::ES256, "es-1", &app.issuer)
        .unwrap();
    // Addressed to the token endpoint instead of the issuer: the dealer takes both.
    let ed = ClientAssertionKey::from_pem(ed_pem.as_bytes(), Algorithm::EdDSA, "ed-1", &app.issuer)
        .unwrap()
        .audience_token_endpoint();
    for key in [es, ed] {
        let source = TokenSource::private_key_jwt(&endpoint, "worker", key)
            .audience("https://runnerly.io")
            .build()
            .unwrap();
        let first = source.token().await.unwrap();
        // A second fetch carries a new assertion: the dealer accepts each jti once.
        source.invalidate();
        let second = source.token().await.unwrap();
        assert_ne!(first.secret(), second.secret());
        assert_eq!(claims_of(second.secret())["client_id"], "worker");
    }
}

#[tokio::test]
async fn a_token_source_with_a_key_the_client_was_not_registered_with_gets_invalid_client() {
    let app = spawn_app().await;
    let (_, jwk) = client_key(Algorithm::ES256, "k1");
    let (other_pem, _) = client_key(Algorithm::ES256, "k1");
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(
                json!({"client_id": "worker", "audiences": ["https://runnerly.io"],
                        "jwks": {"keys": [jwk]}}),
            ),
        )
        .await;
    assert_eq!(r.status(), 201);
    let key =
        ClientAssertionKey::from_pem(other_pem.as_bytes(), Algorithm::ES256, "k1", &app.issuer)
            .unwrap();
    let err = TokenSource::private_key_jwt(app.url("/oauth/token"), "worker", key)
        .build()
        .unwrap()
        .token()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("invalid_client"), "{err}");
}
