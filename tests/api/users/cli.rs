//! The directory and key commands of the `tokendealer` binary.

use serde_json::Value;

use super::Directory;
use super::catalog_keys::{jwks_n_e, parse_ssh};
use crate::cli::cli_fed as cli;
use crate::console::Browser;
use crate::helpers::{TestApp, spawn_app};

async fn ok(app: &TestApp, args: &[&str], stdin: &str) -> String {
    let out = cli(app, args, stdin).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_cli_builds_a_directory_a_user_can_log_in_with() {
    let app = spawn_app().await;
    ok(&app, &["org", "add", "acme"], "").await;
    ok(&app, &["ou", "add", "eng"], "").await;
    ok(&app, &["dept", "add", "platform"], "").await;
    ok(
        &app,
        &[
            "wfc", "add", "w1", "--org", "acme", "--ou", "eng", "--dept", "platform",
        ],
        "",
    )
    .await;
    ok(&app, &["role", "add", "ops"], "").await;
    let args = [
        "user",
        "add",
        "dora",
        "--email",
        "dora@acme.example",
        "--role",
        "ops",
        "--wfc",
        "w1",
        "--password-stdin",
    ];
    let shown: Value = serde_json::from_str(&ok(&app, &args, "from stdin 123\n").await).unwrap();
    assert_eq!(shown["username"], "dora");
    assert_eq!(app.gettoken("dora", "from stdin 123").await.status(), 201);

    ok(
        &app,
        &["user", "passwd", "dora", "--password-stdin"],
        "changed it 456\n",
    )
    .await;
    assert_eq!(app.gettoken("dora", "changed it 456").await.status(), 201);

    let svc = [
        "service",
        "add",
        "micros",
        "--internal-url",
        "http://micros.internal",
    ];
    ok(&app, &svc, "").await;
    let list: Value = serde_json::from_str(&ok(&app, &["service", "list"], "").await).unwrap();
    assert_eq!(list[0]["name"], "micros");

    let refused = cli(&app, &["role", "remove", "ops"], "").await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("still used by user dora"));
    ok(&app, &["user", "remove", "dora"], "").await;
    ok(&app, &["role", "remove", "ops"], "").await;
}

#[tokio::test]
async fn keys_show_prints_an_ssh_line_that_is_the_jwks_key() {
    let app = spawn_app().await;
    let line = ok(&app, &["keys", "show", "--format", "ssh"], "").await;
    assert!(line.starts_with("ssh-rsa AAAA"));
    assert_eq!(parse_ssh(line.trim()), jwks_n_e(&app).await);
    let pem = ok(&app, &["keys", "show", "--format", "pem"], "").await;
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
}

#[tokio::test]
async fn the_cli_manages_console_operators() {
    let app = spawn_app().await;
    let added = ok(
        &app,
        &["operator", "add", "ops", "--password-stdin"],
        "operator pass 1\n",
    )
    .await;
    let added: Value = serde_json::from_str(&added).unwrap();
    assert_eq!(added["name"], "ops");
    assert!(added.get("password_phc").is_none());
    let list: Value = serde_json::from_str(&ok(&app, &["operator", "list"], "").await).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "ops"]);
    ok(
        &app,
        &["operator", "passwd", "ops", "--password-stdin"],
        "operator pass 2\n",
    )
    .await;
    let mut browser = Browser::new(&app);
    let old = browser.login("ops", "operator pass 1").await;
    assert_eq!(old.status(), 200, "the old password is refused");
    let new = browser.login("ops", "operator pass 2").await;
    assert_eq!(new.status(), 303, "the new one logs in");
    ok(&app, &["operator", "remove", "ops"], "").await;
    let out = cli(&app, &["operator", "remove", "ops"], "").await;
    assert!(!out.status.success(), "a second removal finds nothing");
}
