//! The pages behind the login: security headers, CSRF on every POST, secrets shown once, the
//! console switched off, operators.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};
use serde_json::{Value, json};

use super::{Browser, field, logged_in};
use crate::helpers::{spawn_app, spawn_with};

#[tokio::test]
async fn every_console_page_carries_the_security_headers() {
    let app = spawn_app().await;
    let mut browser = logged_in(&app).await;
    let check = |path: &str, headers: &HeaderMap| {
        let h = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            h("content-security-policy").as_deref(),
            Some("default-src 'self'; frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(h("x-frame-options").as_deref(), Some("DENY"), "{path}");
        assert_eq!(h("cache-control").as_deref(), Some("no-store"), "{path}");
        assert_eq!(
            h("referrer-policy").as_deref(),
            Some("no-referrer"),
            "{path}"
        );
    };
    for path in [
        "/console",
        "/console/login",
        "/console/clients",
        "/console/clients?prefix=adm",
        "/console/clients/new",
        "/console/clients/admin",
        "/console/clients/admin/remove",
        "/console/keys",
        "/console/trust",
        "/console/trust/nobody/remove",
        "/console/directory/users",
        "/console/directory/roles",
        "/console/directory/wfcs",
        "/console/directory/orgs",
        "/console/directory/ous",
        "/console/directory/depts",
        "/console/directory/services",
        "/console/audit",
        "/console/static/console.css",
        "/console/static/copy.js",
        "/console/no-such-page",
    ] {
        let r = browser.get(path).await;
        assert!(r.status().as_u16() < 500, "{path}: {}", r.status());
        check(path, r.headers());
    }
    let refused = browser.post("/console/keys/rotate", &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    check("refused POST", refused.headers());
    let html = browser.get("/console/clients").await.text().await.unwrap();
    assert!(!html.contains("<script>"), "no inline script");
}

#[tokio::test]
async fn a_post_without_the_session_token_changes_nothing() {
    let app = spawn_app().await;
    app.register("victim", &["https://api.example"], &[]).await;
    let mut browser = logged_in(&app).await;
    let r = browser
        .post("/console/clients/victim/disable", &[("csrf", "forged")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = browser.post("/console/clients/victim/disable", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let client = app
        .admin(reqwest::Method::GET, "/admin/clients/victim", None)
        .await;
    assert_eq!(client.json::<Value>().await.unwrap()["disabled"], false);
    let token = browser.csrf("/console/clients/victim").await;
    let r = browser
        .post("/console/clients/victim/disable", &[("csrf", &token)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let client = app
        .admin(reqwest::Method::GET, "/admin/clients/victim", None)
        .await;
    assert_eq!(client.json::<Value>().await.unwrap()["disabled"], true);
}

#[tokio::test]
async fn a_new_clients_secret_is_shown_once_in_the_post_answer_and_gets_tokens() {
    let app = spawn_app().await;
    let mut browser = logged_in(&app).await;
    let token = browser.csrf("/console/clients/new").await;
    let r = browser
        .post(
            "/console/clients",
            &[
                ("csrf", &token),
                ("client_id", "billing"),
                (
                    "audiences",
                    "https://billing.example\nhttps://ledger.example",
                ),
                ("scopes", "read write"),
                ("grants", "client_credentials"),
                ("token_ttl", "600"),
                ("alg", "ES256"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "answered in place, no redirect");
    let html = r.text().await.unwrap();
    let secret = field(&html, r#"id="secret""#);
    let got = app
        .token_post(
            "billing",
            &secret,
            &[("audience", "https://ledger.example")],
        )
        .await;
    assert_eq!(got.status(), StatusCode::OK);
    let detail = browser
        .get("/console/clients/billing")
        .await
        .text()
        .await
        .unwrap();
    assert!(!detail.contains(&secret));
    assert!(detail.contains("ES256"));

    // The registration is in the audit trail as the operator's, and the secret is nowhere in it.
    let trail = app.admin(reqwest::Method::GET, "/admin/audit", None).await;
    let text = trail.text().await.unwrap();
    assert!(!text.contains(&secret));
    let events: Value = serde_json::from_str(&text).unwrap();
    let added = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "client.add" && e["target"] == "billing")
        .expect("the console's registration is audited");
    assert_eq!(added["actor"]["kind"], "operator");
    assert_eq!(added["outcome"]["success"], true);
    let page = browser.get("/console/audit").await.text().await.unwrap();
    assert!(page.contains("client.add") && !page.contains(&secret));
}

#[tokio::test]
async fn the_console_switched_off_has_no_routes() {
    let app = spawn_with(|s| s.console.enabled = false).await;
    for path in ["/console", "/console/login", "/console/static/copy.js"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Not there with any method: a 405 would say the route exists.
    for method in [
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::POST,
    ] {
        let r = app
            .http
            .request(method.clone(), app.url("/console"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} /console");
    }
}

#[tokio::test]
async fn operators_are_managed_through_the_admin_api_and_removal_ends_their_sessions() {
    let app = spawn_app().await;
    let added = app
        .admin(
            reqwest::Method::POST,
            "/admin/operators",
            Some(json!({"name": "ops", "password": "a long enough password"})),
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let added: Value = added.json().await.unwrap();
    assert!(added.get("password_phc").is_none());
    let mut browser = Browser::new(&app);
    let r = browser.login("ops", "a long enough password").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let list: Value = app
        .admin(reqwest::Method::GET, "/admin/operators", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let gone = app
        .admin(reqwest::Method::DELETE, "/admin/operators/ops", None)
        .await;
    assert_eq!(gone.status(), StatusCode::OK);
    let r = browser.get("/console/clients").await;
    assert_eq!(r.headers()[LOCATION], "/console/login");
}

#[tokio::test]
async fn a_refused_registration_says_why_on_a_page_with_the_navigation() {
    let app = spawn_app().await;
    let mut browser = logged_in(&app).await;
    let token = browser.csrf("/console/clients/new").await;
    let no_audience = browser
        .post(
            "/console/clients",
            &[
                ("csrf", &token),
                ("client_id", "svc"),
                ("grants", "client_credentials"),
            ],
        )
        .await;
    assert_eq!(no_audience.status(), StatusCode::BAD_REQUEST);
    let html = no_audience.text().await.unwrap();
    assert!(html.contains("at least one audience"), "{html}");
    assert!(html.contains("Log out"), "the navigation stays");
    let taken = browser
        .post(
            "/console/clients",
            &[
                ("csrf", &token),
                ("client_id", "admin"),
                ("audiences", "https://a.example"),
                ("grants", "client_credentials"),
            ],
        )
        .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_service_url_with_another_scheme_is_refused_in_the_console_too() {
    let app = spawn_app().await;
    let mut browser = logged_in(&app).await;
    let token = browser.csrf("/console/directory/services").await;
    let r = browser
        .post(
            "/console/directory/services",
            &[
                ("csrf", &token),
                ("name", "evil"),
                ("endpoint_url_internal", "javascript:alert(1)"),
                ("endpoint_url_external", ""),
                ("endpoint_url_admin", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("service evil: endpoint_url_internal: "),
        "{html}"
    );
    let listed = browser.get("/console/directory/services").await;
    assert!(!listed.text().await.unwrap().contains("javascript:"));
}
