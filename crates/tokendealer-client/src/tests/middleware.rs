//! RequireAccess: RFC 6750 refusals, scopes, access rules, claims in extensions.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use tower::{Layer, ServiceExt, service_fn};

use super::support::{AUDIENCE, DEALER_KEY, MockDealer};
use crate::{
    AccessMap, Claims, IntrospectionVerifier, RequireAccess, ServerMetadata, Verifier, VerifyToken,
    Wfc,
};

const ROLES: &str = "
- name: role1
  allow:
  - rule1
- name: role2
  allow:
  - rule2
";

/// What the protected handler saw, or that it was never called.
struct Outcome {
    status: StatusCode,
    challenge: Option<String>,
    body: Value,
    handler_calls: usize,
}

/// Sends one request carrying `headers` through `layer` to a handler that echoes the caller.
async fn send<V>(layer: RequireAccess<V>, headers: &[(&str, String)]) -> Outcome
where
    V: VerifyToken + Clone + 'static,
{
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let handler = service_fn(move |request: Request<()>| {
        counted.fetch_add(1, Ordering::SeqCst);
        let claims = request.extensions().get::<Claims>().cloned();
        let wfc = request.extensions().get::<Wfc>().cloned();
        async move {
            let body = json!({"sub": claims.map(|c| c.sub), "org": wfc.map(|w| w.org)});
            Ok::<_, Infallible>(Response::new(Full::<Bytes>::from(body.to_string())))
        }
    });
    let mut request = Request::builder().uri("/runs");
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let response = layer
        .layer(handler)
        .oneshot(request.body(()).unwrap())
        .await
        .unwrap();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Outcome {
        status,
        challenge,
        body: serde_json::from_slice(&bytes).unwrap(),
        handler_calls: calls.load(Ordering::SeqCst),
    }
}

/// A dealer token valid right now (the middleware reads the system clock).
fn token_now(dealer: &MockDealer, extra: Value) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let mut claims = dealer.claims();
    for (k, v) in json!({"iat": now, "nbf": now, "exp": now + 600})
        .as_object()
        .unwrap()
    {
        claims[k] = v.clone();
    }
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    DEALER_KEY.sign(&claims)
}

