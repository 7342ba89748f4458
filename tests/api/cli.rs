//! The `tokendealer` binary: admin commands against a running server, and `serve` itself.

use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

use crate::helpers::{TestApp, spawn_app};

pub async fn cli(app: &TestApp, args: &[&str]) -> Output {
    cli_fed(app, args, "").await
}

/// Runs `tokendealer ARGS` against the app with the admin credentials from its data dir,
/// feeding `stdin`.
pub async fn cli_fed(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .args(args)
        .args(["--url", &app.base, "--data-dir"])
        .arg(app.data_dir.path())
        .env_remove("TOKENDEALER_ADMIN_CLIENT_ID")
        .env_remove("TOKENDEALER_ADMIN_CLIENT_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    child.wait_with_output().await.unwrap()
}

pub fn json_out(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is exactly one JSON document")
}

#[tokio::test]
async fn client_add_prints_the_secret_once_and_the_client_can_get_a_token() {
    let app = spawn_app().await;
    let out = cli(
        &app,
        &[
            "client",
            "add",
            "strava",
            "--audience",
            "https://runnerly.io",
            "--scope",
            "runs:read",
            "--token-ttl",
            "600",
        ],
    )
    .await;
    let added = json_out(&out);
    assert_eq!(added["client_id"], "strava");
    assert_eq!(added["audiences"][0], "https://runnerly.io");
    assert_eq!(added["scopes"][0], "runs:read");
    assert_eq!(added["token_ttl"], 600);
    let secret = added["client_secret"].as_str().unwrap();
    assert_eq!(app.token_post("strava", secret, &[]).await.status(), 200);

    let shown = json_out(&cli(&app, &["client", "show", "strava"]).await);
    assert!(
        shown.get("client_secret").is_none(),
        "show never reveals the secret"
    );
    let listed = json_out(&cli(&app, &["client", "list"]).await);
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn rotate_disable_enable_and_remove_work_from_the_command_line() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &[]).await;
    let rotated = json_out(&cli(&app, &["client", "rotate-secret", "svc", "--grace", "60"]).await);
    let new = rotated["client_secret"].as_str().unwrap();
    assert_eq!(
        app.token_post("svc", &c.secret, &[]).await.status(),
        200,
        "the old secret works during the grace"
    );
    json_out(&cli(&app, &["client", "disable", "svc"]).await);
    assert_eq!(app.token_post("svc", new, &[]).await.status(), 401);
    json_out(&cli(&app, &["client", "enable", "svc"]).await);
    assert_eq!(app.token_post("svc", new, &[]).await.status(), 200);
    json_out(&cli(&app, &["client", "remove", "svc"]).await);
    assert_eq!(app.token_post("svc", new, &[]).await.status(), 401);
}

#[tokio::test]
async fn keys_rotate_and_list_from_the_command_line() {
    let app = spawn_app().await;
    let rotated = json_out(&cli(&app, &["keys", "rotate", "--alg", "RS512", "--now"]).await);
    let listed = json_out(&cli(&app, &["keys", "list"]).await);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 4, "three signers and the replaced RS512 key");
    let active = |k: &&Value| k["state"] == "active";
    assert!(
        listed
            .iter()
            .filter(active)
            .any(|k| k["kid"] == rotated["kid"])
    );
    assert_eq!(listed.iter().filter(active).count(), 3);
}

