//! RFC 9112 §3.2: an HTTP/1.1 request names its host exactly once.

use super::{MARGIN, connect, read_until_closed};
use crate::helpers::{TestApp, spawn_with};
use tokio::io::AsyncWriteExt;

/// A form POST to /oauth/token with the admin's credentials, as raw HTTP/1.1 head + body.
fn token_request(app: &TestApp, host: Option<&str>, extra_headers: &str) -> Vec<u8> {
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        app.admin_id, app.admin_secret
    );
    let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    format!(
        "POST /oauth/token HTTP/1.1\r\n{host}{extra_headers}\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn an_http11_request_without_host_gets_400() {
    let app = spawn_with(|_| {}).await;
    let mut no_host = connect(&app).await;
    no_host
        .write_all(&token_request(&app, None, "Connection: close\r\n"))
        .await
        .unwrap();
    let (_, received) = read_until_closed(&mut no_host, MARGIN).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains(r#""error":"invalid_request""#), "{text}");
    assert!(!text.contains("access_token"), "{text}");
}

#[tokio::test]
async fn two_host_headers_get_400_and_one_gets_a_token() {
    let app = spawn_with(|_| {}).await;
    let mut twice = connect(&app).await;
    let request = token_request(
        &app,
        Some("a.example"),
        "Host: b.example\r\nConnection: close\r\n",
    );
    twice.write_all(&request).await.unwrap();
    let (_, received) = read_until_closed(&mut twice, MARGIN).await;
    assert!(received.starts_with(b"HTTP/1.1 400"));

    let mut once = connect(&app).await;
    let request = token_request(&app, Some("a.example"), "Connection: close\r\n");
    once.write_all(&request).await.unwrap();
    let (_, received) = read_until_closed(&mut once, MARGIN).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("access_token"), "{text}");
}

#[tokio::test]
async fn an_http10_request_may_omit_host() {
    let app = spawn_with(|_| {}).await;
    let mut old = connect(&app).await;
    old.write_all(b"GET /healthz HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let (_, received) = read_until_closed(&mut old, MARGIN).await;
    assert!(received.starts_with(b"HTTP/1.0 200"), "{received:?}");
}
