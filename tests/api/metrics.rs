//! The metrics listener: Prometheus text at `/metrics` on its own address only, counters that
//! move by exactly what was done, labels that stay bounded.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app, spawn_with};
use crate::users::Directory;

async fn spawn_with_metrics() -> TestApp {
    spawn_with(|s| {
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
        s.users.max_failures_per_user = 2;
    })
    .await
}

/// The scrape, as text.
async fn scrape(app: &TestApp) -> String {
    let base = app.metrics_base.as_ref().expect("a metrics listener");
    let r = app
        .http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// The value of one series (`name{labels}` exactly as exposed), 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

fn delta(before: &str, after: &str, series: &str) -> f64 {
    value(after, series) - value(before, series)
}

#[tokio::test]
async fn counters_move_by_exactly_the_tokens_issued_and_the_authentications_failed() {
    let app = spawn_with_metrics().await;
    let rsa = app.register("svc-rsa", &["https://api"], &[]).await;
    let ed = app
        .register_with(json!({"client_id": "svc-ed", "audiences": ["https://api"], "alg": "EdDSA"}))
        .await;
    let before = scrape(&app).await;
    for _ in 0..3 {
        assert_eq!(
            app.token_post(&rsa.id, &rsa.secret, &[]).await.status(),
            200
        );
    }
    for _ in 0..2 {
        assert_eq!(app.token_basic(&ed.id, &ed.secret, &[]).await.status(), 200);
    }
    for _ in 0..4 {
        assert_eq!(app.token_post(&rsa.id, "wrong", &[]).await.status(), 401);
    }
    assert_eq!(app.token_post("nobody", "x", &[]).await.status(), 401);
    let after = scrape(&app).await;
    let tokens = |alg: &str| {
        format!(r#"tokendealer_tokens_issued_total{{grant="client_credentials",alg="{alg}"}}"#)
    };
    assert_eq!(delta(&before, &after, &tokens("RS512")), 3.0);
    assert_eq!(delta(&before, &after, &tokens("EdDSA")), 2.0);
    assert_eq!(delta(&before, &after, &tokens("ES256")), 0.0);
    let failures =
        |reason: &str| format!(r#"tokendealer_client_auth_failures_total{{reason="{reason}"}}"#);
    assert_eq!(delta(&before, &after, &failures("wrong_secret")), 4.0);
    assert_eq!(delta(&before, &after, &failures("unknown_client")), 1.0);
    assert_eq!(delta(&before, &after, &failures("disabled_client")), 0.0);
    let requests = r#"tokendealer_request_duration_seconds_count{route="/oauth/token"}"#;
    assert_eq!(delta(&before, &after, requests), 10.0);
    assert!(!after.contains("client_id="), "no per-client label");
}

#[tokio::test]
async fn failed_logins_and_lockouts_are_counted_by_reason() {
    let app = spawn_with_metrics().await;
    app.seed().await;
    let before = scrape(&app).await;
    assert_eq!(app.gettoken("alice", "wrong").await.status(), 401);
    assert_eq!(app.gettoken("nobody", "wrong").await.status(), 401);
    assert_eq!(app.gettoken("alice", "wrong again").await.status(), 401);
    assert_eq!(app.gettoken("alice", "and again").await.status(), 429);
    let after = scrape(&app).await;
    let login = |reason: &str| format!(r#"tokendealer_login_failures_total{{reason="{reason}"}}"#);
    assert_eq!(delta(&before, &after, &login("wrong_password")), 2.0);
    assert_eq!(delta(&before, &after, &login("unknown_user")), 1.0);
    assert_eq!(delta(&before, &after, &login("locked_out")), 1.0);
    let lockouts = r#"tokendealer_lockouts_total{by="user"}"#;
    assert_eq!(delta(&before, &after, lockouts), 1.0);
}

#[tokio::test]
async fn the_metrics_listener_serves_prometheus_text_at_metrics_only() {
    let app = spawn_with_metrics().await;
    let base = app.metrics_base.clone().unwrap();
    let r = app
        .http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    for line in [
        "# TYPE tokendealer_tokens_issued_total counter",
        "# TYPE tokendealer_request_duration_seconds histogram",
        "# TYPE tokendealer_signing_queue_depth gauge",
        "# TYPE tokendealer_store_write_duration_seconds histogram",
        "# TYPE tokendealer_store_write_errors_total counter",
        "# TYPE tokendealer_refused_total counter",
        "# TYPE tokendealer_lockouts_total counter",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    // The bootstrap admin client was written through the store: its write was timed.
    assert!(value(&text, "tokendealer_store_write_duration_seconds_count") >= 1.0);
    // A fresh key's age is small but present.
    let age = value(&text, r#"tokendealer_signing_key_age_seconds{alg="RS512"}"#);
    assert!((0.0..600.0).contains(&age), "{age}");
    for path in ["/", "/oauth/token", "/metrics/x", "/healthz"] {
        let r = app.http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn the_main_listener_has_no_metrics() {
    for app in [spawn_app().await, spawn_with_metrics().await] {
        assert_eq!(app.get("/metrics").await.status(), 404);
    }
}

#[tokio::test]
async fn request_durations_are_labelled_by_route_pattern_never_by_raw_path() {
    let app = spawn_with_metrics().await;
    let r = app
        .admin(Method::GET, "/admin/clients/made-up-client-4711", None)
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(app.get("/no/such/path-4711").await.status(), 404);
    let text = scrape(&app).await;
    assert!(!text.contains("4711"), "{text}");
    assert!(
        value(
            &text,
            r#"tokendealer_request_duration_seconds_count{route="/admin/*"}"#
        ) >= 1.0
    );
    assert!(
        value(
            &text,
            r#"tokendealer_request_duration_seconds_count{route="unmatched"}"#
        ) >= 1.0
    );
}

#[tokio::test]
async fn silent_connections_to_the_metrics_listener_are_cut_and_never_block_the_dealer() {
    use tokio::io::AsyncReadExt;
    let app = spawn_with(|s| {
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
        s.first_byte_timeout = Duration::from_secs(1);
    })
    .await;
    let addr = app.metrics_base.clone().unwrap().replace("http://", "");
    // More than the metrics listener's cap of 8.
    let mut silent = Vec::new();
    for _ in 0..12 {
        silent.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let admin = app.admin_client();
    assert_eq!(
        app.token_post(&admin.id, &admin.secret, &[]).await.status(),
        200
    );
    for mut s in silent {
        let mut buf = [0u8; 64];
        let closed = tokio::time::timeout(Duration::from_secs(8), s.read(&mut buf)).await;
        assert!(matches!(closed, Ok(Ok(0) | Err(_))), "cut: {closed:?}");
    }
    assert!(
        scrape(&app)
            .await
            .contains("tokendealer_tokens_issued_total")
    );
}
