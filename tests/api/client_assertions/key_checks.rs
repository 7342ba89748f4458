//! The checks a client's public key passes at registration (`POST /admin/clients`, `PUT
//! /admin/clients/ID/jwks`, so `--jwks` and `set-jwks`) and when fetched: a signing key, RSA of
//! 2048 bits or more with exponent 65537 in its fewest octets, an EC point on its curve, an
//! Ed25519 key of 32 bytes, no private member. A refused key is a 400 naming it; a fetched one
//! is skipped, the rest of its set kept.

use axum::Router;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

use super::{API, Signer, claims, jwks, register_with_keys, token_with};
use crate::helpers::spawn_with;
use tokendealer::domain::keys::{SigningAlg, SigningKey};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Each bad key, with its `kid`, beside a word its refusal must carry (a trust's inline set is
/// held to the same rules: `federation::up_front`).
pub fn bad_keys() -> Vec<(Value, &'static str)> {
    let good = |kid: &str| -> Value {
        let mut jwk = serde_json::to_value(&Signer::ed25519(kid).jwk).unwrap();
        jwk.as_object_mut().unwrap().remove("alg");
        jwk
    };
    let rsa = serde_json::to_value(&Signer::rsa("x").jwk).unwrap();
    let n = URL_SAFE_NO_PAD.decode(rsa["n"].as_str().unwrap()).unwrap();
    let (made, _) = SigningKey::generate_for(SigningAlg::Es256).unwrap();
    let ec = serde_json::to_value(made.jwk()).unwrap();
    let mut y = URL_SAFE_NO_PAD.decode(ec["y"].as_str().unwrap()).unwrap();
    y[31] ^= 1;

    let mut enc = good("enc");
    enc["use"] = json!("enc");
    let mut no_verify = good("no-verify");
    no_verify["key_ops"] = json!(["sign"]);
    let mut encrypting = good("encrypting");
    encrypting["key_ops"] = json!(["verify", "encrypt"]);
    // 1024 bits, written with 128 leading zero bytes so that it looks long.
    let padded = [vec![0u8; 128], n[..128].to_vec()].concat();
    let short = json!({"kty": "RSA", "kid": "padded", "n": b64(&padded), "e": "AQAB"});
    let small_e = json!({"kty": "RSA", "kid": "small-e", "n": rsa["n"], "e": b64(&[3])});
    let off_curve =
        json!({"kty": "EC", "kid": "off-curve", "crv": "P-256", "x": ec["x"], "y": b64(&y)});
    let mut short_ed = good("short-ed");
    short_ed["x"] = json!(b64(&[7u8; 31]));
    // 65537 with a leading zero byte: RFC 7518 §6.3.1.2 wants the fewest octets.
    let padded_e = json!({"kty": "RSA", "kid": "padded-e", "n": rsa["n"], "e": "AAEAAQ"});
    let mut leaked = good("leaked");
    leaked["d"] = json!(b64(&[9u8; 32]));
    vec![
        (enc, "use"),
        (no_verify, "verify"),
        (encrypting, "encrypt"),
        (short, "bits"),
        (small_e, "65537"),
        (off_curve, "curve"),
        (short_ed, "32 bytes"),
        (padded_e, "fewest octets"),
        (leaked, "member \"d\""),
    ]
}

#[tokio::test]
async fn a_key_for_encryption_a_short_rsa_modulus_a_small_or_zero_padded_exponent_an_off_curve_point_a_short_ed25519_key_or_a_private_member_is_refused_naming_it()
 {
    let app = spawn_with(|_| {}).await;
    let ok = Signer::ed25519("ok");
    register_with_keys(&app, "svc", jwks(&[&ok])).await;
    for (key, word) in bad_keys() {
        let kid = key["kid"].as_str().unwrap().to_owned();
        let set = json!({"keys": [serde_json::to_value(&ok.jwk).unwrap(), key]});
        for (method, path, body) in [
            (
                Method::POST,
                "/admin/clients",
                json!({"client_id": format!("new-{kid}"), "audiences": [API], "jwks": set}),
            ),
            (Method::PUT, "/admin/clients/svc/jwks", json!({"jwks": set})),
        ] {
            let r = app.admin(method.clone(), path, Some(body)).await;
            assert_eq!(r.status(), 400, "{kid} at {method} {path}");
            let body: Value = r.json().await.unwrap();
            let said = body["error_description"].as_str().unwrap_or("");
            assert_eq!(body["error"], "invalid_request", "{kid}: {body}");
            assert!(said.contains(&kid) && said.contains(word), "{kid}: {said}");
        }
    }
    // The client kept its good key.
    let r = token_with(&app, &ok.sign(&claims(&app, "svc")), &[]).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_fetched_key_failing_the_checks_is_skipped_and_the_rest_of_its_set_serves() {
    let app = spawn_with(|s| s.client_assertions.jwks_allow_http_loopback = true).await;
    let ok = Signer::ed25519("ok");
    let mut keys: Vec<Value> = bad_keys().into_iter().map(|(k, _)| k).collect();
    keys.push(serde_json::to_value(&ok.jwk).unwrap());
    let set = json!({ "keys": keys });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let router = Router::new().route(
        "/jwks",
        get(move || std::future::ready(axum::Json(set.clone()))),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({"client_id": "svc", "audiences": [API], "jwks_uri": url})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = token_with(&app, &ok.sign(&claims(&app, "svc")), &[]).await;
    assert_eq!(r.status(), 200, "the good key of the set still serves");
}