#[tokio::test]
async fn show_credentials_prints_the_bootstrap_file_and_its_secret_gets_an_admin_token() {
    let app = spawn_app().await;
    let shown = json_out(&cli(&app, &["show-credentials"]).await);
    assert_eq!(shown["client_id"], app.admin_id);
    let secret = shown["client_secret"].as_str().unwrap();
    let r = app
        .token_post(
            &app.admin_id,
            secret,
            &[("audience", crate::helpers::ADMIN_AUDIENCE)],
        )
        .await;
    assert_eq!(r.status(), 200);

    // Another data dir (an instance that did not bootstrap): one line, a failure exit.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .arg("show-credentials")
        .arg("--data-dir")
        .arg(empty.path())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("only the instance that bootstrapped"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn an_unreachable_server_is_one_line_on_stderr_and_a_failure_exit() {
    let app = spawn_app().await;
    let out = Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .args([
            "client",
            "list",
            "--url",
            "http://127.0.0.1:9",
            "--data-dir",
        ])
        .arg(app.data_dir.path())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot reach"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn refused_admin_credentials_are_one_line_on_stderr_and_a_failure_exit() {
    let app = spawn_app().await;
    let out = Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .args(["client", "list", "--url", &app.base])
        .env("TOKENDEALER_ADMIN_CLIENT_ID", "admin")
        .env("TOKENDEALER_ADMIN_CLIENT_SECRET", "wrong")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("invalid_client"), "{stderr}");
}

/// A free address on 127.0.0.1 for a [`serve_process`], kept across its restarts.
pub fn free_address() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// Starts the real binary, `tokendealer serve`, on `listen` with these dirs and waits for
/// /healthz. The child is killed if dropped; its log (stderr) is piped.
pub async fn serve_process(listen: &str, data_dir: &Path, keys_dir: &Path) -> Child {
    serve_process_logging(listen, data_dir, keys_dir, "info").await
}

/// [`serve_process`] with `RUST_LOG` set to `filter`.
pub async fn serve_process_logging(
    listen: &str,
    data_dir: &Path,
    keys_dir: &Path,
    filter: &str,
) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .args(["serve", "--listen", listen, "--keys-dir"])
        .arg(keys_dir)
        .arg("--data-dir")
        .arg(data_dir)
        .env("RUST_LOG", filter)
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http
            .get(format!("http://{listen}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return child;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server never answered /healthz on {listen}");
}

async fn cli_at(listen: &str, data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .args(args)
        .args(["--url", &format!("http://{listen}"), "--data-dir"])
        .arg(data_dir)
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn serve_starts_on_an_empty_dir_and_exits_zero_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (data, keys) = (dir.path().join("data"), dir.path().join("keys"));
    let child = serve_process(&free_address(), &data, &keys).await;
    let creds_file = data.join("admin-credentials.json");
    assert!(creds_file.exists());
    let pid = child.id().unwrap().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "exit status {:?}", out.status);
    let log = String::from_utf8_lossy(&out.stderr);
    let creds: Value = serde_json::from_slice(&std::fs::read(creds_file).unwrap()).unwrap();
    assert!(
        !log.contains(creds["client_secret"].as_str().unwrap()),
        "the secret is never logged"
    );
    assert!(
        log.contains("admin-credentials.json"),
        "the log says where the credentials are"
    );
}

#[tokio::test]
async fn an_acknowledged_admin_write_survives_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let (data, keys) = (dir.path().join("data"), dir.path().join("keys"));
    let listen = free_address();
    let mut child = serve_process(&listen, &data, &keys).await;
    let mut secrets = Vec::new();
    for i in 0..5 {
        let out = cli_at(
            &listen,
            &data,
            &[
                "client",
                "add",
                &format!("svc{i}"),
                "--audience",
                "https://api",
            ],
        )
        .await;
        secrets.push(json_out(&out)["client_secret"].as_str().unwrap().to_owned());
    }
    child.kill().await.unwrap();
    child.wait().await.unwrap();

    let _child = serve_process(&listen, &data, &keys).await;
    let http = reqwest::Client::new();
    for (i, secret) in secrets.iter().enumerate() {
        let id = format!("svc{i}");
        let r = http
            .post(format!("http://{listen}/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{id} survived the crash");
    }
}

#[tokio::test]
async fn even_at_trace_level_the_log_holds_no_secret_digest_or_password_hash() {
    let (data, keys) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let listen = free_address();
    let mut child = serve_process_logging(&listen, data.path(), keys.path(), "trace").await;
    let app = TestApp::attach(format!("http://{listen}"), data, keys);
    let svc = app.register("svc", &["https://api.test"], &["read"]).await;
    app.access_token(&svc, &[("audience", "https://api.test")])
        .await;
    for (resource, name) in [("orgs", "o"), ("ous", "u"), ("depts", "d"), ("roles", "r")] {
        let body = serde_json::json!({ "name": name });
        app.admin(
            reqwest::Method::POST,
            &format!("/admin/{resource}"),
            Some(body),
        )
        .await;
    }
    let wfc = serde_json::json!({"name": "w", "org": "o", "orgunit": "u", "department": "d"});
    app.admin(reqwest::Method::POST, "/admin/wfcs", Some(wfc))
        .await;
    let user = serde_json::json!({"username": "alice", "email": "a@b.example",
        "password": "correct horse battery", "roles": ["r"], "wfc": "w"});
    let r = app
        .admin(reqwest::Method::POST, "/admin/users", Some(user))
        .await;
    assert_eq!(r.status(), 201);

    child.start_kill().unwrap();
    let out = child.wait_with_output().await.unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let digest = tokendealer::domain::SecretDigest::of(&svc.secret).to_hex();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "trace logging is on"
    );
    for needle in [
        digest.as_str(),
        svc.secret.as_str(),
        "$argon2",
        "secret_sha256",
        "correct horse",
    ] {
        assert!(!log.contains(needle), "the log holds {needle:?}");
    }
}

