//! `[keys] algorithms`: only the configured algorithms sign and are published; another is
//! refused at registration and rotation; one taken out keeps verifying its tokens, then retires.

use jsonwebtoken::{Algorithm, decode_header};
use reqwest::Method;
use serde_json::{Value, json};
use tokendealer::domain::keys::Algorithms;

use super::API;
use crate::helpers::{ADMIN_AUDIENCE, ADMIN_SCOPE, TestApp, header_of, spawn_with};

fn only(names: &[&str]) -> Algorithms {
    Algorithms::parse(names).unwrap()
}

/// The JWKS's `kty` of every key, sorted.
async fn key_types(app: &TestApp) -> Vec<String> {
    let jwks = app.jwks_json().await;
    let mut types: Vec<String> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kty"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    types
}

#[tokio::test]
async fn with_rs512_alone_configured_the_jwks_and_discovery_hold_rs512_alone() {
    let app = spawn_with(|s| s.keys.algorithms = only(&["RS512"])).await;
    assert_eq!(key_types(&app).await, ["RSA"]);
    let meta = app.metadata().await;
    assert_eq!(
        meta["access_token_signing_alg_values_supported"],
        json!(["RS512"])
    );
    let openid: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        openid["id_token_signing_alg_values_supported"],
        json!(["RS512"])
    );
    // A rotation of every algorithm rotates the configured one only, and publishes no other.
    let r = app
        .admin(
            Method::POST,
            "/admin/keys/rotate",
            Some(json!({"now": true})),
        )
        .await;
    let rotated: Value = r.json().await.unwrap();
    assert_eq!(
        (
            rotated["alg"].as_str(),
            rotated["rotated"].as_array().map_or(0, Vec::len)
        ),
        (Some("RS512"), 0)
    );
    assert_eq!(key_types(&app).await, ["RSA", "RSA"]);
    let app = app.restart().await;
    assert_eq!(
        key_types(&app).await,
        ["RSA", "RSA"],
        "a restart adds no key"
    );
}

#[tokio::test]
async fn registering_or_rotating_for_an_algorithm_outside_the_set_is_refused_with_a_clear_400() {
    let app = spawn_with(|s| s.keys.algorithms = only(&["RS512", "ES256"])).await;
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({ "client_id": "svc", "audiences": [API], "alg": "EdDSA" })),
        )
        .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (status.as_u16(), &body["error"]),
        (400, &json!("invalid_request")),
        "{body}"
    );
    let why = body["error_description"].as_str().unwrap();
    assert!(
        why.contains("EdDSA is not in [keys] algorithms") && why.contains("RS512, ES256"),
        "{why}"
    );
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({ "client_id": "svc", "audiences": [API], "alg": "PS256" })),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("unknown alg \"PS256\""),
        "{body}"
    );
    let es = app
        .register_with(json!({ "client_id": "svc", "audiences": [API], "alg": "ES256" }))
        .await;
    assert_eq!(
        decode_header(&app.access_token(&es, &[]).await)
            .unwrap()
            .alg,
        Algorithm::ES256
    );

    let r = app
        .admin(
            Method::POST,
            "/admin/keys/rotate",
            Some(json!({"alg": "EdDSA"})),
        )
        .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("RS512, ES256"),
        "{body}"
    );
    assert_eq!(key_types(&app).await, ["EC", "RSA"]);

    // The console offers the configured algorithms only, and refuses another as the API does.
    let mut browser = crate::console::logged_in(&app).await;
    let form = browser
        .get("/console/clients/new")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains(r#"value="ES256""#) && !form.contains(r#"value="EdDSA""#),
        "{form}"
    );
    let csrf = crate::console::field(&form, r#"name="csrf""#);
    let r = browser
        .post(
            "/console/clients",
            &[
                ("csrf", &csrf),
                ("client_id", "ed"),
                ("audiences", API),
                ("grants", "client_credentials"),
                ("token_ttl", "600"),
                ("alg", "EdDSA"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    let keys_page = browser.get("/console/keys").await.text().await.unwrap();
    assert!(!keys_page.contains(r#"value="EdDSA""#), "{keys_page}");
}

#[tokio::test]
async fn an_algorithm_taken_out_keeps_its_keys_published_until_their_tokens_expired_then_retires_them()
 {
    // Tokens of 6 s: a replaced key stays 6 + 30 s (the verifier's leeway).
    let app = spawn_with(|s| {
        s.max_token_ttl = 6;
        s.default_token_ttl = 6;
        s.users.tokenleader_token_ttl = 6;
    })
    .await;
    let ops = app
        .register_with(json!({ "client_id": "ops", "audiences": [ADMIN_AUDIENCE],
                               "scopes": [ADMIN_SCOPE], "alg": "EdDSA" }))
        .await;
    let admin_scope = [("audience", ADMIN_AUDIENCE), ("scope", ADMIN_SCOPE)];
    let ed_token = app.access_token(&ops, &admin_scope).await;
    let ed_kid = header_of(&ed_token)["kid"].as_str().unwrap().to_owned();

    let app = app
        .restart_with(|s| s.keys.algorithms = only(&["RS512", "ES256"]))
        .await;
    let restarted = std::time::Instant::now();
    // Its token, signed before, still verifies: with the JWKS, and at the admin API.
    let jwks = app.jwks().await;
    assert!(jwks.find(&ed_kid).is_some(), "still published");
    let r = app
        .admin_as(&ed_token, Method::GET, "/admin/keys", None)
        .await;
    let keys: Value = r.json().await.unwrap();
    let ed = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == ed_kid.as_str())
        .unwrap();
    assert_eq!(ed["state"], "retiring", "{ed}");
    let until = ed["until"].as_u64().unwrap();
    assert_eq!(until - ed["since"].as_u64().unwrap(), 6 + 30);
    assert!(
        !keys
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["alg"] == "EdDSA" && k["state"] == "active")
    );

    // The client registered for EdDSA is refused new tokens, saying why.
    let r = app.token_post(&ops.id, &ops.secret, &admin_scope).await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (status.as_u16(), &body["error"]),
        (400, &json!("unauthorized_client")),
        "{body}"
    );
    let why = body["error_description"].as_str().unwrap();
    assert!(
        why.contains("EdDSA") && why.contains("RS512, ES256"),
        "{why}"
    );

    // Once its window has passed, the key leaves the JWKS, and not before.
    loop {
        let published = app.jwks().await.find(&ed_kid).is_some();
        if !published {
            break;
        }
        assert!(
            restarted.elapsed() < std::time::Duration::from_secs(60),
            "retired within a minute"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    // Judged against the key's own `until` (Unix seconds), not the test's clock: the restart
    // itself may take seconds on a loaded machine.
    let left_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        left_at >= until,
        "left the JWKS at {left_at}, before {until}"
    );
    assert_eq!(key_types(&app).await, ["EC", "RSA"]);
}
