//! Every token the dealer issues can be presented back: scope sets are bounded at registration,
//! a `scope` parameter must name a scope, and audiences are kept once each.

use reqwest::Method;
use serde_json::{Value, json};

use super::API;
use crate::helpers::{claims_of, spawn_app, spawn_with};
use crate::users::{Directory, PASSWORD};

/// `n` distinct scopes of 127 characters: 128 bytes each with its separating space.
fn scopes(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{i:04}{}", "s".repeat(123)))
        .collect()
}

#[tokio::test]
async fn a_client_whose_scopes_would_not_fit_in_a_presentable_token_is_refused_at_registration() {
    let app = spawn_app().await;
    // 33 × 128 − 1 = 4,223 bytes space-separated: over the 4,096-byte bound.
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({ "client_id": "wide", "audiences": [API], "scopes": scopes(33) })),
        )
        .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("4096 bytes"),
        "{body}"
    );
    assert!(app.clients().await.iter().all(|c| c["client_id"] != "wide"));

    // 32 × 128 − 1 = 4,095 bytes: registered, and its widest token goes through introspection
    // and as a bearer token.
    let c = app
        .register_with(json!({ "client_id": "wide", "audiences": [API], "scopes": scopes(32) }))
        .await;
    let token = app.access_token(&c, &[]).await;
    assert_eq!(claims_of(&token)["scope"].as_str().unwrap().len(), 4095);
    assert_eq!(app.introspect(&c, &token).await["active"], true);
    app.revoke(&c, &token).await;
    assert_eq!(app.introspect(&c, &token).await["active"], false);
}

#[tokio::test]
async fn a_scope_parameter_of_spaces_alone_is_invalid_scope_not_an_empty_grant() {
    let app = spawn_app().await;
    let c = app.register("svc", &[API], &["a", "b"]).await;
    for blank in [" ", "   "] {
        let r = app.token_post(&c.id, &c.secret, &[("scope", blank)]).await;
        assert_eq!(r.status(), 400, "scope {blank:?}");
        let body = r.json::<Value>().await.unwrap();
        assert_eq!(body["error"], "invalid_scope");
        let text = body["error_description"].as_str().unwrap();
        assert!(text.contains("only spaces"), "{text}");
    }
    // Each refusal says its own reason: a malformed scope, one beyond the client's.
    for (scope, says) in [("a \"b\"", "characters"), ("a c", "exceeds")] {
        let r = app.token_post(&c.id, &c.secret, &[("scope", scope)]).await;
        let body = r.json::<Value>().await.unwrap();
        assert_eq!(body["error"], "invalid_scope");
        let text = body["error_description"].as_str().unwrap();
        assert!(text.contains(says), "scope {scope:?}: {text}");
    }
    // An empty value is an omitted parameter (RFC 6749 §3.1): the client's scopes.
    let r = app.token_post(&c.id, &c.secret, &[("scope", "")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["scope"], "a b");
}

#[tokio::test]
async fn an_audience_listed_twice_is_registered_once() {
    let app = spawn_app().await;
    let c = app
        .register_with(json!({ "client_id": "twice", "audiences": [API, "b", API], "scopes": [] }))
        .await;
    assert_eq!(c.body["audiences"], json!([API, "b"]));
}

#[tokio::test]
async fn the_widest_client_and_the_widest_user_still_get_a_token_they_can_present() {
    // Every claim at its bound, with JSON escapes wherever the bound allows them.
    let issuer = format!("http://{}", "i".repeat(256 - "http://".len()));
    let app = spawn_with(|s| s.issuer = Some(issuer.clone())).await;
    let long = |c: char, n: usize| c.to_string().repeat(n);
    let id = long('c', 128);
    let audience = long('"', 512);
    // 31 scopes of 128 characters and one of 95, with the spaces: exactly 4,096 bytes.
    let mut scopes: Vec<String> = (0..31)
        .map(|i| format!("{i:02}{}", long('s', 126)))
        .collect();
    scopes.push(long('t', 95));
    let client = app
        .register_with(
            json!({"client_id": id, "audiences": [audience], "scopes": scopes,
            "grants": ["password"]}),
        )
        .await;
    let name = |c: char| long(c, 64);
    for (resource, n) in [("orgs", 'o'), ("ous", 'u'), ("depts", 'd')] {
        let r = app.create(resource, json!({ "name": name(n) })).await;
        assert_eq!(r.status(), 201);
    }
    let wfc = json!({"name": name('w'), "org": name('o'), "orgunit": name('u'),
        "department": name('d')});
    assert_eq!(app.create("wfcs", wfc).await.status(), 201);
    // 22 roles of 64 characters and one of 59, each written with 3 more: exactly 1,536 bytes.
    let mut roles: Vec<String> = (0..22)
        .map(|i| format!("{i:02}{}", long('r', 62)))
        .collect();
    roles.push(long('q', 59));
    for role in &roles {
        assert_eq!(
            app.create("roles", json!({ "name": role })).await.status(),
            201
        );
    }
    let email = format!("{}@{}", long('"', 126), long('"', 127));
    let user = |roles: &[String]| {
        json!({"username": name('n'), "email": email, "password": PASSWORD, "roles": roles,
            "wfc": name('w')})
    };
    let mut one_more = roles.clone();
    one_more.push("x".into());
    assert_eq!(
        app.create("roles", json!({ "name": "x" })).await.status(),
        201
    );
    assert_eq!(app.create("users", user(&one_more)).await.status(), 400);
    assert_eq!(app.create("users", user(&roles)).await.status(), 201);

    let r = app
        .password_grant((&id, &client.secret), &name('n'), PASSWORD)
        .await;
    let body: Value = r.json().await.unwrap();
    let token = body["access_token"].as_str().expect("a token");
    assert!(token.len() <= 12 * 1024, "{} bytes", token.len());
    assert_eq!(claims_of(token)["aud"], audience.as_str());
    let r = app.gettoken(&name('n'), PASSWORD).await;
    assert_eq!(r.status(), 201);
    // Presented back: introspected by its client, and revoked.
    assert_eq!(
        app.introspect(&client, token).await["active"],
        true,
        "{} bytes",
        token.len()
    );
    app.revoke(&client, token).await;
}
