//! RFC 9728: the metadata document, where it is served, and the challenges that name it.

use axum::body::Body;
use axum::routing::get;
use axum::{Extension, Router};
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::support::{AUDIENCE, DEALER_KEY, MockDealer};
use crate::{Claims, ClientError, RequireAccess, ResourceMetadata, Verifier};

const RESOURCE: &str = "https://api.runnerly.io/mcp";
const ISSUER: &str = "https://auth.runnerly.io";
const METADATA_URL: &str = "https://api.runnerly.io/.well-known/oauth-protected-resource/mcp";

fn metadata() -> ResourceMetadata {
    ResourceMetadata::builder(RESOURCE)
        .authorization_server(ISSUER)
        .scopes_supported(&["runs:read", "runs:write"])
        .resource_name("Runnerly runs")
        .build()
        .unwrap()
}

fn config_error(builder: crate::ResourceMetadataBuilder) -> String {
    match builder.build() {
        Err(ClientError::Config(why)) => why,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

/// What a router answered: status, one header's value, and the body.
struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

async fn call(router: &Router, method: Method, path: &str, token: Option<&str>) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

async fn verifier() -> (MockDealer, Verifier) {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let verifier = Verifier::builder(dealer.jwks_uri(), dealer.base.clone(), AUDIENCE)
        .build()
        .unwrap();
    (dealer, verifier)
}

fn handler() -> axum::routing::MethodRouter {
    get(|Extension(claims): Extension<Claims>| async move { claims.sub })
}

#[test]
fn the_document_has_rfc_9728_names_and_only_the_parameters_with_values() {
    let full: Value = serde_json::from_str(metadata().document()).unwrap();
    assert_eq!(
        full,
        json!({
            "resource": RESOURCE,
            "authorization_servers": [ISSUER],
            "scopes_supported": ["runs:read", "runs:write"],
            "bearer_methods_supported": ["header"],
            "resource_name": "Runnerly runs",
        })
    );
    let bare = ResourceMetadata::builder(RESOURCE)
        .authorization_server(ISSUER)
        .build()
        .unwrap();
    let bare: Value = serde_json::from_str(bare.document()).unwrap();
    assert_eq!(
        bare,
        json!({"resource": RESOURCE, "authorization_servers": [ISSUER], "bearer_methods_supported": ["header"]})
    );
}

#[test]
fn the_well_known_uri_is_inserted_between_the_host_and_the_path() {
    let at = |resource: &str| {
        let m = ResourceMetadata::builder(resource)
            .authorization_server(ISSUER)
            .build()
            .unwrap();
        (m.url().to_owned(), m.well_known_path().to_owned())
    };
    assert_eq!(at(RESOURCE).0, METADATA_URL);
    let root = "https://api.runnerly.io/.well-known/oauth-protected-resource";
    assert_eq!(at("https://api.runnerly.io").0, root);
    assert_eq!(at("https://api.runnerly.io/").0, root);
    assert_eq!(
        at("http://127.0.0.1:8080/a/b"),
        (
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource/a/b".to_owned(),
            "/.well-known/oauth-protected-resource/a/b".to_owned()
        )
    );
    assert_eq!(
        at("https://api.runnerly.io/mcp/").0,
        "https://api.runnerly.io/.well-known/oauth-protected-resource/mcp/",
        "only the slash right after the host is removed"
    );
    assert_eq!(
        metadata().resource(),
        RESOURCE,
        "the identifier is kept as typed"
    );
}

#[test]
fn a_resource_that_cannot_be_an_identifier_is_refused_when_built() {
    let with = |resource: &str| ResourceMetadata::builder(resource).authorization_server(ISSUER);
    assert!(config_error(with("api.runnerly.io/mcp")).contains("is not a URL"));
    assert!(config_error(with("ftp://api.runnerly.io")).contains("http(s)"));
    assert!(config_error(with("https://api.runnerly.io/mcp#x")).contains("fragment"));
    assert!(config_error(with("https://api.runnerly.io/mcp?t=1")).contains("query"));
    assert!(config_error(with("https://u:p@api.runnerly.io/")).contains("credentials"));
}

#[test]
fn metadata_without_a_valid_authorization_server_or_with_a_bad_scope_is_refused() {
    let why = config_error(ResourceMetadata::builder(RESOURCE));
    assert!(why.contains("no authorization server"), "{why}");
    let why = config_error(ResourceMetadata::builder(RESOURCE).authorization_server("dealer"));
    assert!(why.starts_with("authorization server"), "{why}");
    let why = config_error(
        ResourceMetadata::builder(RESOURCE)
            .authorization_server(ISSUER)
            .scopes_supported(&["runs:read runs:write"]),
    );
    assert!(why.contains("scope token"), "{why}");
}

#[tokio::test]
async fn a_layer_over_the_whole_router_serves_the_document_without_a_token() {
    let (_dealer, verifier) = verifier().await;
    let layer = RequireAccess::new(verifier).resource_metadata(metadata());
    let router = Router::new().route("/mcp", handler()).layer(layer);

    let answer = call(
        &router,
        Method::GET,
        "/.well-known/oauth-protected-resource/mcp",
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    assert_eq!(answer.header("cache-control"), Some("max-age=300"));
    assert_eq!(answer.json()["authorization_servers"], json!([ISSUER]));

    let other = call(
        &router,
        Method::GET,
        "/.well-known/oauth-protected-resource",
        None,
    )
    .await;
    assert_eq!(
        other.status,
        StatusCode::UNAUTHORIZED,
        "another resource's location is not this document"
    );
}

#[tokio::test]
async fn a_resource_with_a_trailing_slash_is_found_with_or_without_it() {
    let (_dealer, verifier) = verifier().await;
    let metadata = ResourceMetadata::builder("https://api.runnerly.io/mcp/")
        .authorization_server(ISSUER)
        .build()
        .unwrap();
    let router = Router::new()
        .route("/mcp/", handler())
        .layer(RequireAccess::new(verifier).resource_metadata(metadata));
    for path in [
        "/.well-known/oauth-protected-resource/mcp/",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let answer = call(&router, Method::GET, path, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.json()["resource"], "https://api.runnerly.io/mcp/");
    }
}

#[tokio::test]
async fn every_401_and_403_challenge_names_the_metadata_url() {
    let (dealer, verifier) = verifier().await;
    let layer = RequireAccess::new(verifier)
        .scope("runs:write")
        .resource_metadata(metadata());
    let router = Router::new().route("/mcp", handler()).layer(layer);
    let param = format!(r#"resource_metadata="{METADATA_URL}""#);

    let missing = call(&router, Method::GET, "/mcp", None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.header("www-authenticate").unwrap(),
        format!("Bearer {param}")
    );

    let forged = call(&router, Method::GET, "/mcp", Some("not.a.jwt")).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let challenge = forged.header("www-authenticate").unwrap();
    assert!(
        challenge.starts_with(r#"Bearer error="invalid_token", "#),
        "{challenge}"
    );
    assert!(challenge.ends_with(&format!(", {param}")), "{challenge}");

    let now = jsonwebtoken::get_current_timestamp();
    let mut claims = dealer.claims();
    claims["iat"] = json!(now);
    claims["nbf"] = json!(now);
    claims["exp"] = json!(now + 600);
    let narrow = call(
        &router,
        Method::GET,
        "/mcp",
        Some(&DEALER_KEY.sign(&claims)),
    )
    .await;
    assert_eq!(narrow.status, StatusCode::FORBIDDEN);
    let challenge = narrow.header("www-authenticate").unwrap();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#) && challenge.ends_with(&param),
        "{challenge}"
    );
}

#[tokio::test]
async fn behind_route_layer_the_document_is_mounted_as_a_service_of_its_own() {
    let (_dealer, verifier) = verifier().await;
    let metadata = metadata();
    let router = Router::new()
        .route(
            "/mcp",
            handler().route_layer(RequireAccess::new(verifier).resource_metadata(metadata.clone())),
        )
        .route_service(metadata.well_known_path(), metadata.clone());

    let document = call(&router, Method::GET, metadata.well_known_path(), None).await;
    assert_eq!(document.status, StatusCode::OK);
    assert_eq!(document.body, metadata.document());

    let preflight = call(&router, Method::OPTIONS, metadata.well_known_path(), None).await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET, HEAD, OPTIONS")
    );

    let post = call(&router, Method::POST, metadata.well_known_path(), None).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.header("allow"), Some("GET, HEAD, OPTIONS"));

    let refused = call(&router, Method::GET, "/mcp", None).await;
    assert_eq!(
        refused.header("www-authenticate").unwrap(),
        format!(r#"Bearer resource_metadata="{}""#, metadata.url())
    );
}
