//! Public documents: JWKS, the discovery documents (RFC 8414, OpenID Connect) for issuers with
//! and without a path, health.

use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_with};

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
    let app = spawn_with(|s| s.issuer = Some("https://auth.example.com/".into())).await;
    // Kept as typed (RFC 8414 §3.3); endpoints get one slash.
    assert_eq!(app.issuer, "https://auth.example.com/");
    let body = app.metadata().await;
    assert_eq!(body["issuer"], "https://auth.example.com/");
    assert_eq!(
        body["token_endpoint"],
        "https://auth.example.com/oauth/token"
    );
}

/// The JSON at `path`, which must answer 200.
async fn document(app: &crate::helpers::TestApp, path: &str) -> Value {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_openid_configuration_is_the_rfc_8414_document_with_what_verifiers_read() {
    let app = spawn_app().await;
    let r = app.get("/.well-known/openid-configuration").await;
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    assert_eq!(headers["access-control-allow-origin"], "*");
    let openid: Value = r.json().await.unwrap();
    let oauth = app.metadata().await;
    // One source: every RFC 8414 member is there, the same.
    for (name, value) in oauth.as_object().unwrap() {
        assert_eq!(&openid[name], value, "{name}");
    }
    assert_eq!(openid["issuer"], app.issuer.as_str());
    assert_eq!(openid["subject_types_supported"], json!(["public"]));
    assert_eq!(
        openid["id_token_signing_alg_values_supported"],
        json!(["RS512", "EdDSA", "ES256"])
    );
    // No authorization endpoint: `none`, never an empty list that validators refuse.
    for doc in [&oauth, &openid] {
        assert_eq!(doc["response_types_supported"], json!(["none"]));
        assert!(doc.get("authorization_endpoint").is_none());
    }
    let preflight = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            app.url("/.well-known/openid-configuration"),
        )
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
}

const TENANT: &str = "https://auth.example/tenant-a";

#[tokio::test]
async fn a_path_issuers_documents_are_at_rfc_8414_insertion_and_the_oidc_form_and_another_path_is_404()
 {
    let app = spawn_with(|s| s.issuer = Some(TENANT.into())).await;
    for path in [
        "/.well-known/oauth-authorization-server/tenant-a",
        // What a proxy that strips the issuer's path delivers for `{issuer}/.well-known/…`.
        "/.well-known/oauth-authorization-server",
        "/tenant-a/.well-known/oauth-authorization-server",
    ] {
        let doc = document(&app, path).await;
        assert_eq!(doc["issuer"], TENANT, "{path}");
        assert!(doc.get("subject_types_supported").is_none(), "{path}");
    }
    for path in [
        // OpenID Connect Discovery §4.1, as a proxy forwarding the issuer's path delivers it.
        "/tenant-a/.well-known/openid-configuration",
        "/.well-known/openid-configuration",
        // RFC 8414 §5's form, which Spring Security also tries.
        "/.well-known/openid-configuration/tenant-a",
    ] {
        let doc = document(&app, path).await;
        assert_eq!(
            (&doc["issuer"], &doc["subject_types_supported"]),
            (&json!(TENANT), &json!(["public"])),
            "{path}"
        );
    }
    for path in [
        "/.well-known/oauth-authorization-server/tenant-b",
        "/.well-known/oauth-authorization-server/tenant-a/x",
        "/.well-known/openid-configuration/tenant-b",
        "/tenant-b/.well-known/openid-configuration",
        "/tenant-ab/.well-known/openid-configuration",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(
            r.headers().get("access-control-allow-origin").is_none(),
            "{path}"
        );
    }
    // An issuer without a path has no document under one.
    let plain = spawn_app().await;
    let r = plain
        .get("/.well-known/oauth-authorization-server/tenant-a")
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn every_endpoint_a_path_issuers_documents_name_answers_with_the_path_stripped_or_kept() {
    let app = spawn_with(|s| s.issuer = Some(format!("{TENANT}/"))).await;
    let client = app.register("svc", &["https://api.example"], &[]).await;
    let doc = document(&app, "/.well-known/openid-configuration/tenant-a").await;
    assert_eq!(doc["issuer"], format!("{TENANT}/"), "kept as typed");
    // The path of each endpoint after the issuer, as a proxy that strips it delivers it, and
    // as one that forwards it.
    let paths = |member: &str| {
        let url = doc[member].as_str().unwrap();
        let inner = url
            .strip_prefix(TENANT)
            .unwrap_or_else(|| panic!("{member}: {url}"));
        assert!(inner.starts_with('/') && !inner.starts_with("//"), "{url}");
        [inner.to_owned(), format!("/tenant-a{inner}")]
    };
    for path in paths("jwks_uri") {
        let jwks = document(&app, &path).await;
        assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(3), "{path}");
    }
    for path in paths("token_endpoint") {
        let r = app
            .http
            .post(app.url(&path))
            .basic_auth(&client.id, Some(&client.secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let token = r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            crate::helpers::claims_of(&token)["iss"],
            format!("{TENANT}/")
        );
        for path in paths("introspection_endpoint") {
            let r = app
                .http
                .post(app.url(&path))
                .basic_auth(&client.id, Some(&client.secret))
                .form(&[("token", token.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path}");
            assert_eq!(r.json::<Value>().await.unwrap()["active"], true, "{path}");
        }
        let [revoke, _] = paths("revocation_endpoint");
        let r = app
            .http
            .post(app.url(&revoke))
            .basic_auth(&client.id, Some(&client.secret))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{revoke}");
    }
    let [_, revoke_under_path] = paths("revocation_endpoint");
    let r = app
        .http
        .post(app.url(&revoke_under_path))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[("token", "not-a-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{revoke_under_path}");
    // The rest of the API follows; the console stays at /console (its links and cookies are).
    assert_eq!(app.get("/tenant-a/healthz").await.status(), 200);
    assert_eq!(app.get("/tenant-a/console/login").await.status(), 404);
    assert_eq!(app.get("/console/login").await.status(), 200);
    let token = app.admin_token().await;
    let r = app
        .http
        .get(app.url("/tenant-a/admin/clients?limit=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap().as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(app.get("/tenant-ab/healthz").await.status(), 404);
}
