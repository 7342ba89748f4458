//! The Audit page: filtered by kind like `GET /admin/audit`, and text anyone may choose (a name
//! presented at a failed login, an imported email) shown with its hidden characters visible.
//! Console actions are recorded under the names of the admin operations they are.

use reqwest::StatusCode;
use serde_json::json;

use super::{Browser, logged_in};
use crate::helpers::spawn_app;
use crate::users::Directory;

/// A name with a right-to-left override (U+202E): rendered live, "nimda" reads reversed.
const REVERSED: &str = "admin\u{202e}nimda";

#[tokio::test]
async fn the_audit_page_shows_one_kind_and_hidden_characters_as_escapes() {
    let app = spawn_app().await;
    app.register("billing", &["https://api"], &[]).await;
    assert_eq!(app.gettoken(REVERSED, "guess").await.status(), 401);
    let r = Browser::new(&app).login("ops\u{2066}x", "guess").await;
    assert_eq!(r.status(), StatusCode::OK, "a failed console login");
    let mut browser = logged_in(&app).await;

    let admin = browser.get("/console/audit?kind=admin").await;
    assert_eq!(admin.status(), StatusCode::OK);
    let admin = admin.text().await.unwrap();
    assert!(admin.contains("client.add"), "{admin}");
    assert!(
        !admin.contains("failed:"),
        "no authentication failure: {admin}"
    );
    assert!(admin.contains(r#"aria-current="page""#));

    let auth = browser
        .get("/console/audit?kind=auth")
        .await
        .text()
        .await
        .unwrap();
    assert!(!auth.contains("client.add"), "{auth}");
    assert!(auth.contains(r"user admin\u{202e}nimda"), "{auth}");
    assert!(auth.contains(r"user operator:ops\u{2066}x"), "{auth}");
    assert!(!auth.contains('\u{202e}') && !auth.contains('\u{2066}'));

    let all = browser.get("/console/audit").await.text().await.unwrap();
    assert!(all.contains("client.add") && all.contains(r"admin\u{202e}nimda"));

    let other = browser.get("/console/audit?kind=everything").await;
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_imported_email_with_a_bidi_override_shows_it_as_an_escape() {
    let app = spawn_app().await;
    app.seed().await;
    let hash = "pbkdf2:sha256:150000$PrG6xQZS$f8033bb50884a12a2edb534466288788d309617c71179d24cfecdccda7dbfa31";
    let body = json!({"username": "zed", "email": "moc.evil\u{202e}@zed", "password_hash": hash,
        "roles": ["ops"], "wfc": "acme-eng"});
    let r = app
        .admin(
            reqwest::Method::POST,
            "/admin/import/tokenleader/users",
            Some(body),
        )
        .await;
    assert_eq!(r.status(), 201);
    let mut browser = logged_in(&app).await;
    let page = browser
        .get("/console/directory/users")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r"moc.evil\u{202e}@zed"), "{page}");
    assert!(!page.contains('\u{202e}'));
}

#[tokio::test]
async fn every_console_action_is_recorded_under_its_admin_operations_name() {
    let app = spawn_app().await;
    app.register("svc", &["https://api"], &[]).await;
    let mut browser = logged_in(&app).await;
    for (page, action) in [
        ("/console/clients/svc", "/console/clients/svc/rotate"),
        ("/console/clients/svc", "/console/clients/svc/disable"),
        ("/console/clients/svc", "/console/clients/svc/enable"),
        ("/console/keys", "/console/keys/rotate"),
        ("/console/directory/orgs", "/console/directory/orgs"),
        (
            "/console/directory/orgs",
            "/console/directory/orgs/acme/remove",
        ),
        ("/console/clients/svc", "/console/clients/svc/remove"),
    ] {
        let csrf = browser.csrf(page).await;
        let r = browser
            .post(action, &[("csrf", csrf.as_str()), ("name", "acme")])
            .await;
        assert!(r.status().as_u16() < 400, "{action}: {}", r.status());
    }
    let r = app
        .admin(reqwest::Method::GET, "/admin/audit?kind=admin", None)
        .await;
    let events: Vec<serde_json::Value> = r.json().await.unwrap();
    let mut names: Vec<&str> = events
        .iter()
        .filter(|e| e["actor"]["kind"] == "operator")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "client.disable",
            "client.enable",
            "client.remove",
            "client.rotate_secret",
            "key.rotate",
            "org.add",
            "org.remove",
        ]
    );
}
