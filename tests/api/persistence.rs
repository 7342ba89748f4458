//! What survives a restart, and secret rotation.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{header_of, spawn_app};

#[tokio::test]
async fn clients_keys_and_the_admin_survive_a_restart() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &["s"]).await;
    let before = app.access_token(&c, &[]).await;
    let app = app.restart().await;

    let after = app.access_token(&c, &[]).await;
    assert_eq!(
        header_of(&before)["kid"],
        header_of(&after)["kid"],
        "the same key signs after a restart"
    );
    app.verify_with_jwks(&before, "https://api")
        .await
        .expect("tokens from before the restart still verify");
    let shown: Value = app
        .admin(Method::GET, "/admin/clients/svc", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["scopes"], json!(["s"]));
}

#[tokio::test]
async fn a_restart_does_not_recreate_the_admin_or_rewrite_its_credentials() {
    let app = spawn_app().await;
    let path = app.data_dir.path().join("admin-credentials.json");
    let before = std::fs::read(&path).unwrap();
    let app = app.restart().await;
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let _ = app.admin_token().await;
}

#[tokio::test]
async fn a_rotated_secret_replaces_the_old_one_at_once() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &[]).await;
    let r = app
        .admin(Method::POST, "/admin/clients/svc/rotate-secret", None)
        .await;
    assert_eq!(r.status(), 200);
    let new = r.json::<Value>().await.unwrap()["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, c.secret);
    assert_eq!(app.token_post("svc", &c.secret, &[]).await.status(), 401);
    assert_eq!(app.token_post("svc", &new, &[]).await.status(), 200);
}

#[tokio::test]
async fn with_a_grace_period_both_secrets_work_and_it_survives_a_restart() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &[]).await;
    let r = app
        .admin(
            Method::POST,
            "/admin/clients/svc/rotate-secret",
            Some(json!({"grace_secs": 600})),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert!(body["previous_secret_valid_until"].as_u64().is_some());
    let new = body["client_secret"].as_str().unwrap().to_owned();
    let app = app.restart().await;
    assert_eq!(app.token_post("svc", &c.secret, &[]).await.status(), 200);
    assert_eq!(app.token_post("svc", &new, &[]).await.status(), 200);
}

#[tokio::test]
async fn the_database_stores_only_a_digest_of_the_secret() {
    let mut app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &[]).await;
    app.stop().await;
    let mut found = false;
    for entry in walk(app.data_dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        found |= bytes
            .windows(c.secret.len())
            .any(|w| w == c.secret.as_bytes());
    }
    assert!(!found, "the plaintext secret is nowhere in the data dir");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
