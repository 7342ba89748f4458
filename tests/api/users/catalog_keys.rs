//! The service catalog, and the active signing key in the JWK, PEM and SSH forms.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::Directory;
use crate::helpers::{TestApp, spawn_app};

async fn with_catalog() -> TestApp {
    let app = spawn_app().await;
    app.seed().await;
    let svc = json!({"name": "micros", "endpoint_url_internal": "http://micros.internal",
        "endpoint_url_external": "https://micros.example", "endpoint_url_admin": "http://micros.admin"});
    assert_eq!(app.create("services", svc).await.status(), 201);
    app
}

#[tokio::test]
async fn the_catalog_needs_a_valid_token_of_either_kind() {
    let app = with_catalog().await;
    let r = app.get("/catalog").await;
    assert_eq!(r.status(), 401);
    let r = app
        .http
        .get(app.url("/catalog"))
        .bearer_auth("junk")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let access = app.admin_token().await;
    let r = app
        .http
        .get(app.url("/catalog"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let catalog: Value = r.json().await.unwrap();
    assert_eq!(
        catalog["micros"]["endpoint_url_external"],
        "https://micros.example"
    );

    let legacy = app.legacy_token("alice").await;
    let r = app
        .http
        .get(app.url("/catalog/micros"))
        .header("X-Auth-Token", &legacy)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let entry: Value = r.json().await.unwrap();
    assert_eq!(entry["endpoint_url_admin"], "http://micros.admin");

    let r = app
        .http
        .get(app.url("/catalog/nope"))
        .bearer_auth(&legacy)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_service_needs_an_internal_endpoint_and_urls_without_spaces() {
    let app = spawn_app().await;
    let no_internal = json!({"name": "s1", "endpoint_url_external": "https://x.example"});
    assert_eq!(app.create("services", no_internal).await.status(), 400);
    let bad = json!({"name": "s1", "endpoint_url_internal": "local host:5001"});
    assert_eq!(app.create("services", bad).await.status(), 400);
    // As tokenleader's docs register them: `adminops addservice ... --urlint localhost:5001`.
    let relative = json!({"name": "tokenleader", "endpoint_url_internal": "localhost:5001",
        "endpoint_url_external": "10.0.0.1:5001/tl"});
    assert_eq!(app.create("services", relative).await.status(), 201);
}

#[tokio::test]
async fn a_service_url_other_than_http_https_or_host_port_is_refused_naming_the_service() {
    let app = spawn_app().await;
    for (field, url) in [
        ("endpoint_url_internal", "javascript:alert(1)"),
        (
            "endpoint_url_external",
            "data:text/html,<script>alert(1)</script>",
        ),
        ("endpoint_url_admin", "javascript:1/alert(document.cookie)"),
        ("endpoint_url_internal", "file:///etc/passwd"),
        ("endpoint_url_external", "ftp://files.example"),
    ] {
        let mut body = json!({"name": "evil", "endpoint_url_internal": "http://ok.example"});
        body[field] = json!(url);
        let r = app.create("services", body).await;
        assert_eq!(r.status(), 400, "{url}");
        let error: Value = r.json().await.unwrap();
        assert_eq!(error["error"], "invalid_request");
        let said = error["error_description"].as_str().unwrap();
        assert!(
            said.starts_with(&format!("service evil: {field}: ")),
            "{said}"
        );
        assert!(said.contains("http://…, https://… or host:port"), "{said}");
    }
    let access = app.admin_token().await;
    let r = app
        .http
        .get(app.url("/catalog"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({}),
        "nothing stored"
    );
}

/// Reads an `ssh-rsa` line into (n, e), stripping the mpints' sign bytes.
pub fn parse_ssh(line: &str) -> (Vec<u8>, Vec<u8>) {
    let mut words = line.split_whitespace();
    assert_eq!(words.next(), Some("ssh-rsa"));
    let blob = STANDARD.decode(words.next().unwrap()).unwrap();
    assert_eq!(words.next(), Some("tokendealer"));
    let mut rest = &blob[..];
    let mut take = || {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let value = rest[4..4 + len].to_vec();
        rest = &rest[4 + len..];
        value
    };
    assert_eq!(take(), b"ssh-rsa");
    let e = take();
    let n = take();
    assert_eq!(
        n[0], 0,
        "a modulus with its high bit set needs a 0x00 sign byte"
    );
    assert!(n[1] & 0x80 != 0);
    let strip = |v: Vec<u8>| v.into_iter().skip_while(|b| *b == 0).collect::<Vec<u8>>();
    (strip(n), strip(e))
}

pub async fn jwks_n_e(app: &TestApp) -> (Vec<u8>, Vec<u8>) {
    let jwks = app.jwks_json().await;
    let key = &jwks["keys"][0];
    let decode = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
    (decode(&key["n"]), decode(&key["e"]))
}

#[tokio::test]
async fn the_active_key_as_ssh_is_the_jwks_key() {
    let app = spawn_app().await;
    let r = app.get("/keys/active?format=ssh").await;
    assert_eq!(r.status(), 200);
    let line = r.text().await.unwrap();
    assert_eq!(parse_ssh(line.trim()), jwks_n_e(&app).await);

    let jwk: Value = app.get("/keys/active").await.json().await.unwrap();
    assert_eq!(jwk["kty"], "RSA");
    let r = app.get("/keys/active?format=xml").await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_legacy_token_verifies_against_the_pem_key() {
    let app = with_catalog().await;
    let pem = app
        .get("/keys/active?format=pem")
        .await
        .text()
        .await
        .unwrap();
    let token = app.legacy_token("alice").await;
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    // jsonwebtoken::decode cannot validate an object `sub`: check the signature alone.
    let (message, signature) = token.rsplit_once('.').unwrap();
    let rs512 = jsonwebtoken::Algorithm::RS512;
    assert!(jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, rs512).unwrap());
}
