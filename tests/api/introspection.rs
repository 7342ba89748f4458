//! The introspection endpoint (RFC 7662), and the client authentication it shares with revocation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::helpers::{Registered, TestApp, spawn_app};

pub const API: [(&str, &str); 2] = [("audience", "https://api.test"), ("scope", "read")];

/// The only answer about a token the asker may not learn about.
pub fn inactive() -> Value {
    json!({ "active": false })
}

/// Registers a client for audience `https://api.test` with `scopes`.
pub async fn register(app: &TestApp, id: &str, scopes: &[&str]) -> Registered {
    app.register(id, &["https://api.test"], scopes).await
}

#[tokio::test]
async fn a_live_token_is_active_with_its_claims_for_its_owner_and_for_an_introspector() {
    let app = spawn_app().await;
    let svc = register(&app, "svc", &["read", "write"]).await;
    let rs = register(&app, "rs", &["tokendealer:introspect"]).await;
    let token = app.access_token(&svc, &API).await;

    let answer = app.introspect(&svc, &token).await;
    assert_eq!(answer, app.introspect(&rs, &token).await);
    assert_eq!(answer["active"], true);
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["iss"], app.issuer);
    assert_eq!(answer["sub"], "svc");
    assert_eq!(answer["client_id"], "svc");
    assert_eq!(answer["aud"], "https://api.test");
    assert_eq!(answer["scope"], "read");
    let (iat, exp) = (
        answer["iat"].as_u64().unwrap(),
        answer["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, 3600);
    assert_eq!(answer["nbf"], answer["iat"]);
    assert_eq!(answer["jti"].as_str().map(str::len), Some(32));
}

#[tokio::test]
async fn a_client_without_the_introspect_scope_learns_nothing_about_others_tokens() {
    let app = spawn_app().await;
    let svc = register(&app, "svc", &["read"]).await;
    let nosy = register(&app, "nosy", &["read"]).await;
    let token = app.access_token(&svc, &API).await;
    assert_eq!(app.introspect(&nosy, &token).await, inactive());
}

#[tokio::test]
async fn tampered_foreign_and_malformed_tokens_are_inactive_and_nothing_more() {
    let app = spawn_app().await;
    let rs = register(&app, "rs", &["tokendealer:introspect"]).await;
    let svc = register(&app, "svc", &["read"]).await;
    let token = app.access_token(&svc, &API).await;

    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["scope"] = "read write".into();
    let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);

    let mut other = spawn_app().await;
    let foreign = other.admin_token().await;
    other.stop().await;

    for bad in [tampered.as_str(), foreign.as_str(), "garbage", "a.b.c"] {
        assert_eq!(app.introspect(&rs, bad).await, inactive(), "token {bad:?}");
    }
}

#[tokio::test]
async fn bad_client_authentication_gets_the_token_endpoints_401_from_both_endpoints() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let wrong = Registered {
        secret: "wrong".into(),
        ..app.admin_client()
    };
    let unknown = Registered {
        id: "nobody".into(),
        ..app.admin_client()
    };
    let mut answers = Vec::new();
    for path in ["/oauth/introspect", "/oauth/revoke", "/oauth/token"] {
        for who in [&wrong, &unknown] {
            let form = [
                ("token", token.as_str()),
                ("grant_type", "client_credentials"),
            ];
            let r = app
                .http
                .post(app.url(path))
                .basic_auth(&who.id, Some(&who.secret));
            let r = r.form(&form).send().await.unwrap();
            let challenge = r.headers().get("www-authenticate").cloned();
            answers.push((r.status(), challenge, r.text().await.unwrap()));
        }
    }
    assert_eq!(answers[0].0, 401);
    assert!(answers[0].2.contains("invalid_client"));
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    // The failed revocation attempts revoked nothing.
    assert_eq!(
        app.introspect(&app.admin_client(), &token).await["active"],
        true
    );
}

#[tokio::test]
async fn a_client_may_authenticate_with_its_secret_in_the_form() {
    let app = spawn_app().await;
    let svc = register(&app, "svc", &["read"]).await;
    let token = app.access_token(&svc, &API).await;
    let post = |path: &str| {
        let form = [
            ("client_id", svc.id.as_str()),
            ("client_secret", &svc.secret),
            ("token", &token),
        ];
        app.http.post(app.url(path)).form(&form).send()
    };
    let answer: Value = post("/oauth/introspect")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["active"], true);
    assert_eq!(post("/oauth/revoke").await.unwrap().status(), 200);
    let answer: Value = post("/oauth/introspect")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer, inactive());
}

#[tokio::test]
async fn a_request_without_a_token_is_invalid() {
    let app = spawn_app().await;
    for path in ["/oauth/introspect", "/oauth/revoke"] {
        let r = app
            .http
            .post(app.url(path))
            .basic_auth(&app.admin_id, Some(&app.admin_secret))
            .form(&[("token_type_hint", "access_token")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
    }
}

#[tokio::test]
async fn both_endpoints_follow_the_token_endpoints_method_and_body_rules() {
    let app = spawn_app().await;
    let creds = (&app.admin_id, Some(&app.admin_secret));
    for path in ["/oauth/introspect", "/oauth/revoke"] {
        let get = app.get(path).await;
        assert_eq!(get.status(), 405, "{path}");
        assert_eq!(get.headers()["allow"], "POST");
        let json = app.http.post(app.url(path)).basic_auth(creds.0, creds.1);
        let json = json.json(&json!({"token": "x"})).send().await.unwrap();
        assert_eq!(json.status(), 400, "{path}");
        let big = format!("token={}", "a".repeat(70 * 1024));
        let big = app
            .http
            .post(app.url(path))
            .basic_auth(creds.0, creds.1)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(big)
            .send()
            .await
            .unwrap();
        assert_eq!(big.status(), 413, "{path}");
    }
}

#[tokio::test]
async fn discovery_advertises_both_endpoints() {
    let app = spawn_app().await;
    let doc = app.metadata().await;
    let issuer = &app.issuer;
    assert_eq!(
        doc["introspection_endpoint"],
        format!("{issuer}/oauth/introspect")
    );
    assert_eq!(doc["revocation_endpoint"], format!("{issuer}/oauth/revoke"));
    let methods = json!([
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt"
    ]);
    assert_eq!(
        doc["introspection_endpoint_auth_methods_supported"],
        methods
    );
    assert_eq!(doc["revocation_endpoint_auth_methods_supported"], methods);
}
