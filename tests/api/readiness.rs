//! Liveness and readiness: `/healthz` and `/livez` answer while the process does; `/readyz`
//! answers 503, saying why, whenever the instance should get no new requests (a stop under way
//! here; the database out of reach in `scale_out::outage`).

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::process::Command;

use crate::cli::free_address;
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_serving_instance_is_ready_and_alive_under_every_probe_name() {
    let app = spawn_app().await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.headers()["cache-control"], "no-store");
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        serde_json::json!({ "status": "ready" })
    );
    for path in ["/healthz", "/livez"] {
        let alive = app.get(path).await;
        assert_eq!(alive.status(), 200, "{path}");
        assert_eq!(alive.json::<Value>().await.unwrap()["status"], "ok");
    }
    let head = app.http.head(app.url("/readyz")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.bytes().await.unwrap().is_empty());
    let post = app.http.post(app.url("/readyz")).send().await.unwrap();
    assert_eq!(post.status(), 405);
}

#[tokio::test]
async fn after_sigterm_readyz_answers_503_through_the_shutdown_delay_while_requests_are_still_served()
 {
    let dir = tempfile::tempdir().unwrap();
    let (data, keys) = (dir.path().join("data"), dir.path().join("keys"));
    let listen = free_address();
    let delay = Duration::from_secs(3);
    let child = Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .args(["serve", "--listen", &listen, "--keys-dir"])
        .arg(&keys)
        .arg("--data-dir")
        .arg(&data)
        .env(
            "TOKENDEALER_SHUTDOWN_DELAY_SECS",
            delay.as_secs().to_string(),
        )
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let url = |path: &str| format!("http://{listen}{path}");
    let mut up = false;
    for _ in 0..300 {
        if http
            .get(url("/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server never became ready on {listen}");
    let creds: Value =
        serde_json::from_slice(&std::fs::read(data.join("admin-credentials.json")).unwrap())
            .unwrap();
    let (id, secret) = (
        creds["client_id"].as_str().unwrap(),
        creds["client_secret"].as_str().unwrap(),
    );
    let token = || {
        http.post(url("/oauth/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    assert_eq!(token().await.unwrap().status(), 200);

    let pid = child.id().unwrap().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().await;
    assert!(sent.unwrap().success());
    let signalled = Instant::now();
    // The signal arrives asynchronously: the first 503 comes within a moment.
    let mut answer = None;
    while signalled.elapsed() < delay {
        let r = http.get(url("/readyz")).send().await.unwrap();
        if r.status() == 503 {
            answer = Some((
                r.headers()["cache-control"].clone(),
                r.json::<Value>().await,
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (cache_control, body) = answer.expect("/readyz answers 503 once the stop has begun");
    assert_eq!(cache_control, "no-store");
    let body = body.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["reason"], "stopping");
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("shutting down")
    );
    // Unready, not gone: liveness holds, and new requests on new connections are served
    // until the delay is over.
    assert!(signalled.elapsed() < delay - Duration::from_millis(500));
    let fresh = reqwest::Client::new();
    assert_eq!(fresh.get(url("/livez")).send().await.unwrap().status(), 200);
    assert_eq!(token().await.unwrap().status(), 200);
    assert_eq!(http.get(url("/readyz")).send().await.unwrap().status(), 503);

    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("the process exits after the delay and the drain")
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit status {:?}:\n{log}", out.status);
    assert!(
        signalled.elapsed() >= delay,
        "it served on for the delay: exited after {:?}",
        signalled.elapsed()
    );
    assert!(log.contains("unready, serving on"), "{log}");
}
