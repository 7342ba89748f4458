//! What a valid assertion is: signed by one of the client's keys, naming the client and the
//! dealer, short-lived, used once; and the same client authentication at every endpoint.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::helpers::{claims_of, spawn_app};

#[tokio::test]
async fn a_client_registered_with_keys_gets_a_token_with_an_assertion_and_has_no_secret() {
    let app = spawn_app().await;
    let key = Signer::ed25519("k1");
    let body = register_with_keys(&app, "keyed", jwks(&[&key])).await;
    assert!(body.get("client_secret").is_none(), "{body}");
    assert_eq!(body["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(body["kids"], json!(["k1"]));
    let r = token_with(&app, &key.sign(&claims(&app, "keyed")), &[]).await;
    assert_eq!(r.status(), 200);
    let token: Value = r.json().await.unwrap();
    let issued = claims_of(token["access_token"].as_str().unwrap());
    assert_eq!(
        (issued["client_id"].as_str(), issued["aud"].as_str()),
        (Some("keyed"), Some(API))
    );
    // No secret works for it, not even an empty one.
    let r = app.token_post("keyed", "", &[]).await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn both_audiences_are_accepted_a_matching_client_id_too_and_a_different_one_is_refused() {
    let app = spawn_app().await;
    let key = Signer::rsa("r1");
    register_with_keys(&app, "svc", jwks(&[&key])).await;
    let mut at_endpoint = claims(&app, "svc");
    at_endpoint["aud"] = json!([app.url("/oauth/token")]);
    let r = token_with(&app, &key.sign(&at_endpoint), &[("client_id", "svc")]).await;
    assert_eq!(r.status(), 200);
    let r = token_with(
        &app,
        &key.sign(&claims(&app, "svc")),
        &[("client_id", "other")],
    )
    .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn an_assertion_is_used_once_and_one_living_too_long_or_expired_is_refused() {
    let app = spawn_app().await;
    let key = Signer::ed25519("k1");
    register_with_keys(&app, "svc", jwks(&[&key])).await;
    let assertion = key.sign(&claims(&app, "svc"));
    assert_eq!(token_with(&app, &assertion, &[]).await.status(), 200);
    assert_invalid_client(token_with(&app, &assertion, &[]).await, "a replay").await;
    let mut week = claims(&app, "svc");
    week["exp"] = json!(now() + 7 * 86_400);
    assert_invalid_client(token_with(&app, &key.sign(&week), &[]).await, "a week").await;
    let mut expired = claims(&app, "svc");
    expired["exp"] = json!(now() - 120);
    assert_invalid_client(token_with(&app, &key.sign(&expired), &[]).await, "expired").await;
    let mut aud = claims(&app, "svc");
    aud["aud"] = json!("https://elsewhere.example");
    assert_invalid_client(token_with(&app, &key.sign(&aud), &[]).await, "wrong aud").await;
    let mut no_jti = claims(&app, "svc");
    no_jti.as_object_mut().unwrap().remove("jti");
    assert_invalid_client(token_with(&app, &key.sign(&no_jti), &[]).await, "no jti").await;
}

#[tokio::test]
async fn a_wrong_key_an_unknown_kid_an_unknown_client_and_a_disabled_one_get_the_same_answer() {
    let app = spawn_app().await;
    let (key, stranger) = (Signer::ed25519("k1"), Signer::ed25519("k1"));
    register_with_keys(&app, "svc", jwks(&[&key])).await;
    register_with_keys(&app, "off", jwks(&[&key])).await;
    let r = app
        .admin(Method::POST, "/admin/clients/off/disable", None)
        .await;
    assert_eq!(r.status(), 200);
    let secret_client = app.register("plain", &[API], &[]).await;
    let unknown_kid = Signer::ed25519("k9");
    let cases = [
        (stranger.sign(&claims(&app, "svc")), "a wrong key"),
        (unknown_kid.sign(&claims(&app, "svc")), "an unknown kid"),
        (key.sign(&claims(&app, "nobody")), "an unknown client"),
        (key.sign(&claims(&app, "off")), "a disabled client"),
        (
            key.sign(&claims(&app, &secret_client.id)),
            "a client with a secret",
        ),
    ];
    let mut answers = Vec::new();
    for (assertion, why) in cases {
        let r = token_with(&app, &assertion, &[]).await;
        answers.push((r.status(), r.text().await.unwrap(), why));
    }
    for (status, text, why) in &answers {
        assert_eq!((status.as_u16(), text), (401, &answers[0].1), "{why}");
    }
}

#[tokio::test]
async fn introspection_and_revocation_take_the_same_client_authentication() {
    let app = spawn_app().await;
    let key = Signer::ed25519("k1");
    register_with_keys(&app, "svc", jwks(&[&key])).await;
    let r = token_with(&app, &key.sign(&claims(&app, "svc")), &[]).await;
    let token: Value = r.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let call = |path: &'static str, assertion: String| {
        let form = [
            ("token", token.clone()),
            ("client_assertion_type", JWT_BEARER.to_owned()),
            ("client_assertion", assertion),
        ];
        app.http.post(app.url(path)).form(&form).send()
    };
    let r = call("/oauth/introspect", key.sign(&claims(&app, "svc")))
        .await
        .unwrap();
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["active"], true, "{answer}");
    let r = call("/oauth/revoke", key.sign(&claims(&app, "svc")))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = call("/oauth/introspect", key.sign(&claims(&app, "svc")))
        .await
        .unwrap();
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["active"], false);
    let stranger = Signer::ed25519("k1");
    let r = call("/oauth/introspect", stranger.sign(&claims(&app, "svc")))
        .await
        .unwrap();
    assert_invalid_client(r, "introspection with a wrong key").await;
}

#[tokio::test]
async fn keys_replaced_through_the_admin_api_take_over_at_once() {
    let app = spawn_app().await;
    let (old, new) = (Signer::ed25519("old"), Signer::rsa("new"));
    register_with_keys(&app, "svc", jwks(&[&old])).await;
    let r = app
        .admin(
            Method::PUT,
            "/admin/clients/svc/jwks",
            Some(json!({"jwks": jwks(&[&new])})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let shown: Value = app
        .admin(Method::GET, "/admin/clients/svc", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["kids"], json!(["new"]));
    assert_invalid_client(
        token_with(&app, &old.sign(&claims(&app, "svc")), &[]).await,
        "old",
    )
    .await;
    assert_eq!(
        token_with(&app, &new.sign(&claims(&app, "svc")), &[])
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_key_set_with_a_private_key_is_refused_at_registration() {
    let app = spawn_app().await;
    let mut private = serde_json::to_value(&Signer::ed25519("k").jwk).unwrap();
    private["d"] = json!("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({"client_id": "svc", "audiences": [API], "jwks": {"keys": [private]}})),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("private"));
}

#[tokio::test]
async fn the_metadata_offers_private_key_jwt_with_asymmetric_algorithms_at_every_endpoint() {
    let app = spawn_app().await;
    for doc in [
        app.metadata().await,
        app.get("/.well-known/openid-configuration")
            .await
            .json()
            .await
            .unwrap(),
    ] {
        for endpoint in ["token", "introspection", "revocation"] {
            let methods = &doc[format!("{endpoint}_endpoint_auth_methods_supported")];
            assert!(
                methods
                    .as_array()
                    .unwrap()
                    .contains(&json!("private_key_jwt")),
                "{doc}"
            );
            let algs = &doc[format!("{endpoint}_endpoint_auth_signing_alg_values_supported")];
            let algs: Vec<&str> = algs
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            assert!(
                ["RS256", "EdDSA", "Ed25519", "ES256"]
                    .iter()
                    .all(|a| algs.contains(a)),
                "{algs:?}"
            );
            assert!(
                !algs.iter().any(|a| *a == "none" || a.starts_with("HS")),
                "{algs:?}"
            );
        }
    }
}
