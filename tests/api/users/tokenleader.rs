//! The tokenleader-compatible `/token/gettoken` and `/token/verify_token` endpoints.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokendealer::domain::keys::SigningKey;

use super::{Directory, PASSWORD, raw_header};
use crate::helpers::{claims_of, spawn_app, spawn_with};

#[tokio::test]
async fn gettoken_answers_201_with_a_tokenleader_token_and_the_catalog() {
    let app = spawn_app().await;
    app.seed().await;
    let svc = json!({"name": "micros", "endpoint_url_internal": "http://micros.internal:5000"});
    assert_eq!(app.create("services", svc).await.status(), 201);
    let r = app.gettoken("alice", PASSWORD).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "success");
    assert_eq!(body["message"], "success");
    let entry = &body["service_catalog"]["micros"];
    assert_eq!(entry["name"], "micros");
    assert_eq!(
        entry["endpoint_url_internal"],
        "http://micros.internal:5000"
    );
    assert!(entry["endpoint_url_external"].is_null());
    assert!(entry["id"].is_u64());

    let token = body["auth_token"].as_str().unwrap();
    assert_eq!(raw_header(token), r#"{"typ":"JWT","alg":"RS512"}"#);
    let claims = claims_of(token);
    assert_eq!(member_names(&claims), ["exp", "iat", "sub"]);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
    let sub = &claims["sub"];
    assert_eq!(sub["username"], "alice");
    assert_eq!(sub["email"], "alice@acme.example");
    assert_eq!(sub["roles"], json!(["ops"]));
    assert!(sub["id"].is_u64());
    assert_eq!(sub["wfc"]["name"], "acme-eng");
    assert_eq!(sub["wfc"]["org"], "acme");
    assert_eq!(sub["wfc"]["orgunit"], "eng");
    assert_eq!(sub["wfc"]["department"], "platform");
    assert!(sub["wfc"]["id"].is_u64());
}

#[tokio::test]
async fn gettoken_answers_a_wrong_password_and_an_unknown_user_alike_by_default() {
    let app = spawn_app().await;
    app.seed().await;
    let a = app.gettoken("alice", "not it").await;
    let b = app.gettoken("nobody", PASSWORD).await;
    let c = app.gettoken("alice", "").await;
    let a = (a.status(), a.text().await.unwrap());
    let b = (b.status(), b.text().await.unwrap());
    let c = (c.status(), c.text().await.unwrap());
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(a.0, 401);
    let body: Value = serde_json::from_str(&a.1).unwrap();
    assert_eq!(body["status"], "Wrong Password");
    assert!(body.get("auth_token").is_none());
}

#[tokio::test]
async fn gettoken_can_tell_unknown_users_apart_when_configured_to() {
    let app = spawn_with(|s| s.users.tokenleader_distinct_login_failures = true).await;
    app.seed().await;
    let wrong: Value = app.gettoken("alice", "not it").await.json().await.unwrap();
    let unknown: Value = app.gettoken("nobody", PASSWORD).await.json().await.unwrap();
    assert_eq!(wrong["status"], "Wrong Password");
    assert_eq!(wrong["message"], "Password did not match");
    assert_eq!(unknown["status"], "User not registered");
}

#[tokio::test]
async fn gettoken_answers_a_malformed_body_with_400_and_a_status() {
    let app = spawn_app().await;
    app.seed().await;
    for body in [
        &b"not json"[..],
        b"[1,2]",
        b"{\"username\": \"alice\"}",
        b"{\"username\": null, \"password\": null}",
        b"{\"username\": 5, \"password\": \"x\"}",
        b"",
        b"{\"username\": \"alice\", \"password\": \"\\ud800\"}",
    ] {
        let r = app.gettoken_raw(body.to_vec()).await;
        assert_eq!(r.status(), 400, "{}", String::from_utf8_lossy(body));
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["status"], "missing authentication info ");
    }
}

#[tokio::test]
async fn gettoken_answers_a_body_over_64_kib_with_413_like_every_route() {
    let app = spawn_app().await;
    app.seed().await;
    let password = "x".repeat(64 * 1024);
    let body = serde_json::to_vec(&json!({"username": "alice", "password": password})).unwrap();
    let r = app.gettoken_raw(body).await;
    assert_eq!(r.status(), 413);
    assert_eq!(app.gettoken("alice", PASSWORD).await.status(), 201);
}

#[tokio::test]
async fn gettoken_accepts_python_json_escapes() {
    let app = spawn_app().await;
    app.seed().await;
    let body = br#"{"username": "alice", "password": "correct horse battery"}"#.to_vec();
    assert_eq!(app.gettoken_raw(body).await.status(), 201);
}

