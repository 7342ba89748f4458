//! Assertions that are huge, not three segments, carry key-bearing or critical headers, nest a
//! JWT, have claims of the wrong types or name `none`/HS256: `invalid_client`, never a 5xx, and
//! no URL in a header is ever fetched.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use super::*;
use crate::helpers::spawn_app;

/// A listener that counts connections and answers nothing useful.
async fn counting_listener() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    (url, hits)
}

#[tokio::test]
async fn malformed_assertions_are_invalid_client_and_header_urls_are_never_fetched() {
    let app = spawn_app().await;
    let key = Signer::rsa("k1");
    register_with_keys(&app, "svc", jwks(&[&key])).await;
    let (url, hits) = counting_listener().await;
    let good = claims(&app, "svc");
    let with = |extra: Value| {
        let mut h = key.header();
        h.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        key.sign_raw(&h, &claims(&app, "svc"))
    };
    let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let signed = key.sign(&good);
    let public_pem = json!(key.jwk).to_string();
    let hs256 = {
        let input = format!(
            "{}.{}",
            enc(&json!({"alg": "HS256", "kid": "k1"})),
            enc(&claims(&app, "svc"))
        );
        let k = jsonwebtoken::EncodingKey::from_secret(public_pem.as_bytes());
        let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &k, Algorithm::HS256).unwrap();
        format!("{input}.{sig}")
    };
    let mut wrong_types = claims(&app, "svc");
    wrong_types["exp"] = json!("soon");
    let mut aud_number = claims(&app, "svc");
    aud_number["aud"] = json!(42);
    let mut nul_jti = claims(&app, "svc");
    nul_jti["jti"] = json!("a\u{0}b");
    let nested = key.sign_raw(&json!({"alg": "RS256", "kid": "k1", "cty": "JWT"}), &good);
    let cases: Vec<(String, &str)> = vec![
        ("a".repeat(60 * 1024), "60 KiB"),
        (format!("{signed}.{}", "x".repeat(9000)), "over 8 KiB"),
        (
            signed.rsplit_once('.').unwrap().0.to_owned(),
            "two segments",
        ),
        (format!("{signed}.e30"), "four segments"),
        (with(json!({"crit": ["exp"]})), "crit"),
        (with(json!({"jwk": key.jwk})), "an embedded jwk"),
        (with(json!({"jku": url})), "jku"),
        (with(json!({"x5u": url})), "x5u"),
        (nested, "a nested JWT"),
        (key.sign(&wrong_types), "exp a string"),
        (key.sign(&aud_number), "aud a number"),
        (key.sign(&nul_jti), "a jti with a NUL"),
        (
            format!("{}.{}.", enc(&json!({"alg": "none"})), enc(&good)),
            "alg none",
        ),
        (hs256, "HS256 with the public key as secret"),
        ("not base64!.x.y".to_owned(), "not base64"),
    ];
    for (assertion, why) in cases {
        let r = token_with(&app, &assertion, &[]).await;
        assert_invalid_client(r, why).await;
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "a header's URL was fetched");
    // The server is healthy and the key still works.
    assert_eq!(
        token_with(&app, &key.sign(&claims(&app, "svc")), &[])
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn an_assertion_with_a_secret_or_basic_credentials_beside_it_is_invalid_request() {
    let app = spawn_app().await;
    let key = Signer::ed25519("k1");
    register_with_keys(&app, "svc", jwks(&[&key])).await;
    let assertion = key.sign(&claims(&app, "svc"));
    let r = token_with(
        &app,
        &assertion,
        &[("client_secret", "x"), ("client_id", "svc")],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth("svc", Some("x"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:other"),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
