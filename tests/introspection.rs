//! The introspection (RFC 7662) and revocation (RFC 7009) endpoints, through HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot set up should panic

#[path = "introspection/crash.rs"]
mod crash;
#[path = "introspection/helpers.rs"]
mod helpers;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use helpers::{Creds, Dirs, ISSUER, inactive, spawn_app};
use serde_json::Value;

const API: [(&str, &str); 2] = [("audience", "https://api.test"), ("scope", "read")];

#[tokio::test]
async fn a_live_token_is_active_with_its_claims_for_its_owner_and_for_an_introspector() {
    let dirs = Dirs::new();
    let app = spawn_app(&dirs).await;
    let svc = app.register("svc", &["read", "write"]).await;
    let rs = app.register("rs", &["tokendealer:introspect"]).await;
    let token = app.token(&svc, &API).await;

    let answer = app.introspect(&svc, &token).await;
    assert_eq!(answer, app.introspect(&rs, &token).await);
    assert_eq!(answer["active"], true);
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["iss"], ISSUER);
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
    app.stop().await;
}

#[tokio::test]
async fn a_client_without_the_introspect_scope_learns_nothing_about_others_tokens() {
    let dirs = Dirs::new();
    let app = spawn_app(&dirs).await;
    let svc = app.register("svc", &["read"]).await;
    let nosy = app.register("nosy", &["read"]).await;
    let token = app.token(&svc, &API).await;
    assert_eq!(app.introspect(&nosy, &token).await, inactive());
    app.stop().await;
}

#[tokio::test]
async fn tampered_foreign_and_malformed_tokens_are_inactive_and_nothing_more() {
    let dirs = Dirs::new();
    let app = spawn_app(&dirs).await;
    let rs = app.register("rs", &["tokendealer:introspect"]).await;
    let svc = app.register("svc", &["read"]).await;
    let token = app.token(&svc, &API).await;

    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["scope"] = "read write".into();
    let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);

    let other_dirs = Dirs::new();
    let other = spawn_app(&other_dirs).await;
    let foreign = other.admin_token().await;
    other.stop().await;

    for bad in [tampered.as_str(), foreign.as_str(), "garbage", "a.b.c"] {
        assert_eq!(app.introspect(&rs, bad).await, inactive(), "token {bad:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_token_is_inactive_and_the_admin_api_refuses_it() {
    let dirs = Dirs::new();
    let app = spawn_app(&dirs).await;
    let admin = app.admin.clone();
    let token = app.admin_token().await;
    let list = |t: String| {
        app.http
            .get(app.url("/admin/clients"))
            .bearer_auth(t)
            .send()
    };
    assert_eq!(list(token.clone()).await.unwrap().status(), 200);

    app.revoke(&admin, &token).await;

    assert_eq!(app.introspect(&admin, &token).await, inactive());
    let refused = list(token.clone()).await.unwrap();
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("invalid_token"), "{challenge}");
    // Only that token: a fresh one still works.
    assert_eq!(list(app.admin_token().await).await.unwrap().status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn revoking_another_clients_token_answers_200_but_leaves_it_active() {
    let dirs = Dirs::new();
    let app = spawn_app(&dirs).await;
    let svc = app.register("svc", &["read"]).await;
    let thief = app.register("thief", &["read"]).await;
    let token = app.token(&svc, &API).await;
    app.revoke(&thief, &token).await;
    assert_eq!(app.introspect(&svc, &token).await["active"], true);
    app.stop().await;
}

#[tokio::test]
async fn revoking_an_unknown_or_malformed_token_answers_200() {
    let dirs = Dirs::new();
    let app = spawn_app(&dirs).await;
    let admin = app.admin.clone();
    for token in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."] {
        app.revoke(&admin, token).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_client_authentication_gets_the_token_endpoints_401_from_both_endpoints() {
    let dirs = Dirs::new();
    let app = spawn_app(&dirs).await;
    let token = app.admin_token().await;
    let wrong = Creds {
        id: app.admin.id.clone(),
        secret: "wrong".into(),
    };
    let unknown = Creds {
        id: "nobody".into(),
        secret: app.admin.secret.clone(),
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
    assert_eq!(app.introspect(&app.admin, &token).await["active"], true);
    app.stop().await;
}

#[tokio::test]
async fn a_client_may_authenticate_with_its_secret_in_the_form() {
    let dirs = Dirs::new();
    let app = spawn_app(&dirs).await;
    let svc = app.register("svc", &["read"]).await;
    let token = app.token(&svc, &API).await;
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
    app.stop().await;
}

#[tokio::test]
async fn a_request_without_a_token_is_invalid() {
    let dirs = Dirs::new();
    let app = spawn_app(&dirs).await;
    for path in ["/oauth/introspect", "/oauth/revoke"] {
        let r = app
            .http
            .post(app.url(path))
            .basic_auth(&app.admin.id, Some(&app.admin.secret))
            .form(&[("token_type_hint", "access_token")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
    }
    app.stop().await;
}

#[tokio::test]
async fn both_endpoints_follow_the_token_endpoints_method_and_body_rules() {
    let dirs = Dirs::new();
    let app = spawn_app(&dirs).await;
    let creds = (&app.admin.id, Some(&app.admin.secret));
    for path in ["/oauth/introspect", "/oauth/revoke"] {
        let get = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(get.status(), 405, "{path}");
        assert_eq!(get.headers()["allow"], "POST");
        let json = app.http.post(app.url(path)).basic_auth(creds.0, creds.1);
        let json = json
            .json(&serde_json::json!({"token": "x"}))
            .send()
            .await
            .unwrap();
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
    app.stop().await;
}

#[tokio::test]
async fn a_revocation_survives_a_restart() {
    let dirs = Dirs::new();
    let app = spawn_app(&dirs).await;
    let svc = app.register("svc", &["read"]).await;
    let (revoked, kept) = (app.token(&svc, &API).await, app.token(&svc, &API).await);
    app.revoke(&svc, &revoked).await;
    app.stop().await;

    let app = spawn_app(&dirs).await;
    assert_eq!(app.introspect(&svc, &revoked).await, inactive());
    assert_eq!(app.introspect(&svc, &kept).await["active"], true);
    app.stop().await;
}

#[tokio::test]
async fn discovery_advertises_both_endpoints() {
    let dirs = Dirs::new();
    let app = spawn_app(&dirs).await;
    let doc: Value = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["introspection_endpoint"],
        format!("{ISSUER}/oauth/introspect")
    );
    assert_eq!(doc["revocation_endpoint"], format!("{ISSUER}/oauth/revoke"));
    let methods = serde_json::json!(["client_secret_basic", "client_secret_post"]);
    assert_eq!(
        doc["introspection_endpoint_auth_methods_supported"],
        methods
    );
    assert_eq!(doc["revocation_endpoint_auth_methods_supported"], methods);
    app.stop().await;
}
