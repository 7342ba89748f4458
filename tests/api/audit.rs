//! The audit log: a JSON line per admin action and per failed authentication, never a secret;
//! appended across restarts; never in the way of token issuing. And `X-Request-Id`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_with};
use crate::users::Directory;

async fn spawn_audited() -> TestApp {
    spawn_with(|s| s.audit_log = Some(s.data_dir.join("audit.log"))).await
}

fn audit_path(app: &TestApp) -> PathBuf {
    app.data_dir.path().join("audit.log")
}

/// The log's lines once at least `n` are there (the writer thread appends shortly after).
async fn lines(path: &Path, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if lines.len() >= n {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("fewer than {n} audit lines in {}", path.display());
}

fn find<'a>(lines: &'a [Value], action: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["action"] == action)
        .unwrap_or_else(|| panic!("no {action} line in {lines:#?}"))
}

#[tokio::test]
async fn every_admin_action_and_failed_authentication_is_a_line_without_any_secret() {
    let app = spawn_audited().await;
    let admin_token = app.admin_token().await;
    let svc = app.register("svc", &["https://api"], &[]).await;
    let path = |p: &str| format!("/admin/clients/svc/{p}");
    let rotated: Value = app
        .admin(Method::POST, &path("rotate-secret"), Some(json!({})))
        .await
        .json()
        .await
        .unwrap();
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    for action in ["disable", "enable"] {
        assert_eq!(
            app.admin(Method::POST, &path(action), None).await.status(),
            200
        );
    }
    let token = app.access_token(&svc_with(&svc, &new_secret), &[]).await;
    assert_eq!(
        app.admin(Method::DELETE, "/admin/clients/svc", None)
            .await
            .status(),
        200
    );
    let old_kid = app.jwks().await.keys[0].common.key_id.clone().unwrap();
    let r = app
        .admin(
            Method::POST,
            "/admin/keys/rotate",
            Some(json!({"alg": "RS512"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let retire = format!("/admin/keys/{old_kid}/retire");
    assert_eq!(app.admin(Method::POST, &retire, None).await.status(), 200);
    app.seed().await;
    let new_password = "a brand new passphrase";
    let r = app
        .admin(
            Method::POST,
            "/admin/users/alice/password",
            Some(json!({"password": new_password})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let missing = app.admin(Method::DELETE, "/admin/roles/nope", None).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        app.token_post("svc2", "a-wrong-secret", &[]).await.status(),
        401
    );
    assert_eq!(
        app.gettoken("alice", "a wrong password").await.status(),
        401
    );

    let lines = lines(&audit_path(&app), 18).await;
    for action in [
        "client.add",
        "client.rotate_secret",
        "client.disable",
        "client.enable",
        "client.remove",
        "key.rotate",
        "key.retire",
        "org.add",
        "ou.add",
        "dept.add",
        "role.add",
        "wfc.add",
        "user.add",
        "user.set_password",
    ] {
        let line = find(&lines, action);
        assert_eq!(line["event"], "admin_action");
        assert_eq!(
            line["actor"],
            json!({"kind": "client", "id": "admin"}),
            "{action}"
        );
        assert_eq!(line["outcome"]["success"], true, "{action}");
        assert_eq!(line["source"], "127.0.0.1");
        assert!(line["request_id"].as_str().is_some_and(|r| !r.is_empty()));
        assert!(line["time"].as_u64().is_some());
    }
    assert_eq!(find(&lines, "client.add")["target"], "svc");
    assert_eq!(find(&lines, "client.remove")["target"], "svc");
    assert_eq!(find(&lines, "key.retire")["target"], old_kid.as_str());
    assert_eq!(find(&lines, "user.add")["target"], "alice");
    let failed = find(&lines, "role.remove");
    assert_eq!(failed["outcome"], json!({"status": 404, "success": false}));
    let client_failure = lines
        .iter()
        .find(|l| l["event"] == "client_auth_failed")
        .unwrap();
    assert_eq!(client_failure["presented_id"], "svc2");
    assert_eq!(client_failure["reason"], "unknown_client");
    let login_failure = lines.iter().find(|l| l["event"] == "login_failed").unwrap();
    assert_eq!(login_failure["presented_id"], "alice");
    assert_eq!(login_failure["reason"], "wrong_password");

    let text = std::fs::read_to_string(audit_path(&app)).unwrap();
    for secret in [
        svc.secret.as_str(),
        new_secret.as_str(),
        app.admin_secret.as_str(),
        admin_token.as_str(),
        token.as_str(),
        "correct horse battery",
        new_password,
        "a-wrong-secret",
        "a wrong password",
        "argon2",
        "$",
    ] {
        assert!(!text.contains(secret), "{secret:?} in the audit log");
    }

    // The same events, newest first, through the admin API.
    let recent: Vec<Value> = app
        .admin(Method::GET, "/admin/audit?limit=2", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[0]["event"], "login_failed");
    assert_eq!(recent[1]["event"], "client_auth_failed");
}

fn svc_with(svc: &crate::helpers::Registered, secret: &str) -> crate::helpers::Registered {
    crate::helpers::Registered {
        id: svc.id.clone(),
        secret: secret.to_owned(),
        body: svc.body.clone(),
    }
}

#[tokio::test]
async fn the_recent_events_are_for_admins_only() {
    let app = spawn_app().await;
    let svc = app.register("svc", &["https://api"], &[]).await;
    let token = app.access_token(&svc, &[]).await;
    let r = app
        .admin_as(&token, Method::GET, "/admin/audit", None)
        .await;
    assert!([401, 403].contains(&r.status().as_u16()), "{}", r.status());
    let r = app.http.get(app.url("/admin/audit")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = app.admin(Method::GET, "/admin/audit?limit=0", None).await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn the_audit_query_takes_limit_once_and_nothing_else() {
    let app = spawn_app().await;
    for query in ["limit=1&limit=2", "lmit=5", "limit=5&since=0", "limit"] {
        let r = app
            .admin(Method::GET, &format!("/admin/audit?{query}"), None)
            .await;
        assert_eq!(r.status(), 400, "{query}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{query}");
    }
    let r = app.admin(Method::GET, "/admin/audit?limit=5", None).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn the_audit_log_is_private_and_appended_to_across_a_restart() {
    let app = spawn_audited().await;
    let file = audit_path(&app);
    assert_eq!(app.token_post("first", "x", &[]).await.status(), 401);
    assert_eq!(lines(&file, 1).await.len(), 1);
    let app = app.restart().await;
    assert_eq!(app.token_post("second", "x", &[]).await.status(), 401);
    let lines = lines(&file, 2).await;
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["presented_id"], "first");
    assert_eq!(lines[1]["presented_id"], "second");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn an_audit_log_that_cannot_be_written_does_not_stop_token_issuing() {
    let app = spawn_with(|s| {
        s.audit_log = Some(s.data_dir.join("no-such-dir").join("audit.log"));
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let svc = app.register("svc", &["https://api"], &[]).await;
    for _ in 0..3 {
        assert_eq!(app.token_post("svc", "wrong", &[]).await.status(), 401);
        assert_eq!(
            app.token_post(&svc.id, &svc.secret, &[]).await.status(),
            200
        );
    }
    // The events are still kept in memory.
    let recent: Vec<Value> = app
        .admin(Method::GET, "/admin/audit", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(recent.iter().any(|e| e["event"] == "client_auth_failed"));
    // …and the failed writes are counted.
    let base = app.metrics_base.clone().unwrap();
    let text = app
        .http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let errors = text
        .lines()
        .find_map(|l| l.strip_prefix("tokendealer_audit_write_errors_total "))
        .map(|v| v.trim().parse::<f64>().unwrap());
    assert!(errors.is_some_and(|n| n >= 1.0), "{text}");
}

#[tokio::test]
async fn a_valid_request_id_is_kept_and_shows_in_the_audit_log() {
    let app = spawn_audited().await;
    let id = "req-1:a.B_c";
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .header("x-request-id", id)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ghost"),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-request-id"], id);
    assert_eq!(lines(&audit_path(&app), 1).await[0]["request_id"], id);
}

#[tokio::test]
async fn an_invalid_request_id_is_replaced_and_every_answer_has_one() {
    let app = spawn_app().await;
    let too_long = "a".repeat(129);
    for sent in [too_long.as_str(), "has space", "<script>", "a/b", ""] {
        let r = app
            .http
            .get(app.url("/healthz"))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        let got = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(got, sent);
        assert!((1..=128).contains(&got.len()));
        assert!(
            got.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
        );
    }
    let mut seen = std::collections::HashSet::new();
    for path in ["/healthz", "/no/such/thing", "/admin/clients"] {
        let r = app.get(path).await;
        let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(seen.insert(id), "a fresh id per request");
    }
    let r = app.token_post("nobody", "x", &[]).await;
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn the_serve_flags_turn_on_metrics_and_an_audit_log_on_stdout_and_log_lines_carry_the_request_id()
 {
    use crate::cli::free_address;
    let dir = tempfile::tempdir().unwrap();
    let (listen, metrics) = (free_address(), free_address());
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .args(["serve", "--listen", &listen, "--metrics-listen", &metrics])
        .args(["--audit-log", "-", "--keys-dir"])
        .arg(dir.path().join("keys"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let mut scraped = None;
    for _ in 0..200 {
        if let Ok(r) = http.get(format!("http://{metrics}/metrics")).send().await {
            scraped = Some(r.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(scraped, Some(reqwest::StatusCode::OK));
    let r = http
        .post(format!("http://{listen}/oauth/token"))
        .header("x-request-id", "trace-me-4711")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ghost"),
            ("client_secret", "s3cr3t-value"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let pid = child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let audit: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(audit["event"], "client_auth_failed");
    assert_eq!(audit["request_id"], "trace-me-4711");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.lines()
            .any(|l| l.contains("request_id=trace-me-4711") && l.contains("request")),
        "{log}"
    );
    assert!(!log.contains("s3cr3t-value") && !stdout.contains("s3cr3t-value"));
}