#[tokio::test]
async fn master_key_generate_prints_a_new_256_bit_key_as_hex() {
    let run = || async {
        let out = Command::new(env!("CARGO_BIN_EXE_tokendealer"))
            .args(["master-key", "generate"])
            .output()
            .await
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let (one, two) = (run().await, run().await);
    assert_eq!(one.len(), 64);
    assert!(one.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(one, two);
}

#[tokio::test]
async fn output_into_a_closed_pipe_ends_quietly_instead_of_panicking() {
    let app = spawn_app().await;
    app.register("svc", &["https://api"], &[]).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .args(["client", "list", "--url", &app.base, "--data-dir"])
        .arg(app.data_dir.path())
        .env_remove("TOKENDEALER_ADMIN_CLIENT_ID")
        .env_remove("TOKENDEALER_ADMIN_CLIENT_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the listing is written (`tokendealer client list | head -0`).
    drop(child.stdout.take());
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "status {:?}, stderr: {stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn a_refused_database_url_is_never_echoed_with_its_password() {
    for url in [
        "postgres://td:Sup3rS3cret@db:5432/td?sslmode=prefer",
        "postgres://td:Sup3rS3cret@db:5432/td?sslmode=verify-ful",
        // A raw '?' in the password: where the query begins would be a guess (TLS could be lost).
        "postgres://td:Sup3r?S3cret@127.0.0.1:5432/td?sslmode=require",
    ] {
        for how in ["env", "flag"] {
            let mut command = Command::new(env!("CARGO_BIN_EXE_tokendealer"));
            command.arg("config").env_remove("TOKENDEALER_DATABASE_URL");
            match how {
                "env" => command.env("TOKENDEALER_DATABASE_URL", url),
                _ => command.args(["--database-url", url]),
            };
            let out = command.output().await.unwrap();
            assert!(!out.status.success(), "{how} {url}");
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!said.contains("S3cret"), "{how}: {said}");
            assert!(said.contains("database"), "{how}: {said}");
        }
    }
}

#[tokio::test]
async fn field_prints_one_field_of_the_answer_as_bare_text_and_a_missing_one_fails() {
    let app = spawn_app().await;
    let out = cli(
        &app,
        &[
            "client",
            "add",
            "scripted",
            "--audience",
            "https://runnerly.io",
            "--field",
            "client_secret",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).unwrap();
    let secret = secret.strip_suffix('\n').expect("one line");
    assert!(!secret.contains('"'), "bare text, not JSON: {secret}");
    let answer = app.token_post("scripted", secret, &[]).await;
    assert_eq!(answer.status(), 200, "the printed secret is the secret");

    let audiences = cli(
        &app,
        &["client", "show", "scripted", "--field", "audiences"],
    )
    .await;
    assert_eq!(
        json_out(&audiences),
        serde_json::json!(["https://runnerly.io"])
    );

    let missing = cli(&app, &["client", "show", "scripted", "--field", "nope"]).await;
    assert!(!missing.status.success());
    assert!(missing.stdout.is_empty());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no field \"nope\""));
}

#[tokio::test]
async fn a_start_under_another_issuer_points_the_credentials_file_at_it_and_keeps_the_secrets() {
    let mut app = spawn_app().await;
    let path = app.data_dir.path().join("admin-credentials.json");
    let before: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert!(
        before["token_endpoint"]
            .as_str()
            .unwrap()
            .starts_with("http://")
    );

    app.issuer = "https://auth.example/tenant".to_owned();
    let app = app.restart().await;
    let after: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        after["token_endpoint"],
        "https://auth.example/tenant/oauth/token"
    );
    assert_eq!(after["console_url"], "https://auth.example/tenant/console");
    for kept in [
        "client_id",
        "client_secret",
        "console_user",
        "console_password",
    ] {
        assert_eq!(after[kept], before[kept], "{kept} is kept");
    }
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let token = app.token_post(&app.admin_id, &app.admin_secret, &[]).await;
    assert_eq!(token.status(), 200);
}