fn bearer(token: &str) -> [(&'static str, String); 1] {
    [("authorization", format!("Bearer {token}"))]
}

async fn setup() -> (MockDealer, Verifier) {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let verifier = Verifier::builder(dealer.jwks_uri(), dealer.base.clone(), AUDIENCE)
        .build()
        .unwrap();
    (dealer, verifier)
}

#[tokio::test]
async fn a_request_without_a_token_gets_a_bare_bearer_challenge() {
    let (_dealer, verifier) = setup().await;
    let out = send(RequireAccess::new(verifier), &[]).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    assert_eq!(out.challenge.as_deref(), Some("Bearer"));
    assert_eq!(out.body["error"], "invalid_token");
    assert_eq!(out.handler_calls, 0);
}

#[tokio::test]
async fn an_expired_token_gets_invalid_token_with_a_description() {
    let (dealer, verifier) = setup().await;
    let now = jsonwebtoken::get_current_timestamp();
    let token = token_now(&dealer, json!({"exp": now - 3600, "nbf": now - 7200}));
    let out = send(RequireAccess::new(verifier), &bearer(&token)).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        out.challenge.as_deref(),
        Some(r#"Bearer error="invalid_token", error_description="The access token expired""#)
    );
    assert_eq!(out.body["error"], "invalid_token");
    assert_eq!(out.handler_calls, 0);
}

#[tokio::test]
async fn a_garbage_token_gets_invalid_token() {
    let (_dealer, verifier) = setup().await;
    let out = send(RequireAccess::new(verifier), &bearer("not.a.jwt")).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    assert!(out.challenge.unwrap().contains(r#"error="invalid_token""#));
}

#[tokio::test]
async fn a_token_lacking_the_scope_gets_403_insufficient_scope() {
    let (dealer, verifier) = setup().await;
    let layer = RequireAccess::new(verifier).scope("runs:write");
    let out = send(layer, &bearer(&token_now(&dealer, json!({})))).await;
    assert_eq!(out.status, StatusCode::FORBIDDEN);
    let challenge = out.challenge.unwrap();
    assert!(
        challenge.starts_with(r#"Bearer error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(challenge.ends_with(r#"scope="runs:write""#), "{challenge}");
    assert_eq!(out.body["error"], "insufficient_scope");
    assert_eq!(out.handler_calls, 0);
}

#[tokio::test]
async fn a_token_with_the_scope_reaches_the_handler_with_its_claims() {
    let (dealer, verifier) = setup().await;
    let layer = RequireAccess::new(verifier).scope("runs:read");
    let out = send(layer, &bearer(&token_now(&dealer, json!({})))).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(out.body["sub"], "strava");
    assert_eq!(out.handler_calls, 1);
}

#[tokio::test]
async fn a_role_allowed_by_the_access_map_passes_with_its_wfc() {
    let (dealer, verifier) = setup().await;
    let access = AccessMap::from_yaml_str(ROLES).unwrap();
    let token = token_now(
        &dealer,
        json!({"sub": "user1", "roles": ["role1"], "wfc": {"name": "w", "org": "org1", "orgunit": "ou", "department": "d"}}),
    );
    let out = send(
        RequireAccess::new(verifier).rule("rule1", access),
        &bearer(&token),
    )
    .await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(out.body, json!({"sub": "user1", "org": "org1"}));
}

#[tokio::test]
async fn a_role_without_the_rule_gets_403() {
    let (dealer, verifier) = setup().await;
    let access = AccessMap::from_yaml_str(ROLES).unwrap();
    let token = token_now(&dealer, json!({"roles": ["role2"]}));
    let out = send(
        RequireAccess::new(verifier).rule("rule1", access),
        &bearer(&token),
    )
    .await;
    assert_eq!(out.status, StatusCode::FORBIDDEN);
    assert_eq!(out.body["error"], "insufficient_scope");
    assert_eq!(out.handler_calls, 0);
}

#[tokio::test]
async fn the_tokenleader_x_auth_token_header_is_accepted_too() {
    let (dealer, verifier) = setup().await;
    let headers = [("x-auth-token", token_now(&dealer, json!({})))];
    let out = send(RequireAccess::new(verifier), &headers).await;
    assert_eq!(out.status, StatusCode::OK);
}

#[tokio::test]
async fn an_unreachable_key_set_gives_503_not_401() {
    let verifier = Verifier::builder("http://127.0.0.1:9/jwks", "iss", AUDIENCE)
        .build()
        .unwrap();
    let dealer = MockDealer::start(&[]).await;
    let out = send(
        RequireAccess::new(verifier),
        &bearer(&token_now(&dealer, json!({}))),
    )
    .await;
    assert_eq!(out.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(out.handler_calls, 0);
}

#[tokio::test]
async fn the_layer_takes_an_introspection_verifier_as_well() {
    let dealer = MockDealer::start(&[]).await;
    let metadata = ServerMetadata::discover(&reqwest::Client::new(), &dealer.base)
        .await
        .unwrap();
    let remote =
        IntrospectionVerifier::from_metadata(&metadata, "rs", "rs secret", AUDIENCE).unwrap();
    let access = AccessMap::from_yaml_str(ROLES).unwrap();
    let layer = RequireAccess::new(remote)
        .scope("runs:read")
        .rule("rule1", access);
    let out = send(layer.clone(), &bearer("good")).await;
    assert_eq!(
        (out.status, out.body["sub"].as_str()),
        (StatusCode::OK, Some("alice"))
    );
    let out = send(layer, &bearer("revoked")).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_axum_route_is_protected_in_one_line_and_its_handler_reads_the_claims() {
    use axum::{Extension, Router, body::Body, routing::get};

    let (dealer, verifier) = setup().await;
    let router = Router::new().route(
        "/runs",
        get(|Extension(claims): Extension<Claims>| async move { claims.sub })
            .route_layer(RequireAccess::new(verifier).scope("runs:read")),
    );
    let request = |token: &str| {
        Request::get("/runs")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let good = router
        .clone()
        .oneshot(request(&token_now(&dealer, json!({}))))
        .await
        .unwrap();
    assert_eq!(good.status(), StatusCode::OK);
    assert_eq!(
        good.into_body().collect().await.unwrap().to_bytes(),
        "strava"
    );
    let bad = router.oneshot(request("forged")).await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
}