#[tokio::test]
async fn verify_token_answers_201_with_the_claims_of_a_good_token() {
    let app = spawn_app().await;
    app.seed().await;
    let token = app.legacy_token("alice").await;
    let (status, body) = app.verify_token(&token).await;
    assert_eq!(status, 201);
    assert_eq!(body["status"], "Verification Successful");
    assert_eq!(body["message"], "Token has been successfully decrypted");
    assert_eq!(body["payload"], claims_of(&token));
    assert_eq!(member_names(&body), ["message", "payload", "status"]);
}

#[tokio::test]
async fn verify_token_still_accepts_a_token_signed_before_a_key_rotation() {
    let app = spawn_app().await;
    app.seed().await;
    let token = app.legacy_token("alice").await;
    let r = app
        .admin(
            reqwest::Method::POST,
            "/admin/keys/rotate",
            Some(json!({"now": true})),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.verify_token(&token).await.0, 201);
}

/// The names in a JSON object, sorted.
fn member_names(object: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort();
    names
}

fn b64(json: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(json).unwrap())
}

#[tokio::test]
async fn verify_token_refuses_forgeries_as_invalid_and_old_tokens_as_expired() {
    let app = spawn_app().await;
    app.seed().await;
    let good = app.legacy_token("alice").await;
    let claims = claims_of(&good);

    let none = format!(
        "{}.{}.",
        b64(&json!({"typ": "JWT", "alg": "none"})),
        b64(&claims)
    );
    let public_pem = app
        .get("/keys/active?format=pem")
        .await
        .text()
        .await
        .unwrap();
    let hs256 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(public_pem.as_bytes()),
    )
    .unwrap();
    let (foreign_key, _) = SigningKey::generate().unwrap();
    let foreign = foreign_key.sign_tokenleader_token(&claims).unwrap();
    let mut tampered_claims = claims.clone();
    tampered_claims["sub"]["roles"] = json!(["admin"]);
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], b64(&tampered_claims), parts[2]);
    let mut with_aud = claims.clone();
    with_aud["aud"] = json!("https://api.example");
    let with_aud = app
        .server_key()
        .await
        .sign_tokenleader_token(&with_aud)
        .unwrap();

    for (what, token) in [
        ("alg none", none.as_str()),
        ("HS256 keyed with the public key", &hs256),
        ("a foreign key", &foreign),
        ("a changed payload", &tampered),
        ("an aud claim", &with_aud),
        ("not a JWT", "garbage"),
    ] {
        let (status, body) = app.verify_token(token).await;
        assert_eq!(status, 401, "{what}");
        assert_eq!(body["status"], "Invalid token", "{what}");
    }

    let mut old = claims.clone();
    old["iat"] = json!(1_000_000);
    old["exp"] = json!(1_003_600);
    let expired = app.server_key().await.sign_tokenleader_token(&old).unwrap();
    let (status, body) = app.verify_token(&expired).await;
    assert_eq!(status, 401);
    assert_eq!(body["status"], "Signature expired");
    // An expired forgery is invalid, not expired.
    let expired_foreign = foreign_key.sign_tokenleader_token(&old).unwrap();
    assert_eq!(
        app.verify_token(&expired_foreign).await.1["status"],
        "Invalid token"
    );
}

#[tokio::test]
async fn verify_token_refuses_an_rfc9068_access_token_and_a_missing_header() {
    let app = spawn_app().await;
    app.seed().await;
    let access = app.admin_token().await;
    assert_eq!(app.verify_token(&access).await.1["status"], "Invalid token");
    let r = app.get("/token/verify_token").await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert!(body["status"].as_str().unwrap().contains("X-Auth-Token"));
}

#[tokio::test]
async fn a_user_whose_token_would_be_too_long_to_present_gets_a_400_not_a_server_error() {
    let app = spawn_app().await;
    app.seed().await;
    let mut roles = Vec::new();
    for i in 0..140 {
        let role = format!("{i:03}{}", "r".repeat(61));
        assert_eq!(
            app.create("roles", json!({ "name": role })).await.status(),
            201
        );
        roles.push(role);
    }
    // The admin API no longer stores so many roles for one user; an older release could have.
    let r = app
        .create(
            "users",
            json!({"username": "wide", "email": "wide@acme.example", "password": PASSWORD,
                "roles": roles, "wfc": "acme-eng"}),
        )
        .await;
    assert_eq!(r.status(), 400);
    let text = r.json::<Value>().await.unwrap()["error_description"].to_string();
    assert!(text.contains("1536 bytes"), "{text}");
    app.add_user("wide", &["ops"], "acme-eng").await;
    let app = app
        .restart_with_user_changed(
            "wide",
            Box::new(move |mut user| {
                user.roles = roles;
                user
            }),
        )
        .await;

    let r = app.gettoken("wide", PASSWORD).await;
    assert_eq!(r.status(), 400);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["status"], "token too large", "{answer}");
    let secret = app.register_client("portal", &["password"]).await;
    let r = app
        .password_grant(("portal", &secret), "wide", PASSWORD)
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    // Nothing failed inside: a user of ordinary size still logs in.
    assert_eq!(app.gettoken("alice", PASSWORD).await.status(), 201);
}
