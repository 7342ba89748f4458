//! Public documents: JWKS, RFC 8414 metadata, health.

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_jwks_lists_public_members_only_with_a_thumbprint_kid_and_a_max_age() {
    let app = spawn_app().await;
    let r = app.get("/.well-known/jwks.json").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let body: Value = r.json().await.unwrap();
    let key = &body["keys"][0];
    let mut members: Vec<&str> = key
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort();
    assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"]);
    assert_eq!(
        (
            key["kty"].as_str(),
            key["alg"].as_str(),
            key["use"].as_str()
        ),
        (Some("RSA"), Some("RS512"), Some("sig"))
    );

    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.clone()).unwrap();
    let thumbprint = jwk
        .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .unwrap();
    assert_eq!(
        key["kid"],
        thumbprint.as_str(),
        "kid is the RFC 7638 SHA-256 thumbprint"
    );
}

#[tokio::test]
async fn the_metadata_document_names_the_endpoints_and_methods() {
    let app = spawn_app().await;
    let body = app.metadata().await;
    assert_eq!(body["issuer"], app.issuer.as_str());
    assert_eq!(
        body["token_endpoint"],
        format!("{}/oauth/token", app.issuer)
    );
    assert_eq!(
        body["jwks_uri"],
        format!("{}/.well-known/jwks.json", app.issuer)
    );
    assert!(
        body["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "client_credentials")
    );
    let methods = body["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    assert!(
        methods.iter().any(|m| m == "client_secret_basic")
            && methods.iter().any(|m| m == "client_secret_post")
    );
}

#[tokio::test]
async fn health_answers_200_and_unknown_paths_404() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/nope").await.status(), 404);
}

#[tokio::test]
async fn the_configured_issuer_is_used_in_tokens_and_metadata() {
    let app =
        crate::helpers::spawn_with(|s| s.issuer = Some("https://auth.example.com/".into())).await;
    // Kept as typed (RFC 8414 §3.3); endpoints get one slash.
    assert_eq!(app.issuer, "https://auth.example.com/");
    let body = app.metadata().await;
    assert_eq!(body["issuer"], "https://auth.example.com/");
    assert_eq!(
        body["token_endpoint"],
        "https://auth.example.com/oauth/token"
    );
}
