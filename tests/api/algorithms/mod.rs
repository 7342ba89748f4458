//! Per-client signing algorithms through the HTTP API: tokens verify with the JWKS, with the
//! right key type only, and the admin API accepts tokens of every algorithm the dealer signs with.
//! `configured`: the set of algorithms, `[keys] algorithms`.

mod configured;

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_AUDIENCE, ADMIN_SCOPE, TestApp, header_of, spawn_app};

const API: &str = "https://api.example";

fn validation(alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.set_audience(&[API]);
    v
}

/// The JWKS's keys as `alg/kid`, sorted.
async fn signing_keys(app: &TestApp) -> Vec<String> {
    let jwks = serde_json::to_value(app.jwks().await).unwrap();
    let mut keys: Vec<String> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| format!("{}/{}", k["alg"], k["kid"]))
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn each_client_gets_tokens_in_its_own_algorithm_and_they_verify_with_the_jwks() {
    let app = spawn_app().await;
    let jwks = app.jwks().await;
    for (alg, name, kty) in [
        (Algorithm::RS512, None, "RSA"),
        (Algorithm::EdDSA, Some("EdDSA"), "OKP"),
        (Algorithm::ES256, Some("ES256"), "EC"),
    ] {
        let id = format!("svc-{alg:?}");
        let mut body = json!({ "client_id": id, "audiences": [API] });
        if let Some(name) = name {
            body["alg"] = json!(name);
        }
        let client = app.register_with(body).await;
        assert_eq!(client.body["alg"], format!("{alg:?}"));
        let token = app.access_token(&client, &[]).await;
        let header = decode_header(&token).unwrap();
        assert_eq!(header.alg, alg);
        let kid = header.kid.unwrap();
        let jwk = jwks.find(&kid).expect("the signing key is in the JWKS");
        let raw = serde_json::to_value(jwk).unwrap();
        assert_eq!(raw["kty"], kty);
        assert_eq!(raw["use"], "sig");
        assert_eq!(raw["alg"], format!("{alg:?}"));
        let claims = decode::<Value>(
            &token,
            &DecodingKey::from_jwk(jwk).unwrap(),
            &validation(alg),
        )
        .unwrap()
        .claims;
        assert_eq!(claims["sub"], id);
    }
}

#[tokio::test]
async fn discovery_lists_every_algorithm_and_the_jwks_every_key_type() {
    let app = spawn_app().await;
    let meta = app.metadata().await;
    assert_eq!(
        meta["access_token_signing_alg_values_supported"],
        json!(["RS512", "EdDSA", "ES256"])
    );
    let jwks = serde_json::to_value(app.jwks().await).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let okp = keys.iter().find(|k| k["kty"] == "OKP").unwrap();
    assert_eq!(
        (okp["crv"].as_str(), okp["x"].is_string()),
        (Some("Ed25519"), true)
    );
    let ec = keys.iter().find(|k| k["kty"] == "EC").unwrap();
    assert_eq!(ec["crv"], "P-256");
    assert!(ec["x"].is_string() && ec["y"].is_string() && ec["kid"].is_string());
}

#[tokio::test]
async fn an_unknown_algorithm_is_refused_at_registration() {
    let app = spawn_app().await;
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({ "client_id": "svc", "audiences": [API], "alg": "HS256" })),
        )
        .await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn the_admin_api_accepts_an_eddsa_admin_token_and_rotation_keeps_old_tokens_valid() {
    let app = spawn_app().await;
    // The bootstrap admin's RS512 token, signed before the rotation.
    let rs_token = app.admin_token().await;
    let ops = app
        .register_with(json!({ "client_id": "ops", "audiences": [ADMIN_AUDIENCE],
                               "scopes": [ADMIN_SCOPE], "alg": "EdDSA" }))
        .await;
    let ed_token = app
        .access_token(
            &ops,
            &[("audience", ADMIN_AUDIENCE), ("scope", ADMIN_SCOPE)],
        )
        .await;
    assert_eq!(decode_header(&ed_token).unwrap().alg, Algorithm::EdDSA);
    let r = app
        .admin_as(
            &ed_token,
            Method::POST,
            "/admin/keys/rotate",
            Some(json!({"now": true})),
        )
        .await;
    let status = r.status();
    let rotated: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["alg"], "RS512");
    assert_eq!(rotated["rotated"].as_array().map(Vec::len), Some(2));
    // Signed by now-retiring keys: still accepted.
    let r = app
        .admin_as(&ed_token, Method::GET, "/admin/keys", None)
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .admin_as(&rs_token, Method::GET, "/admin/clients", None)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.jwks().await.keys.len(), 6);
}

#[tokio::test]
async fn a_token_whose_header_names_another_algorithm_than_its_key_is_refused() {
    let app = spawn_app().await;
    // Re-label the RS512 admin token as EdDSA, keeping its kid and signature.
    let token = app.admin_token().await;
    let mut header = header_of(&token);
    assert_eq!(header["alg"], "RS512");
    header["alg"] = json!("EdDSA");
    let (_, claims_and_signature) = token.split_once('.').unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let forged = format!(
        "{}.{claims_and_signature}",
        b64.encode(serde_json::to_vec(&header).unwrap())
    );
    let r = app
        .admin_as(&forged, Method::GET, "/admin/keys", None)
        .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_restart_keeps_one_active_key_per_algorithm() {
    let app = spawn_app().await;
    let before = signing_keys(&app).await;
    let app = app.restart().await;
    let after = signing_keys(&app).await;
    assert_eq!(before.len(), 3);
    assert_eq!(before, after);
}
